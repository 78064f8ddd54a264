// Cutting a manifest stream into documents the way `kubectl apply -f` does
// (k8s.io/apimachinery's YAMLOrJSONDecoder and YAMLReader): ParseManifestText
// and JsonErrorAt of manifest.h.
#include "webhook/manifest.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "rules/decode.h"
#include "webhook/yaml_json.h"

namespace seiguard {
namespace {

// Go's unicode.IsSpace for the characters a manifest may start with.
size_t SpaceAt(std::string_view t, size_t i) {
  unsigned char c = static_cast<unsigned char>(t[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xC2 && i + 1 < t.size() && (t[i + 1] == '\x85' || t[i + 1] == '\xA0')) return 2;  // NEL, NBSP
  return 0;
}

// kubectl sniffs the first 4 KiB of a stream: JSON when the first non-blank
// character there is '{'.
bool StartsAsJson(std::string_view text) {
  std::string_view head = text.substr(0, 4096);
  size_t i = 0;
  while (i < head.size()) {
    size_t n = SpaceAt(head, i);
    if (n == 0) break;
    i += n;
  }
  return i < head.size() && head[i] == '{';
}

// "12:3: message" -> position and the rest.
ManifestError ErrorAt(const std::string& file, const std::string& message, size_t fallback_line) {
  ManifestError e{file, fallback_line, 1, message};
  char* end = nullptr;
  unsigned long line = std::strtoul(message.c_str(), &end, 10);
  if (end != message.c_str() && *end == ':') {
    char* end2 = nullptr;
    unsigned long col = std::strtoul(end + 1, &end2, 10);
    if (end2 != end + 1 && *end2 == ':') {
      e.line = line;
      e.column = col;
      e.message = std::string(end2 + 1 + (end2[1] == ' ' ? 1 : 0));
    }
  }
  return e;
}

// 1-based lines and columns of offsets in a text, asked in increasing order:
// the text is scanned once however many values a stream holds.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  std::pair<size_t, size_t> At(size_t offset) {
    for (; scanned_ < offset; ++scanned_) {
      if (text_[scanned_] == '\n') ++line_, line_start_ = scanned_ + 1;
    }
    return {line_, offset - line_start_ + 1};
  }

 private:
  std::string_view text_;
  size_t scanned_ = 0, line_ = 1, line_start_ = 0;
};

// kubectl's YAMLReader: a stream is cut at lines that start with "---"
// followed by nothing but blanks or a comment; each chunk is one document
// (its first YAML document, as sigs.k8s.io/yaml reads only that one). A line
// starting with "---" followed by anything else stops the stream with an
// error, as it stops kubectl.
void ParseYaml(const std::string& file, std::string_view text, size_t first_line, ManifestSet* out) {
  size_t pos = 0, line = first_line, chunk_start = 0, chunk_line = first_line;
  size_t index = 0;
  auto flush = [&](size_t end) {
    std::string_view chunk = text.substr(chunk_start, end - chunk_start);
    if (chunk.empty()) return;
    // kubectl's line reader ends every line with a newline, the last one of
    // a file too; a block scalar there keeps it ("|" clips to one).
    std::string terminated;
    if (chunk.back() != '\n') chunk = terminated.assign(chunk).append("\n");
    auto docs = YamlToJson(chunk, chunk_line, 1);
    if (!docs.ok()) {
      out->errors.push_back(ErrorAt(file, docs.status().message(), chunk_line));
      ++index;
      return;
    }
    for (YamlDocument& d : *docs) {
      if (d.json == "null") continue;  // empty, only comments, or null: kubectl skips it
      out->documents.push_back(
          {file, index++, d.line, true, std::string(chunk), std::move(d.json), chunk_line, 1, std::move(d.marks)});
    }
  };
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    size_t next = eol == std::string_view::npos ? text.size() : eol + 1;
    std::string_view l = text.substr(pos, next - pos);
    if (l.substr(0, 3) == "---") {
      size_t i = 3;
      while (i < l.size() && SpaceAt(l, i) > 0) i += SpaceAt(l, i);
      if (i < l.size() && l[i] != '#') {
        std::string rest(l.substr(3));
        while (!rest.empty() && (rest.back() == '\n' || rest.back() == '\r')) rest.pop_back();
        out->errors.push_back({file, line, 4,
                               "invalid document separator \"---" + rest +
                                   "\": kubectl takes only \"---\" followed by blanks or a comment, and "
                                   "stops reading the file here"});
        return;
      }
      flush(pos);
      chunk_start = next;
      chunk_line = line + 1;
    }
    pos = next;
    ++line;
  }
  flush(text.size());
}

