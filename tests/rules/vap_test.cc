#include "rules/vap.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "rules/vap_cel.h"

#include "tests/test_util.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

Policy WithAll(Action action) {
  Policy p;
  for (Action& a : p.actions) a = action;
  return p;
}

// The rule names in a policy's validations, read from the bracket every
// message starts with. A warning's messageExpression is its own; a
// denial's names every check that denies (variables.denial).
std::multiset<std::string> RulesIn(const ordered& vap) {
  std::multiset<std::string> out;
  const bool deny = vap["metadata"]["name"].get<std::string>().ends_with("-deny");
  for (const ordered& v : vap["spec"]["validations"]) {
    std::string m = v["message"].get<std::string>();
    EXPECT_EQ(m.rfind("[", 0), 0u) << m;
    std::string rule = m.substr(1, m.find(']') - 1);
    out.insert(rule);
    if (deny) {
      EXPECT_EQ(v["messageExpression"], "variables.denial");
    } else {
      EXPECT_EQ(v["messageExpression"].get<std::string>().rfind("'[" + rule + "] ", 0), 0u);
    }
    EXPECT_EQ(v["reason"], "Forbidden");
  }
  return out;
}

TEST(Backstop, DefaultDeniesInOneBindingWarnsInOther) {
  std::vector<ordered> docs = BackstopPolicies(Policy());
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0]["kind"], "ValidatingAdmissionPolicy");
  EXPECT_EQ(docs[0]["apiVersion"], "admissionregistration.k8s.io/v1");
  EXPECT_EQ(docs[0]["metadata"]["name"], "seiguard-backstop-deny");
  EXPECT_EQ(docs[0]["spec"]["failurePolicy"], "Fail");
  EXPECT_EQ(docs[1]["kind"], "ValidatingAdmissionPolicyBinding");
  EXPECT_EQ(docs[1]["spec"], ordered({{"policyName", "seiguard-backstop-deny"}, {"validationActions", {"Deny"}}}));
  EXPECT_EQ(docs[2]["metadata"]["name"], "seiguard-backstop-warn");
  EXPECT_EQ(docs[2]["spec"]["failurePolicy"], "Ignore");
  EXPECT_EQ(docs[3]["spec"]["validationActions"], ordered({"Warn", "Audit"}));

  std::multiset<std::string> deny = RulesIn(docs[0]), warn = RulesIn(docs[2]);
  // Each rule lands in the binding of its default action (mutate denies
  // what was not injected), taken from the catalog.
  for (const RuleInfo& r : Rules()) {
    std::string name(r.name);
    bool warns = r.default_action == Action::kWarn;
    EXPECT_EQ(deny.count(name) > 0, !warns) << name;
    if (warns) {
      EXPECT_TRUE(warn.count(name)) << name;
    }
  }
  // Pod UPDATE downgrades spec findings to warnings; immutability never is.
  EXPECT_TRUE(warn.count("proxy-ignore-paths"));
  EXPECT_FALSE(warn.count("node-label-immutable"));
}

TEST(Backstop, ActionsChooseTheBinding) {
  std::vector<ordered> warn_only = BackstopPolicies(WithAll(Action::kWarn));
  ASSERT_EQ(warn_only.size(), 2u);
  EXPECT_EQ(warn_only[0]["metadata"]["name"], "seiguard-backstop-warn");
  std::multiset<std::string> warned = RulesIn(warn_only[0]);
  EXPECT_EQ(warned.size(), cel::Checks(Policy()).size()) << "every check, once";
  EXPECT_EQ(std::set<std::string>(warned.begin(), warned.end()).size(), Rules().size()) << "every rule";

  EXPECT_TRUE(BackstopPolicies(WithAll(Action::kOff)).empty());

  Policy p;
  p.actions[testing::RuleNamed("proxy-ignore-paths").index()] = Action::kOff;
  p.actions[testing::RuleNamed("service-ports").index()] = Action::kDeny;
  std::vector<ordered> docs = BackstopPolicies(p);
  EXPECT_FALSE(RulesIn(docs[0]).count("proxy-ignore-paths"));
  EXPECT_FALSE(RulesIn(docs[2]).count("proxy-ignore-paths"));
  EXPECT_TRUE(RulesIn(docs[0]).count("service-ports"));
  // Denied, and warned where ratcheting downgrades it (an UPDATE of a
  // Service that already lacked the port).
  EXPECT_TRUE(RulesIn(docs[2]).count("service-ports"));
  p.ratchet[testing::RuleNamed("service-ports").index()] = false;
  EXPECT_FALSE(RulesIn(BackstopPolicies(p)[2]).count("service-ports"));
}

