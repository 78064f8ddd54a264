#include "rules/intree.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/vap.h"
#include "rules/vap_cel.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

std::string Expression(const InTree& t) {
  return t.docs.at(0)["spec"]["mutations"][0]["jsonPatch"]["expression"].get<std::string>();
}

void Set(Policy& p, const char* rule, Action action) { p.actions[RuleFromName(rule)->index()] = action; }

TEST(InTree, TheMutatingPolicyThenTheBackstop) {
  InTree t = InTreePolicies(Policy());
  ASSERT_EQ(t.docs.size(), 6u);
  EXPECT_EQ(t.docs[0]["kind"], "MutatingAdmissionPolicy");
  EXPECT_EQ(t.docs[1]["kind"], "MutatingAdmissionPolicyBinding");
  EXPECT_EQ(t.docs[1]["spec"], ordered({{"policyName", "seiguard-inject"}}));
  std::vector<ordered> backstop = BackstopPolicies(Policy());
  EXPECT_EQ(std::vector<ordered>(t.docs.begin() + 2, t.docs.end()), backstop);
  const ordered& spec = t.docs[0]["spec"];
  EXPECT_EQ(spec["failurePolicy"], "Ignore");
  EXPECT_EQ(spec["reinvocationPolicy"], "IfNeeded");
  // The scope condition's Pod branch, then the skip of pods that carry
  // everything: each injection's own test of what it adds.
  ASSERT_EQ(spec["matchConditions"].size(), 2u);
  EXPECT_EQ(spec["matchConditions"][0]["name"], "seinode-object");
  EXPECT_EQ(spec["matchConditions"][0]["expression"], cel::PodScopeCondition(Policy()));
  // ... the backstop's test of a pod template `t`, on the Pod itself.
  std::string pod = cel::PodScopeCondition(Policy());
  for (size_t at = pod.find("object."); at != std::string::npos; at = pod.find("object.", at)) pod.replace(at, 6, "t");
  EXPECT_NE(cel::ScopeCondition(Policy()).find(pod), std::string::npos);
  EXPECT_EQ(spec["matchConditions"][1]["name"], "seinode-needs-mutation");
  const std::string skip = spec["matchConditions"][1]["expression"].get<std::string>();
  EXPECT_NE(skip.find("q.name == 'public'"), std::string::npos);
  EXPECT_NE(skip.find("e.name == 'SEI_SIDECAR_PUBLIC_PORT'"), std::string::npos);
  EXPECT_NE(skip.find("has(object.metadata.ownerReferences) && !("), std::string::npos);
  EXPECT_EQ(spec["matchConstraints"]["namespaceSelector"], backstop[0]["spec"]["matchConstraints"]["namespaceSelector"]);
  EXPECT_EQ(spec["matchConstraints"]["resourceRules"][0]["operations"], ordered({"CREATE"}));
  EXPECT_EQ(spec["matchConstraints"]["resourceRules"][0]["resources"], ordered({"pods"}));
  // The three injections, no remediation (off by default), nothing left out.
  const std::string e = Expression(t);
  EXPECT_NE(e.find("Object.spec.initContainers.ports{name: 'public', containerPort: 9100"), std::string::npos);
  EXPECT_NE(e.find("Object.spec.containers.env{name: 'SEI_SIDECAR_PUBLIC_PORT', value: '9100'}"), std::string::npos);
  EXPECT_NE(e.find("'/metadata/labels/sei.io~1node'"), std::string::npos);
  EXPECT_EQ(e.find("remediable"), std::string::npos);
  EXPECT_TRUE(t.limits.empty());
  // Only the variables the mutations read: none of the backstop's reach or probe checks.
  for (const ordered& v : spec["variables"]) EXPECT_NE(v["name"], "probeHits");
}

