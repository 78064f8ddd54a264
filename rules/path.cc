#include "rules/path.h"

namespace seiguard {
namespace {

bool IsPlainKey(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Path Path::Key(std::string_view key) const {
  Path p = *this;
  p.segments_.emplace_back(std::string(key));
  return p;
}

Path Path::Index(size_t index) const {
  Path p = *this;
  p.segments_.emplace_back(index);
  return p;
}

Path Path::Append() const {
  Path p = *this;
  p.segments_.emplace_back(AppendToken{});
  return p;
}

std::string Path::Dotted() const {
  std::string out;
  for (const Segment& s : segments_) {
    if (const auto* key = std::get_if<std::string>(&s)) {
      if (IsPlainKey(*key)) {
        if (!out.empty()) out += '.';
        out += *key;
      } else {
        out += "[\"";
        for (char c : *key) {
          if (c == '"' || c == '\\') out += '\\';
          out += c;
        }
        out += "\"]";
      }
    } else if (const auto* index = std::get_if<size_t>(&s)) {
      out += '[';
      out += std::to_string(*index);
      out += ']';
    } else {
      out += "[-]";
    }
  }
  return out;
}

std::string Path::Pointer() const {
  std::string out;
  for (const Segment& s : segments_) {
    out += '/';
    if (const auto* key = std::get_if<std::string>(&s)) {
      out += EscapePointerToken(*key);
    } else if (const auto* index = std::get_if<size_t>(&s)) {
      out += std::to_string(*index);
    } else {
      out += '-';
    }
  }
  return out;
}

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace seiguard
