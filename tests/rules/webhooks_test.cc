#include "rules/webhooks.h"

#include <gtest/gtest.h>

#include <string>

#include "rules/vap.h"
#include "rules/vap_cel.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

const ordered& Hook(const std::vector<ordered>& docs, size_t i) { return docs.at(i)["webhooks"][0]; }

TEST(WebhookConfigurations, ScopeIsTheCondition) {
  std::vector<ordered> docs = WebhookConfigurations(Policy());
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["kind"], "ValidatingWebhookConfiguration");
  EXPECT_EQ(docs[1]["kind"], "MutatingWebhookConfiguration");
  for (const ordered& doc : docs) {
    EXPECT_EQ(doc["apiVersion"], "admissionregistration.k8s.io/v1");
    EXPECT_EQ(doc["metadata"]["name"], "seiguard");
    ASSERT_EQ(doc["webhooks"].size(), 1u);
    const ordered& hook = doc["webhooks"][0];
    EXPECT_EQ(hook["sideEffects"], "None");
    EXPECT_EQ(hook["matchPolicy"], "Equivalent");
    EXPECT_EQ(hook["timeoutSeconds"], 5);
    EXPECT_EQ(hook["clientConfig"]["service"]["name"], "seiguard");
    EXPECT_EQ(hook["clientConfig"]["service"]["namespace"], "seiguard-system");
    EXPECT_EQ(hook["namespaceSelector"]["matchExpressions"][0]["values"], ordered({"kube-system", "seiguard-system"}));
    ASSERT_EQ(hook["matchConditions"].size(), 1u);
    EXPECT_EQ(hook["matchConditions"][0]["name"], "seinode-object");
    EXPECT_EQ(hook["matchConditions"][0]["expression"], cel::ScopeCondition(Policy()));
  }
  const ordered& validate = Hook(docs, 0);
  EXPECT_EQ(validate["name"], "validate.seiguard.sei.io");
  EXPECT_EQ(validate["failurePolicy"], "Fail");
  EXPECT_EQ(validate["clientConfig"]["service"]["path"], "/validate");
  EXPECT_FALSE(validate.contains("reinvocationPolicy"));
  ASSERT_EQ(validate["rules"].size(), 4u);  // core, apps, batch, networking
  const ordered& mutate = Hook(docs, 1);
  EXPECT_EQ(mutate["name"], "mutate.seiguard.sei.io");
  EXPECT_EQ(mutate["failurePolicy"], "Ignore");
  EXPECT_EQ(mutate["reinvocationPolicy"], "IfNeeded");
  EXPECT_EQ(mutate["clientConfig"]["service"]["path"], "/mutate");
  ASSERT_EQ(mutate["rules"].size(), 1u);
  EXPECT_EQ(mutate["rules"][0]["resources"], ordered({"pods"}));
  EXPECT_EQ(mutate["rules"][0]["operations"], ordered({"CREATE"}));
}

// One definition of scope: the webhooks and the backstop carry the same
// condition, namespaces and resources, whatever the policy says.
TEST(WebhookConfigurations, ShareTheBackstopScope) {
  Policy p;
  p.node_label = "example.com/seinode";
  p.sidecar_name = "node-sidecar";
  p.owner_kind = "ChainNode";
  p.kinds = {Kind::kPod, Kind::kStatefulSet, Kind::kNetworkPolicy};
  p.exempt_namespaces = {"sei-lab"};
  std::vector<ordered> docs = WebhookConfigurations(p);
  std::vector<ordered> backstop = BackstopPolicies(p);
  ASSERT_FALSE(backstop.empty());
  const ordered& vap = backstop[0]["spec"];
  const ordered& validate = Hook(docs, 0);
  EXPECT_EQ(validate["matchConditions"], vap["matchConditions"]);
  EXPECT_EQ(validate["namespaceSelector"], vap["matchConstraints"]["namespaceSelector"]);
  EXPECT_EQ(validate["rules"], vap["matchConstraints"]["resourceRules"]);
  EXPECT_EQ(validate["namespaceSelector"]["matchExpressions"][0]["values"],
            ordered({"kube-system", "seiguard-system", "sei-lab"}));
  ASSERT_EQ(validate["rules"].size(), 3u);
  EXPECT_EQ(validate["rules"][0]["resources"], ordered({"pods"}));
  EXPECT_EQ(validate["rules"][1]["resources"], ordered({"statefulsets"}));
  EXPECT_EQ(validate["rules"][2]["resources"], ordered({"networkpolicies"}));
  EXPECT_EQ(Hook(docs, 1)["matchConditions"], vap["matchConditions"]);
  const std::string condition = validate["matchConditions"][0]["expression"].get<std::string>();
  for (const char* want : {"'example.com/seinode'", "'node-sidecar'", "'ChainNode'"}) {
    EXPECT_NE(condition.find(want), std::string::npos) << want;
  }
  for (const char* gone : {"sei.io/node", "'sei-sidecar'", "'SeiNode'"}) {
    EXPECT_EQ(condition.find(gone), std::string::npos) << gone;
  }
}

TEST(WebhookConfigurations, NoPodsJudgedNoMutatingWebhook) {
  Policy p;
  p.kinds = {Kind::kService, Kind::kNetworkPolicy};
  std::vector<ordered> docs = WebhookConfigurations(p);
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1]["kind"], "MutatingWebhookConfiguration");
  EXPECT_EQ(docs[1]["webhooks"], ordered::array());
  ASSERT_EQ(Hook(docs, 0)["rules"].size(), 2u);
  EXPECT_EQ(Hook(docs, 0)["rules"][0]["resources"], ordered({"services"}));
}

TEST(WebhookConfigurations, OptionsNameTheService) {
  WebhookOptions o;
  o.name = "guard";
  o.service_name = "guard-svc";
  o.service_namespace = "guard-ns";
  o.timeout_seconds = 3;
  std::vector<ordered> docs = WebhookConfigurations(Policy(), o);
  EXPECT_EQ(docs[0]["metadata"]["name"], "guard");
  EXPECT_EQ(Hook(docs, 0)["clientConfig"]["service"]["name"], "guard-svc");
  EXPECT_EQ(Hook(docs, 1)["clientConfig"]["service"]["namespace"], "guard-ns");
  EXPECT_EQ(Hook(docs, 0)["timeoutSeconds"], 3);
  // seiguard's own namespace is left out wherever it is installed.
  for (size_t i : {0, 1}) {
    EXPECT_EQ(Hook(docs, i)["namespaceSelector"]["matchExpressions"][0]["values"],
              ordered({"kube-system", "seiguard-system", "guard-ns"}));
  }
  o.excluded_namespaces = {"guard-ns"};
  docs = WebhookConfigurations(Policy(), o);
  EXPECT_EQ(Hook(docs, 0)["namespaceSelector"]["matchExpressions"][0]["values"], ordered({"guard-ns"}));
}

}  // namespace
}  // namespace seiguard
