// proxy-ignore-paths: kube-rbac-proxy must not carve paths out of authentication.
#include <string>
#include <string_view>
#include <vector>

#include "rules/judge.h"

namespace seiguard {
namespace {

constexpr std::string_view kFlag = "--ignore-paths";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Skips one shell word starting at `i` (a quoted word up to its closing quote).
size_t SkipWord(std::string_view s, size_t i) {
  while (i < s.size() && !IsSpace(s[i])) {
    if (s[i] == '"' || s[i] == '\'') {
      size_t close = s.find(s[i], i + 1);
      i = close == std::string_view::npos ? s.size() : close + 1;
    } else {
      ++i;
    }
  }
  return i;
}

// Removes every `--ignore-paths=V`, `--ignore-paths V` (and its leading
// blank) from a shell command string such as an `sh -c` argument.
std::string StripFromShell(std::string s) {
  for (size_t pos = s.find(kFlag); pos != std::string::npos; pos = s.find(kFlag)) {
    size_t start = pos;
    while (start > 0 && IsSpace(s[start - 1])) --start;
    size_t end = pos + kFlag.size();
    if (end < s.size() && IsSpace(s[end])) {  // separate value
      while (end < s.size() && IsSpace(s[end])) ++end;
      if (end < s.size() && s.compare(end, 2, "--") != 0) end = SkipWord(s, end);
    } else {
      end = SkipWord(s, end);  // "=value", or the rest of a longer word
    }
    if (start == 0) {
      while (end < s.size() && IsSpace(s[end])) ++end;
    }
    s.erase(start, end - start);
  }
  return s;
}

// The list without --ignore-paths: "--ignore-paths=V" and "--ignore-paths V"
// elements are dropped, strings that embed the flag are rewritten.
std::vector<std::string> Strip(const std::vector<std::string_view>& list) {
  std::vector<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string_view s = list[i];
    if (s == kFlag) {
      if (i + 1 < list.size() && list[i + 1].rfind("--", 0) != 0) ++i;  // its value
      continue;
    }
    if (s.rfind(std::string(kFlag) + "=", 0) == 0) continue;
    out.push_back(s.find(kFlag) == std::string::npos ? std::string(s) : StripFromShell(std::string(s)));
  }
  return out;
}

}  // namespace

void CheckProxyIgnorePaths(Judge& judge) {
  const std::string port = std::to_string(judge.policy().public_port);
  for (const Container& c : judge.pod().containers) {
    if (!judge.IsProxy(c)) continue;
    Path base = judge.pod().ContainerPath(c);
    for (const char* field : {"command", "args"}) {
      const std::vector<std::string_view>& list = field[0] == 'c' ? c.command : c.args;
      std::vector<size_t> hits;
      for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].find(kFlag) != std::string::npos) hits.push_back(i);
      }
      if (hits.empty()) continue;
      std::string what = "--ignore-paths skips authentication (and lets a forged X-Remote-User through)";
      if (judge.CanRemediate()) {
        judge.Remediated(RuleId::kProxyIgnorePaths, base.Key(field).Index(hits[0]), c.name,
                         "removed --ignore-paths", {"replace", base.Key(field), Strip(list)});
        continue;
      }
      for (size_t i : hits) {
        judge.Violation(RuleId::kProxyIgnorePaths, base.Key(field).Index(i), c.name, what,
                        "remove it; serve health and metrics on the sidecar's public port " + port);
      }
    }
  }
}

}  // namespace seiguard
