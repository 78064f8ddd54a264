#include "webhook/yaml_emit.h"

#include <cctype>

#include "webhook/json_text.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

bool ReadsAsOtherThanString(const std::string& s) {
  static const char* kWords[] = {"~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
                                 "FALSE", "yes", "no", "on", "off", "Yes", "No", "On", "Off", "y", "n"};
  for (const char* w : kWords) {
    if (s == w) return true;
  }
  // Anything starting like a number is quoted (8443, 1e3, .5, 0x1F, -3, +1).
  char c = s[0];
  return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '+';
}

bool NeedsQuotes(const std::string& s) {
  if (s.empty() || ReadsAsOtherThanString(s)) return true;
  if (std::string_view("!&*?|>'\"%@`#,[]{}:=<").find(s[0]) != std::string_view::npos) return true;
  if (s.front() == ' ' || s.back() == ' ' || s.back() == ':') return true;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return true;
    if (c == '#' && i > 0 && s[i - 1] == ' ') return true;
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
      AppendJsonString(out, s);  // JSON escapes are valid YAML double-quoted escapes
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
    AppendJsonString(out, k);
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
