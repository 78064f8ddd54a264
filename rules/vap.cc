#include "rules/vap.h"

#include <iterator>
#include <utility>

#include "rules/vap_cel.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

// Tiny CEL boolean algebra over "true"/"false" constants, so that guards read
// plainly in the generated policy.
std::string Not(const std::string& x) {
  if (x == "true") return "false";
  if (x == "false") return "true";
  return "!(" + x + ")";
}

std::string Or(const std::string& a, const std::string& b) {
  if (a == "true" || b == "true") return "true";
  if (a == "false") return b;
  if (b == "false") return a;
  return "(" + a + ") || (" + b + ")";
}

// When a check does not apply in the Deny and in the Warn binding, as CEL
// bools over the policy's variables ("true": the check is left out of that
// binding), following rules/judge.h on the validating side: a finding is
// denied where the webhook denies it and warned where it warns.
struct Exemptions {
  std::string deny;
  std::string warn;
};

bool CanDeny(const cel::RuleCheck& check, Action action) {
  return action != Action::kOff && action != Action::kWarn && check.cls != cel::Class::kUnverifiable;
}

// A check the Deny binding holds, ratcheted on UPDATE (rules/engine.cc Ratchet).
bool Ratchets(const cel::RuleCheck& check, const Policy& policy) {
  // A check that reads oldObject (node-label-immutable) judges the update
  // itself: the old object alone never has its finding, as in the webhook,
  // so it is left out rather than compiled into a test that is always false.
  return CanDeny(check, policy.action(check.rule)) && policy.Ratchets(check.rule) &&
         !cel::ReadsOldObject(check.fails);
}

Exemptions ExemptionsFor(const cel::RuleCheck& check, const Policy& policy) {
  Action action = policy.action(check.rule);
  if (action == Action::kOff) return {"true", "true"};
  if (!CanDeny(check, action)) return {"true", "false"};
  // Denied, except where the finding is downgraded to a warning: on a Pod
  // UPDATE, (missing items under mutate) on what nothing patches, and on an
  // UPDATE of an object that had the finding already (ratcheting).
  std::string warned = cel::Downgraded(Rule(check.rule));
  if (check.cls == cel::Class::kMissing && action == Action::kMutate) {
    warned = Or(cel::Unpatchable(), warned);
  }
  if (Ratchets(check, policy)) warned = Or(warned, cel::Ratcheted(check));
  return {warned, Not(warned)};
}

// The message of a check that fails: "[rule] subject: what; fix".
std::string MessageOf(const cel::RuleCheck& check, bool deny, Action action) {
  const RuleInfo& rule = Rule(check.rule);
  std::string message = "'[" + std::string(rule.name) + "] ' + ";
  if (check.subject != "''") message += "(" + check.subject + ") + ': ' + ";
  message += "(" + check.what + ")";
  if (deny && check.cls == cel::Class::kMissing && action == Action::kMutate) {
    message += " + ' (the mutating webhook did not add it)'";
  }
  message += " + '; ' + (" + check.fix + ")";
  return message;
}

// When the check fails in a binding, as a CEL bool.
std::string FailsIn(const cel::RuleCheck& check, const std::string& exempt) {
  std::string fails = "(" + check.fails + ")";
  return exempt == "false" ? fails : "!(" + exempt + ")\n&& " + fails;
}

// `message`: the check's own, or (deny) one that names every check that
// denies: the API server's answer quotes the first failing validation only,
// and /mutate and /validate name every finding.
ordered Validation(const cel::RuleCheck& check, const std::string& exempt, const std::string& message) {
  const RuleInfo& rule = Rule(check.rule);
  std::string expression = "!(" + check.fails + ")";
  if (exempt != "false") expression = exempt + "\n|| " + expression;
  return {{"expression", expression},
          {"messageExpression", message},
          // Shown only if messageExpression cannot be evaluated; the catalog's
          // summary would quote default values the policy may have changed.
          {"message", "[" + std::string(rule.name) + "] refused by the seiguard backstop; "
                      "`seiguard check` on the object says why"},
          {"reason", "Forbidden"}};
}

ordered BackstopLabels() {
  return {{"app.kubernetes.io/name", "seiguard"},
          {"app.kubernetes.io/part-of", "seiguard"},
          {"app.kubernetes.io/component", "backstop"}};
}

}  // namespace

