#include "rules/vap_cel.h"


namespace seiguard::cel {
namespace {

// has(a.b) && has(a.b.c) && ... for root.path[0].path[1]...
std::string HasChain(const std::string& root, std::initializer_list<const char*> path) {
  std::string out, at = root;
  for (const char* field : path) {
    at += std::string(".") + field;
    out += (out.empty() ? "" : " && ") + ("has(" + at + ")");
  }
  return out;
}

// The pod itself for a Pod, the pod template of a workload, {} otherwise or
// when the workload has no template. Works on object and oldObject alike.
std::string TemplateOf(const std::string& root) {
  return "request.kind.kind == 'Pod' ? " + root +
         "\n  : request.kind.kind == 'CronJob' ? (" +
         HasChain(root, {"spec", "jobTemplate", "spec", "template"}) + " ? " + root +
         ".spec.jobTemplate.spec.template : {})\n  : request.kind.kind != 'Service' && " +
         HasChain(root, {"spec", "template"}) + " ? " + root + ".spec.template : {}";
}

std::string LabelsOf(const std::string& t) {
  return "has(" + t + ".metadata) && has(" + t + ".metadata.labels) ? " + t + ".metadata.labels : {}";
}

std::string OwnedBy(const std::string& root, const Policy& p) {
  return "(" + HasChain(root, {"metadata", "ownerReferences"}) + " && " + root +
         ".metadata.ownerReferences.exists(o, o.kind == " + Str(p.owner_kind) + "))";
}

// The engine's InScope (DESIGN.md, Scope) for one object.
std::string InScope(const std::string& root, const Policy& p) {
  const std::string label = Str(p.node_label), sidecar = Str(p.sidecar_name);
  std::string pod_scoped =
      "[" + TemplateOf(root) + "].exists(t,\n    (has(t.metadata) && has(t.metadata.labels) && " +
      label + " in t.metadata.labels)\n    || (has(t.spec) && ((has(t.spec.initContainers) && "
      "t.spec.initContainers.exists(c, c.name == " + sidecar +
      "))\n        || (has(t.spec.containers) && t.spec.containers.exists(c, c.name == " + sidecar +
      "))))\n  )";
  return "(request.kind.kind == 'Service'\n  ? (" + HasChain(root, {"metadata", "labels"}) + " && " +
         label + " in " + root + ".metadata.labels) || " + OwnedBy(root, p) +
         "\n  : (request.kind.kind != 'Pod' && " + OwnedBy(root, p) + ") || " + pod_scoped + ")";
}

// "the image name contains M", where the name is the image without its
// digest and tag ("registry:5000/a/kube-rbac-proxy:v1@sha256:..." ->
// "registry:5000/a/kube-rbac-proxy"), as rules/engine.cc ImageName: either an
// occurrence of M is followed by the tag's colon, or the image has no tag.
std::string ImageNameContains(const std::string& image, std::string_view match) {
  if (match.find('@') != std::string_view::npos) return "false";  // names never hold '@'
  std::string m = QuoteRegex(match);
  return "(" + image + ".matches(" + Str("^[^@]*" + m + "[^@]*:[^/@]*(@.*)?$") + ") || (" + image +
         ".matches(" + Str("^([^@]*/)?[^/:@]*(@.*)?$") + ") && " + image + ".matches(" +
         Str("^[^@]*" + m) + ")))";
}

std::string IsTcp(const std::string& port) {
  return "(!has(" + port + ".protocol) || " + port + ".protocol in ['', 'TCP'])";
}

}  // namespace

std::string Str(std::string_view s) {
  std::string out = "'";
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (ch == '\\' || ch == '\'') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out + "'";
}

std::string QuoteRegex(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (std::string_view("\\.+*?()|[]{}^$").find(ch) != std::string_view::npos) out += '\\';
    out += ch;
  }
  return out;
}

std::string ScopeCondition(const Policy& policy) {
  return InScope("object", policy) + "\n|| (oldObject != null && " + InScope("oldObject", policy) +
         ")";
}

