// Walks every case in tests/data/rules/*.yaml: each builds an object from a
// base (tests/data/bases) and a JSON Patch, sends it through the real
// AdmissionReview codec on /validate and /mutate, and checks the denial
// lines, warnings and patch exactly. Every patch is then applied with an
// independent RFC 6902 implementation (nlohmann's) and the patched object
// reviewed again: no second patch, and /validate allows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>

#include "rules/finding.h"
#include "rules/policy.h"
#include "tests/test_util.h"
#include "webhook/admission.h"

namespace seiguard {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using testing::Base64Decode;
using testing::LoadYaml;
using testing::MakeReview;

struct Case {
  std::string file;
  size_t index = 0;  // in its file
  std::string name;
  json spec;
};

// What a failure prints for the parameter: the case's own words.
void PrintTo(const Case& c, std::ostream* os) { *os << c.file << ": " << c.name; }

std::vector<Case> LoadCases() {
  std::vector<Case> cases;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(testing::SourceDir() / "tests/data/rules")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    json doc = LoadYaml(f);
    size_t index = 0;
    for (const json& c : doc.at("cases")) {
      cases.push_back({f.stem().string(), index++, c.at("name").get<std::string>(), c});
    }
  }
  return cases;
}

json Base(const std::string& name) {
  return LoadYaml(testing::SourceDir() / "tests/data/bases" / (name + ".yaml"));
}

