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
               const json& old = nullptr) {
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
  Policy policy;
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

TEST(EvaluatePatch, FixKeepsEveryPatchOfADeniedPod) {
  Evaluation fix = EvaluatePod(LegacyPod(), Mode::kFix);
  EXPECT_FALSE(fix.patch.empty());
  EXPECT_TRUE(HasPatchAt(fix, "/spec/containers/"));
}

TEST(EvaluatePatch, MutateStillPatchesAnAllowedPod) {
  json pod = LegacyPod();
  // Without the proxy's --ignore-paths and its probes on 8443 nothing is
  // denied; the sidecar still lacks its public port and env var.
  Evaluation before = EvaluatePod(pod, Mode::kMutate);
  json fixed = pod;
  for (const PatchOp& op : EvaluatePod(pod, Mode::kFix).patch) {
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