std::vector<Variable> Variables(const Policy& p) {
  const std::string label = Str(p.node_label), sidecar = Str(p.sidecar_name);
  const std::string pub = std::to_string(p.public_port), proxy = std::to_string(p.proxy_port);
  const std::string pub_name = Str(p.public_port_name);
  std::string named = "has(q.name) && q.name == c[t][h].port";
  return {
      {"kind", "request.kind.kind"},
      {"podUpdate", "variables.kind == 'Pod' && request.operation == 'UPDATE'"},
      {"tmpl", TemplateOf("object")},
      {"present",
       "variables.kind == 'Pod'\n  || (variables.kind == 'CronJob' ? " +
           HasChain("object", {"spec", "jobTemplate", "spec", "template"}) +
           "\n      : variables.kind != 'Service' && " + HasChain("object", {"spec", "template"}) + ")"},
      {"labels", LabelsOf("variables.tmpl")},
      {"oldTmpl", "oldObject == null ? {} : " + TemplateOf("oldObject")},
      {"oldLabels", LabelsOf("variables.oldTmpl")},
      {"labelChanged", "(" + label + " in variables.labels) != (" + label +
                           " in variables.oldLabels)\n  || (" + label + " in variables.labels && " +
                           label + " in variables.oldLabels && variables.labels[" + label +
                           "] != variables.oldLabels[" + label + "])"},
      {"mirror", "variables.kind == 'Pod' && " + HasChain("object", {"metadata", "annotations"}) +
                     " && 'kubernetes.io/config.mirror' in object.metadata.annotations"},
      {"containers",
       "!has(variables.tmpl.spec) ? [] :\n  (has(variables.tmpl.spec.initContainers) ? "
       "variables.tmpl.spec.initContainers : [])\n  + (has(variables.tmpl.spec.containers) ? "
       "variables.tmpl.spec.containers : [])"},
      // proxy-ignore-paths: the proxy containers (by name or image) that carry the flag.
      {"ignorePaths",
       "variables.containers.filter(c,\n  (c.name == " + Str(p.proxy_container_name) +
           " || (has(c.image) && " + ImageNameContains("c.image", p.proxy_image_match) +
           "))\n  && ((has(c.command) && c.command.exists(a, a.contains('--ignore-paths')))\n"
           "      || (has(c.args) && c.args.exists(a, a.contains('--ignore-paths')))))"},
      // probe-on-proxy-port: the containers with a probe that dials the proxy
      // port; a named port resolves against the container's own ports, and a
      // name not found that spells a number is that number, as the kubelet does.
      {"probeHits",
       "variables.containers.filter(c,\n  ['startupProbe', 'livenessProbe', 'readinessProbe'].exists(t, "
       "t in c &&\n    ['httpGet', 'tcpSocket', 'grpc'].exists(h, h in c[t] && 'port' in c[t][h] &&\n"
       "      (type(c[t][h].port) == int ? c[t][h].port == " + proxy +
           "\n        : has(c.ports) && c.ports.exists(q, " + named + ")\n          ? c.ports.filter(q, " +
           named + ")[0].containerPort == " + proxy +
           "\n          : c[t][h].port.matches('^[0-9]{1,9}$') && int(c[t][h].port) == " + proxy +
           "))))"},
      // sidecar-public-port and sidecar-public-port-env: the sidecar (the
      // first container of that name) and what it has.
      {"sidecars", "variables.containers.filter(c, c.name == " + sidecar + ")"},
      {"hasSidecar", "size(variables.sidecars) > 0"},
      {"sidecar", "variables.hasSidecar ? variables.sidecars[0] : {}"},
      {"sidecarPorts", "has(variables.sidecar.ports) ? variables.sidecar.ports : []"},
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
      {"envs", "has(variables.sidecar.env) ? variables.sidecar.env.filter(e, e.name == " +
                   Str(p.public_port_env) + ") : []"},
      {"env", "size(variables.envs) > 0 ? variables.envs[size(variables.envs) - 1] : {}"},
      {"envFromRef", "size(variables.envs) > 0 && !has(variables.env.value) && has(variables.env.valueFrom)"},
      // node-label: the value the controlling StatefulSet gives ('' when none).
      {"nodeLabelApplies", "variables.kind != 'Service' && variables.present"},
      {"expected",
       "variables.kind == 'StatefulSet' ? (has(object.metadata.name) ? object.metadata.name : '')\n"
       "  : variables.kind != 'Pod' || !(" + HasChain("object", {"metadata", "ownerReferences"}) +
           ") ? ''\n  : (object.metadata.ownerReferences.filter(o, has(o.controller) && o.controller && "
           "o.kind == 'StatefulSet'\n      && o.apiVersion.startsWith('apps/')).map(o, o.name) + ['']"
           ")[0]"},
      // service-ports: the ports a headless Service lacks.
      {"serviceMissing",
       "variables.kind == 'Service' && " + HasChain("object", {"spec", "clusterIP"}) +
           " && object.spec.clusterIP == 'None'\n  ? [" + proxy + ", " + pub +
           "].filter(want, !(has(object.spec.ports) && object.spec.ports.exists(q, has(q.port) && "
           "q.port == want)))\n  : []"},
  };
}

