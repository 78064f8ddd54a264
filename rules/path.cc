#include "rules/path.h"

#include <algorithm>
#include <utility>

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

// Paths grow a key at a time from short prefixes; reserving a typical full
// length once saves the 15 -> 30 -> 60 reallocation chain of each string.
void Grow(std::string& s, size_t more) {
  if (s.size() + more > s.capacity()) s.reserve(std::max<size_t>(64, 2 * (s.size() + more)));
}

}  // namespace

Path Path::Key(std::string_view key) && {
  Path p = std::move(*this);
  Grow(p.dotted_, key.size() + 4);
  Grow(p.pointer_, key.size() + 1);
  if (IsPlainKey(key)) {
    if (!p.dotted_.empty()) p.dotted_ += '.';
    p.dotted_ += key;
  } else {
    p.dotted_ += "[\"";
    for (char c : key) {
      if (c == '"' || c == '\\') p.dotted_ += '\\';
      p.dotted_ += c;
    }
    p.dotted_ += "\"]";
  }
  p.pointer_ += '/';
  if (std::none_of(key.begin(), key.end(), [](char c) { return c == '~' || c == '/'; })) {
    p.pointer_ += key;  // the usual case: nothing to escape
  } else {
    p.pointer_ += EscapePointerToken(key);
  }
  return p;
}

Path Path::Index(size_t index) && {
  Path p = std::move(*this);
  Grow(p.dotted_, 22);
  Grow(p.pointer_, 21);
  std::string n = std::to_string(index);
  p.dotted_ += '[';
  p.dotted_ += n;
  p.dotted_ += ']';
  p.pointer_ += '/';
  p.pointer_ += n;
  return p;
}

Path Path::Append() && {
  Path p = std::move(*this);
  p.dotted_ += "[-]";
  p.pointer_ += "/-";
  return p;
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
