// service-ports: a headless SeiNode Service reaches both listeners.
#include <string>

#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  const Object& obj = judge.object();
  if (!obj.IsService() || !obj.service.Headless() || judge.IsBootstrap()) return;
  const Policy& policy = judge.policy();
  struct Want {
    int64_t port;
    const char* why;
  };
  for (Want want : {Want{policy.proxy_port, "tasks reach the sidecar through the proxy there"},
                    Want{policy.public_port, "health and metrics are served there"}}) {
    bool found = false;
    for (const ServicePort& p : obj.service.ports) found = found || p.port == want.port;
    if (found) continue;
    judge.Violation(Path().Key("spec").Key("ports"), "",
                    "headless Service does not expose port " + std::to_string(want.port),
                    std::string("add it: ") + want.why);
  }
}

// The ports a headless Service lacks.
void Cel(const Policy& p, cel::Twin& twin) {
  const std::string pub = std::to_string(p.public_port), proxy = std::to_string(p.proxy_port);
  twin.variables.push_back({"serviceLabels", cel::LabelsOf("object")});
  twin.variables.push_back(
      {"serviceMissing",
       "variables.kind == 'Service' && !(" + cel::BootstrapMatch("variables.serviceLabels", p) + ") && " +
           cel::HasChain("object", {"spec", "clusterIP"}) +
           " && object.spec.clusterIP == 'None'\n  ? [" + proxy + ", " + pub +
           "].filter(want, !(has(object.spec.ports) && object.spec.ports.exists(q, has(q.port) && "
           "q.port == want)))\n  : []"});
  twin.checks.push_back(
      {cel::Class::kViolation, "size(variables.serviceMissing) > 0", "''",
       "'headless Service does not expose port ' + string(variables.serviceMissing[0])",
       "variables.serviceMissing[0] == " + proxy +
           " ? 'add it: tasks reach the sidecar through the proxy there'"
           " : 'add it: health and metrics are served there'"});
}

}  // namespace

const RuleDef registry::service_ports = {
    .name = "service-ports",
    .default_action = Action::kWarn,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kKeep,  // a Service is never a Pod
    .summary = "a headless SeiNode Service exposes 8443 and 9100",
    .description =
        "A headless Service of a SeiNode (label sei.io/node or a SeiNode owner) exposes both "
        "the proxy port 8443 and the public port 9100. A bootstrap pod's Service (label "
        "sei.io/component=bootstrap) needs only 8443.",
    .fix = "Add the missing port (8443 for tasks through the proxy, 9100 for health and "
            "metrics) to the Service.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
