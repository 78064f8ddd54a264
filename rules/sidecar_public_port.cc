// sidecar-public-port: the sidecar exposes the public port under its name.
#include <string>

#include "rules/judge.h"

namespace seiguard {

void CheckSidecarPublicPort(Judge& judge) {
  const Container* sidecar = judge.Sidecar();
  if (sidecar == nullptr) return;
  const Policy& policy = judge.policy();
  const PodView& pod = judge.pod();
  const std::string pub = std::to_string(policy.public_port);
  const std::string& name = policy.public_port_name;
  constexpr RuleId kRule = RuleId::kSidecarPublicPort;

  bool conflict = false;
  for (const Container& c : pod.containers) {
    if (&c == sidecar) continue;
    for (size_t i = 0; i < c.ports.size(); ++i) {
      const ContainerPort& p = c.ports[i];
      auto at = [&] { return pod.ContainerPath(c).Key("ports").Index(i); };  // only on a finding
      if (p.IsTcp() && p.container_port == policy.public_port) {
        judge.Conflict(kRule, at().Key("containerPort"), c.name,
                       "port " + pub + " is already used here; the sidecar's public listener needs it",
                       "move this container off port " + pub);
        conflict = true;
      }
      if (p.name == name) {
        judge.Conflict(kRule, at().Key("name"), c.name,
                       "port name \"" + name + "\" is taken here; it belongs to the sidecar",
                       "rename this port");
        conflict = true;
      }
    }
  }

  const ContainerPort* named = nullptr;
  const ContainerPort* numbered = nullptr;
  size_t named_i = 0, numbered_i = 0;
  for (size_t i = 0; i < sidecar->ports.size(); ++i) {
    const ContainerPort& p = sidecar->ports[i];
    if (p.name == name && named == nullptr) named = &p, named_i = i;
    if (p.IsTcp() && p.container_port == policy.public_port && numbered == nullptr) {
      numbered = &p, numbered_i = i;
    }
  }
  Path ports = pod.ContainerPath(*sidecar).Key("ports");
  if (named != nullptr && (named->container_port != policy.public_port || !named->IsTcp())) {
    judge.Conflict(kRule, ports.Index(named_i).Key("containerPort"), sidecar->name,
                   "port \"" + name + "\" is " + std::to_string(named->container_port) + "/" +
                       std::string(named->protocol.empty() ? "TCP" : named->protocol) + ", not " + pub + "/TCP",
                   "set it to containerPort " + pub + ", protocol TCP");
    return;
  }
  if (numbered != nullptr && !numbered->name.empty() && numbered->name != name) {
    judge.Conflict(kRule, ports.Index(numbered_i).Key("name"), sidecar->name,
                   "port " + pub + " is named \"" + std::string(numbered->name) + "\", not \"" + name + "\"",
                   "rename it " + name);
    return;
  }
  if (conflict || named != nullptr) return;
  if (numbered != nullptr) {  // the port is there, without a name
    judge.Missing(kRule, ports.Index(numbered_i), sidecar->name,
                  "port " + pub + " has no name", "name it " + name,
                  [&] { return PatchOp{"add", ports.Index(numbered_i).Key("name"), name}; });
    return;
  }
  judge.Missing(kRule, sidecar->has_ports ? ports : pod.ContainerPath(*sidecar), sidecar->name,
                "no containerPort " + pub + " named " + name,
                "add {name: " + name + ", containerPort: " + pub + ", protocol: TCP}",
                [&] {
                  // Built member by member: an initializer list of pairs
                  // costs nlohmann three times the allocations.
                  nlohmann::json port(nlohmann::json::value_t::object);
                  port.emplace("name", name);
                  port.emplace("containerPort", policy.public_port);
                  port.emplace("protocol", "TCP");
                  return judge.AddToList(*sidecar, "ports", sidecar->has_ports, std::move(port));
                });
}

}  // namespace seiguard
