// Internal to rules/: the context each rule runs in, and the one place that
// turns "what a rule found" into a finding's severity or a patch, according to
// the policy's action, the kind of object and the mode. Rules only describe
// what they see; they never decide deny vs warn themselves, and never name
// themselves: the engine tells the judge which rule is running.
#ifndef SEIGUARD_RULES_JUDGE_H_
#define SEIGUARD_RULES_JUDGE_H_

#include <string>
#include <string_view>
#include <vector>

#include "rules/engine.h"

namespace seiguard {

class Judge {
 public:
  Judge(const Policy& policy, const Object& object, const Object* old_object, Operation op,
        Mode mode, Evaluation* out, const NetworkContext* network = nullptr);

  const Policy& policy() const { return policy_; }
  const Object& object() const { return object_; }
  const PodView& pod() const { return object_.pod; }
  const Object* old_object() const { return old_; }
  Operation operation() const { return op_; }
  const NetworkContext* network() const { return network_; }

  // The proxy containers (by name or image) and the sidecar that serves the
  // public listener (null when there is none, and on a bootstrap pod).
  bool IsProxy(const Container& c) const;
  const Container* Sidecar() const;
  // A bootstrap pod (or its template), or a bootstrap Service (policy
  // scope.bootstrapLabels).
  bool IsBootstrap() const;

  // The value node-label requires: the controlling StatefulSet's name for a
  // Pod, the StatefulSet's own name for its template; "" when none.
  std::string_view ExpectedNodeLabel() const;

  // Remediation is asked for and the sidecar serves the public listener.
  bool CanRemediate() const { return remediate_; }
  // Remediation is asked for, but the sidecar does not serve the public
  // listener: what to append to the fix, saying which sidecar to roll out
  // first ("" otherwise).
  std::string SidecarFirst() const;
  // The engine will turn this object's denials into warnings: a denial does
  // not make the patch moot.
  void KeepPatchesOnDeny() { moot_on_deny_ = false; }

  // The rule whose check runs now (set by the engine before each check).
  void Run(const RuleInfo& rule) { rule_ = &rule; }

  // A security violation: denied or warned per the rule's action.
  void Violation(Path path, std::string_view container, std::string what,
                 std::string fix);
  // A conflict that no patch can resolve: denied unless the action is warn.
  void Conflict(Path path, std::string_view container, std::string what,
                std::string fix);
  // Something injectable is missing. Patched with `ops` when the action is
  // mutate and this object may be patched; otherwise denied or warned as
  // DESIGN.md describes (Pod: the mutation did not happen; template: the pod
  // will get it when admitted).
  // `make_op` returns the PatchOp to apply; it is only called when the
  // object will really be patched (JSON values are not free).
  template <typename MakeOp>
  void Missing(Path path, std::string_view container, std::string what,
               std::string fix, MakeOp&& make_op) {
    if (CanPatch()) {
      if (!PatchIsMoot()) out_->patch.push_back(make_op());
      return;
    }
    Unpatched(std::move(path), container, std::move(what), std::move(fix));
  }
  // Something seiguard cannot verify: always a warning.
  void Unverifiable(Path path, std::string_view container, std::string what,
                    std::string fix);
  // A violation that remediation fixed with `op`: a warning saying so, and,
  // when that rests only on a "*" entry of sidecar.publicListenerImages (a
  // sidecar without the listener never passes the moved probes), saying that
  // too, with the whole sentence once per object in Evaluation::assumptions.
  void Remediated(Path path, std::string_view container, std::string what, PatchOp op);

  // Patch helpers that never add under a missing parent.
  PatchOp AddLabel(const std::string& key, const std::string& value) const;
  PatchOp AddToList(const Container& c, const char* field, bool list_exists,
                    nlohmann::json item) const;

 private:
  // A missing item that will not be patched: deny or warn per DESIGN.md.
  void Unpatched(Path path, std::string_view container, std::string what,
                 std::string fix);
  void Add(Severity severity, Path path, std::string_view container, std::string what,
           std::string fix);
  bool CanPatch() const;
  std::string Assumption() const;
  // True once the answer is sure to be a denial, so a patch would be thrown
  // away (/mutate only; a Pod UPDATE's denials may still become warnings).
  bool PatchIsMoot() const { return moot_on_deny_ && denied_; }

  const Policy& policy_;
  const RuleInfo* rule_ = nullptr;
  const Object& object_;
  const Object* old_;
  Operation op_;
  const NetworkContext* network_;
  Evaluation* out_;
  bool patch_labels_ = false;
  bool patch_spec_ = false;
  bool wants_remediation_ = false;
  bool remediate_ = false;
  bool assumes_listener_ = false;  // remediate_ rests on a "*" entry alone
  bool moot_on_deny_ = false;
  bool denied_ = false;
};

}  // namespace seiguard

#endif  // SEIGUARD_RULES_JUDGE_H_
