#include "rules/policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace seiguard {
namespace {

using nlohmann::json;

TEST(Policy, DefaultsMatchTheDesign) {
  Policy p;
  EXPECT_EQ(p.proxy_port, 8443);
  EXPECT_EQ(p.public_port, 9100);
  EXPECT_EQ(p.node_label, "sei.io/node");
  EXPECT_EQ(p.action(testing::RuleNamed("proxy-ignore-paths")), Action::kDeny);
  EXPECT_EQ(p.action(testing::RuleNamed("sidecar-public-port")), Action::kMutate);
  EXPECT_EQ(p.action(testing::RuleNamed("service-ports")), Action::kWarn);
  EXPECT_FALSE(p.remediate);
}

TEST(Policy, EmptyDocumentGivesDefaults) {
  EXPECT_TRUE(PolicyFromJson(nullptr, "p.yaml").ok());
  EXPECT_TRUE(PolicyFromJson(json::object(), "p.yaml").ok());
}

TEST(Policy, OverridesAnySubset) {
  auto p = PolicyFromJson(json::parse(R"({"sidecar":{"publicPort":9200},"rules":{"node-label":"warn"},
      "remediate":true,"exemptNamespaces":["kube-system"],"scope":{"kinds":["Pod"]}})"), "p.yaml");
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->public_port, 9200);
  EXPECT_EQ(p->public_port_name, "public");
  EXPECT_EQ(p->action(testing::RuleNamed("node-label")), Action::kWarn);
  EXPECT_TRUE(p->remediate);
  EXPECT_TRUE(p->Exempt("kube-system"));
  EXPECT_TRUE(p->Judges(Kind::kPod));
  EXPECT_FALSE(p->Judges(Kind::kStatefulSet));
}

TEST(Policy, NamesUnknownKeysAndTheFile) {
  auto p = PolicyFromJson(json::parse(R"({"proxy":{"prot":1},"rulez":{}})"), "/etc/seiguard/policy.yaml");
  ASSERT_FALSE(p.ok());
  const std::string& m = p.status().message();
  EXPECT_NE(m.find("/etc/seiguard/policy.yaml: unknown key \"proxy.prot\""), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key \"rulez\""), std::string::npos) << m;
}

TEST(Policy, ReportsEveryErrorAtOnce) {
  auto p = PolicyFromJson(json::parse(R"({"proxy":{"port":"8443"},"sidecar":{"publicPort":70000},
      "rules":{"proxy-ignore-paths":"mutate","no-such-rule":"deny","node-label":"block"},
      "remediate":"yes","nodeLabel":"not a label"})"), "p.yaml");
  ASSERT_FALSE(p.ok());
  const std::string& m = p.status().message();
  for (const char* want : {"proxy.port: must be an integer port number", "sidecar.publicPort: must be a port number between 1 and 65535",
                           "rules.proxy-ignore-paths: cannot be mutate (only ", "unknown key \"rules.no-such-rule\"",
                           "rules.node-label: must be one of deny, warn, off, mutate", "remediate: must be true or false",
                           "nodeLabel: \"not a label\" is not a valid label key"}) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin: " << m;
  }
  // The injecting rules it names are the catalog's, none typed here.
  std::string injecting;
  for (const RuleInfo& r : Rules()) {
    if (r.can_mutate()) injecting += (injecting.empty() ? "" : ", ") + std::string(r.name);
  }
  EXPECT_NE(m.find("(only " + injecting + " inject)"), std::string::npos) << m;
}

TEST(Policy, RefusesFloatAndBooleanPorts) {
  EXPECT_FALSE(PolicyFromJson(json::parse(R"({"proxy":{"port":8443.0}})"), "p").ok());
  EXPECT_FALSE(PolicyFromJson(json::parse(R"({"proxy":{"port":true}})"), "p").ok());
  EXPECT_FALSE(PolicyFromJson(json::parse(R"({"proxy":{"port":0}})"), "p").ok());
  EXPECT_FALSE(PolicyFromJson(json::parse(R"({"proxy":{"port":-1}})"), "p").ok());
  EXPECT_FALSE(PolicyFromJson(json::parse(R"({"proxy":{"port":4294975739}})"), "p").ok());
}

TEST(Policy, RoundTripsThroughItsJsonForm) {
  Policy p;
  p.public_port = 9300;
  p.actions[testing::RuleNamed("service-ports").index()] = Action::kOff;
  auto back = PolicyFromJson(PolicyToJson(p), "round-trip");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(PolicyToJson(*back), PolicyToJson(p));
}

