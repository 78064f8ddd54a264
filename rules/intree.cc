#include "rules/intree.h"

#include <algorithm>
#include <string>
#include <utility>

#include "rules/image_list.h"
#include "rules/model.h"
#include "rules/scope_match.h"
#include "rules/vap_cel.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;
using cel::Str, cel::Variable;

// The tag read as a version, as rules/image_list.cc ParseVersion reads it.
constexpr const char* kVersionTag = "^[vV]?[0-9]{1,9}(\\.[0-9]{1,9}){0,2}(-[^+]+)?(\\+.*)?$";

// What the remediation guard reads of the sidecar's image, as rules/model.cc
// ImageName and ImageTag split it; Needed() keeps only those in use.
std::vector<Variable> ImageVariables() {
  return {
      {"sidecarImage",
       "size(variables.sidecars) > 0 && has(variables.sidecars[0].image) ? variables.sidecars[0].image : ''"},
      {"undigested", "variables.sidecarImage.split('@')[0]"},
      {"tagged", "variables.undigested.lastIndexOf(':') > variables.undigested.lastIndexOf('/')"},
      {"imageName",
       "variables.tagged ? variables.undigested.substring(0, variables.undigested.lastIndexOf(':')) "
       ": variables.undigested"},
      {"imageTag",
       "variables.tagged ? variables.undigested.substring(variables.undigested.lastIndexOf(':') + 1) : ''"},
      {"tagCore",
       "variables.imageTag.split('+')[0].startsWith('v') || variables.imageTag.split('+')[0].startsWith('V')\n"
       "  ? variables.imageTag.split('+')[0].substring(1) : variables.imageTag.split('+')[0]"},
      {"tagPre",
       "variables.tagCore.indexOf('-') >= 0 ? variables.tagCore.substring(variables.tagCore.indexOf('-') + 1) : ''"},
      {"tagNumbers",
       "!variables.imageTag.matches(" + Str(kVersionTag) + ") ? [] :\n"
       "  (variables.tagCore.indexOf('-') >= 0 ? variables.tagCore.substring(0, variables.tagCore.indexOf('-'))\n"
       "    : variables.tagCore).split('.').map(n, int(n))"},
  };
}

// CEL bool: the tag's version is at least `want` (image_list.cc AtLeast).
std::string AtLeast(const ImageVersion& want) {
  const std::string pre = want.pre.empty() ? "variables.tagPre == ''"
                                           : "(variables.tagPre == '' || variables.tagPre >= " + Str(want.pre) + ")";
  std::string out = pre;
  for (int part = 2; part >= 0; --part) {
    const std::string n = "(size(variables.tagNumbers) > " + std::to_string(part) + " ? variables.tagNumbers[" +
                          std::to_string(part) + "] : 0)";
    const std::string w = std::to_string(want.number[part]);
    out = n + " > " + w + " || (" + n + " == " + w + " && (" + out + "))";
  }
  return "(size(variables.tagNumbers) > 0 && (" + out + "))";
}

// CEL bool: Policy::ServesPublicListener of the sidecar's image ('' when
// there is no sidecar, as the engine asks).
std::string ServesPublicListener(const Policy& policy) {
  std::string out;
  for (const std::string& entry : policy.public_listener_images) {
    std::string one;
    if (entry == "*") {
      return "true";
    } else if (std::optional<ImageVersion> want = AtLeastEntry(entry)) {
      one = AtLeast(*want);
    } else if (ImageName(entry) == entry) {  // a name: any tag or digest of it
      one = "variables.sidecarImage == " + Str(entry) + " || variables.imageName == " + Str(entry);
    } else {
      one = "variables.sidecarImage == " + Str(entry);
    }
    out += (out.empty() ? "(" : "\n  || (") + one + ")";
  }
  return out.empty() ? "false" : out;
}

bool Included(const cel::Mutation& m, const RuleInfo& rule, const Policy& policy) {
  Action action = policy.action(rule.id);
  if (m.by == cel::Mutation::By::kInject) return action == Action::kMutate;
  return policy.remediate && action != Action::kOff;
}

ordered InTreeLabels() {
  return {{"app.kubernetes.io/name", "seiguard"},
          {"app.kubernetes.io/part-of", "seiguard"},
          {"app.kubernetes.io/component", "in-tree"}};
}

}  // namespace

