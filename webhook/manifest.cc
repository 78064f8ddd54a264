#include "webhook/manifest.h"

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

}  // namespace

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
