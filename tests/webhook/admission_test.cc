// The AdmissionReview wire format, asserted as exact JSON on the shared
// SeiNode fixtures.
#include "webhook/admission.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"

namespace seiguard {
namespace {

using nlohmann::json;
using testing::ReadFile;

std::string Fixture(const std::string& name) {
  return ReadFile(testing::FixturesDir() / "seinode" / (name + ".review.json"));
}

json Answer(const std::string& body, Endpoint ep, const Policy& policy = Policy()) {
  AdmissionHandler handler;
  auto r = handler.Review(body, ep, policy);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.status().message());
  return r.ok() ? json::parse(r->body) : json();
}

TEST(Admission, DeniesTheLegacyPodListingEveryFinding) {
  json a = Answer(Fixture("seinode-pod-legacy"), Endpoint::kValidate);
  json r = a["response"];
  EXPECT_EQ(a["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(r["uid"], "3f6c2a1e-9b7d-4e5f-a8c0-1d2e3f4a5b6c");
  EXPECT_EQ(r["allowed"], false);
  EXPECT_EQ(r["status"]["code"], 403);
  EXPECT_EQ(r["status"]["reason"], "Forbidden");
  EXPECT_EQ(r["status"]["message"],
            "[proxy-ignore-paths] spec.initContainers[2].args[3] (container kube-rbac-proxy): "
            "--ignore-paths=/v0/healthz,/v0/startupz,/v0/livez,/v0/metrics serves those paths without "
            "authentication; remove it; serve health and metrics on the sidecar's public port 9100\n"
            "[probe-on-proxy-port] spec.initContainers[2].livenessProbe.httpGet.port (container "
            "kube-rbac-proxy): livenessProbe httpGet targets the proxy port 8443; point it at the "
            "public port 9100 (path /v0/livez)\n"
            "[probe-on-proxy-port] spec.initContainers[2].readinessProbe.httpGet.port (container "
            "kube-rbac-proxy): readinessProbe httpGet targets the proxy port 8443; point it at the "
            "public port 9100 (path /v0/healthz)\n"
            "[probe-on-proxy-port] spec.initContainers[2].startupProbe.tcpSocket.port (container "
            "kube-rbac-proxy): startupProbe tcpSocket targets the proxy port 8443; point it at the "
            "public port 9100\n"
            "[probe-on-proxy-port] spec.containers[0].startupProbe.httpGet.port (container seid): "
            "startupProbe httpGet targets the proxy port 8443; point it at the public port 9100 "
            "(path /v0/healthz)\n"
            "[sidecar-public-port] spec.initContainers[1].ports (container sei-sidecar): no "
            "containerPort 9100 named public (the mutating webhook did not add it); add {name: "
            "public, containerPort: 9100, protocol: TCP}\n"
            "[sidecar-public-port-env] spec.initContainers[1].env (container sei-sidecar): env "
            "SEI_SIDECAR_PUBLIC_PORT is not set (the mutating webhook did not add it); set it to "
            "\"9100\"");
  EXPECT_FALSE(r.contains("patch"));
  EXPECT_FALSE(r.contains("patchType"));
  EXPECT_EQ(r["auditAnnotations"]["decision"], "denied");
  EXPECT_EQ(r["auditAnnotations"]["proxy-ignore-paths"], "deny spec.initContainers[2].args[3]");
}

TEST(Admission, MutateDeniesLegacyPodOnlyForTheUnpatchable) {
  json r = Answer(Fixture("seinode-pod-legacy"), Endpoint::kMutate)["response"];
  EXPECT_EQ(r["allowed"], false);
  std::string m = r["status"]["message"];
  EXPECT_EQ(m.find("[sidecar-public-port]"), std::string::npos);
  EXPECT_NE(m.find("[proxy-ignore-paths]"), std::string::npos);
  EXPECT_FALSE(r.contains("patch"));
}

TEST(Admission, PatchesTheNeedsInjectionPodWithThreeOps) {
  json r = Answer(Fixture("seinode-pod-needs-injection"), Endpoint::kMutate)["response"];
  EXPECT_EQ(r["allowed"], true);
  EXPECT_EQ(r["patchType"], "JSONPatch");
  std::string b64 = r["patch"];
  EXPECT_EQ(b64.size() % 4, 0u);  // standard, padded
  EXPECT_EQ(json::parse(testing::Base64Decode(b64)), json::parse(R"([
    {"op":"add","path":"/spec/initContainers/1/ports/-","value":{"name":"public","containerPort":9100,"protocol":"TCP"}},
    {"op":"add","path":"/spec/initContainers/1/env/-","value":{"name":"SEI_SIDECAR_PUBLIC_PORT","value":"9100"}},
    {"op":"add","path":"/metadata/labels/sei.io~1node","value":"pacific-1-val-0"}])"));
  EXPECT_EQ(r["auditAnnotations"]["decision"], "patched");
}

TEST(Admission, PatchedNeedsInjectionPodValidatesClean) {
  json review = json::parse(Fixture("seinode-pod-needs-injection"));
  json r = Answer(review.dump(), Endpoint::kMutate)["response"];
  json patch = json::parse(testing::Base64Decode(r["patch"]));
  review["request"]["object"] = review["request"]["object"].patch(patch);
  EXPECT_EQ(Answer(review.dump(), Endpoint::kValidate)["response"]["allowed"], true);
  EXPECT_FALSE(Answer(review.dump(), Endpoint::kMutate)["response"].contains("patch"));
}

// The split pod is the target posture: a rule that finds anything in it
// contradicts the design, whichever of the two is to change.
TEST(Admission, AllowsTheSplitPodWithoutPatchOnBothEndpoints) {
  for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
    json a = Answer(Fixture("seinode-pod-split"), ep);
    EXPECT_EQ(a.dump(),
              R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"allowed":true,)"
              R"("auditAnnotations":{"decision":"allowed"},"uid":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}})");
  }
}

TEST(Admission, LeavesThePlainPodUntouched) {
  for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
    EXPECT_EQ(Answer(Fixture("plain-pod"), ep).dump(),
              R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"allowed":true,)"
              R"("uid":"e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9"}})");
  }
}

