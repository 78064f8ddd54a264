#include "webhook/manifest.h"

#include <yaml.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <unordered_map>

#include "rules/decode.h"
#include "webhook/policy_file.h"
#include "webhook/yaml_json.h"

namespace seiguard {
namespace {

namespace fs = std::filesystem;

bool IsManifestFile(const fs::path& p) {
  std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

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

// 1-based line and column of `offset` in `text`, counting from `first_line`.
std::pair<size_t, size_t> LineColumn(std::string_view text, size_t offset, size_t first_line = 1) {
  size_t line = first_line, start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') ++line, start = i + 1;
  }
  return {line, offset - start + 1};
}

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
  size_t first = text.find_first_not_of(" \t\r\n");
  size_t last = text.find_last_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[last] == '}' && parser.Parse(text.substr(first, last + 1 - first)).ok()) {
    auto [line, column] = LineColumn(text, first);
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
        auto [line, column] = LineColumn(text, pos);
        std::string_view bad = text.substr(pos, end == std::string_view::npos ? text.size() - pos : end - pos);
        out->errors.push_back(
            JsonErrorAt(file, bad, "invalid JSON value after " + std::to_string(count) + " JSON documents"));
        out->errors.back().line += line - 1;
        if (out->errors.back().line == line) out->errors.back().column += column - 1;
        return;
      }
      break;
    }
    auto [line, column] = LineColumn(text, pos);
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
  ParseYaml(file, text.substr(rest), LineColumn(text, rest).first, out);
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

ManifestSet ReadManifests(const std::vector<std::string>& paths) {
  ManifestSet out;
  auto read_file = [&](const std::string& path) {
    ++out.files;
    auto text = ReadFileLimited(path, kMaxManifestBytes);
    if (!text.ok()) {
      out.errors.push_back({path, 0, 0, text.status().message().substr(path.size() + 2)});
      return;
    }
    ParseManifestText(path, *text, &out);
  };
  for (const std::string& path : paths) {
    if (path == "-") {
      ++out.files;
      StatusOr<std::string> text = ReadStdinLimited(kMaxManifestBytes);
      if (!text.ok()) {
        out.errors.push_back({"<stdin>", 0, 0, text.status().message()});
        continue;
      }
      ParseManifestText("<stdin>", *text, &out);
      continue;
    }
    std::error_code ec;
    fs::file_status st = fs::status(path, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back({path, 0, 0, "no such file or directory"});
      continue;
    }
    if (!fs::is_directory(st)) {
      read_file(path);
      continue;
    }
    // Directory symlinks are not followed: a link loop cannot trap the walk.
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && IsManifestFile(it->path())) files.push_back(it->path());
    }
    if (ec) out.errors.push_back({path, 0, 0, "cannot list: " + ec.message()});
    std::sort(files.begin(), files.end());
    for (const fs::path& f : files) read_file(f.string());
  }
  return out;
}

std::vector<std::string> PointerTokens(std::string_view pointer) {
  std::vector<std::string> tokens;
  size_t pos = 0;
  while (pos < pointer.size() && pointer[pos] == '/') {
    size_t next = pointer.find('/', pos + 1);
    std::string_view raw = pointer.substr(pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    std::string t;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '~' && i + 1 < raw.size()) {
        t += raw[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        t += raw[i];
      }
    }
    tokens.push_back(std::move(t));
    if (next == std::string_view::npos) break;
    pos = next;
  }
  return tokens;
}

namespace {

constexpr char kSep = '\x1f';  // joins tokens into map keys

constexpr size_t kNotFound = static_cast<size_t>(-1);

// Every wanted key (all prefixes of all paths), with the offset where its
// value starts in the JSON text (kNotFound until seen).
using Wanted = std::unordered_map<std::string, size_t>;

// A walker over valid JSON (the parser checked it, depth included) that only
// descends into subtrees some wanted path goes through.
class JsonWalker {
 public:
  JsonWalker(std::string_view t, Wanted* wanted) : t_(t), wanted_(wanted) {}

  void Run() {
    std::string key;
    Visit(Ws(0), key);
  }

