// Internal to rules/: the rules written in CEL, for the ValidatingAdmissionPolicy
// backstop (vap.h). Each rule's file holds its twin (RuleDef::cel): each check
// is one thing the engine can find, expressed over the admission variables
// the apiserver binds (object, oldObject, request) and the policy's
// `variables`; vap.cc decides, per the policy's actions, in which binding
// (Deny or Warn) a check lands.
//
// Cost: every expression is bounded by construction. The only comprehensions
// are over a pod's containers, over one container's ports, probes (3 fields x
// 3 handlers) or env, over its command/args elements, and over ownerReferences
// or Service ports; no comprehension nests inside another over a different
// container, so the cost of each expression grows linearly with the size of the
// pod spec, never with its square. A SeiNode pod (3 containers, ~6 ports,
// ~10 args) costs a few hundred units against the apiserver's 1,000,000 per
// expression (k8s.io/apiserver/pkg/apis/cel PerCallLimit); it would take tens
// of thousands of ports or arguments in one object, far past what its 1.5 MiB
// etcd limit holds in practice, to approach it.
#ifndef SEIGUARD_RULES_VAP_CEL_H_
#define SEIGUARD_RULES_VAP_CEL_H_

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "rules/catalog.h"
#include "rules/policy.h"

namespace seiguard::cel {

// A CEL string literal holding exactly `s`.
std::string Str(std::string_view s);
// CEL map: the labels of object `t` ({} when none).
std::string LabelsOf(const std::string& t);
// CEL bool: the label map `labels` holds every bootstrap label of the policy.
std::string BootstrapMatch(const std::string& labels, const Policy& p);
// `s` as an RE2 pattern matching itself literally.
std::string QuoteRegex(std::string_view s);

struct Variable {
  std::string name;
  std::string expression;
};

// How the engine judges what a check finds (rules/judge.h):
//   kViolation    - denied, or warned when the action is warn
//   kConflict     - the same; also denied when the action is mutate
//   kMissing      - an injectable item is absent: denied on a Pod (the
//                   mutation did not happen), warned on a template or a
//                   mirror pod when the action is mutate
//   kUnverifiable - always a warning
enum class Class { kViolation, kConflict, kMissing, kUnverifiable };

struct Check {
  Class cls;
  std::string fails;    // CEL bool: true when the object has the problem
  std::string subject;  // CEL string: the container (or object) at fault
  std::string what;     // CEL string: what is wrong
  std::string fix;      // CEL string: what to do
  // CEL list: what identifies the findings, compared between object and
  // oldObject for ratcheting (an UPDATE whose findings the old object had
  // too is only warned); every list literal in it of one type. Empty:
  // [[string(subject), string(what)]].
  std::string key;
};

// What a rule's twin does in the in-tree MutatingAdmissionPolicy (intree.h)
// where /mutate patches a Pod on CREATE.
struct Mutation {
  enum class By {
    kInject,     // under the rule's action mutate: what its Missing items add
    kRemediate,  // under remediate: true while the rule is on, for sidecars
                 // sidecar.publicListenerImages lists (variables.remediable)
  };
  By by;
  std::string when;   // CEL bool: the object needs it
  std::string patch;  // CEL list of JSONPatch: what to do
  // What of /mutate's work for this it cannot do, in one sentence ("" when
  // none), printed with the in-tree policies.
  std::string limit;
  // CEL bool over the object alone (a matchCondition, which has no
  // variables): true whenever `when` may hold, cheaply. The policy is
  // skipped for a pod where no mutation's `needed` holds, which spares the
  // API server its encode, patch and decode of the whole pod. "" when it
  // cannot be told cheaply: the policy then has no skip condition.
  std::string needed;
};

// What a rule's twin (RuleDef::cel) contributes: its own variables, which may
// use the shared ones below and each other in order, its checks and its
// mutations.
struct Twin {
  std::vector<Variable> variables;
  std::vector<Check> checks;
  std::vector<Mutation> mutations;
};

// A check and the rule it belongs to.
struct RuleCheck : Check {
  RuleId rule;
};

// Shared helpers for twins.
// has(a.b) && has(a.b.c) && ... for root.path[0].path[1]...
std::string HasChain(const std::string& root, std::initializer_list<const char*> path);
// CEL bool: container `c` is the proxy (by name, or by image name), as
// Judge::IsProxy decides.
std::string IsProxy(const std::string& c, const Policy& policy);
// CEL bool: container port `port` is TCP (no protocol, '' or 'TCP').
std::string IsTcp(const std::string& port);
// CEL list of JSONPatch: for every container `c` of the Pod (initContainers,
// then containers) for which `keep` holds, the JSONPatch `op(base, list)`
// gives, where `base` is a CEL string, the JSON pointer of `c`, and `list`
// the field `c` is in (for typed values: Object.spec.<list>.ports{...}).
// `keep` and `op` may read `c`; they must not bind `i` or `c` themselves.
std::string EachContainer(const std::string& keep,
                          const std::function<std::string(const std::string& base, const char* list)>& op);
// CEL bool over the object alone: some container of the Pod (init or
// regular), bound to `c`, satisfies `pred`.
std::string AnyContainer(const std::string& pred);
// The variables `exprs` use, with those they use in turn, in the order of
// `variables` (each uses only earlier ones).
std::vector<Variable> Needed(const std::vector<Variable>& variables, const std::vector<std::string>& exprs);

// The admission-time scope test (a matchCondition: no variables there).
std::string ScopeCondition(const Policy& policy);
// Its Pod branch alone, for what matches only Pod CREATEs (the in-tree
// mutating policy): the same test, without the other kinds' branches and
// the oldObject half the API server would evaluate for nothing.
std::string PodScopeCondition(const Policy& policy);
// The shared variables, then every twin's, in registry order. Shared ones a
// twin may use: kind, podUpdate, tmpl, present, labels, oldTmpl, oldLabels,
// labelChanged, mirror, containers (init containers first), sidecars,
// hasSidecar, sidecar ({} when none), sidecarPorts, nodeLabelApplies (the
// object has a pod template or is a Pod) and expected (the node label the
// controlling StatefulSet gives, '' when none).
std::vector<Variable> Variables(const Policy& policy);
// Every twin's checks, in registry order.
std::vector<RuleCheck> Checks(const Policy& policy);
// CEL bool: when a finding of `rule` is only a warning because a Pod's spec
// cannot change on UPDATE ("false" when never; from rule.on_pod_update).
std::string Downgraded(const RuleInfo& rule);
// Ratcheting (KEP-4008) in CEL: on UPDATE, a check whose findings the old
// object had too is only warned. RatchetVariables gives the copies over
// oldObject ("prior" + Name) of every variable the ratcheted checks use,
// after `ratchetable`; Ratcheted gives the CEL bool for one check (its
// failure on the old object, and its key a subset of the old one's). A Pod
// CREATE by one of the policy's workloadControllers with a controlling owner
// is ratchetable too (rules/engine.cc FromAdmittedTemplate): its priorObject
// is the object itself, so every finding is warned.
std::vector<Variable> RatchetVariables(const Policy& policy, const std::vector<Variable>& variables,
                                       const std::vector<RuleCheck>& ratcheted);
// Whether `expr` reads the identifier oldObject (outside string literals).
bool ReadsOldObject(const std::string& expr);
std::string Ratcheted(const RuleCheck& check);

// CEL bool: when a missing item is only a warning under action mutate (nothing
// patches a template or a mirror pod).
std::string Unpatchable();

}  // namespace seiguard::cel

#endif  // SEIGUARD_RULES_VAP_CEL_H_
