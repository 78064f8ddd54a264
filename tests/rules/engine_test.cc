// Evaluate's patch when the answer is a denial: /mutate builds none (the API
// server would never see it), --fix keeps every one, and a Pod UPDATE whose
// denials all turn into warnings still gets the patch it needs.
#include "rules/engine.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/decode.h"
#include "rules/policy.h"
#include "tests/test_util.h"

namespace seiguard {
namespace {

using nlohmann::json;

json LegacyPod() {
  return testing::LoadYaml(testing::FixturesDir() / "seinode/seinode-pod-legacy.review.json")
      .at("request")
      .at("object");
}

// Decodes and evaluates; the objects borrow from the parsers, the
// Evaluation owns everything it holds.
Evaluation EvaluatePod(const json& object, Mode mode, Operation op = Operation::kCreate,
               const json& old = nullptr, const Policy& policy = Policy()) {
  JsonParser parser, old_parser;
  std::string text = object.dump(), old_text = old.dump();
  auto root = parser.Parse(text);
  EXPECT_TRUE(root.ok());
  StatusOr<Object> obj = DecodeObject(*root, Kind::kPod);
  EXPECT_TRUE(obj.ok()) << obj.status().message();
  StatusOr<Object> old_obj = Status::Error("none");
  if (!old.is_null()) {
    auto old_root = old_parser.Parse(old_text);
    EXPECT_TRUE(old_root.ok());
    old_obj = DecodeObject(*old_root, Kind::kPod);
  }
  std::string ns = object.at("metadata").value("namespace", "");
  return Evaluate(Request{op, &*obj, old_obj.ok() ? &*old_obj : nullptr, ns}, policy, mode);
}

bool HasPatchAt(const Evaluation& e, std::string_view pointer_prefix) {
  for (const PatchOp& op : e.patch) {
    if (op.path.Pointer().substr(0, pointer_prefix.size()) == pointer_prefix) return true;
  }
  return false;
}

TEST(EvaluatePatch, MutateBuildsNoPatchForADeniedPod) {
  Evaluation mutate = EvaluatePod(LegacyPod(), Mode::kMutate);
  ASSERT_TRUE(mutate.Denied());
  EXPECT_TRUE(mutate.patch.empty());
  // Leaving the patch out changes nothing else: the denials are the ones
  // the fixture has, and what would have been patched (the sidecar's port
  // and env var) is still not reported as missing.
  std::vector<RuleId> denied;
  for (const Finding& f : mutate.findings) {
    if (f.severity == Severity::kDeny) denied.push_back(f.rule);
    EXPECT_FALSE(Rule(f.rule).can_mutate()) << Rule(f.rule).name << " reported what it would patch";
  }
  const RuleId ignore = testing::RuleNamed("proxy-ignore-paths");
  const RuleId probe = testing::RuleNamed("probe-on-proxy-port");
  EXPECT_EQ(denied, (std::vector<RuleId>{ignore, probe, probe, probe, probe}));
}

// A policy under which the legacy fixture's sidecar serves the public listener.
Policy ServingSidecar() {
  Policy policy;
  policy.public_listener_images = {
      "ghcr.io/sei-protocol/seictl@sha256:4e1c0b7a9d2f6e3b8a5c1d0f7e9b2a4c6d8e0f1a3b5c7d9e2f4a6b8c0d1e3f5a"};
  return policy;
}

TEST(EvaluatePatch, FixKeepsEveryPatchOfADeniedPod) {
  Evaluation fix = EvaluatePod(LegacyPod(), Mode::kFix, Operation::kCreate, nullptr, ServingSidecar());
  EXPECT_FALSE(fix.patch.empty());
  EXPECT_TRUE(HasPatchAt(fix, "/spec/containers/"));
}

// A policy that lists which sidecars serve :9100 (none, or from a version
// the fixture's digest-pinned sidecar has no tag for): --fix moves no probe
// and keeps --ignore-paths (the kubelet would find nothing on 9100, and 401
// on 8443), and each finding says which sidecar to roll out first.
TEST(EvaluatePatch, FixLeavesASidecarWithoutPublicListener) {
  Policy none, versioned;
  none.public_listener_images = {};
  versioned.public_listener_images = {">=v0.0.71"};
  for (const Policy& policy : {none, versioned}) {
    Evaluation fix = EvaluatePod(LegacyPod(), Mode::kFix, Operation::kCreate, nullptr, policy);
    for (const PatchOp& op : fix.patch) EXPECT_EQ(op.op, "add") << op.path.Pointer();
    ASSERT_TRUE(fix.Denied());
    size_t told = 0;
    for (const Finding& f : fix.findings) {
      if (f.severity != Severity::kDeny) continue;
      EXPECT_NE(f.fix.find("(not rewritten: sei-sidecar image \"ghcr.io/sei-protocol/seictl@sha256:"),
                std::string::npos) << f.fix;
      told += f.fix.find(policy.public_listener_images.empty() ? "roll out a sidecar release that does first"
                                                               : "roll out one that does first: >=v0.0.71)") !=
              std::string::npos;
    }
    EXPECT_EQ(told, 5u);
    // Without remediation asked for, the fix says nothing of it.
    for (const Finding& f : EvaluatePod(LegacyPod(), Mode::kMutate, Operation::kCreate, nullptr, policy).findings) {
      EXPECT_EQ(f.fix.find("not rewritten"), std::string::npos) << f.fix;
    }
  }
}

// Under the default publicListenerImages ["*"], remediation of the legacy
// pod (whose sidecar no entry names) says on each warning that it rests on
// the "*", short enough for kubectl to show whole, and once in full in
// `assumptions`; with the sidecar's digest listed it assumes nothing.
TEST(EvaluatePatch, RemediationSaysWhenItRestsOnTheWildcard) {
  Policy wildcard;
  wildcard.remediate = true;
  Policy listed = ServingSidecar();
  listed.remediate = true;
  listed.public_listener_images.push_back("*");
  for (Mode mode : {Mode::kMutate, Mode::kFix}) {
    Evaluation assumed = EvaluatePod(LegacyPod(), mode, Operation::kCreate, nullptr, wildcard);
    ASSERT_FALSE(assumed.Denied());
    size_t remediated = 0;
    for (const Finding& f : assumed.findings) {
      if (f.fix.find("remediated") == std::string::npos) continue;
      ++remediated;
      EXPECT_EQ(f.fix, "remediated (\"*\" assumes the sidecar serves 9100)");
      EXPECT_LE(f.Warning().size(), kMaxWarningBytes) << f.Warning();
      EXPECT_NE(f.Warning().find(f.what), std::string::npos) << f.Warning() << " | " << f.what;  // kept whole
    }
    EXPECT_EQ(remediated, 5u);  // --ignore-paths and four probes
    ASSERT_EQ(assumed.assumptions.size(), 1u);
    EXPECT_EQ(assumed.assumptions[0],
              "container sei-sidecar (image \"" + ServingSidecar().public_listener_images[0] +
                  "\") is taken to serve port 9100 only by the \"*\" of sidecar.publicListenerImages; if it is "
                  "not served, probes moved there never pass: list there the sidecar images that serve it");
    Evaluation named = EvaluatePod(LegacyPod(), mode, Operation::kCreate, nullptr, listed);
    EXPECT_TRUE(named.assumptions.empty());
    for (const Finding& f : named.findings) EXPECT_EQ(f.fix.find("assumes"), std::string::npos) << f.fix;
    EXPECT_EQ(named.patch.size(), assumed.patch.size());
  }
}

TEST(EvaluatePatch, MutateStillPatchesAnAllowedPod) {
  json pod = LegacyPod();
  // Without the proxy's --ignore-paths and its probes on 8443 nothing is
  // denied; the sidecar still lacks its public port and env var.
  Evaluation before = EvaluatePod(pod, Mode::kMutate);
  json fixed = pod;
  for (const PatchOp& op : EvaluatePod(pod, Mode::kFix, Operation::kCreate, nullptr, ServingSidecar()).patch) {
    if (op.op == "replace") fixed[json::json_pointer(std::string(op.path.Pointer()))] = op.value;
  }
  Evaluation after = EvaluatePod(fixed, Mode::kMutate);
  ASSERT_TRUE(before.Denied());
  ASSERT_FALSE(after.Denied());
  EXPECT_FALSE(after.patch.empty());
}

TEST(EvaluatePatch, PodUpdateWarningsKeepTheLabelPatch) {
  json pod = LegacyPod();
  pod["metadata"]["labels"].erase("sei.io/node");
  // The same spec before and after: proxy-ignore-paths and the probes find
  // what they find, but on UPDATE a Pod's spec is not the edit's fault.
  Evaluation e = EvaluatePod(pod, Mode::kMutate, Operation::kUpdate, pod);
  ASSERT_FALSE(e.Denied());
  ASSERT_FALSE(e.findings.empty());
  EXPECT_TRUE(HasPatchAt(e, "/metadata/labels"));
}

}  // namespace
}  // namespace seiguard
