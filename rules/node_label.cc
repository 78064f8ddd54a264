// node-label and node-label-immutable: the label NetworkPolicies select on.
#include <string>

#include "rules/judge.h"

namespace seiguard {

void CheckNodeLabel(Judge& judge) {
  if (judge.object().IsService() || !judge.pod().present) return;
  const std::string& key = judge.policy().node_label;
  const PodView& pod = judge.pod();
  const std::string_view* value = pod.meta.Label(key);
  const std::string expected(judge.ExpectedNodeLabel());
  Path labels = pod.meta_path.Key("labels");
  constexpr RuleId kRule = RuleId::kNodeLabel;

  if (value == nullptr) {
    if (expected.empty()) {
      judge.Conflict(kRule, labels, "",
                     "label " + key + " is missing and no StatefulSet owner names the SeiNode",
                     "set it to the SeiNode's name");
      return;
    }
    judge.Missing(kRule, labels, "", "label " + key + " is missing",
                  "set it to \"" + expected + "\" (the owning StatefulSet)",
                  [&] { return judge.AddLabel(key, expected); });
    return;
  }
  if (value->empty()) {
    judge.Conflict(kRule, labels.Key(key), "", "label " + key + " is empty",
                   expected.empty() ? "set it to the SeiNode's name"
                                    : "set it to \"" + expected + "\"");
  } else if (!expected.empty() && *value != expected) {
    judge.Conflict(kRule, labels.Key(key), "",
                   "label " + key + " is \"" + std::string(*value) + "\" but the owning StatefulSet is \"" +
                       expected + "\"",
                   "set it to \"" + expected + "\"");
  }
}

void CheckNodeLabelImmutable(Judge& judge) {
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
    judge.Violation(RuleId::kNodeLabelImmutable, labels, "",
                    "label " + key + " was removed (it was \"" + before + "\")",
                    "keep it: NetworkPolicies select SeiNode pods by it");
  } else if (*now != before) {
    judge.Violation(RuleId::kNodeLabelImmutable, labels.Key(key), "",
                    "label " + key + " changed from \"" + before + "\" to \"" + std::string(*now) + "\"",
                    "restore \"" + before + "\"; recreate the pod to move it to another SeiNode");
  }
}

}  // namespace seiguard
