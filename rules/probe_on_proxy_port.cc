// probe-on-proxy-port: kubelet probes go to the public port, never the proxy.
#include <optional>
#include <string>
#include <utility>

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
      std::string_view field = ProbeFieldName(probe.type), handler = ProbeHandlerName(probe.handler);
      Path path = judge.pod().ContainerPath(c).Key(field).Key(handler).Key("port");
      // A gRPC probe cannot be moved to the HTTP public listener automatically.
      if (judge.CanRemediate() && probe.handler != ProbeHandler::kGrpc) {
        judge.Remediated(RuleId::kProbeOnProxyPort, path, c.name, "moved to port " + pub,
                         {"replace", path, policy.public_port});
        continue;
      }
      std::string what;
      what.reserve(field.size() + handler.size() + proxy.size() + probe.port.text.size() + 48);
      what.append(field).append(" ").append(handler).append(" targets the proxy port ").append(proxy);
      if (probe.port.is_string) what.append(" (named port \"").append(probe.port.text).append("\")");
      std::string fix;
      fix.reserve(pub.size() + probe.http_path.size() + 40);
      fix.append("point it at the public port ").append(pub);
      if (!probe.http_path.empty()) fix.append(" (path ").append(probe.http_path).append(")");
      judge.Violation(RuleId::kProbeOnProxyPort, std::move(path), c.name, std::move(what), std::move(fix));
    }
  }
}

}  // namespace seiguard
