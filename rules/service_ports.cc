// service-ports: a headless SeiNode Service reaches both listeners.
#include <string>

#include "rules/judge.h"

namespace seiguard {

void CheckServicePorts(Judge& judge) {
  const Object& obj = judge.object();
  if (!obj.IsService() || !obj.service.Headless()) return;
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
    judge.Violation(RuleId::kServicePorts, Path().Key("spec").Key("ports"), "",
                    "headless Service does not expose port " + std::to_string(want.port),
                    std::string("add it: ") + want.why);
  }
}

}  // namespace seiguard
