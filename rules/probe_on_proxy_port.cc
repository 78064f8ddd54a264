// probe-on-proxy-port: kubelet probes go to the public port, never the proxy.
#include <optional>
#include <string>

#include "rules/judge.h"

namespace seiguard {
namespace {

// The port number a probe dials, resolved as the kubelet does: a name is
// looked up in the probing container's own ports, and a name that is not
// found but spells a number is taken as that number.
std::optional<int64_t> Resolve(const IntOrString& port, const Container& c) {
  if (!port.present) return std::nullopt;
  if (!port.is_string) return port.number;
  for (const ContainerPort& p : c.ports) {
    if (p.name == port.text) return p.container_port;
  }
  if (port.text.empty() || port.text.size() > 9) return std::nullopt;
  int64_t n = 0;
  for (char ch : port.text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  return n;
}

}  // namespace

void CheckProbeOnProxyPort(Judge& judge) {
  const Policy& policy = judge.policy();
  const std::string proxy = std::to_string(policy.proxy_port);
  const std::string pub = std::to_string(policy.public_port);
  for (const Container& c : judge.pod().containers) {
    for (const Probe& probe : c.probes) {
      if (probe.handler != ProbeHandler::kHttpGet && probe.handler != ProbeHandler::kTcpSocket &&
          probe.handler != ProbeHandler::kGrpc) {
        continue;
      }
      std::optional<int64_t> port = Resolve(probe.port, c);
      if (!port || *port != policy.proxy_port) continue;
      Path path = judge.pod()
                      .ContainerPath(c)
                      .Key(ProbeFieldName(probe.type))
                      .Key(ProbeHandlerName(probe.handler))
                      .Key("port");
      std::string what = std::string(ProbeFieldName(probe.type)) + " " +
                         std::string(ProbeHandlerName(probe.handler)) + " targets the proxy port " +
                         proxy;
      if (probe.port.is_string) what += " (named port \"" + std::string(probe.port.text) + "\")";
      std::string fix = "point it at the public port " + pub;
      if (!probe.http_path.empty()) fix += " (path " + std::string(probe.http_path) + ")";
      // A gRPC probe cannot be moved to the HTTP public listener automatically.
      if (judge.CanRemediate() && probe.handler != ProbeHandler::kGrpc) {
        judge.Remediated(RuleId::kProbeOnProxyPort, path, c.name, "moved to port " + pub,
                         {{"replace", path, policy.public_port}});
        continue;
      }
      judge.Violation(RuleId::kProbeOnProxyPort, path, c.name, what, fix);
    }
  }
}

}  // namespace seiguard
