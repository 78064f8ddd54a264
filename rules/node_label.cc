// node-label: the pod carries the label NetworkPolicies select on.
#include <string>

#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  if (judge.object().IsService() || !judge.pod().present) return;
  const std::string& key = judge.policy().node_label;
  const PodView& pod = judge.pod();
  const std::string_view* value = pod.meta.Label(key);
  const std::string expected(judge.ExpectedNodeLabel());
  Path labels = pod.meta_path.Key("labels");

  if (value == nullptr) {
    if (expected.empty()) {
      judge.Conflict(labels, "",
                     "label " + key + " is missing and no StatefulSet owner names the SeiNode",
                     "set it to the SeiNode's name");
      return;
    }
    judge.Missing(labels, "", "label " + key + " is missing",
                  "set it to \"" + expected + "\" (the owning StatefulSet)",
                  [&] { return judge.AddLabel(key, expected); });
    return;
  }
  if (value->empty()) {
    judge.Conflict(labels.Key(key), "", "label " + key + " is empty",
                   expected.empty() ? "set it to the SeiNode's name"
                                    : "set it to \"" + expected + "\"");
  } else if (!expected.empty() && *value != expected) {
    judge.Conflict(labels.Key(key), "",
                   "label " + key + " is \"" + std::string(*value) + "\" but the owning StatefulSet is \"" +
                       expected + "\"",
                   "set it to \"" + expected + "\"");
  }
}

void Cel(const Policy& p, cel::Twin& twin) {
  using cel::Str;
  const std::string label = Str(p.node_label);
  const std::string value = "variables.labels[" + label + "]";
  const std::string set_it = Str("set it to the SeiNode's name");
  const std::string missing =
      "variables.nodeLabelApplies && !(" + label + " in variables.labels) && variables.expected != ''";
  twin.checks = {
      {cel::Class::kConflict,
       "variables.nodeLabelApplies && !(" + label + " in variables.labels) && variables.expected == ''",
       "''", Str("label " + p.node_label + " is missing and no StatefulSet owner names the SeiNode"),
       set_it},
      {cel::Class::kMissing, missing, "''", Str("label " + p.node_label + " is missing"),
       "'set it to \"' + variables.expected + '\" (the owning StatefulSet)'"},
      {cel::Class::kConflict,
       "variables.nodeLabelApplies && " + label + " in variables.labels\n  && (" + value +
           " == '' || (variables.expected != '' && " + value + " != variables.expected))",
       "''",
       value + " == '' ? " + Str("label " + p.node_label + " is empty") + "\n  : " +
           Str("label " + p.node_label + " is \"") + " + " + value +
           " + '\" but the owning StatefulSet is \"' + variables.expected + '\"'",
       "variables.expected == '' ? " + set_it + " : 'set it to \"' + variables.expected + '\"'"},
  };
  // As Judge::AddLabel patches: the key under labels, or labels itself.
  std::string key;  // a JSON pointer token: '~' and '/' escaped
  for (char ch : p.node_label) key += ch == '~' ? "~0" : ch == '/' ? "~1" : std::string(1, ch);
  twin.mutations.push_back(
      {cel::Mutation::By::kInject, missing,
       "has(object.metadata.labels)\n  ? [JSONPatch{op: 'add', path: " + Str("/metadata/labels/" + key) +
           ", value: variables.expected}]\n  : [JSONPatch{op: 'add', path: '/metadata/labels', value: {" +
           label + ": variables.expected}}]",
       "",
       // An owner to take it from, and no label yet.
       "has(object.metadata.ownerReferences) && !(has(object.metadata.labels) && " + label +
           " in object.metadata.labels)"});
}

}  // namespace

const RuleDef registry::node_label = {
    .name = "node-label",
    .default_action = Action::kMutate,
    .patches = Patches::kLabels,
    .on_pod_update = OnPodUpdate::kKeepIfLabelChanged,
    .summary = "the pod carries sei.io/node naming its SeiNode",
    .description =
        "The pod carries the sei.io/node label that platform NetworkPolicies select on. With "
        "a controlling StatefulSet owner, the value must be that StatefulSet's name (the "
        "SeiNode's name). The mutating webhook adds it from the owner; a disagreeing value, "
        "or a missing one with no owner to derive it from, is refused.",
    .fix = "Set the label sei.io/node to the SeiNode's name (the owning StatefulSet's name).",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
