#include "rules/finding.h"

#include <algorithm>
#include <cstdint>

#include "rules/bytes.h"

namespace seiguard {
namespace {

// `cut`, moved back to the start of the UTF-8 sequence it falls in.
size_t CharBoundary(std::string_view s, size_t cut) {
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence, marking
// the cut with "...".
std::string Truncate(std::string s, size_t max) {
  if (s.size() <= max) return s;
  s.resize(CharBoundary(s, max - 3));
  return s + "...";
}

// Warnings with control characters are dropped by the API server: keep them
// printable whatever ended up in a name.
void OneLine(char* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {  // eight printable bytes at a time (almost all of them)
      uint64_t w = bytes::Load8(p + i);
      if ((bytes::AnyBelow(w, 0x20) | bytes::AnyEqual(w, 0x7f)) == 0) {
        i += 8;
        continue;
      }
    }
    for (size_t end = std::min(n, i + 8); i < end; ++i) {
      if (static_cast<unsigned char>(p[i]) < 0x20 || p[i] == 0x7f) p[i] = ' ';
    }
  }
}

// Appends "[rule] " followed by `parts` to `out`, growing it at most once.
template <typename... Parts>
void AppendLine(std::string& out, RuleId rule, const Parts&... parts) {
  std::string_view name = Rule(rule).name;
  const size_t start = out.size();
  out.reserve(start + name.size() + 3 + (std::string_view(parts).size() + ...));
  out += '[';
  out += name;
  out += "] ";
  (out += ... += parts);
  OneLine(out.data() + start, out.size() - start);
}

template <typename... Parts>
std::string Line(RuleId rule, const Parts&... parts) {
  std::string out;
  AppendLine(out, rule, parts...);
  return out;
}

}  // namespace

std::string Finding::Message() const {
  std::string out;
  AppendMessage(out);
  return out;
}

void Finding::AppendMessage(std::string& out) const {
  std::string_view open = container.empty() ? "" : " (container ", close = container.empty() ? "" : ")";
  std::string_view sep = fix.empty() ? "" : "; ";
  AppendLine(out, rule, path.Dotted(), open, container, close, std::string_view(": "), what, sep, fix);
}

std::string Finding::Warning() const {
  std::string_view colon = container.empty() ? "" : ": ";
  std::string_view sep = fix.empty() ? "" : "; ";
  std::string full = Line(rule, container, colon, what, sep, fix);
  if (full.size() <= kMaxWarningBytes) return full;
  // Too long: the explanation is cut, never the rule, the container or the
  // fix ("what is wrong and what to do": the denial and the audit annotation
  // keep the whole text).
  size_t kept = full.size() - what.size();
  if (kept + kMinExplanationBytes + 3 <= kMaxWarningBytes) {
    // At a word's end when one is near, for a line that reads.
    size_t room = kMaxWarningBytes - kept - 3;
    size_t space = what.rfind(' ', room);
    size_t cut = CharBoundary(what, space != std::string::npos && space >= room / 2 ? space : room);
    return Line(rule, container, colon, std::string_view(what).substr(0, cut), std::string_view("..."), sep, fix);
  }
  // No room for any explanation: the fix alone, within what the API server
  // keeps of a warning.
  return Truncate(Line(rule, container, colon, fix), kMaxServerWarningBytes);
}

}  // namespace seiguard
