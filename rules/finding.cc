#include "rules/finding.h"

namespace seiguard {
namespace {

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence, marking
// the cut with "...".
std::string Truncate(std::string s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  return s + "...";
}

// Warnings with control characters are dropped by the API server: keep them
// printable whatever ended up in a name.
std::string OneLine(std::string s) {
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return s;
}

}  // namespace

std::string Finding::Message() const {
  std::string out = "[" + std::string(Rule(rule).name) + "] " + path.Dotted();
  if (!container.empty()) out += " (container " + container + ")";
  out += ": " + what;
  if (!fix.empty()) out += "; " + fix;
  return OneLine(out);
}

std::string Finding::Warning() const {
  std::string head = "[" + std::string(Rule(rule).name) + "] ";
  if (!container.empty()) head += container + ": ";
  std::string full = head + what + (fix.empty() ? "" : "; " + fix);
  if (full.size() <= kMaxWarningBytes) return OneLine(full);
  return OneLine(Truncate(head + what, kMaxWarningBytes));
}

}  // namespace seiguard
