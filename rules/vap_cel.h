// Internal to rules/: the rules written in CEL, for the ValidatingAdmissionPolicy
// backstop (vap.h). Each check is one thing the engine can find, expressed
// over the admission variables the apiserver binds (object, oldObject,
// request) and the policy's own `variables`; vap.cc decides, per the policy's
// actions, in which binding (Deny or Warn) a check lands.
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

#include <string>
#include <string_view>
#include <vector>

#include "rules/catalog.h"
#include "rules/policy.h"

namespace seiguard::cel {

// A CEL string literal holding exactly `s`.
std::string Str(std::string_view s);
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
  RuleId rule;
  Class cls;
  std::string fails;    // CEL bool: true when the object has the problem
  std::string subject;  // CEL string: the container (or object) at fault
  std::string what;     // CEL string: what is wrong
  std::string fix;      // CEL string: what to do
};

// The admission-time scope test (a matchCondition: no variables there).
std::string ScopeCondition(const Policy& policy);
// The policy's variables, in the order they may refer to each other.
std::vector<Variable> Variables(const Policy& policy);
// Every check, in catalog order.
std::vector<Check> Checks(const Policy& policy);
// CEL bool: when a finding of `rule` is only a warning because a Pod's spec
// cannot change on UPDATE ("false" when never).
std::string Downgraded(RuleId rule);
// CEL bool: when a missing item is only a warning under action mutate (nothing
// patches a template or a mirror pod).
std::string Unpatchable();

}  // namespace seiguard::cel

#endif  // SEIGUARD_RULES_VAP_CEL_H_
