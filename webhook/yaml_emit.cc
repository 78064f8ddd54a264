#include "webhook/yaml_emit.h"

#include <cctype>

#include "webhook/json_text.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

// Words some YAML reader takes for a boolean or null: YAML 1.1 (go-yaml, so
// kubectl) reads y, yes, on, ... in three spellings each; any spelling is
// quoted, which every reader then reads as the string.
bool IsReservedWord(const std::string& s) {
  static const char* kWords[] = {"~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"};
  if (s.size() > 5) return false;
  std::string lower = s;
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const char* w : kWords) {
    if (lower == w) return true;
  }
  return false;
}

bool ReadsAsOtherThanString(const std::string& s) {
  if (IsReservedWord(s)) return true;
  // Anything starting like a number is quoted (8443, 0755, 1e3, .5, 0x1F, -3,
  // +1, 1:30), whatever a given YAML version makes of it.
  char c = s[0];
  return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+';
}

// The length of a character at s[i] that YAML does not allow raw in a scalar
// or reads as a line break: C0/C1 controls, DEL, NEL, the line and paragraph
// separators, the byte order mark and U+FFFE/U+FFFF. 0 for any other.
size_t UnsafeAt(const std::string& s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x20 || c == 0x7f) return 1;
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
  if (c == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) return 2;                      // C1, NEL
  if (c == 0xE2 && at(1) == 0x80 && (at(2) == 0xA8 || at(2) == 0xA9)) return 3;  // LS, PS
  if (c == 0xEF && at(1) == 0xBB && at(2) == 0xBF) return 3;                     // BOM
  if (c == 0xEF && at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)) return 3;  // U+FFFE/F
  return 0;
}

bool HasUnsafe(const std::string& s, bool allow_newline) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (allow_newline && s[i] == '\n') continue;
    if (UnsafeAt(s, i) > 0) return true;
  }
  return false;
}

// A double-quoted scalar: JSON's escapes (valid in YAML), and \uXXXX for the
// characters YAML would otherwise fold or refuse.
void AppendQuoted(std::string& out, const std::string& s) {
  if (!HasUnsafe(s, true)) return AppendJsonString(out, s);
  std::string json;
  AppendJsonString(json, s);
  for (size_t i = 0; i < json.size();) {
    size_t n = UnsafeAt(json, i);
    if (n <= 1) {  // ASCII controls were escaped by AppendJsonString already
      out += json[i++];
      continue;
    }
    uint32_t cp = n == 2 ? ((json[i] & 0x1F) << 6) | (json[i + 1] & 0x3F)
                         : ((json[i] & 0x0F) << 12) | ((json[i + 1] & 0x3F) << 6) | (json[i + 2] & 0x3F);
    static constexpr char kHex[] = "0123456789abcdef";
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
    i += n;
  }
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || ReadsAsOtherThanString(s)) return true;
  if (std::string_view("!&*?|>'\"%@`#,[]{}:=<").find(s[0]) != std::string_view::npos) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  if (HasUnsafe(s, false)) return true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ':' && i + 1 < s.size() && s[i + 1] == ' ') return true;
    if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return true;
  }
  return false;
}

// A multi-line string reads best as a literal block scalar (|- or |): every
// character kept, no escapes. Only for text that survives it exactly: no
// control characters but newlines, no leading blank on the first line (that
// would need an indentation indicator), no trailing blanks on a line, and at
// most one final newline.
bool Literal(const std::string& s) {
  if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
  if (HasUnsafe(s, true)) return false;
  if (s.size() >= 2 && s[s.size() - 1] == '\n' && s[s.size() - 2] == '\n') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7f) return false;
    if (c == '\n' && i > 0 && (s[i - 1] == ' ' || s[i - 1] == '\t')) return false;
  }
  return s.back() != ' ' && s.back() != '\t';
}

void Scalar(std::string& out, const ordered& v, size_t indent) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (Literal(s)) {
      std::string pad(indent + 2, ' ');
      out += s.back() == '\n' ? "|\n" : "|-\n";
      size_t start = 0;
      while (start < s.size()) {
        size_t end = s.find('\n', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) out += pad;
        out.append(s, start, end - start);
        out += '\n';
        start = end + 1;
      }
      out.pop_back();  // the caller ends the line
    } else if (NeedsQuotes(s)) {
      AppendQuoted(out, s);
    } else {
      out += s;
    }
  } else {
    out += v.dump(-1, ' ', false, ordered::error_handler_t::replace);
  }
}

bool Inline(const ordered& v) { return !v.is_structured() || v.empty(); }

void Emit(std::string& out, const ordered& v, size_t indent);

void Key(std::string& out, const std::string& k) {
  if (NeedsQuotes(k)) {
    AppendQuoted(out, k);
  } else {
    out += k;
  }
  out += ':';
}

void Emit(std::string& out, const ordered& v, size_t indent) {
  std::string pad(indent, ' ');
  if (v.is_object()) {
    bool first = true;
    for (const auto& [k, child] : v.items()) {
      if (!first) out += pad;
      first = false;
      Key(out, k);
      if (Inline(child)) {
        out += ' ';
        if (child.is_structured()) {
          out += child.is_object() ? "{}" : "[]";
        } else {
          Scalar(out, child, indent);
        }
        out += '\n';
      } else if (child.is_array()) {
        out += '\n' + pad;  // sequences sit at the key's indentation
        Emit(out, child, indent);
      } else {
        out += '\n' + pad + "  ";
        Emit(out, child, indent + 2);
      }
    }
    return;
  }
  if (v.is_array()) {
    bool first = true;
    for (const ordered& child : v) {
      if (!first) out += pad;
      first = false;
      out += "- ";
      if (Inline(child)) {
        if (child.is_structured()) {
          out += child.is_object() ? "{}" : "[]";
        } else {
          Scalar(out, child, indent + 2);
        }
        out += '\n';
      } else {
        Emit(out, child, indent + 2);
      }
    }
    return;
  }
  Scalar(out, v, indent);
  out += '\n';
}

}  // namespace

std::string ToYaml(const ordered& value) {
  std::string out;
  if (Inline(value)) {
    if (value.is_structured()) {
      out = value.is_object() ? "{}\n" : "[]\n";
    } else {
      Scalar(out, value, 0);
      out += '\n';
    }
    return out;
  }
  Emit(out, value, 0);
  return out;
}

}  // namespace seiguard