TEST(Backstop, ScopeFollowsThePolicy) {
  Policy p;
  p.kinds = {Kind::kPod, Kind::kCronJob};
  p.exempt_namespaces = {"sei-lab", "kube-system"};
  BackstopOptions opts;
  opts.name = "guard";
  std::vector<ordered> docs = BackstopPolicies(p, opts);
  ASSERT_EQ(docs.size(), 4u);
  EXPECT_EQ(docs[0]["metadata"]["name"], "guard-deny");
  const ordered& c = docs[0]["spec"]["matchConstraints"];
  EXPECT_EQ(c["namespaceSelector"]["matchExpressions"][0]["values"],
            ordered({"kube-system", "seiguard-system", "sei-lab"}));
  ASSERT_EQ(c["resourceRules"].size(), 2u);
  EXPECT_EQ(c["resourceRules"][0]["resources"], ordered({"pods"}));
  EXPECT_EQ(c["resourceRules"][1]["apiGroups"], ordered({"batch"}));
  EXPECT_EQ(c["resourceRules"][1]["resources"], ordered({"cronjobs"}));
  EXPECT_EQ(c["resourceRules"][1]["operations"], ordered({"CREATE", "UPDATE"}));
}

TEST(Backstop, PolicyValuesReachTheExpressions) {
  Policy p;
  p.public_port = 9200;
  p.proxy_port = 8444;
  p.node_label = "example.com/seinode";
  p.sidecar_name = "sidecar";
  std::string text = ordered(BackstopPolicies(p)).dump();
  for (const char* want : {"9200", "8444", "'example.com/seinode'", "'sidecar'"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want;
  }
  for (const char* gone : {"9100", "8443", "sei.io/node", "'sei-sidecar'"}) {
    EXPECT_EQ(text.find(gone), std::string::npos) << gone;
  }
}

// A rule the backstop cannot express would be enforced by the webhook alone.
TEST(Cel, EveryRuleHasATwin) {
  for (const RuleInfo& r : Rules()) {
    std::string file(r.name);
    for (char& c : file) c = c == '-' ? '_' : c;
    EXPECT_NE(r.cel, nullptr) << "rule " << r.name << " has no CEL twin: write its Cel() in rules/" << file
                              << ".cc and set .cel (see rules/rule.h)";
  }
  EXPECT_TRUE(RulesWithoutTwin().empty());
}

// Each twin has checks, and its variables do not shadow another's.
TEST(Cel, TwinsAreCompleteAndDistinct) {
  std::set<std::string> names;
  for (const cel::Variable& v : cel::Variables(Policy())) {
    EXPECT_TRUE(names.insert(v.name).second) << "variable " << v.name << " is defined twice";
  }
  for (const RuleInfo& r : Rules()) {
    if (r.cel == nullptr) continue;
    cel::Twin twin;
    r.cel(Policy(), twin);
    EXPECT_FALSE(twin.checks.empty()) << "the CEL twin of " << r.name << " has no check";
  }
}

TEST(Cel, StringLiteralsEscapeEverythingCelWouldRead) {
  EXPECT_EQ(cel::Str("plain"), "'plain'");
  EXPECT_EQ(cel::Str("it's a \\ path"), "'it\\'s a \\\\ path'");
  EXPECT_EQ(cel::Str(std::string("a\nb\x01", 4)), "'a\\x0ab\\x01'");
}

TEST(Cel, RegexQuotingLeavesOnlyLiterals) {
  EXPECT_EQ(cel::QuoteRegex("kube-rbac-proxy"), "kube-rbac-proxy");
  EXPECT_EQ(cel::QuoteRegex("a.b+c*(d)|[e]{f}^$?\\"), "a\\.b\\+c\\*\\(d\\)\\|\\[e\\]\\{f\\}\\^\\$\\?\\\\");
}

}  // namespace
}  // namespace seiguard