std::vector<Check> Checks(const Policy& p) {
  const std::string label = Str(p.node_label);
  const std::string pub = std::to_string(p.public_port), proxy = std::to_string(p.proxy_port);
  const std::string& name = p.public_port_name;
  const std::string& var = p.public_port_env;
  const std::string sidecar = Str(p.sidecar_name);
  const std::string value = "variables.labels[" + label + "]";
  const std::string set_it = Str("set it to the SeiNode's name");
  return {
      {RuleId::kProxyIgnorePaths, Class::kViolation, "size(variables.ignorePaths) > 0",
       "variables.ignorePaths[0].name",
       Str("--ignore-paths skips authentication (and lets a forged X-Remote-User through)"),
       Str("remove it; serve health and metrics on the sidecar's public port " + pub)},
      {RuleId::kProbeOnProxyPort, Class::kViolation, "size(variables.probeHits) > 0",
       "variables.probeHits[0].name", Str("a probe targets the proxy port " + proxy),
       Str("point it at the public port " + pub)},
      {RuleId::kSidecarPublicPort, Class::kConflict, "variables.portConflict",
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
      {RuleId::kSidecarPublicPort, Class::kMissing,
       "variables.hasSidecar && !variables.portConflict && size(variables.namedPorts) == 0", sidecar,
       "size(variables.numberedPorts) > 0 ? " + Str("port " + pub + " has no name") + " : " +
           Str("no containerPort " + pub + " named " + name),
       "size(variables.numberedPorts) > 0 ? " + Str("name it " + name) + " : " +
           Str("add {name: " + name + ", containerPort: " + pub + ", protocol: TCP}")},
      {RuleId::kSidecarPublicPortEnv, Class::kMissing, "variables.hasSidecar && size(variables.envs) == 0",
       sidecar, Str("env " + var + " is not set"), Str("set it to \"" + pub + "\"")},
      {RuleId::kSidecarPublicPortEnv, Class::kUnverifiable, "variables.envFromRef", sidecar,
       Str("env " + var + " comes from valueFrom and cannot be checked"),
       Str("set value: \"" + pub + "\"")},
      {RuleId::kSidecarPublicPortEnv, Class::kConflict,
       "size(variables.envs) > 0 && !variables.envFromRef\n  && (has(variables.env.value) ? "
       "variables.env.value : '') != " + Str(pub),
       sidecar,
       Str("env " + var + " is \"") + " + (has(variables.env.value) ? variables.env.value : '') + " +
           Str("\", not \"" + pub + "\""),
       Str("set it to \"" + pub + "\", the public port")},
      {RuleId::kNodeLabel, Class::kConflict,
       "variables.nodeLabelApplies && !(" + label + " in variables.labels) && variables.expected == ''",
       "''", Str("label " + p.node_label + " is missing and no StatefulSet owner names the SeiNode"),
       set_it},
      {RuleId::kNodeLabel, Class::kMissing,
       "variables.nodeLabelApplies && !(" + label + " in variables.labels) && variables.expected != ''",
       "''", Str("label " + p.node_label + " is missing"),
       "'set it to \"' + variables.expected + '\" (the owning StatefulSet)'"},
      {RuleId::kNodeLabel, Class::kConflict,
       "variables.nodeLabelApplies && " + label + " in variables.labels\n  && (" + value +
           " == '' || (variables.expected != '' && " + value + " != variables.expected))",
       "''",
       value + " == '' ? " + Str("label " + p.node_label + " is empty") + "\n  : " +
           Str("label " + p.node_label + " is \"") + " + " + value +
           " + '\" but the owning StatefulSet is \"' + variables.expected + '\"'",
       "variables.expected == '' ? " + set_it + " : 'set it to \"' + variables.expected + '\"'"},
      {RuleId::kNodeLabelImmutable, Class::kViolation,
       "request.operation == 'UPDATE' && oldObject != null && variables.nodeLabelApplies\n  && " + label +
           " in variables.oldLabels && (!(" + label + " in variables.labels) || " + value +
           " != variables.oldLabels[" + label + "])",
       "''",
       "!(" + label + " in variables.labels) ? " + Str("label " + p.node_label + " was removed (it was \"") +
           " + variables.oldLabels[" + label + "] + '\")'\n  : " +
           Str("label " + p.node_label + " changed from \"") + " + variables.oldLabels[" + label +
           "] + '\" to \"' + " + value + " + '\"'",
       "'keep it: NetworkPolicies select SeiNode pods by it'"},
      {RuleId::kServicePorts, Class::kViolation, "size(variables.serviceMissing) > 0", "''",
       "'headless Service does not expose port ' + string(variables.serviceMissing[0])",
       "variables.serviceMissing[0] == " + proxy +
           " ? 'add it: tasks reach the sidecar through the proxy there'"
           " : 'add it: health and metrics are served there'"},
  };
}

std::string Downgraded(RuleId rule) {
  // Immutability is what an UPDATE can break; Services are not Pods.
  if (rule == RuleId::kNodeLabelImmutable || rule == RuleId::kServicePorts) return "false";
  if (rule == RuleId::kNodeLabel) return "variables.podUpdate && !variables.labelChanged";
  return "variables.podUpdate";
}

std::string Unpatchable() { return "variables.kind != 'Pod' || variables.mirror"; }

}  // namespace seiguard::cel
