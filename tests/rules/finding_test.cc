#include "rules/finding.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace seiguard {
namespace {

TEST(Finding, MessageStartsWithTheRuleAndNamesPathAndContainer) {
  Finding f{testing::RuleNamed("probe-on-proxy-port"), Severity::kDeny,
            Path().Key("spec").Key("containers").Index(0), "seid", "what", "fix"};
  EXPECT_EQ(f.Message(), "[probe-on-proxy-port] spec.containers[0] (container seid): what; fix");
  EXPECT_EQ(f.Warning(), "[probe-on-proxy-port] seid: what; fix");
}

TEST(Finding, AppendMessageOnlyAddsTheSameLine) {
  Finding f{testing::RuleNamed("proxy-ignore-paths"), Severity::kDeny, Path().Key("args").Index(3), "proxy",
            "tab\there", "new\nline"};
  std::string out = "[earlier] line\n";
  f.AppendMessage(out);
  EXPECT_EQ(out, "[earlier] line\n" + f.Message());
  // Control characters are blanked in the appended line only: the newline
  // separating denial lines stays.
  EXPECT_EQ(f.Message(), "[proxy-ignore-paths] args[3] (container proxy): tab here; new line");
}

TEST(Finding, LongWarningCutsTheExplanationAndKeepsTheFix) {
  std::string what;
  for (int i = 0; i < 60; ++i) what += "\xc3\xa9";  // 'é', two bytes each
  Finding f{testing::RuleNamed("node-label"), Severity::kWarn, Path(), "c", what, "a long fix"};
  std::string w = f.Warning();
  EXPECT_LE(w.size(), kMaxWarningBytes);
  EXPECT_EQ(w.rfind("[node-label] c: ", 0), 0u);
  ASSERT_GE(w.size(), 16u);
  EXPECT_EQ(w.substr(w.size() - 15), "...; a long fix");
  // No split UTF-8 sequence: the byte before "..." is a complete character.
  std::string body = w.substr(0, w.size() - 15);
  EXPECT_EQ((body.size() - std::string("[node-label] c: ").size()) % 2, 0u);
}

TEST(Finding, AWarningWithNoRoomForItsExplanationKeepsTheFix) {
  std::string fix(150, 'f');
  Finding f{testing::RuleNamed("proxy-ignore-paths"), Severity::kWarn, Path(), "kube-rbac-proxy", "why", fix};
  EXPECT_EQ(f.Warning(), "[proxy-ignore-paths] kube-rbac-proxy: " + fix);
  Finding huge{testing::RuleNamed("proxy-ignore-paths"), Severity::kWarn, Path(), "c", "why", std::string(400, 'f')};
  EXPECT_EQ(huge.Warning().size(), kMaxServerWarningBytes);
}

TEST(Finding, WarnModeProxyIgnorePathsSaysHowToFixIt) {
  // The real finding in warn mode was over 120 bytes and lost its fix.
  Finding f{testing::RuleNamed("proxy-ignore-paths"), Severity::kWarn, Path(), "kube-rbac-proxy",
            "--ignore-paths=/v0/healthz,/v0/startupz,/v0/livez,/v0/metrics serves those paths without authentication",
            "remove it; serve health and metrics on the sidecar's public port 9100"};
  std::string w = f.Warning();
  EXPECT_LE(w.size(), kMaxWarningBytes);
  EXPECT_NE(w.find("remove it; serve health and metrics on the sidecar's public port 9100"), std::string::npos) << w;
}

TEST(Finding, ControlCharactersNeverReachAWarning) {
  Finding f{testing::RuleNamed("node-label"), Severity::kWarn, Path(), "c", "line\none", "x\ty"};
  EXPECT_EQ(f.Warning().find('\n'), std::string::npos);
  EXPECT_EQ(f.Warning().find('\t'), std::string::npos);
}

}  // namespace
}  // namespace seiguard
