// probe-on-proxy-port: kubelet probes go to the public port, never the proxy.
#include <optional>
#include <string>
#include <utility>

#include "rules/rule.h"

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

void Check(Judge& judge) {
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
        judge.Remediated(path, c.name, "moved to port " + pub,
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
      if (probe.handler != ProbeHandler::kGrpc) fix += judge.SidecarFirst();
      judge.Violation(std::move(path), c.name, std::move(what), std::move(fix));
    }
  }
}

// The containers with a probe that dials the proxy port; a named port
// resolves against the container's own ports, and a name not found that
// spells a number is that number, as the kubelet does.
void Cel(const Policy& p, cel::Twin& twin) {
  const std::string pub = std::to_string(p.public_port), proxy = std::to_string(p.proxy_port);
  const std::string named = "has(q.name) && q.name == c[t][h].port";
  // Probe field t of container c dials the proxy port.
  const std::string hits =
      "t in c &&\n    ['httpGet', 'tcpSocket', 'grpc'].exists(h, h in c[t] && 'port' in c[t][h] &&\n"
      "      (type(c[t][h].port) == int ? c[t][h].port == " + proxy +
      "\n        : has(c.ports) && c.ports.exists(q, " + named + ")\n          ? c.ports.filter(q, " +
      named + ")[0].containerPort == " + proxy +
      "\n          : c[t][h].port.matches('^[0-9]{1,9}$') && int(c[t][h].port) == " + proxy + "))";
  const std::string fields = "['startupProbe', 'livenessProbe', 'readinessProbe']";
  twin.variables.push_back(
      {"probeHits", "variables.containers.filter(c,\n  " + fields + ".exists(t, " + hits + "))"});
  twin.checks.push_back({cel::Class::kViolation, "size(variables.probeHits) > 0",
                         "variables.probeHits[0].name", cel::Str("a probe targets the proxy port " + proxy),
                         cel::Str("point it at the public port " + pub),
                         // Ratcheting: each container and its probes that dial the proxy.
                         "variables.probeHits.map(c, [c.name] + " + fields + ".filter(t, " + hits + "))"});
  // Remediation, as Check does it: every httpGet or tcpSocket probe that
  // dials the proxy is pointed at the public port (a gRPC probe is left, and
  // refused: the public listener speaks HTTP).
  std::string patch;
  for (const char* field : {"startupProbe", "livenessProbe", "readinessProbe"}) {
    for (const char* handler : {"httpGet", "tcpSocket"}) {
      const std::string at = std::string("c.") + field + "." + handler, port = at + ".port";
      const std::string dials =
          "has(c." + std::string(field) + ") && has(" + at + ") && has(" + port + ") && (type(" + port +
          ") == int ? " + port + " == " + proxy + "\n      : has(c.ports) && c.ports.exists(q, has(q.name) && q.name == " +
          port + ")\n        ? c.ports.filter(q, has(q.name) && q.name == " + port + ")[0].containerPort == " +
          proxy + "\n        : " + port + ".matches('^[0-9]{1,9}$') && int(" + port + ") == " + proxy + ")";
      patch += (patch.empty() ? "" : "\n+ ") +
               cel::EachContainer(dials, [&](const std::string& base, const char*) {
                 return "JSONPatch{op: 'replace', path: " + base + " + '/" + field + "/" + handler +
                        "/port', value: " + pub + "}";
               });
    }
  }
  twin.mutations.push_back({cel::Mutation::By::kRemediate, "size(variables.probeHits) > 0", patch});
}

}  // namespace

const RuleDef registry::probe_on_proxy_port = {
    .name = "probe-on-proxy-port",
    .default_action = Action::kDeny,
    .patches = Patches::kNothing,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "no kubelet probe may target the proxy port 8443",
    .description =
        "No startupProbe, livenessProbe or readinessProbe of any container (init containers "
        "included) targets the proxy port with httpGet, tcpSocket or grpc. A named port is "
        "resolved against the probing container's own ports, as the kubelet does. The proxy "
        "answers 401 to the kubelet once --ignore-paths is gone.",
    .fix = "Point the probe at the sidecar's public port 9100, keeping its path "
            "(/v0/healthz, /v0/livez, /v0/startupz).",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