TEST(Admission, AnswersV1beta1InV1beta1) {
  json review = json::parse(Fixture("seinode-pod-needs-injection"));
  review["apiVersion"] = "admission.k8s.io/v1beta1";
  json a = Answer(review.dump(), Endpoint::kMutate);
  EXPECT_EQ(a["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_EQ(a["response"]["patchType"], "JSONPatch");
}

TEST(Admission, RefusesWhatIsNotAnAdmissionReview) {
  AdmissionHandler handler;
  Policy policy;
  for (const char* body : {"", "not json", "[]", R"({"apiVersion":"v1","kind":"Pod"})",
                           R"({"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"u"}})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}})",
                           R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}})"}) {
    auto r = handler.Review(body, Endpoint::kValidate, policy);
    EXPECT_FALSE(r.ok()) << body;
  }
}

TEST(Admission, AnswersAnUnknownOperationWithAClearError) {
  json review = json::parse(Fixture("seinode-pod-split"));
  review["request"]["operation"] = "PATCH";
  json r = Answer(review.dump(), Endpoint::kValidate)["response"];
  EXPECT_EQ(r["allowed"], false);
  EXPECT_EQ(r["status"]["code"], 400);
  EXPECT_EQ(r["status"]["message"], "[seiguard] unsupported operation \"PATCH\"");
}

TEST(Admission, AnswersAMissingObjectWithAClearError) {
  json review = json::parse(Fixture("seinode-pod-split"));
  review["request"].erase("object");
  json r = Answer(review.dump(), Endpoint::kMutate)["response"];
  EXPECT_EQ(r["status"]["code"], 400);
}

TEST(Admission, JudgesByTheObjectKindWhenRequestKindIsAbsent) {
  json review = json::parse(Fixture("seinode-pod-legacy"));
  review["request"].erase("kind");
  EXPECT_EQ(Answer(review.dump(), Endpoint::kValidate)["response"]["allowed"], false);
}