 private:
  size_t Ws(size_t p) const {
    while (p < t_.size() && (t_[p] == ' ' || t_[p] == '\t' || t_[p] == '\n' || t_[p] == '\r')) ++p;
    return p;
  }
  size_t String(size_t p, std::string* out) const {  // p at the opening quote
    for (++p; p < t_.size() && t_[p] != '"'; ++p) {
      if (t_[p] == '\\') {
        ++p;
        if (out != nullptr && p < t_.size()) *out += t_[p] == 'n' ? '\n' : t_[p] == 't' ? '\t' : t_[p];
      } else if (out != nullptr) {
        *out += t_[p];
      }
    }
    return p + 1;
  }
  size_t Skip(size_t p) const {
    if (p >= t_.size()) return p;
    if (t_[p] == '"') return String(p, nullptr);
    if (t_[p] == '{' || t_[p] == '[') {
      int depth = 0;
      for (; p < t_.size(); ++p) {
        char c = t_[p];
        if (c == '"') {
          p = String(p, nullptr) - 1;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          return p + 1;
        }
      }
      return p;
    }
    while (p < t_.size() && t_[p] != ',' && t_[p] != '}' && t_[p] != ']') ++p;
    return p;
  }
  // Visits the value at p whose path key is `key`; returns the end.
  size_t Visit(size_t p, std::string& key) {
    auto it = wanted_->find(key);
    if (it == wanted_->end()) return Skip(p);
    if (it->second == kNotFound) it->second = p;
    if (p >= t_.size() || (t_[p] != '{' && t_[p] != '[')) return Skip(p);
    bool object = t_[p] == '{';
    size_t base = key.size();
    p = Ws(p + 1);
    for (size_t index = 0; p < t_.size() && t_[p] != '}' && t_[p] != ']'; ++index) {
      key.resize(base);
      if (base > 0 || !key.empty()) key += kSep;
      if (object) {
        std::string k;
        p = Ws(String(p, &k));
        key += k;
        p = Ws(p + 1);  // ':'
      } else {
        key += std::to_string(index);
      }
      p = Ws(Visit(p, key));
      if (p < t_.size() && t_[p] == ',') p = Ws(p + 1);
    }
    key.resize(base);
    return p + 1;
  }

  std::string_view t_;
  Wanted* wanted_;
};

std::string Join(const TokenPath& path, size_t n) {
  std::string key;
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) key += kSep;
    key += path[i];
  }
  return key;
}

}  // namespace

std::vector<TextPosition> Locate(const ManifestDocument& doc, const std::vector<TokenPath>& paths) {
  Wanted wanted;
  for (const TokenPath& p : paths) {
    for (size_t n = 0; n <= p.size(); ++n) wanted.emplace(Join(p, n), kNotFound);
  }
  // The JSON text is walked in both cases; for YAML, the converted JSON, whose
  // value offsets the converter mapped back to YAML lines and columns.
  JsonWalker(doc.Json(), &wanted).Run();
  // JSON input: line starts, found with memchr only as far as needed.
  std::vector<size_t> line_starts = {0};
  if (!doc.yaml) {
    size_t last = 0;
    for (const auto& [key, offset] : wanted) {
      if (offset != kNotFound) last = std::max(last, offset);
    }
    const char* base = doc.source.data();
    for (const char* p = base; (p = static_cast<const char*>(std::memchr(p, '\n', last - (p - base)))) != nullptr;) {
      line_starts.push_back(static_cast<size_t>(++p - base));
      if (static_cast<size_t>(p - base) >= last) break;
    }
  }
  auto position = [&](size_t offset) -> TextPosition {
    if (!doc.yaml) {
      size_t line = std::upper_bound(line_starts.begin(), line_starts.end(), offset) - line_starts.begin();
      size_t column = offset - line_starts[line - 1] + 1;
      return {line + doc.source_line - 1, line == 1 ? column + doc.source_column - 1 : column};
    }
    auto it = std::lower_bound(doc.marks.begin(), doc.marks.end(), offset,
                               [](const NodeMark& m, size_t o) { return m.json_offset < o; });
    if (it == doc.marks.end() || it->json_offset != offset) return {};
    return {it->line, it->column};
  };
  std::vector<TextPosition> out;
  for (const TokenPath& p : paths) {
    TextPosition best;
    for (size_t n = p.size() + 1; n-- > 0;) {
      size_t offset = wanted[Join(p, n)];
      if (offset != kNotFound && (best = position(offset)).line != 0) break;
    }
    out.push_back(best);
  }
  return out;
}

}  // namespace seiguard
