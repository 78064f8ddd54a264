// The engine: an object (and, on UPDATE, the old one) plus a policy in,
// findings and JSON Patch operations out. Pure: no I/O, no clocks, no state.
#ifndef SEIGUARD_RULES_ENGINE_H_
#define SEIGUARD_RULES_ENGINE_H_

#include <string_view>
#include <vector>

#include "rules/finding.h"
#include "rules/json_patch.h"
#include "rules/model.h"
#include "rules/policy.h"

namespace seiguard {

enum class Operation { kCreate, kUpdate, kDelete, kConnect };

// Where the object is judged, which decides what "missing" means:
//   kValidate - the final object (/validate, `seiguard check`): on a Pod a
//               missing injected item means the mutation did not happen.
//   kMutate   - /mutate: Pods are patched (labels only on UPDATE; never
//               mirror pods); templates are judged, not patched.
//   kFix      - `seiguard check --fix`: Pods and templates are patched, with
//               remediation on.
enum class Mode { kValidate, kMutate, kFix };

struct Request {
  Operation operation = Operation::kCreate;
  const Object* object = nullptr;      // required for CREATE and UPDATE
  const Object* old_object = nullptr;  // UPDATE only; may be null
  std::string_view namespace_;         // the request's namespace
  // `check` only: the input's NetworkPolicies and Namespaces, so that the
  // reach rules can say who reaches a pod (null: judge objects alone).
  const NetworkContext* network = nullptr;
  std::string_view user;  // request.userInfo.username ("" in `check`)
};

struct Evaluation {
  bool in_scope = false;
  std::vector<Finding> findings;  // in rule order, then object order
  std::vector<PatchOp> patch;     // empty unless mode is kMutate or kFix, and
                                  // in kMutate empty when Denied()
  // What the patch rests on that the object does not show (remediation of a
  // sidecar only a "*" publicListenerImages entry takes to serve the public
  // port), one sentence each; the warnings in `findings` say it briefly.
  std::vector<std::string> assumptions;

  bool Denied() const;
};

// True when `object` is a SeiNode object under `policy` (see DESIGN.md, Scope).
bool InScope(const Object& object, const Policy& policy);

Evaluation Evaluate(const Request& request, const Policy& policy, Mode mode);

}  // namespace seiguard

#endif  // SEIGUARD_RULES_ENGINE_H_