InTree InTreePolicies(const Policy& policy, const InTreeOptions& options) {
  InTree out;
  std::string patch;
  bool remediates = false;
  std::vector<std::string> used;
  std::string needed;  // the skip condition; "" once a mutation cannot tell
  bool skippable = true;
  for (const RuleInfo& rule : Rules()) {
    if (rule.cel == nullptr) continue;
    cel::Twin twin;
    rule.cel(policy, twin);
    for (const cel::Mutation& m : twin.mutations) {
      if (!Included(m, rule, policy)) continue;
      const bool remediate = m.by == cel::Mutation::By::kRemediate;
      remediates = remediates || remediate;
      // Mirror pods are never patched (variables.remediable says so too).
      const std::string when = (remediate ? "variables.remediable" : "!variables.mirror") + std::string(" && ") +
                               "(" + m.when + ")";
      patch += (patch.empty() ? "" : "\n+ ") + ("(" + when + "\n? (" + m.patch + ")\n: [])");
      used.push_back(when);
      used.push_back(m.patch);
      skippable = skippable && !m.needed.empty();
      needed += (needed.empty() ? "" : "\n|| ") + ("(" + m.needed + ")");
      if (!m.limit.empty() && std::find(out.limits.begin(), out.limits.end(), m.limit) == out.limits.end()) {
        out.limits.push_back(m.limit);
      }
    }
  }
  if (remediates) {
    out.limits.insert(out.limits.begin(),
                      "remediation is silent: /mutate warns about each probe it moved and each "
                      "--ignore-paths it removed, a MutatingAdmissionPolicy cannot warn (the stored pod shows "
                      "the rewrite)");
  }

  if (!patch.empty() && policy.Judges(Kind::kPod)) {
    std::vector<Variable> all = cel::Variables(policy);
    std::vector<Variable> image = ImageVariables();
    all.insert(all.end(), image.begin(), image.end());
    all.push_back({"remediable", "!variables.mirror && (" + ServesPublicListener(policy) + ")"});
    ordered variables = ordered::array();
    for (const Variable& v : cel::Needed(all, used)) {
      variables.push_back({{"name", v.name}, {"expression", v.expression}});
    }
    const std::vector<std::string> excluded =
        ExcludedNamespaces(policy, options.backstop.excluded_namespaces);
    ordered constraints = {{"matchPolicy", "Equivalent"}};
    if (!excluded.empty()) constraints["namespaceSelector"] = NamespaceSelector(excluded);
    constraints["resourceRules"] = ResourceRules(policy, {"CREATE"}, {Kind::kPod});
    ordered metadata = {{"name", options.name}, {"labels", InTreeLabels()}};
    // The scope condition's Pod branch: the policy matches Pod CREATEs only.
    ordered conditions = ordered::array({{{"name", "seinode-object"}, {"expression", cel::PodScopeCondition(policy)}}});
    // Pods that carry everything already (the steady state) skip the policy:
    // even a patch of nothing costs the API server an encode and a strict
    // decode of the whole pod. A wrong skip would leave an item missing, which
    // the deny policy refuses: never a hole.
    if (skippable) conditions.push_back({{"name", "seinode-needs-mutation"}, {"expression", needed}});
    out.docs.push_back(
        {{"apiVersion", "admissionregistration.k8s.io/v1"},
         {"kind", "MutatingAdmissionPolicy"},
         {"metadata", metadata},
         {"spec",
          {// An expression that cannot be evaluated skips the mutation; the
           // deny policy then refuses a pod that needed it (as the mutating
           // webhook fails open in front of /validate).
           {"failurePolicy", "Ignore"},
           // Run again when a later mutation (another policy or webhook) adds
           // the sidecar or changes what was injected; idempotent, so a rerun
           // on a pod that has everything adds nothing.
           {"reinvocationPolicy", "IfNeeded"},
           {"matchConstraints", std::move(constraints)},
           {"matchConditions", std::move(conditions)},
           {"variables", std::move(variables)},
           {"mutations",
            ordered::array({{{"patchType", "JSONPatch"}, {"jsonPatch", {{"expression", patch}}}}})}}}});
    out.docs.push_back({{"apiVersion", "admissionregistration.k8s.io/v1"},
                        {"kind", "MutatingAdmissionPolicyBinding"},
                        {"metadata", metadata},
                        {"spec", {{"policyName", options.name}}}});
  }
  for (ordered& doc : BackstopPolicies(policy, options.backstop)) out.docs.push_back(std::move(doc));
  return out;
}

}  // namespace seiguard
