#include "rules/engine.h"

#include <string>
#include <utility>

#include "rules/judge.h"

namespace seiguard {
namespace {

bool PodInScope(const PodView& pod, const Policy& policy) {
  if (pod.meta.Label(policy.node_label) != nullptr) return true;
  return pod.FindContainer(policy.sidecar_name) != nullptr;
}

// Ratcheting (after Kubernetes' validation ratcheting, KEP-4008): on UPDATE,
// a denying finding of a ratcheting rule that the old object already had,
// judged the same way (same rule, container and wording; not the path, which
// moves when containers are added or reordered), is only warned. What the
// update introduces is still refused. Findings about the update itself
// (node-label-immutable) never appear on the old object alone.
void Ratchet(const Request& request, const Object& old, const Policy& policy, Mode mode,
             Evaluation* out) {
  bool any = false;
  for (const Finding& f : out->findings) any = any || (f.severity == Severity::kDeny && policy.Ratchets(f.rule));
  if (!any) return;
  Request before = request;
  before.object = &old;
  before.old_object = nullptr;
  Evaluation had = Evaluate(before, policy, mode);
  for (Finding& f : out->findings) {
    if (f.severity != Severity::kDeny || !policy.Ratchets(f.rule)) continue;
    for (const Finding& h : had.findings) {
      if (h.rule == f.rule && h.container == f.container && h.what == f.what) {
        f.severity = Severity::kWarn;
        // First, so that a shortened warning (rules/finding.cc) keeps it.
        f.what.insert(0, "already so before this update: ");
        break;
      }
    }
  }
}

// A Pod a workload controller creates for its owner (a StatefulSet replacing
// a pod, a Job starting one) is made from a template that admission already
// judged, where what it had before was ratcheted: refusing the Pod would only
// stop the fleet from replacing its pods. Its denying findings of ratcheting
// rules are warned instead. Trusted by the request's user alone (policy
// workloadControllers), never by an ownerReference, which anyone may write.
// Returns the controlling owner of such a Pod, else null.
const OwnerReference* FromAdmittedTemplate(const Request& request, const Object& object, const Policy& policy) {
  if (request.operation != Operation::kCreate || !object.IsPod()) return nullptr;
  return policy.IsWorkloadController(request.user) ? object.meta.Controller() : nullptr;
}

void TrustTemplate(const OwnerReference& owner, const Policy& policy, Evaluation* out) {
  for (Finding& f : out->findings) {
    if (f.severity != Severity::kDeny || !policy.Ratchets(f.rule)) continue;
    f.severity = Severity::kWarn;
    f.what.insert(0, "made from its " + std::string(owner.kind) + "'s admitted template: ");
  }
}

}  // namespace

bool InScope(const Object& object, const Policy& policy) {
  if (!policy.Judges(object.kind)) return false;
  if (object.IsPod()) return PodInScope(object.pod, policy);
  if (object.IsTemplate()) {
    return PodInScope(object.pod, policy) || object.meta.OwnedByKind(policy.owner_kind);
  }
  if (object.IsService()) {
    return object.meta.Label(policy.node_label) != nullptr ||
           object.meta.OwnedByKind(policy.owner_kind);
  }
  if (object.IsNetworkPolicy()) {
    // A policy that can select SeiNode pods for ingress: its podSelector
    // tests the node label, or is empty (every pod of its namespace, which
    // may hold SeiNodes: admission cannot know, so it is judged). Only one
    // with an ingress rule can let anyone reach a port (the reach rules judge
    // nothing else): a default-deny policy, in any namespace, is not judged,
    // so the webhooks' scope never holds it up (rules/webhooks.h).
    const NetworkPolicy& np = object.network_policy;
    return np.ingress_type && !np.ingress.empty() &&
           (np.pod_selector.Empty() || np.pod_selector.Mentions(policy.node_label));
  }
  return false;
}

bool Evaluation::Denied() const {
  for (const Finding& f : findings) {
    if (f.severity == Severity::kDeny) return true;
  }
  return false;
}

Judge::Judge(const Policy& policy, const Object& object, const Object* old_object, Operation op,
             Mode mode, Evaluation* out, const NetworkContext* network)
    : policy_(policy), object_(object), old_(old_object), op_(op), network_(network), out_(out) {
  bool patchable_kind = object.IsPod() || (mode == Mode::kFix && object.IsTemplate());
  bool mirror = object.IsPod() && object.pod.meta.mirror;
  if (mode != Mode::kValidate && patchable_kind && !mirror) {
    patch_labels_ = op == Operation::kCreate || op == Operation::kUpdate;
    // A Pod's spec is immutable: on UPDATE nothing but labels is patched.
    patch_spec_ = op == Operation::kCreate;
  }
  // Remediation moves probes to the public listener: only where the sidecar
  // serves it (policy sidecar.publicListenerImages).
  wants_remediation_ = patch_spec_ && (policy.remediate || mode == Mode::kFix);
  const Container* sidecar = object.pod.FindContainer(policy.sidecar_name);
  // A pod without a sidecar is remediated only where any image is taken to
  // serve the listener ("*": ServesPublicListener of no image).
  const std::string_view image =
      sidecar != nullptr ? std::string_view(sidecar->image) : std::string_view();
  remediate_ = wants_remediation_ && policy.ServesPublicListener(image);
  assumes_listener_ = remediate_ && policy.AssumesPublicListener(image);
  moot_on_deny_ = mode == Mode::kMutate && !(object.IsPod() && op == Operation::kUpdate);
}

bool Judge::IsProxy(const Container& c) const {
  if (c.name == policy_.proxy_container_name) return true;
  return ImageName(c.image).find(policy_.proxy_image_match) != std::string_view::npos;
}

const Container* Judge::Sidecar() const {
  return IsBootstrap() ? nullptr : pod().FindContainer(policy_.sidecar_name);
}

std::string Judge::SidecarFirst() const {
  if (!wants_remediation_ || remediate_) return {};
  const std::string port = std::to_string(policy_.public_port);
  const Container* sidecar = object_.pod.FindContainer(policy_.sidecar_name);
  if (sidecar == nullptr) return " (not rewritten: no " + policy_.sidecar_name + " serves port " + port + " here)";
  std::string out = " (not rewritten: " + policy_.sidecar_name + " image \"" + std::string(sidecar->image) +
                    "\" is not one the policy's sidecar.publicListenerImages says serves port " + port;
  if (policy_.public_listener_images.empty()) {
    return out + "; roll out a sidecar release that does first, and list it there)";
  }
  out += "; roll out one that does first: ";
  for (size_t i = 0; i < policy_.public_listener_images.size(); ++i) {
    out += (i == 0 ? "" : " or ") + policy_.public_listener_images[i];
  }
  return out + ")";
}

bool Judge::IsBootstrap() const {
  return policy_.IsBootstrap(object_.IsService() ? object_.meta : object_.pod.meta);
}

std::string_view Judge::ExpectedNodeLabel() const {
  if (object_.IsPod()) {
    const OwnerReference* owner = object_.meta.ControllingStatefulSet();
    return owner != nullptr ? owner->name : std::string_view();
  }
  // A StatefulSet's pods are controlled by the StatefulSet itself.
  if (object_.kind == Kind::kStatefulSet) return object_.meta.name;
  return {};
}

bool Judge::CanPatch() const {
  if (policy_.action(rule_->id) != Action::kMutate) return false;
  return rule_->patches == Patches::kLabels ? patch_labels_ : patch_spec_;
}

void Judge::Add(Severity severity, Path path, std::string_view container,
                std::string what, std::string fix) {
  if (policy_.action(rule_->id) == Action::kWarn) severity = Severity::kWarn;
  denied_ = denied_ || severity == Severity::kDeny;
  out_->findings.push_back(
      Finding{rule_->id, severity, std::move(path), std::string(container), std::move(what), std::move(fix)});
}

void Judge::Violation(Path path, std::string_view container, std::string what,
                      std::string fix) {
  Add(Severity::kDeny, std::move(path), container, std::move(what), std::move(fix));
}

void Judge::Conflict(Path path, std::string_view container, std::string what,
                     std::string fix) {
  Add(Severity::kDeny, std::move(path), container, std::move(what), std::move(fix));
}

void Judge::Unverifiable(Path path, std::string_view container, std::string what,
                         std::string fix) {
  Add(Severity::kWarn, std::move(path), container, std::move(what), std::move(fix));
}

void Judge::Unpatched(Path path, std::string_view container, std::string what,
                      std::string fix) {
  Action action = policy_.action(rule_->id);
  if (action != Action::kMutate) {
    return Add(Severity::kDeny, std::move(path), container, std::move(what),
               std::move(fix));
  }
  if (object_.IsTemplate()) {
    return Add(Severity::kWarn, std::move(path), container, std::move(what),
               "added when the pod is admitted");
  }
  if (object_.IsPod() && object_.pod.meta.mirror) {
    return Add(Severity::kWarn, std::move(path), container, std::move(what),
               "mirror pods are never patched: " + fix + " in the static pod manifest");
  }
  Add(Severity::kDeny, std::move(path), container,
      std::move(what) + " (the mutating webhook did not add it)", std::move(fix));
}

void Judge::Remediated(Path path, std::string_view container, std::string what,
                       PatchOp op) {
  if (!PatchIsMoot()) out_->patch.push_back(std::move(op));
  std::string fix = "remediated (remediate: true)";
  if (assumes_listener_) {
    // Short: an AdmissionResponse warning keeps 120 bytes.
    fix = "remediated (\"*\" assumes the sidecar serves " + std::to_string(policy_.public_port) +
          ")";
    if (out_->assumptions.empty()) out_->assumptions.push_back(Assumption());
  }
  Add(Severity::kWarn, std::move(path), container, std::move(what), std::move(fix));
}

std::string Judge::Assumption() const {
  const std::string port = std::to_string(policy_.public_port);
  const Container* sidecar = pod().FindContainer(policy_.sidecar_name);
  std::string out;
  if (sidecar != nullptr) {
    out.append("container ").append(sidecar->name).append(" (image \"").append(sidecar->image);
    out.append("\") is taken to serve port ").append(port);
  } else {
    out.append("no ").append(policy_.sidecar_name).append(" here, and port ").append(port);
    out.append(" is taken to be served");
  }
  return out + " only by the \"*\" of sidecar.publicListenerImages; if it is not served, probes "
               "moved there never pass: list there the sidecar images that serve it";
}

PatchOp Judge::AddLabel(const std::string& key, const std::string& value) const {
  const PodView& p = pod();
  if (!p.meta.present) {
    return {"add", p.meta_path, {{"labels", {{key, value}}}}};
  }
  if (!p.meta.has_labels) {
    return {"add", p.meta_path.Key("labels"), {{key, value}}};
  }
  return {"add", p.meta_path.Key("labels").Key(key), value};
}

PatchOp Judge::AddToList(const Container& c, const char* field, bool list_exists,
                         nlohmann::json item) const {
  Path list = pod().ContainerPath(c).Key(field);
  if (!list_exists) return {"add", list, nlohmann::json::array({std::move(item)})};
  return {"add", list.Append(), std::move(item)};
}

Evaluation Evaluate(const Request& request, const Policy& policy, Mode mode) {
  Evaluation out;
  if (request.operation == Operation::kDelete || request.operation == Operation::kConnect) {
    return out;  // always allowed
  }
  if (request.object == nullptr || policy.Exempt(request.namespace_)) return out;
  const Object& object = *request.object;
  const Object* old = request.operation == Operation::kUpdate ? request.old_object : nullptr;
  if (old != nullptr && old->kind != object.kind) old = nullptr;
  out.in_scope = InScope(object, policy) || (old != nullptr && InScope(*old, policy));
  if (!out.in_scope) return out;

  const OwnerReference* from_template = FromAdmittedTemplate(request, object, policy);
  Judge judge(policy, object, old, request.operation, mode, &out, request.network);
  // Its denials become warnings: the patches built meanwhile still count.
  if (from_template != nullptr) judge.KeepPatchesOnDeny();
  out.findings.reserve(8);  // a legacy pod has 7; grown one by one, that is four allocations
  for (const RuleInfo& rule : Rules()) {
    if (policy.action(rule.id) == Action::kOff) continue;
    judge.Run(rule);
    rule.check(judge);
  }

  // A Pod's spec cannot change on UPDATE: what was wrong before is reported,
  // never a reason to refuse an unrelated edit. Only what the update itself
  // changes can be refused (each rule says which: OnPodUpdate).
  if (object.IsPod() && request.operation == Operation::kUpdate) {
    const std::string_view* now = object.pod.meta.Label(policy.node_label);
    const std::string_view* before = old != nullptr ? old->pod.meta.Label(policy.node_label) : nullptr;
    bool label_changed = (now == nullptr) != (before == nullptr) ||
                         (now != nullptr && before != nullptr && *now != *before);
    for (Finding& f : out.findings) {
      OnPodUpdate on_update = Rule(f.rule).on_pod_update;
      if (on_update == OnPodUpdate::kKeep) continue;
      if (on_update == OnPodUpdate::kKeepIfLabelChanged && label_changed) continue;
      f.severity = Severity::kWarn;
    }
  }
  if (old != nullptr) Ratchet(request, *old, policy, mode, &out);
  if (from_template != nullptr) TrustTemplate(*from_template, policy, &out);
  // A denial carries no patch: drop what was built before the first denial.
  if (mode == Mode::kMutate && out.Denied()) out.patch.clear();
  return out;
}

}  // namespace seiguard