std::vector<std::string_view> RulesWithoutTwin() {
  std::vector<std::string_view> out;
  for (const RuleInfo& rule : Rules()) {
    if (rule.cel == nullptr) out.push_back(rule.name);
  }
  return out;
}

std::vector<ordered> BackstopPolicies(const Policy& policy, const BackstopOptions& options) {
  const std::vector<std::string> excluded = ExcludedNamespaces(policy, options.excluded_namespaces);
  const std::vector<cel::RuleCheck> checks = cel::Checks(policy);
  std::vector<cel::RuleCheck> ratcheted;
  for (const cel::RuleCheck& check : checks) {
    if (Ratchets(check, policy)) ratcheted.push_back(check);
  }
  std::vector<cel::Variable> all = cel::Variables(policy);
  std::vector<cel::Variable> prior = cel::RatchetVariables(policy, all, ratcheted);
  all.insert(all.end(), std::make_move_iterator(prior.begin()), std::make_move_iterator(prior.end()));
  ordered variables = ordered::array();
  for (const cel::Variable& v : all) {
    variables.push_back({{"name", v.name}, {"expression", v.expression}});
  }
  ordered deny = ordered::array(), warn = ordered::array();
  // Every denying check's message, in order, when it fails: variables.denial
  // joins them (unrolled: no strings extension needed).
  std::string denials;
  size_t denying = 0;
  for (const cel::RuleCheck& check : checks) {
    Action action = policy.action(check.rule);
    Exemptions e = ExemptionsFor(check, policy);
    if (e.deny != "true") {
      deny.push_back(Validation(check, e.deny, "variables.denial"));
      denials += (denials.empty() ? "" : "\n+ ") + ("(" + FailsIn(check, e.deny) + "\n  ? [" +
                                                    MessageOf(check, true, action) + "] : [])");
      ++denying;
    }
    if (e.warn != "true") warn.push_back(Validation(check, e.warn, MessageOf(check, false, action)));
  }
  ordered deny_variables = variables;
  if (denying > 0) {
    std::string denial = "size(variables.denials) == 0 ? '' : variables.denials[0]";
    for (size_t i = 1; i < denying; ++i) {
      denial += "\n  + (size(variables.denials) > " + std::to_string(i) + " ? ' | ' + variables.denials[" +
                std::to_string(i) + "] : '')";
    }
    deny_variables.push_back({{"name", "denials"}, {"expression", denials}});
    deny_variables.push_back({{"name", "denial"}, {"expression", denial}});
  }

  std::vector<ordered> out;
  auto add = [&](const char* suffix, ordered validations, const ordered& variables, const char* failure,
                 ordered actions) {
    if (validations.empty()) return;
    const std::string name = options.name + "-" + suffix;
    ordered constraints = {{"matchPolicy", "Equivalent"}};
    if (!excluded.empty()) constraints["namespaceSelector"] = NamespaceSelector(excluded);
    constraints["resourceRules"] = ResourceRules(policy, {"CREATE", "UPDATE"});
    out.push_back({{"apiVersion", "admissionregistration.k8s.io/v1"},
                   {"kind", "ValidatingAdmissionPolicy"},
                   {"metadata", {{"name", name}, {"labels", BackstopLabels()}}},
                   {"spec",
                    {{"failurePolicy", failure},
                     {"matchConstraints", std::move(constraints)},
                     {"matchConditions", ordered::array({ScopeMatchCondition(policy)})},
                     {"variables", variables},
                     {"validations", std::move(validations)}}}});
    out.push_back({{"apiVersion", "admissionregistration.k8s.io/v1"},
                   {"kind", "ValidatingAdmissionPolicyBinding"},
                   {"metadata", {{"name", name}, {"labels", BackstopLabels()}}},
                   {"spec", {{"policyName", name}, {"validationActions", std::move(actions)}}}});
  };
  // Deny fails closed: an expression that cannot be evaluated refuses the
  // request. Warnings never refuse anything, not even on an error.
  add("deny", std::move(deny), deny_variables, "Fail", {"Deny"});
  add("warn", std::move(warn), variables, "Ignore", {"Warn", "Audit"});
  return out;
}

}  // namespace seiguard
