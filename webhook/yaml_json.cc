#include "webhook/yaml_json.h"

#include <yaml.h>

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "rules/decode.h"
#include "webhook/json_text.h"

namespace seiguard {
namespace {

// Aliases may repeat text; past this many bytes of expansion the input is
// refused rather than allowed to grow memory without bound.
constexpr size_t kMaxAliasBytes = 16u << 20;

bool AllDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c))
                         : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) return false;
  }
  return true;
}

bool IsFloat(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

// Appends a plain scalar typed by the YAML 1.2 core schema.
void AppendPlain(std::string& out, std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    out += "null";
    return;
  }
  if (s == "true" || s == "True" || s == "TRUE") {
    out += "true";
    return;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    out += "false";
    return;
  }
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) negative = body[0] == '-', body.remove_prefix(1);
  int base = 0;
  std::string_view digits;
  if (AllDigits(body, 10)) {
    base = 10, digits = body;
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && AllDigits(s.substr(2), 8)) {
    base = 8, digits = s.substr(2);
  } else if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && AllDigits(s.substr(2), 16)) {
    base = 16, digits = s.substr(2);
  }
  if (base != 0) {
    errno = 0;
    std::string text(digits);
    unsigned long long v = std::strtoull(text.c_str(), nullptr, base);
    if (errno == 0 && v <= (negative ? 9223372036854775808ull : 9223372036854775807ull)) {
      if (negative && v != 0) out += '-';
      out += std::to_string(v);
      return;
    }
    AppendJsonString(out, s);  // beyond int64: keep the text
    return;
  }
  if (IsFloat(s)) {
    double d = std::strtod(std::string(s).c_str(), nullptr);
    if (std::isfinite(d)) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.17g", d);
      std::string_view b(buf);
      out += b;
      if (b.find_first_of(".eE") == std::string_view::npos) out += ".0";
      return;
    }
  }
  AppendJsonString(out, s);  // .inf, .nan and everything else: a string
}

struct Frame {
  bool mapping = false;
  size_t count = 0;          // items (sequence) or keys (mapping) so far
  bool expect_key = true;    // mapping: the next scalar is a key
  // The keys seen, as (hash, offset, length) of their JSON text in the output:
  // equal keys have equal JSON text. No allocation per key.
  struct Key {
    uint64_t hash;
    uint32_t offset, length;
  };
  std::vector<Key> keys;
};

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

class Converter {
 public:
  explicit Converter(size_t first_line) : line_offset_(first_line - 1) {}

