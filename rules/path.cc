#include "rules/path.h"

#include <algorithm>
#include <charconv>
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
// length of both forms once saves the 15 -> 30 -> 60 reallocation chain.
void Grow(std::string& s, size_t more) {
  if (s.size() + more > s.capacity()) s.reserve(std::max<size_t>(128, 2 * (s.size() + more)));
}

// RFC 6901 escaping of one reference token: its size once escaped, and the
// escaped bytes written to `out`, which has room for `size` of them.
size_t EscapedSize(std::string_view token) {
  return token.size() +
         static_cast<size_t>(std::count_if(token.begin(), token.end(), [](char c) { return c == '~' || c == '/'; }));
}

void WriteEscaped(std::string_view token, size_t size, char* out) {
  if (size == token.size()) {  // the usual case: nothing to escape
    std::copy(token.begin(), token.end(), out);
    return;
  }
  for (char c : token) {
    if (c == '~' || c == '/') {
      *out++ = '~';
      *out++ = c == '~' ? '0' : '1';
    } else {
      *out++ = c;
    }
  }
}

}  // namespace

void Path::AddPointerToken(std::string_view token) {
  size_t size = 1 + EscapedSize(token);
  text_.insert(pointer_size_, size, '/');  // opens the gap, its first byte already the '/'
  WriteEscaped(token, size - 1, text_.data() + pointer_size_ + 1);
  pointer_size_ += size;
}

Path Path::Key(std::string_view key) && {
  Path p = std::move(*this);
  Grow(p.text_, 2 * key.size() + 8);
  p.AddPointerToken(key);
  if (IsPlainKey(key)) {
    if (p.text_.size() > p.pointer_size_) p.text_ += '.';
    p.text_ += key;
  } else {
    p.text_ += "[\"";
    for (char c : key) {
      if (c == '"' || c == '\\') p.text_ += '\\';
      p.text_ += c;
    }
    p.text_ += "\"]";
  }
  return p;
}

Path Path::Index(size_t index) && {
  Path p = std::move(*this);
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
  std::string_view n(digits, static_cast<size_t>(end - digits));
  Grow(p.text_, 2 * n.size() + 3);
  p.AddPointerToken(n);
  p.text_ += '[';
  p.text_ += n;
  p.text_ += ']';
  return p;
}

Path Path::Append() && {
  Path p = std::move(*this);
  p.AddPointerToken("-");
  p.text_ += "[-]";
  return p;
}

std::string EscapePointerToken(std::string_view token) {
  std::string out(EscapedSize(token), '\0');
  WriteEscaped(token, out.size(), out.data());
  return out;
}

}  // namespace seiguard
