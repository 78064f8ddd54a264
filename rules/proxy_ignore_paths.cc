// proxy-ignore-paths: kube-rbac-proxy must not carve paths out of authentication.
#include <string>
#include <string_view>
#include <vector>

#include "rules/rule.h"

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

// The flag as written in list[i], with its value: "--ignore-paths=/a,/b",
// "--ignore-paths /a" (two elements), or the word inside an sh -c string.
// It is part of the finding, so that ratcheting tells an old flag from a
// changed or added one.
std::string FlagText(const std::vector<std::string_view>& list, size_t i) {
  constexpr size_t kMax = 96;
  std::string_view s = list[i];
  std::string out;
  if (s == kFlag && i + 1 < list.size() && list[i + 1].rfind("--", 0) != 0) {
    out = std::string(s) + " " + std::string(list[i + 1]);
  } else {
    size_t pos = s.find(kFlag);
    out = std::string(s.substr(pos, SkipWord(s, pos) - pos));
  }
  if (out.size() > kMax) out = out.substr(0, kMax) + "...";
  return out;
}

void Check(Judge& judge) {
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
      if (judge.CanRemediate()) {
        judge.Remediated(base.Key(field).Index(hits[0]), c.name,
                         "removed --ignore-paths", {"replace", base.Key(field), Strip(list)});
        continue;
      }
      for (size_t i : hits) {
        judge.Violation(base.Key(field).Index(i), c.name,
                        FlagText(list, i) + " serves those paths without authentication",
                        "remove it; serve health and metrics on the sidecar's public port " + port +
                            judge.SidecarFirst());
      }
    }
  }
}

void Cel(const Policy& p, cel::Twin& twin) {
  // The proxy containers that carry the flag.
  const std::string flagged = "a.contains('--ignore-paths')";
  twin.variables.push_back(
      {"ignorePaths", "variables.containers.filter(c,\n  " + cel::IsProxy("c", p) +
                          "\n  && ((has(c.command) && c.command.exists(a, " + flagged + "))\n"
                          "      || (has(c.args) && c.args.exists(a, " + flagged + "))))"});
  twin.checks.push_back(
      {cel::Class::kViolation, "size(variables.ignorePaths) > 0", "variables.ignorePaths[0].name",
       cel::Str("--ignore-paths serves those paths without authentication"),
       cel::Str("remove it; serve health and metrics on the sidecar's public port " +
                std::to_string(p.public_port)),
       // Ratcheting: each proxy's name and the elements that carry the flag
       // (the webhook compares the flags one by one; a changed or added one
       // is new).
       "variables.ignorePaths.map(c, [c.name]\n  + (has(c.command) ? c.command.filter(a, " + flagged +
           ") : [])\n  + (has(c.args) ? c.args.filter(a, " + flagged + ") : []))"});
  // Remediation, as Strip does it, where CEL can: "--ignore-paths=V" and
  // "--ignore-paths V" elements are dropped. A list where the flag hides in a
  // longer element (an sh -c string) is left as it is, and refused.
  std::string patch;
  for (const char* field : {"command", "args"}) {
    const std::string list = std::string("c.") + field;
    const std::string dropped = "a == '--ignore-paths' || a.startsWith('--ignore-paths=')\n        || (k > 0 && " +
                                list + "[k - 1] == '--ignore-paths' && !a.startsWith('--'))";
    const std::string keep = cel::IsProxy("c", p) + "\n      && has(" + list + ") && " + list +
                             ".exists(a, " + flagged + ")\n      && " + list + ".all(k, a, !" + flagged +
                             " || " + dropped + ")";
    patch += (patch.empty() ? "" : "\n+ ") + cel::EachContainer(keep, [&](const std::string& base, const char*) {
               return "JSONPatch{op: 'replace', path: " + base + " + '/" + field + "', value: " + list +
                      ".transformList(k, a, !(" + dropped + "), a)}";
             });
  }
  twin.mutations.push_back(
      {cel::Mutation::By::kRemediate, "size(variables.ignorePaths) > 0", patch,
      "proxy-ignore-paths: an --ignore-paths inside a longer argument (an `sh -c` string) is not "
      "removed in-tree (CEL has no way to rewrite inside a string as the webhook does): such a pod is refused"});
}

}  // namespace

const RuleDef registry::proxy_ignore_paths = {
    .name = "proxy-ignore-paths",
    .default_action = Action::kDeny,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "kube-rbac-proxy must not be started with --ignore-paths",
    .description =
        "No element of the proxy container's command or args contains --ignore-paths "
        "(--ignore-paths=/a,/b, --ignore-paths followed by a value, or inside an sh -c "
        "string). Ignored paths are served to anyone who can reach the proxy port, with no "
        "authentication, and a NetworkPolicy cannot tell them from the authorized task API on "
        "the same port. The proxy "
        "container is any container named kube-rbac-proxy or whose image name contains "
        "kube-rbac-proxy.",
    .fix = "Remove --ignore-paths from the proxy; serve health and metrics from the sidecar's "
            "public listener (port 9100) instead.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
