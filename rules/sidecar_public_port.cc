// sidecar-public-port: the sidecar exposes the public port under its name.
#include <string>

#include "rules/rule.h"

namespace seiguard {
namespace {

void Check(Judge& judge) {
  const Container* sidecar = judge.Sidecar();
  if (sidecar == nullptr) return;
  const Policy& policy = judge.policy();
  const PodView& pod = judge.pod();
  const std::string pub = std::to_string(policy.public_port);
  const std::string& name = policy.public_port_name;

  bool conflict = false;
  for (const Container& c : pod.containers) {
    if (&c == sidecar) continue;
    for (size_t i = 0; i < c.ports.size(); ++i) {
      const ContainerPort& p = c.ports[i];
      auto at = [&] { return pod.ContainerPath(c).Key("ports").Index(i); };  // only on a finding
      if (p.IsTcp() && p.container_port == policy.public_port) {
        judge.Conflict(at().Key("containerPort"), c.name,
                       "port " + pub + " is already used here; the sidecar's public listener needs it",
                       "move this container off port " + pub);
        conflict = true;
      }
      if (p.name == name) {
        judge.Conflict(at().Key("name"), c.name,
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
    judge.Conflict(ports.Index(named_i).Key("containerPort"), sidecar->name,
                   "port \"" + name + "\" is " + std::to_string(named->container_port) + "/" +
                       std::string(named->protocol.empty() ? "TCP" : named->protocol) + ", not " + pub + "/TCP",
                   "set it to containerPort " + pub + ", protocol TCP");
    return;
  }
  if (numbered != nullptr && !numbered->name.empty() && numbered->name != name) {
    judge.Conflict(ports.Index(numbered_i).Key("name"), sidecar->name,
                   "port " + pub + " is named \"" + std::string(numbered->name) + "\", not \"" + name + "\"",
                   "rename it " + name);
    return;
  }
  if (conflict || named != nullptr) return;
  if (numbered != nullptr) {  // the port is there, without a name
    judge.Missing(ports.Index(numbered_i), sidecar->name,
                  "port " + pub + " has no name", "name it " + name,
                  [&] { return PatchOp{"add", ports.Index(numbered_i).Key("name"), name}; });
    return;
  }
  judge.Missing(sidecar->has_ports ? ports : pod.ContainerPath(*sidecar), sidecar->name,
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

void Cel(const Policy& p, cel::Twin& twin) {
  const std::string pub = std::to_string(p.public_port), sidecar = cel::Str(p.sidecar_name);
  const std::string& name = p.public_port_name;
  const std::string pub_name = cel::Str(name);
  using cel::IsTcp, cel::Str;
  twin.variables = {
      {"portClashes",
       "!variables.hasSidecar ? [] : variables.containers.filter(c, c.name != " + sidecar +
           " && has(c.ports) &&\n  c.ports.exists(q, (" + IsTcp("q") + " && has(q.containerPort) && "
           "q.containerPort == " + pub + ")\n    || (has(q.name) && q.name == " + pub_name + ")))"},
      {"namedPorts", "variables.sidecarPorts.filter(q, has(q.name) && q.name == " + pub_name + ")"},
      {"numberedPorts", "variables.sidecarPorts.filter(q, " + IsTcp("q") +
                            " && has(q.containerPort) && q.containerPort == " + pub + ")"},
      {"badNamed", "size(variables.namedPorts) > 0 && !(" + IsTcp("variables.namedPorts[0]") +
                       " &&\n  has(variables.namedPorts[0].containerPort) && "
                       "variables.namedPorts[0].containerPort == " + pub + ")"},
      {"misnamed", "!variables.badNamed && size(variables.numberedPorts) > 0 && "
                   "has(variables.numberedPorts[0].name)\n  && !(variables.numberedPorts[0].name in ['', " +
                       pub_name + "])"},
      {"portConflict", "variables.hasSidecar && (size(variables.portClashes) > 0 || variables.badNamed || "
                       "variables.misnamed)"},
  };
  const std::string missing =
      "variables.hasSidecar && !variables.portConflict && size(variables.namedPorts) == 0";
  twin.checks = {
      {cel::Class::kConflict, "variables.portConflict",
       "size(variables.portClashes) > 0 ? variables.portClashes[0].name : " + sidecar,
       "size(variables.portClashes) > 0 ? " +
           Str("port " + pub + " or the port name \"" + name + "\" is already used here") +
           "\n  : variables.badNamed ? " + Str("port \"" + name + "\" is not " + pub + "/TCP") +
           "\n  : " + Str("port " + pub + " is named \"") + " + variables.numberedPorts[0].name + " +
           Str("\", not \"" + name + "\""),
       "size(variables.portClashes) > 0 ? " +
           Str("move this container off it; it belongs to the sidecar's public listener") +
           "\n  : variables.badNamed ? " + Str("set it to containerPort " + pub + ", protocol TCP") +
           " : " + Str("rename it " + name)},
      {cel::Class::kMissing, missing, sidecar,
       "size(variables.numberedPorts) > 0 ? " + Str("port " + pub + " has no name") + " : " +
           Str("no containerPort " + pub + " named " + name),
       "size(variables.numberedPorts) > 0 ? " + Str("name it " + name) + " : " +
           Str("add {name: " + name + ", containerPort: " + pub + ", protocol: TCP}")},
  };
  // As Check patches: the first unnamed TCP port 9100 gets the name, else the
  // port is appended (the list created when there is none).
  const std::string numbered = IsTcp("q") + " && has(q.containerPort) && q.containerPort == " + pub;
  twin.mutations.push_back(
      {cel::Mutation::By::kInject, missing,
       cel::EachContainer("c.name == " + sidecar, [&](const std::string& base, const char* list) {
         const std::string port = std::string("Object.spec.") + list + ".ports{name: " + pub_name +
                                  ", containerPort: " + pub + ", protocol: 'TCP'}";
         return "size(variables.numberedPorts) > 0\n      ? JSONPatch{op: 'add', path: " + base +
                " + '/ports/' + string(c.ports.transformList(k, q, " + numbered + ", k)[0]) + '/name', value: " +
                pub_name + "}\n      : has(c.ports) ? JSONPatch{op: 'add', path: " + base +
                " + '/ports/-', value: " + port + "}\n      : JSONPatch{op: 'add', path: " + base +
                " + '/ports', value: [" + port + "]}";
       }),
       "",
       // No port of that name on the sidecar (a numbered one is named).
       cel::AnyContainer("c.name == " + sidecar + " && !(has(c.ports) && c.ports.exists(q, has(q.name) && q.name == " +
                         pub_name + "))")});
}

}  // namespace

const RuleDef registry::sidecar_public_port = {
    .name = "sidecar-public-port",
    .default_action = Action::kMutate,
    .patches = Patches::kSpec,
    .on_pod_update = OnPodUpdate::kWarn,
    .summary = "the sidecar exposes containerPort 9100 named public",
    .description =
        "The sei-sidecar container exposes containerPort 9100 named public (TCP). Another "
        "container already using 9100, a port named public with another number, or 9100 "
        "under another name is a conflict. The mutating webhook adds the port when missing. "
        "Bootstrap Job pods (label sei.io/component=bootstrap) are left alone: nothing probes "
        "or scrapes their sidecar.",
    .fix = "Add {name: public, containerPort: 9100, protocol: TCP} to the sei-sidecar "
            "container's ports, and free port 9100 and the name public elsewhere in the pod.",
    .check = Check,
    .cel = Cel,
};

}  // namespace seiguard