TEST(Policy, BootstrapLabelKeysAreValidated) {
  // A key the API server refuses can label no pod: the knob would exempt
  // nothing, silently.
  auto p = PolicyFromJson(json::parse(R"({"scope":{"bootstrapLabels":{"sei.io/component ":"bootstrap"}}})"), "p.yaml");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("scope.bootstrapLabels: \"sei.io/component \" is not a valid label key"),
            std::string::npos)
      << p.status().message();
  EXPECT_TRUE(PolicyFromJson(json::parse(R"({"scope":{"bootstrapLabels":{"app.kubernetes.io/component":"init"}}})"),
                             "p.yaml")
                  .ok());
}

TEST(Policy, NetworkKnobsAreValidated) {
  auto p = PolicyFromJson(json::parse(R"({"network":{"controllerPodLabels":{"bad key":"x","app":1},
      "nodeCIDRs":["10.0.0.0/33"],"monitoringNamespaces":"monitoring"}})"), "p.yaml");
  ASSERT_FALSE(p.ok());
  const std::string& m = p.status().message();
  for (const char* want : {"network.controllerPodLabels: \"bad key\" is not a valid label key",
                           "network.controllerPodLabels.app: must be a string",
                           "network.nodeCIDRs[0]: \"10.0.0.0/33\" is not a CIDR",
                           "network.monitoringNamespaces: must be a list of strings"}) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin: " << m;
  }
  auto ok = PolicyFromJson(json::parse(R"({"network":{"controllerNamespace":"sei","nodeCIDRs":["fd00::/64"]}})"), "p.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->ProxyAudience().peers.at(0).namespace_, "sei");
}

TEST(Policy, RolloutKnobsAreValidated) {
  auto bad = PolicyFromJson(json::parse(R"({"sidecar":{"publicListenerImages":[">=v1.x", ""]},
      "workloadControllers":"system:kube-controller-manager","scope":{"bootstrapLabels":{"a":1}},
      "network":{"proxyClients":[{}, {"podLabels":{"bad key!":"x"}}, "x"]}})"),
                            "p.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string& m = bad.status().message();
  for (const char* want : {"sidecar.publicListenerImages[0]: \">=v1.x\" is not >=VERSION (such as >=v0.0.71)",
                           "sidecar.publicListenerImages[1]: must be a non-empty string",
                           "workloadControllers: must be a list of strings",
                           "scope.bootstrapLabels.a: must be a string",
                           "network.proxyClients[0]: names neither a namespace nor podLabels",
                           "network.proxyClients[1].podLabels: \"bad key!\" is not a valid label key",
                           "network.proxyClients[2]: must be a mapping"}) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin: " << m;
  }
  auto ok = PolicyFromJson(json::parse(R"({"sidecar":{"publicListenerImages":[">=0.0.71", "reg:5000/seictl"]}})"),
                           "p.yaml");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_TRUE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.71"));
  EXPECT_TRUE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl:0.1.0@sha256:ab"));
  EXPECT_FALSE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.70"));
  EXPECT_FALSE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.71-rc.1"));
  EXPECT_FALSE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl@sha256:ab"));  // no tag to read
  EXPECT_FALSE(ok->ServesPublicListener("ghcr.io/sei-protocol/seictl:latest"));
  EXPECT_TRUE(ok->ServesPublicListener("reg:5000/seictl@sha256:ab"));
  EXPECT_FALSE(ok->ServesPublicListener("reg:5000/seictl-fork@sha256:ab"));  // another name, no tag
  EXPECT_TRUE(ok->ServesPublicListener("reg:5000/seictl-fork:v9"));  // a version reads any image's tag
  EXPECT_TRUE(Policy().ServesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.1"));  // "*", the default
  // Only "*" takes the image to serve it: remediation says it assumed so.
  EXPECT_TRUE(Policy().AssumesPublicListener("ghcr.io/sei-protocol/seictl@sha256:ab"));
  EXPECT_FALSE(ok->AssumesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.71"));  // no "*"
  auto both = PolicyFromJson(json::parse(R"({"sidecar":{"publicListenerImages":["*", ">=0.0.71"]}})"), "p.yaml");
  ASSERT_TRUE(both.ok()) << both.status().message();
  EXPECT_FALSE(both->AssumesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.71"));  // listed as well
  EXPECT_TRUE(both->AssumesPublicListener("ghcr.io/sei-protocol/seictl:v0.0.70"));
  EXPECT_TRUE(Policy().ServesPublicListener(""));
  EXPECT_FALSE(ok->ServesPublicListener(""));
}

}  // namespace
}  // namespace seiguard