TEST(InTree, OnlyWhatThePolicyMutates) {
  Policy p;
  Set(p, "sidecar-public-port-env", Action::kDeny);
  Set(p, "node-label", Action::kWarn);
  std::string e = Expression(InTreePolicies(p));
  EXPECT_NE(e.find("/ports"), std::string::npos);
  EXPECT_EQ(e.find("SEI_SIDECAR_PUBLIC_PORT"), std::string::npos);
  EXPECT_EQ(e.find("/metadata/labels"), std::string::npos);
  // Nothing to inject: no mutating policy at all, the backstop alone.
  Set(p, "sidecar-public-port", Action::kOff);
  InTree none = InTreePolicies(p);
  ASSERT_FALSE(none.docs.empty());
  EXPECT_EQ(none.docs[0]["kind"], "ValidatingAdmissionPolicy");
}

TEST(InTree, RemediatesListedImagesAndSaysWhatItCannot) {
  Policy p;
  p.remediate = true;
  p.public_listener_images = {">=v0.0.71-rc.1", "ghcr.io/sei-protocol/seictl", "registry/seictl:v2@sha256:ab"};
  InTree t = InTreePolicies(p);
  const std::string e = Expression(t);
  EXPECT_NE(e.find("/readinessProbe/httpGet/port', value: 9100"), std::string::npos);
  EXPECT_EQ(e.find("/grpc/port"), std::string::npos);  // gRPC probes are never moved
  EXPECT_NE(e.find(".transformList(k, a, !(a == '--ignore-paths'"), std::string::npos);
  std::string remediable;
  for (const ordered& v : t.docs[0]["spec"]["variables"]) {
    if (v["name"] == "remediable") remediable = v["expression"].get<std::string>();
  }
  EXPECT_NE(remediable.find("variables.tagPre >= 'rc.1'"), std::string::npos);
  EXPECT_NE(remediable.find("variables.imageName == 'ghcr.io/sei-protocol/seictl'"), std::string::npos);
  EXPECT_NE(remediable.find("variables.sidecarImage == 'registry/seictl:v2@sha256:ab'"), std::string::npos);
  EXPECT_EQ(remediable.find("variables.imageName == 'registry/seictl:v2"), std::string::npos);
  // Remediation cannot be told from the object cheaply: no skip condition.
  EXPECT_EQ(t.docs[0]["spec"]["matchConditions"].size(), 1u);
  ASSERT_EQ(t.limits.size(), 2u);
  EXPECT_NE(t.limits[0].find("silent"), std::string::npos);
  EXPECT_NE(t.limits[1].find("sh -c"), std::string::npos);
  // The rule off: nothing of it is remediated, and nothing said about it.
  Set(p, "proxy-ignore-paths", Action::kOff);
  InTree off = InTreePolicies(p);
  EXPECT_EQ(Expression(off).find("--ignore-paths"), std::string::npos);
  EXPECT_EQ(off.limits.size(), 1u);
}

TEST(InTree, FollowsTheNamesAndScopeOfThePolicy) {
  Policy p;
  p.node_label = "example.com/a~b";
  p.sidecar_name = "node-sidecar";
  p.exempt_namespaces = {"tools"};
  InTree t = InTreePolicies(p, {.name = "x", .backstop = {.name = "y", .excluded_namespaces = {"kube-system"}}});
  EXPECT_EQ(t.docs[0]["metadata"]["name"], "x");
  EXPECT_EQ(t.docs[2]["metadata"]["name"], "y-deny");
  EXPECT_EQ(t.docs[0]["spec"]["matchConstraints"]["namespaceSelector"]["matchExpressions"][0]["values"],
            ordered({"kube-system", "tools"}));
  const std::string e = Expression(t);
  EXPECT_NE(e.find("'/metadata/labels/example.com~1a~0b'"), std::string::npos);
  EXPECT_NE(e.find("c.name == 'node-sidecar'"), std::string::npos);
  EXPECT_EQ(t.docs[0]["spec"]["matchConditions"][0]["expression"], cel::PodScopeCondition(p));
  EXPECT_NE(t.docs[0]["spec"]["matchConditions"][0]["expression"].get<std::string>().find(
                "'example.com/a~b' in object.metadata.labels"),
            std::string::npos);
}

}  // namespace
}  // namespace seiguard