std::vector<std::string> RuleNames(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    EXPECT_EQ(l.rfind('[', 0), 0u) << "line must start with [rule]: " << l;
    out.push_back(l.substr(1, l.find(']') - 1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> Sorted(const json& list) {
  std::vector<std::string> v;
  for (const json& x : list) v.push_back(x.get<std::string>());
  std::sort(v.begin(), v.end());
  return v;
}

struct Answer {
  json response;
  json patch;  // decoded ops, or null
};

Answer Ask(AdmissionHandler& handler, const json& review, Endpoint ep, const Policy& policy) {
  // Both readers, in both key orders: sorted (nlohmann's) and the API
  // server's. The On-Demand reader must answer every case the DOM reader
  // judges, the same bytes.
  for (const std::string& body : {review.dump(), testing::InApiServerOrder(review)}) {
    EXPECT_EQ(testing::ReadersDisagree(body, ep, policy), "");
  }
  auto result = handler.Review(review.dump(), ep, policy);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.status().message());
  if (!result.ok()) return {};
  json answer = json::parse(result->body);
  EXPECT_EQ(answer["apiVersion"], review["apiVersion"]);
  EXPECT_EQ(answer["kind"], "AdmissionReview");
  json r = answer["response"];
  EXPECT_EQ(r["uid"], review["request"]["uid"]);
  Answer a{r, nullptr};
  if (r.contains("patch")) {
    EXPECT_EQ(r.value("patchType", ""), "JSONPatch");
    a.patch = json::parse(Base64Decode(r["patch"].get<std::string>()));
  } else {
    EXPECT_FALSE(r.contains("patchType"));
  }
  return a;
}

// Checks one endpoint's answer against the case's expectation.
void Expect(const Answer& a, const json& want, Endpoint ep) {
  const json& r = a.response;
  std::vector<std::string> deny_lines, warnings;
  if (r.contains("status") && r["status"].contains("message")) {
    std::istringstream in(r["status"]["message"].get<std::string>());
    for (std::string line; std::getline(in, line);) deny_lines.push_back(line);
  }
  json warning_list = r.value("warnings", json::array());
  for (const json& w : warning_list) {
    std::string s = w.get<std::string>();
    // Within the API server's 120-byte advice, unless the rule, container
    // and fix alone are longer; then whole, within the 256 it keeps. A
    // warning never loses its fix: it never ends cut.
    EXPECT_LE(s.size(), kMaxServerWarningBytes) << s;
    EXPECT_NE(s.substr(s.size() - 3), "...") << s;
    EXPECT_TRUE(std::none_of(s.begin(), s.end(), [](char c) { return c >= 0 && c < 0x20; })) << s;
    warnings.push_back(s);
  }
  json annotations = r.value("auditAnnotations", json::object());
  for (const auto& [k, v] : annotations.items()) {
    EXPECT_TRUE(testing::IsValidAuditKey(k)) << k;
  }
  if (ep == Endpoint::kValidate) {
    EXPECT_TRUE(a.patch.is_null()) << "validate must not patch";
  }

  if (want.contains("error")) {
    EXPECT_FALSE(r["allowed"].get<bool>());
    EXPECT_EQ(r["status"]["code"], 400);
    EXPECT_NE(r["status"]["message"].get<std::string>().find(want["error"].get<std::string>()),
              std::string::npos)
        << r["status"]["message"];
    return;
  }
  if (want.value("skipped", false)) {
    EXPECT_EQ(r, json({{"uid", r["uid"]}, {"allowed", true}}));
    return;
  }
  std::vector<std::string> want_deny = Sorted(want.value("deny", json::array()));
  EXPECT_EQ(RuleNames(deny_lines), want_deny) << r.dump(1);
  EXPECT_EQ(r["allowed"].get<bool>(), want_deny.empty());
  if (!want_deny.empty()) {
    EXPECT_EQ(r["status"]["code"], 403);
    EXPECT_EQ(r["status"]["reason"], "Forbidden");
  }
  EXPECT_EQ(RuleNames(warnings), Sorted(want.value("warn", json::array()))) << r.dump(1);
  EXPECT_EQ(a.patch, want.value("patch", json())) << r.dump(1);
}

class RuleCases : public ::testing::TestWithParam<Case> {};

// Each case: its answers on both endpoints are as its file says, and its
// patches converge (short test names; the case's name is in the trace).
TEST_P(RuleCases, Converge) {
  SCOPED_TRACE(GetParam().file + ".yaml: " + GetParam().name);
  const json& c = GetParam().spec;
  json object = Base(c.at("base"));
  if (c.contains("patch")) object = object.patch(c["patch"]);
  std::string op = c.value("operation", "CREATE");
  json old = nullptr;
  if (op == "UPDATE") {
    json o = c.value("old", json::object());
    old = Base(o.value("base", c["base"].get<std::string>()));
    if (o.contains("patch")) old = old.patch(o["patch"]);
  }
  if (op == "DELETE") std::swap(object, old);
  json review = MakeReview(object, op, old, c.value("version", "v1"));
  review["request"]["userInfo"]["username"] = c.value("user", "admin");
  if (op == "CONNECT") review["request"]["object"] = nullptr;
  if (c.contains("subResource")) review["request"]["subResource"] = c["subResource"];

  auto policy = PolicyFromJson(c.value("policy", json::object()), "case policy");
  ASSERT_TRUE(policy.ok()) << policy.status().message();
  AdmissionHandler handler;

  for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
    const char* key = ep == Endpoint::kValidate ? "validate" : "mutate";
    SCOPED_TRACE(key);
    ASSERT_TRUE(c.contains(key)) << "every case states both endpoints";
    Answer a = Ask(handler, review, ep, *policy);
    Expect(a, c[key], ep);
    if (ep != Endpoint::kMutate || a.patch.is_null() || !a.response["allowed"].get<bool>()) continue;

    // Apply the patch independently and review the result again.
    json patched = review;
    patched["request"]["object"] = review["request"]["object"].patch(a.patch);
    Answer again = Ask(handler, patched, Endpoint::kMutate, *policy);
    EXPECT_TRUE(again.patch.is_null()) << "second patch: " << again.patch.dump();
    EXPECT_TRUE(again.response["allowed"].get<bool>()) << again.response.dump(1);
    Answer validated = Ask(handler, patched, Endpoint::kValidate, *policy);
    EXPECT_TRUE(validated.response["allowed"].get<bool>()) << validated.response.dump(1);
  }
}

// "node_label_07": the file and the case's position in it.
std::string CaseName(const ::testing::TestParamInfo<Case>& info) {
  std::string name = info.param.file;
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  }
  char index[8];
  std::snprintf(index, sizeof index, "_%02zu", info.param.index);
  return name + index;
}

INSTANTIATE_TEST_SUITE_P(Case, RuleCases, ::testing::ValuesIn(LoadCases()), CaseName);

// The walker must see every rule: a rule without its case file is untested.
TEST(RuleCases, CoverEveryRule) {
  std::set<std::string> files;
  for (const Case& c : LoadCases()) files.insert(c.file);
  for (const RuleInfo& r : Rules()) {
    EXPECT_TRUE(files.count(std::string(r.name)))
        << "rule " << r.name << " has no case file: write tests/data/rules/" << r.name
        << ".yaml (a base from tests/data/bases, a JSON Patch, and both endpoints' verdicts; "
           "see proxy-ignore-paths.yaml)";
  }
}

}  // namespace
}  // namespace seiguard