// The end of the JSON value starting at `p` (a bracket, string or literal),
// or npos when the text ends first. Validity is the parser's to judge.
size_t JsonValueEnd(std::string_view t, size_t p) {
  if (t[p] == '"' || t[p] == '{' || t[p] == '[') {
    int depth = 0;
    for (size_t i = p; i < t.size(); ++i) {
      char c = t[i];
      if (c == '"') {
        for (++i; i < t.size() && t[i] != '"'; ++i) {
          if (t[i] == '\\') ++i;
        }
        if (i >= t.size()) return std::string_view::npos;
        if (depth == 0) return i + 1;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if ((c == '}' || c == ']') && --depth == 0) {
        return i + 1;
      }
    }
    return std::string_view::npos;
  }
  // A literal or a number ends where Go's JSON scanner ends it: "nullnull"
  // is two values, "01" is 0 and then 1.
  for (std::string_view word : {"true", "false", "null"}) {
    if (t[p] == word[0]) return t.substr(p, word.size()) == word ? p + word.size() : p + 1;
  }
  size_t i = p;
  auto digits = [&] {
    size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return i == p ? p + 1 : i;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digits()) return i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return i;
  }
  return i;
}

// kubectl's YAMLOrJSONDecoder on a stream that starts with '{': JSON values
// one after another; when one fails to decode before a second value was read,
// the rest of the stream (from the end of the last good value, blanks up to
// the first newline dropped) is read as YAML.
void ParseJsonStream(const std::string& file, std::string_view text, ManifestSet* out) {
  // Kept per thread: a parser's buffers are sized to the largest document
  // it saw, and making them anew for every file costs more than the parse.
  thread_local JsonParser parser;
  // Almost always the stream is one JSON document: one parse says so.
  LineCounter lines(text);
  size_t first = text.find_first_not_of(" \t\r\n");
  size_t last = text.find_last_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[last] == '}' && parser.Parse(text.substr(first, last + 1 - first)).ok()) {
    auto [line, column] = lines.At(first);
    out->documents.push_back({file, 0, line, false, std::string(text.substr(first, last + 1 - first)), {}, line, column, {}});
    return;
  }
  size_t pos = 0, consumed = 0, count = 0;
  for (;;) {
    while (pos < text.size() && std::strchr(" \t\r\n", text[pos]) != nullptr) ++pos;
    if (pos >= text.size()) return;
    size_t end = JsonValueEnd(text, pos);
    bool good = end != std::string_view::npos && end > pos && parser.Parse(text.substr(pos, end - pos)).ok();
    if (!good) {
      if (count > 1) {
        auto [line, column] = lines.At(pos);
        std::string_view bad = text.substr(pos, end == std::string_view::npos ? text.size() - pos : end - pos);
        out->errors.push_back(
            JsonErrorAt(file, bad, "invalid JSON value after " + std::to_string(count) + " JSON documents"));
        out->errors.back().line += line - 1;
        if (out->errors.back().line == line) out->errors.back().column += column - 1;
        return;
      }
      break;
    }
    auto [line, column] = lines.At(pos);
    std::string_view value = text.substr(pos, end - pos);
    if (value != "null") {
      out->documents.push_back({file, count, line, false, std::string(value), {}, line, column, {}});
    }
    ++count;
    consumed = pos = end;
  }
  size_t rest = consumed;
  while (rest < text.size()) {
    size_t n = SpaceAt(text, rest);
    if (n == 0) break;
    rest += n;
    if (text[rest - 1] == '\n') break;
  }
  size_t docs_before = out->documents.size(), errors_before = out->errors.size();
  ParseYaml(file, text.substr(rest), lines.At(rest).first, out);
  for (size_t i = docs_before; i < out->documents.size(); ++i) out->documents[i].index += count;
  // When the first document after the turn fails as YAML too, kubectl names
  // the JSON error; both are said here.
  if (out->errors.size() > errors_before &&
      (out->documents.size() == docs_before || out->errors[errors_before].line <= out->documents[docs_before].line)) {
    ManifestError& e = out->errors[errors_before];
    std::string_view bad = text.substr(pos);
    auto parsed = parser.Parse(bad.substr(0, std::min(bad.size(), JsonValueEnd(text, pos) - pos)));
    e.message = "invalid JSON" + (parsed.ok() ? std::string() : " (" + parsed.status().message() + ")") +
                ", and not YAML either: " + e.message;
  }
}

}  // namespace

void ParseManifestText(const std::string& file, std::string_view text, ManifestSet* out) {
  if (StartsAsJson(text)) return ParseJsonStream(file, text, out);
  ParseYaml(file, text, 1, out);
}

ManifestError JsonErrorAt(const std::string& file, std::string_view text, const std::string& message) {
  // The fast parser's errors have no position; the YAML reader (a JSON
  // superset) says where the text breaks.
  ManifestError e{file, 1, 1, message};
  if (auto docs = YamlToJson(text); !docs.ok()) {
    ManifestError at = ErrorAt(file, docs.status().message(), 1);
    e.line = at.line;
    e.column = at.column;
    e.message += " (" + at.message + ")";
  }
  return e;
}

}  // namespace seiguard
