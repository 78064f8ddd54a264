// null-webhook: the floor of a webhook call through kube-apiserver. It
// answers every AdmissionReview allowed, with the request's uid and nothing
// else (no patch, no warning), the least any webhook can answer. What a pod
// creation costs with it registered in place of seiguard is what the API
// server's own webhook machinery costs (encoding the review, the transport,
// decoding the answer), which no webhook can go below.
//
// Standard library only, served as the Go peer serves (HTTP/1.1, TLS 1.2
// minimum); -h2 offers HTTP/2 by ALPN as well, to measure that apart.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type review struct {
	Request *struct {
		UID string `json:"uid"`
	} `json:"request"`
}

type answer struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Response   struct {
		UID     string `json:"uid"`
		Allowed bool   `json:"allowed"`
	} `json:"response"`
}

func admit(w http.ResponseWriter, r *http.Request) {
	var in review
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 7<<20)).Decode(&in); err != nil || in.Request == nil {
		http.Error(w, "not an AdmissionReview", http.StatusBadRequest)
		return
	}
	out := answer{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}
	out.Response.UID, out.Response.Allowed = in.Request.UID, true
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(&out)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "listen address")
	certFile := flag.String("cert", "tls.crt", "TLS certificate (PEM)")
	keyFile := flag.String("key", "tls.key", "TLS private key (PEM)")
	h2 := flag.Bool("h2", false, "offer HTTP/2 by ALPN (default: HTTP/1.1 only, as the Go peer)")
	flag.Parse()

	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Fatalf("loading TLS key pair: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", admit)
	mux.HandleFunc("/validate", admit)
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	srv := &http.Server{
		Addr:              *addr,
		Handler:           mux,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	if !*h2 {
		srv.TLSConfig.NextProtos = []string{"http/1.1"}
		srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServeTLS("", "") }()
	select {
	case err := <-errc:
		log.Fatalf("serve: %v", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
}
