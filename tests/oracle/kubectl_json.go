// kubectl_json: a test oracle. For each file named on the command line it
// prints, one line per document, the JSON that `kubectl apply -f FILE` would
// send for it, using the library kubectl reads YAML with (sigs.k8s.io/yaml,
// go-yaml v2 underneath) as Debian packages it:
//
//	{"file":"x.yaml","doc":0,"object":{...}}
//	{"file":"x.yaml","doc":1,"error":"..."}
//
// The stream handling around that library follows k8s.io/apimachinery's
// pkg/util/yaml (YAMLOrJSONDecoder, YAMLReader) and kubectl's resource
// builder, which Debian does not package; it is restated here in a few lines:
//
//   - a stream whose first non-blank byte is '{' is read as a series of JSON
//     values; when decoding fails before a second value was read, the rest
//     of the stream is read as YAML;
//   - a YAML stream is cut at lines that start with "---" followed only by
//     blanks or a comment; "---" followed by anything else is an error;
//   - each YAML chunk goes through yaml.YAMLToJSON (only its first YAML
//     document counts);
//   - empty documents and "null" are skipped;
//   - numbers are then held as int64 when they are integers, else float64,
//     as unstructured objects hold them, and marshalled again.
//
// Built in GOPATH mode against /usr/share/gocode (no module download):
//
//	GOPATH=/usr/share/gocode GO111MODULE=off go build -o kubectl-json kubectl_json.go
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

type line struct {
	File   string          `json:"file"`
	Doc    int             `json:"doc"`
	Object json.RawMessage `json:"object,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// normalize turns json.Numbers into int64 or float64, as apimachinery's
// unstructured JSON decoding does.
func normalize(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, e := range t {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			t[k] = n
		}
	case []interface{}:
		for i, e := range t {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			t[i] = n
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i, nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return v, nil
}

type emitter struct {
	file string
	doc  int
	out  *json.Encoder
}

func (e *emitter) object(raw []byte) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v interface{}
	err := dec.Decode(&v)
	if err == nil {
		v, err = normalize(v)
	}
	if err == nil {
		raw, err = json.Marshal(v)
	}
	if err != nil {
		e.fail(err)
		return
	}
	e.out.Encode(line{File: e.file, Doc: e.doc, Object: raw})
	e.doc++
}

func (e *emitter) fail(err error) {
	e.out.Encode(line{File: e.file, Doc: e.doc, Error: err.Error()})
	e.doc++
}

// yamlChunks cuts a YAML stream into documents the way YAMLReader does.
func yamlChunks(data []byte, e *emitter) {
	r := bufio.NewReader(bytes.NewReader(data))
	var buf bytes.Buffer
	for {
		var l []byte
		var err error
		for prefix := true; prefix && err == nil; {
			var part []byte
			part, prefix, err = r.ReadLine()
			l = append(l, part...)
		}
		l = append(l, '\n')
		if bytes.HasPrefix(l, []byte("---")) {
			rest := strings.TrimSpace(string(l[3:]))
			if rest != "" && rest[0] != '#' {
				e.fail(fmt.Errorf("invalid Yaml document separator: %s", rest))
				return
			}
			if buf.Len() != 0 {
				e.yaml(buf.Bytes())
				buf.Reset()
			}
			if err == io.EOF {
				return
			}
			continue
		}
		if err == io.EOF {
			if buf.Len() != 0 {
				e.yaml(buf.Bytes())
			}
			return
		}
		buf.Write(l)
	}
}

func (e *emitter) yaml(chunk []byte) {
	j, err := yaml.YAMLToJSON(chunk)
	if err != nil {
		e.fail(err)
		return
	}
	e.object(j)
}

func stream(data []byte, e *emitter) {
	peek := data
	if len(peek) > 4096 {
		peek = peek[:4096]
	}
	if !bytes.HasPrefix(bytes.TrimLeftFunc(peek, unicode.IsSpace), []byte("{")) {
		yamlChunks(data, e)
		return
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	count := 0
	var consumed int64
	for {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if err == nil {
			count++
			consumed = dec.InputOffset()
			e.object(raw)
			continue
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if count > 1 {
			e.fail(err)
			return
		}
		break
	}
	// Back to the end of the last value; blanks up to the first newline go.
	rest := data[consumed:]
	for len(rest) > 0 {
		c, size := utf8.DecodeRune(rest)
		if !unicode.IsSpace(c) {
			break
		}
		rest = rest[size:]
		if c == '\n' {
			break
		}
	}
	yamlChunks(rest, e)
}



func main() {
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: kubectl-json FILE...")
		os.Exit(2)
	}
	for _, name := range os.Args[1:] {
		data, err := os.ReadFile(name)
		e := &emitter{file: name, out: out}
		if err != nil {
			e.fail(err)
			continue
		}
		stream(data, e)
	}
}