TEST(Admission, ReportsFactsForLogsAndMetrics) {
  AdmissionHandler handler;
  auto r = handler.Review(Fixture("seinode-pod-legacy"), Endpoint::kValidate, Policy());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, Decision::kDenied);
  EXPECT_EQ(r->kind, "Pod");
  EXPECT_EQ(r->namespace_, "pacific-1");
  EXPECT_EQ(r->name, "pacific-1-val-0-0");
  EXPECT_EQ(r->operation, "CREATE");
  // The legacy pod's denials (a warn rule may add a finding of its own).
  EXPECT_EQ(std::count_if(r->findings.begin(), r->findings.end(),
                          [](const Finding& f) { return f.severity == Severity::kDeny; }),
            7);
}


// Which reader answers what. The On-Demand reader answers what the API
// server sends (its key order, and sorted keys); anything unusual goes to
// the DOM reader, so the answer is the one the DOM reader gives.
bool OnDemandAnswers(const std::string& body) {
  AdmissionHandler handler;
  handler.UseReader(AdmissionHandler::Reader::kOnDemandOnly);
  return handler.Review(body, Endpoint::kValidate, Policy()).ok();
}

TEST(AdmissionReaders, OnDemandAnswersFixturesAsTheDomDoes) {
  for (const char* name : {"seinode-pod-legacy", "seinode-pod-split", "seinode-pod-needs-injection", "plain-pod"}) {
    SCOPED_TRACE(name);
    std::string body = Fixture(name);
    for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
      bool answered = false;
      EXPECT_EQ(testing::ReadersDisagree(body, ep, Policy(), &answered), "");
      EXPECT_TRUE(answered);
      EXPECT_EQ(testing::ReadersDisagree(json::parse(body).dump(), ep, Policy(), &answered), "");
      EXPECT_TRUE(answered) << "sorted keys";
    }
  }
}

TEST(AdmissionReaders, UnusualBodiesGoToTheDomReader) {
  json legacy = json::parse(Fixture("seinode-pod-legacy"));
  std::string go_order = Fixture("seinode-pod-legacy");
  std::vector<std::pair<std::string, std::string>> cases;
  // request.kind after the object: the object cannot be decoded where it stands.
  json late_kind = legacy;
  std::string text = testing::InApiServerOrder(late_kind);
  size_t at = text.find("\"kind\":{\"group\"");
  ASSERT_NE(at, std::string::npos);
  size_t end = text.find('}', at) + 1;
  std::string kind = text.substr(at, end - at);
  text.erase(at, end - at + 1);  // and its comma
  text.insert(text.rfind('}') - 1, "," + kind);
  cases.emplace_back("request.kind last", text);
  // A key twice: the DOM reader takes the first.
  std::string twice = go_order;
  twice.insert(twice.find("\"request\":{") + 11, "\"operation\":\"DELETE\",");
  cases.emplace_back("operation twice", twice);
  // An escaped key the DOM reader unescapes alike: still answered (below).
  // Bytes after the document, "nul" for null, no request.kind at all.
  cases.emplace_back("trailing bytes", go_order + " x");
  std::string nul = go_order;
  nul.replace(nul.find("\"oldObject\":null"), 16, "\"oldObject\":nul ");
  cases.emplace_back("nul", nul);
  json no_kind = legacy;
  no_kind["request"].erase("kind");
  cases.emplace_back("no request.kind", testing::InApiServerOrder(no_kind));
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    EXPECT_FALSE(OnDemandAnswers(body));
    AdmissionHandler both, dom;
    dom.UseReader(AdmissionHandler::Reader::kDomOnly);
    auto a = both.Review(body, Endpoint::kValidate, Policy());
    auto b = dom.Review(body, Endpoint::kValidate, Policy());
    ASSERT_EQ(a.ok(), b.ok());
    EXPECT_EQ(a.ok() ? a->body : a.status().message(), b.ok() ? b->body : b.status().message());
  }
  // What both readers refuse, the server refuses in the DOM reader's words.
  AdmissionHandler handler;
  auto r = handler.Review(go_order + " x", Endpoint::kValidate, Policy());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("invalid JSON"), std::string::npos) << r.status().message();
  // "operation" twice: the first (DELETE) is the one that counts.
  auto first = handler.Review(twice, Endpoint::kValidate, Policy());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->decision, Decision::kSkipped);
}

