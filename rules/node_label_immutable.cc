// node-label-immutable: an update never removes or changes the node label.
#include <string>

#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  const Object* old = judge.old_object();
  if (judge.operation() != Operation::kUpdate || old == nullptr || judge.object().IsService() ||
      !judge.pod().present) {
    return;
  }
  const std::string& key = judge.policy().node_label;
  const std::string_view* before_label = old->pod.meta.Label(key);
  if (before_label == nullptr) return;
  const std::string before(*before_label);
  const std::string_view* now = judge.pod().meta.Label(key);
  Path labels = judge.pod().meta_path.Key("labels");
  if (now == nullptr) {
    judge.Violation(labels, "",
                    "label " + key + " was removed (it was \"" + before + "\")",
                    "keep it: NetworkPolicies select SeiNode pods by it");
  } else if (*now != before) {
    judge.Violation(labels.Key(key), "",
                    "label " + key + " changed from \"" + before + "\" to \"" + std::string(*now) + "\"",
                    "restore \"" + before + "\"; recreate the pod to move it to another SeiNode");
  }
}


void Cel(const Policy& p, cel::Twin& twin) {
  using cel::Str;
  const std::string label = Str(p.node_label);
  const std::string value = "variables.labels[" + label + "]";
  twin.checks.push_back(
      {cel::Class::kViolation,
       "request.operation == 'UPDATE' && oldObject != null && variables.nodeLabelApplies\n  && " + label +
           " in variables.oldLabels && (!(" + label + " in variables.labels) || " + value +
           " != variables.oldLabels[" + label + "])",
       "''",
       "!(" + label + " in variables.labels) ? " + Str("label " + p.node_label + " was removed (it was \"") +
           " + variables.oldLabels[" + label + "] + '\")'\n  : " +
           Str("label " + p.node_label + " changed from \"") + " + variables.oldLabels[" + label +
           "] + '\" to \"' + " + value + " + '\"'",
       "'keep it: NetworkPolicies select SeiNode pods by it'"});
}

}  // namespace

const RuleDef registry::node_label_immutable = {
    .name = "node-label-immutable",
    .default_action = Action::kDeny,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kKeep,  // the update itself is what it judges
    .summary = "sei.io/node is never removed or changed on update",
    .description =
        "On UPDATE, the sei.io/node label is neither removed nor changed: a pod that loses "
        "it silently falls out of its NetworkPolicy.",
    .fix = "Keep the sei.io/node label and its value; recreate the pod to move it to another "
            "SeiNode.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
