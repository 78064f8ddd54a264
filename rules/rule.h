// What a rule file includes. A rule is one file, rules/<id>.cc, listed by one
// line in rules/registry.inc. The file holds, in this order:
//   - its check: void Check(Judge&), reporting through the judge (judge.h),
//     which applies the policy's action, the object's kind and the mode;
//   - its CEL twin: void Cel(const Policy&, cel::Twin&), the same checks as
//     CEL expressions for the ValidatingAdmissionPolicy backstop (vap_cel.h);
//     or, when it is long, the twin in rules/<id>_cel.cc as the function
//     registry::<id>_cel, declared below (the build picks that file up);
//   - its definition, `const RuleDef registry::<id> = {...}`: name, default
//     action, what it patches, what a Pod UPDATE does to its findings,
//     summary, description, fix, and the two functions above.
// Nothing else names the rule: the registry line puts it in the catalog.
#ifndef SEIGUARD_RULES_RULE_H_
#define SEIGUARD_RULES_RULE_H_

#include "rules/catalog.h"
#include "rules/judge.h"
#include "rules/vap_cel.h"

namespace seiguard::registry {

#define SEIGUARD_RULE(id) \
  extern const RuleDef id;  \
  void id##_cel(const Policy& policy, cel::Twin& twin);
#include "rules/registry.inc"
#undef SEIGUARD_RULE

}  // namespace seiguard::registry

#endif  // SEIGUARD_RULES_RULE_H_