// The legacy fixture is the StatefulSet controller's request: under a policy
// that trusts that user it is allowed with warnings, by both readers alike;
// any other userInfo (absent, null, not a string, twice) trusts no one.
TEST(AdmissionReaders, TrustTheRequestingUserAlike) {
  auto policy = PolicyFromJson(
      json{{"workloadControllers", {"system:serviceaccount:kube-system:statefulset-controller"}}}, "test");
  ASSERT_TRUE(policy.ok());
  std::string go_order = Fixture("seinode-pod-legacy");
  const std::string user = "\"userInfo\":{\"username\":\"system:serviceaccount:kube-system:statefulset-controller\"";
  ASSERT_NE(go_order.find(user), std::string::npos);
  std::vector<std::pair<std::string, bool>> cases = {{go_order, true}};
  auto with_user = [&](const std::string& replacement) {
    std::string body = go_order;
    body.replace(body.find(user), user.size(), replacement);
    return body;
  };
  cases.emplace_back(with_user("\"userInfo\":{\"username\":\"admin\""), false);
  cases.emplace_back(with_user("\"userInfo\":{\"username\":null"), false);
  cases.emplace_back(with_user("\"userInfo\":{\"username\":7"), false);
  cases.emplace_back(with_user("\"userInfo\":{\"username\":\"admin\",\"username\":\"x\""), false);
  json dropped = json::parse(go_order);
  dropped["request"].erase("userInfo");
  cases.emplace_back(dropped.dump(), false);
  AdmissionHandler handler;
  for (const auto& [body, trusted] : cases) {
    SCOPED_TRACE(body.substr(body.find("userInfo") == std::string::npos ? 0 : body.find("userInfo"), 80));
    for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
      // A key twice is the DOM reader's to answer (UnusualBodiesGoToTheDomReader).
      if (body.find("\"username\":\"x\"") == std::string::npos) {
        EXPECT_EQ(testing::ReadersDisagree(body, ep, *policy), "");
      }
      auto r = handler.Review(body, ep, *policy);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->decision == Decision::kDenied, !trusted) << r->body;
    }
    EXPECT_EQ(json::parse(body)["request"].contains("userInfo") && trusted,
              handler.Review(body, Endpoint::kValidate, *policy)->user ==
                  "system:serviceaccount:kube-system:statefulset-controller");
  }
}

TEST(AdmissionReaders, EscapedKeysReadAsTheDomReadsThem) {
  std::string body = Fixture("seinode-pod-legacy");
  // "args" spelled with an escape in every container: the On-Demand reader
  // unescapes it, so the findings on args are still there.
  for (size_t at = body.find("\"args\""); at != std::string::npos; at = body.find("\"args\"", at + 1)) {
    body.replace(at, 6, "\"\\u0061rgs\"");
  }
  bool answered = false;
  EXPECT_EQ(testing::ReadersDisagree(body, Endpoint::kValidate, Policy(), &answered), "");
  EXPECT_TRUE(answered);
  AdmissionHandler handler;
  auto r = handler.Review(body, Endpoint::kValidate, Policy());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->body.find("proxy-ignore-paths"), std::string::npos);
}

// The documented difference: malformed JSON inside a value no rule reads
// (managedFields here) is not looked for by the On-Demand reader. The API
// server never sends it; the review is judged on what the rules read.
TEST(AdmissionReaders, NoJsonCheckWhereNoRuleReads) {
  std::string body = Fixture("seinode-pod-legacy");
  size_t at = body.find("\"managedFields\":[");
  ASSERT_NE(at, std::string::npos);
  body.insert(at + 17, "tru,");  // "managedFields":[tru,...
  AdmissionHandler dom;
  dom.UseReader(AdmissionHandler::Reader::kDomOnly);
  EXPECT_FALSE(dom.Review(body, Endpoint::kValidate, Policy()).ok());
  AdmissionHandler handler;
  auto r = handler.Review(body, Endpoint::kValidate, Policy());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->decision, Decision::kDenied);
}

}  // namespace
}  // namespace seiguard
