#include "rules/finding.h"

#include <gtest/gtest.h>

namespace seiguard {
namespace {

TEST(Finding, MessageStartsWithTheRuleAndNamesPathAndContainer) {
  Finding f{RuleId::kProbeOnProxyPort, Severity::kDeny,
            Path().Key("spec").Key("containers").Index(0), "seid", "what", "fix"};
  EXPECT_EQ(f.Message(), "[probe-on-proxy-port] spec.containers[0] (container seid): what; fix");
  EXPECT_EQ(f.Warning(), "[probe-on-proxy-port] seid: what; fix");
}

TEST(Finding, AppendMessageOnlyAddsTheSameLine) {
  Finding f{RuleId::kProxyIgnorePaths, Severity::kDeny, Path().Key("args").Index(3), "proxy",
            "tab\there", "new\nline"};
  std::string out = "[earlier] line\n";
  f.AppendMessage(out);
  EXPECT_EQ(out, "[earlier] line\n" + f.Message());
  // Control characters are blanked in the appended line only: the newline
  // separating denial lines stays.
  EXPECT_EQ(f.Message(), "[proxy-ignore-paths] args[3] (container proxy): tab here; new line");
}

TEST(Finding, WarningStaysWithin120BytesOnACharacterBoundary) {
  std::string what;
  for (int i = 0; i < 60; ++i) what += "\xc3\xa9";  // 'é', two bytes each
  Finding f{RuleId::kNodeLabel, Severity::kWarn, Path(), "c", what, "a long fix"};
  std::string w = f.Warning();
  EXPECT_LE(w.size(), kMaxWarningBytes);
  EXPECT_EQ(w.substr(w.size() - 3), "...");
  // No split UTF-8 sequence: the byte before "..." is a complete character.
  std::string body = w.substr(0, w.size() - 3);
  EXPECT_EQ((body.size() - std::string("[node-label] c: ").size()) % 2, 0u);
}

TEST(Finding, ControlCharactersNeverReachAWarning) {
  Finding f{RuleId::kNodeLabel, Severity::kWarn, Path(), "c", "line\none", "x\ty"};
  EXPECT_EQ(f.Warning().find('\n'), std::string::npos);
  EXPECT_EQ(f.Warning().find('\t'), std::string::npos);
}

}  // namespace
}  // namespace seiguard