  StatusOr<std::vector<YamlDocument>> Run(std::string_view text) {
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return Status::Error("out of memory");
    std::unique_ptr<yaml_parser_t, void (*)(yaml_parser_t*)> guard(&parser, yaml_parser_delete);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()),
                                 text.size());
    std::vector<YamlDocument> docs;
    for (;;) {
      yaml_event_t event;
      if (!yaml_parser_parse(&parser, &event)) {
        return Error(parser.problem_mark, parser.problem ? parser.problem : "syntax error",
                     parser.context);
      }
      std::unique_ptr<yaml_event_t, void (*)(yaml_event_t*)> ev(&event, yaml_event_delete);
      Status s = Handle(event, &docs);
      if (!s.ok()) return s;
      if (event.type == YAML_STREAM_END_EVENT) break;
    }
    return docs;
  }

 private:
  Status Error(const yaml_mark_t& mark, std::string_view what, const char* context) const {
    std::string msg = std::to_string(mark.line + 1 + line_offset_) + ":" + std::to_string(mark.column + 1) + ": ";
    if (context != nullptr) msg += std::string(context) + ": ";
    return Status::Error(msg + std::string(what));
  }

  // Writes the separator before a value and handles mapping keys.
  Status BeforeNode(const yaml_event_t& e, bool is_scalar, std::string_view scalar, bool quoted) {
    if (depth_ == 0) return Status();
    Frame& f = stack_[depth_ - 1];
    if (!f.mapping) {
      if (f.count++ > 0) out_ += ',';
      return Status();
    }
    if (!f.expect_key) {
      f.expect_key = true;
      return Status();
    }
    if (!is_scalar) return Error(e.start_mark, "complex mapping keys are not supported", nullptr);
    std::string_view key = scalar;
    if (!quoted && (key == "~" || key == "null")) key = "null";
    size_t mark = out_.size();
    if (f.count++ > 0) out_ += ',';
    size_t begin = out_.size();
    AppendJsonString(out_, key);
    std::string_view text(out_.data() + begin, out_.size() - begin);
    uint64_t hash = Fnv1a(text);
    for (const Frame::Key& k : f.keys) {
      if (k.hash == hash && std::string_view(out_.data() + k.offset, k.length) == text) {
        out_.resize(mark);
        return Error(e.start_mark, "duplicate key \"" + std::string(key) + "\"", nullptr);
      }
    }
    f.keys.push_back({hash, static_cast<uint32_t>(begin), static_cast<uint32_t>(text.size())});
    out_ += ':';
    f.expect_key = false;
    return Status();  // the caller must not emit the key again
  }

  Status Handle(const yaml_event_t& e, std::vector<YamlDocument>* docs) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT:
        out_.clear();
        marks_.clear();
        anchors_.clear();
        doc_line_ = e.start_mark.line + 1 + line_offset_;
        return Status();
      case YAML_DOCUMENT_END_EVENT:
        if (out_.empty()) out_ = "null";
        docs->push_back({std::move(out_), doc_line_, std::move(marks_)});
        out_.clear();
        marks_.clear();
        return Status();
      case YAML_SCALAR_EVENT: {
        std::string_view value(reinterpret_cast<const char*>(e.data.scalar.value),
                               e.data.scalar.length);
        bool quoted = e.data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        bool is_key = depth_ > 0 && stack_[depth_ - 1].mapping && stack_[depth_ - 1].expect_key;
        Status s = BeforeNode(e, true, value, quoted);
        if (!s.ok()) return s;
        size_t start = out_.size();
        if (!is_key) {
          Mark(start, e.start_mark);
          const char* tag = reinterpret_cast<const char*>(e.data.scalar.tag);
          bool str_tag = tag != nullptr && std::string_view(tag) == "tag:yaml.org,2002:str";
          if (quoted || str_tag) {
            AppendJsonString(out_, value);
          } else {
            AppendPlain(out_, value);
          }
        }
        return Anchor(e.data.scalar.anchor, start, is_key);
      }
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT: {
        Status s = BeforeNode(e, false, {}, false);
        if (!s.ok()) return s;
        if (depth_ >= kMaxJsonDepth) {
          return Error(e.start_mark,
                       "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels", nullptr);
        }
        bool mapping = e.type == YAML_MAPPING_START_EVENT;
        const yaml_char_t* anchor =
            mapping ? e.data.mapping_start.anchor : e.data.sequence_start.anchor;
        open_anchors_.push_back(
            {anchor ? reinterpret_cast<const char*>(anchor) : std::string(), out_.size()});
        Mark(out_.size(), e.start_mark);
        out_ += mapping ? '{' : '[';
        // Frames are reused, keeping their key vectors' capacity.
        if (depth_ == stack_.size()) stack_.emplace_back();
        Frame& frame = stack_[depth_++];
        frame.mapping = mapping;
        frame.count = 0;
        frame.expect_key = true;
        frame.keys.clear();
        return Status();
      }
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: {
        out_ += e.type == YAML_MAPPING_END_EVENT ? '}' : ']';
        --depth_;
        auto [name, start] = open_anchors_.back();
        open_anchors_.pop_back();
        if (!name.empty()) anchors_[name] = out_.substr(start);
        return Status();
      }
      case YAML_ALIAS_EVENT: {
        std::string name(reinterpret_cast<const char*>(e.data.alias.anchor));
        auto it = anchors_.find(name);
        if (it == anchors_.end()) {
          return Error(e.start_mark, "unknown alias \"" + name + "\"", nullptr);
        }
        bool is_key = depth_ > 0 && stack_[depth_ - 1].mapping && stack_[depth_ - 1].expect_key;
        if (is_key) return Error(e.start_mark, "aliases as mapping keys are not supported", nullptr);
        Status s = BeforeNode(e, true, {}, false);
        if (!s.ok()) return s;
        alias_bytes_ += it->second.size();
        if (alias_bytes_ > kMaxAliasBytes) {
          return Error(e.start_mark, "aliases expand to more than 16 MiB", nullptr);
        }
        Mark(out_.size(), e.start_mark);
        out_ += it->second;
        return Status();
      }
      default:
        return Status();
    }
  }

  void Mark(size_t offset, const yaml_mark_t& m) {
    marks_.push_back({static_cast<uint32_t>(offset), static_cast<uint32_t>(m.line + 1 + line_offset_),
                      static_cast<uint32_t>(m.column + 1)});
  }

  Status Anchor(const yaml_char_t* anchor, size_t start, bool is_key) {
    if (anchor == nullptr || is_key) return Status();
    anchors_[reinterpret_cast<const char*>(anchor)] = out_.substr(start);
    return Status();
  }

  std::string out_;
  std::vector<NodeMark> marks_;
  std::vector<Frame> stack_;  // frames [0, depth_) are open
  size_t depth_ = 0;
  std::vector<std::pair<std::string, size_t>> open_anchors_;
  std::map<std::string, std::string> anchors_;
  size_t alias_bytes_ = 0;
  size_t doc_line_ = 0;
  size_t line_offset_ = 0;
};

}  // namespace

StatusOr<std::vector<YamlDocument>> YamlToJson(std::string_view text, size_t first_line) {
  return Converter(first_line).Run(text);
}

}  // namespace seiguard
