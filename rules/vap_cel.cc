#include "rules/vap_cel.h"

#include <algorithm>
#include <set>
#include <utility>

namespace seiguard::cel {
namespace {

// The pod itself for a Pod, the pod template of a workload, {} otherwise or
// when the workload has no template. Works on object and oldObject alike.
std::string TemplateOf(const std::string& root) {
  return "request.kind.kind == 'Pod' ? " + root +
         "\n  : request.kind.kind == 'CronJob' ? (" +
         HasChain(root, {"spec", "jobTemplate", "spec", "template"}) + " ? " + root +
         ".spec.jobTemplate.spec.template : {})\n  : request.kind.kind != 'Service' && " +
         HasChain(root, {"spec", "template"}) + " ? " + root + ".spec.template : {}";
}

}  // namespace

std::string LabelsOf(const std::string& t) {
  return "has(" + t + ".metadata) && has(" + t + ".metadata.labels) ? " + t + ".metadata.labels : {}";
}

std::string BootstrapMatch(const std::string& labels, const Policy& p) {
  if (p.bootstrap_labels.empty()) return "false";
  std::string out;
  for (const auto& [key, value] : p.bootstrap_labels) {
    out += (out.empty() ? "" : " && ") + Str(key) + " in " + labels + " && " + labels + "[" + Str(key) +
           "] == " + Str(value);
  }
  return out;
}

namespace {

std::string OwnedBy(const std::string& root, const Policy& p) {
  return "(" + HasChain(root, {"metadata", "ownerReferences"}) + " && " + root +
         ".metadata.ownerReferences.exists(o, o.kind == " + Str(p.owner_kind) + "))";
}

// A NetworkPolicy that can select SeiNode pods for ingress and has an
// ingress rule: its podSelector tests the node label or is empty
// (rules/engine.cc InScope).
std::string NetpolScope(const std::string& root, const Policy& p) {
  const std::string label = Str(p.node_label), s = root + ".spec.podSelector";
  return "(has(" + root + ".spec) && (!has(" + root + ".spec.policyTypes) || size(" + root +
         ".spec.policyTypes) == 0 || 'Ingress' in " + root + ".spec.policyTypes)\n    && has(" + root +
         ".spec.ingress) && size(" + root + ".spec.ingress) > 0\n    && (!has(" + s +
         ") || ((!has(" + s + ".matchLabels) || size(" + s + ".matchLabels) == 0) && (!has(" + s +
         ".matchExpressions) || size(" + s + ".matchExpressions) == 0))\n      || (has(" + s +
         ".matchLabels) && " + label + " in " + s + ".matchLabels)\n      || (has(" + s +
         ".matchExpressions) && " + s + ".matchExpressions.exists(e, e.key == " + label +
         " && e.operator != 'DoesNotExist'))))";
}

// The engine's InScope (DESIGN.md, Scope) for one object. The API server
// hands CEL the object as its Go type converted to JSON, where a list field
// without omitempty (a pod spec's containers) is present as null when unset:
// has() is then true, so each list walked is also tested to be one (a
// matchCondition that errors refuses the request under failurePolicy Fail).
// A pod (or pod template) `t` is in scope: its node label, or a container
// named as the sidecar (rules/engine.cc PodInScope).
std::string PodScoped(const std::string& t, const Policy& p) {
  const std::string label = Str(p.node_label), sidecar = Str(p.sidecar_name);
  return "(has(" + t + ".metadata) && has(" + t + ".metadata.labels) && " + label + " in " + t +
         ".metadata.labels)\n    || (has(" + t + ".spec) && ((has(" + t + ".spec.initContainers) && type(" + t +
         ".spec.initContainers) == list && " + t + ".spec.initContainers.exists(c, c.name == " + sidecar +
         "))\n        || (has(" + t + ".spec.containers) && type(" + t + ".spec.containers) == list && " + t +
         ".spec.containers.exists(c, c.name == " + sidecar + "))))";
}

std::string InScope(const std::string& root, const Policy& p) {
  const std::string label = Str(p.node_label);
  std::string pod_scoped = "[" + TemplateOf(root) + "].exists(t,\n    " + PodScoped("t", p) + "\n  )";
  return "(request.kind.kind == 'NetworkPolicy' ? " + NetpolScope(root, p) + "\n  : request.kind.kind == 'Service'\n  ? (" + HasChain(root, {"metadata", "labels"}) + " && " +
         label + " in " + root + ".metadata.labels) || " + OwnedBy(root, p) +
         "\n  : (request.kind.kind != 'Pod' && " + OwnedBy(root, p) + ") || " + pod_scoped + ")";
}

bool IdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string PriorName(std::string_view name) {
  std::string out = "prior";
  out += static_cast<char>(name[0] >= 'a' && name[0] <= 'z' ? name[0] - 'a' + 'A' : name[0]);
  out.append(name.substr(1));
  return out;
}

// Walks the identifiers of a CEL expression outside its string literals:
// `on(ident, start)` for each, where `start` is its offset in `expr`.
// Returns the text with each identifier replaced by what `on` returns.
template <typename On>
std::string MapIdentifiers(const std::string& expr, On&& on) {
  std::string out;
  out.reserve(expr.size() + expr.size() / 4);
  for (size_t i = 0; i < expr.size();) {
    char c = expr[i];
    if (c == '\'' || c == '"') {  // a literal, escapes included
      size_t j = i + 1;
      while (j < expr.size() && expr[j] != c) j += expr[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, expr.size());
      out.append(expr, i, j - i);
      i = j;
      continue;
    }
    if (IdentChar(c) && !(c >= '0' && c <= '9') && (i == 0 || !IdentChar(expr[i - 1]))) {
      size_t j = i;
      while (j < expr.size() && IdentChar(expr[j])) ++j;
      out += on(std::string_view(expr).substr(i, j - i), i);
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

// True when the identifier at `start` is NAME in variables.NAME.
bool IsVariableName(const std::string& expr, size_t start) {
  constexpr std::string_view kPrefix = "variables.";
  return start >= kPrefix.size() && std::string_view(expr).substr(start - kPrefix.size(), kPrefix.size()) == kPrefix;
}

// The names of the variables `expr` uses (variables.NAME).
void UsedVariables(const std::string& expr, std::set<std::string>* out) {
  MapIdentifiers(expr, [&](std::string_view ident, size_t start) {
    if (IsVariableName(expr, start)) out->insert(std::string(ident));
    return std::string(ident);
  });
}

// `expr` over the old object: `object` becomes variables.priorObject (the
// old object on UPDATE, the object itself on CREATE, so that nothing fails
// to evaluate where oldObject is null), variables.X becomes variables.priorX.
std::string OverOldObject(const std::string& expr) {
  return MapIdentifiers(expr, [&](std::string_view ident, size_t start) {
    bool member = start > 0 && expr[start - 1] == '.';
    if (!member && ident == "object") return std::string("variables.priorObject");
    if (IsVariableName(expr, start)) return PriorName(ident);
    return std::string(ident);
  });
}

// string() on both: the API server's CEL wants list literals of one type
// (HomogeneousAggregateLiterals), and a subject such as `size(x) > 0 ?
// x[0].name : 'sei-sidecar'` is dyn beside a what that is a string.
std::string KeyOf(const Check& c) {
  return c.key.empty() ? "[[string(" + c.subject + "), string(" + c.what + ")]]" : c.key;
}

}  // namespace

std::vector<Variable> RatchetVariables(const Policy& policy, const std::vector<Variable>& variables,
                                       const std::vector<RuleCheck>& ratcheted) {
  if (ratcheted.empty()) return {};
  std::set<std::string> used;
  for (const RuleCheck& c : ratcheted) {
    UsedVariables(c.fails, &used);
    UsedVariables(KeyOf(c), &used);
  }
  // Variables use only earlier ones: one pass from the end closes the set.
  for (auto it = variables.rbegin(); it != variables.rend(); ++it) {
    if (used.count(it->name) != 0) UsedVariables(it->expression, &used);
  }
  std::string ratchetable = "request.operation == 'UPDATE' && oldObject != null";
  if (!policy.workload_controllers.empty()) {
    std::string users;
    for (const std::string& u : policy.workload_controllers) users += (users.empty() ? "" : ", ") + Str(u);
    ratchetable += "\n  || request.operation == 'CREATE' && request.kind.group == '' && request.kind.kind == 'Pod'"
                   "\n    && has(request.userInfo.username) && request.userInfo.username in [" + users +
                   "]\n    && has(object.metadata.ownerReferences)"
                   "\n    && object.metadata.ownerReferences.exists(r, has(r.controller) && r.controller)";
  }
  std::vector<Variable> out = {{"ratchetable", ratchetable},
                               {"priorObject", "oldObject != null ? oldObject : object"}};
  for (const Variable& v : variables) {
    if (used.count(v.name) != 0) out.push_back({PriorName(v.name), OverOldObject(v.expression)});
  }
  return out;
}

bool ReadsOldObject(const std::string& expr) {
  bool reads = false;
  MapIdentifiers(expr, [&](std::string_view ident, size_t start) {
    reads = reads || (ident == "oldObject" && (start == 0 || expr[start - 1] != '.'));
    return std::string(ident);
  });
  return reads;
}

std::string Ratcheted(const RuleCheck& check) {
  return "variables.ratchetable && (" + OverOldObject(check.fails) + ")\n  && (" + KeyOf(check) +
         ").all(k, k in " + OverOldObject(KeyOf(check)) + ")";
}

std::string HasChain(const std::string& root, std::initializer_list<const char*> path) {
  std::string out, at = root;
  for (const char* field : path) {
    at += std::string(".") + field;
    out += (out.empty() ? "" : " && ") + ("has(" + at + ")");
  }
  return out;
}

// "the image name contains M", where the name is the image without its
// digest and tag ("registry:5000/a/kube-rbac-proxy:v1@sha256:..." ->
// "registry:5000/a/kube-rbac-proxy"), as rules/engine.cc ImageName: either an
// occurrence of M is followed by the tag's colon, or the image has no tag.
std::string IsProxy(const std::string& c, const Policy& p) {
  const std::string image = c + ".image", m = QuoteRegex(p.proxy_image_match);
  const std::string image_matches =
      p.proxy_image_match.find('@') != std::string::npos
          ? "false"  // names never hold '@'
          : "(" + image + ".matches(" + Str("^[^@]*" + m + "[^@]*:[^/@]*(@.*)?$") + ") || (" + image +
                ".matches(" + Str("^([^@]*/)?[^/:@]*(@.*)?$") + ") && " + image + ".matches(" +
                Str("^[^@]*" + m) + ")))";
  return "(" + c + ".name == " + Str(p.proxy_container_name) + " || (has(" + image + ") && " +
         image_matches + "))";
}

std::string IsTcp(const std::string& port) {
  return "(!has(" + port + ".protocol) || " + port + ".protocol in ['', 'TCP'])";
}

std::string EachContainer(const std::string& keep,
                          const std::function<std::string(const std::string& base, const char* list)>& op) {
  std::string out;
  for (const char* list : {"initContainers", "containers"}) {
    const std::string at = std::string("object.spec.") + list;
    const std::string base = std::string("'/spec/") + list + "/' + string(i)";
    out += (out.empty() ? "(" : "\n  + (") + HasChain("object", {"spec", list}) + " && type(" + at +
           ") == list\n    ? " + at + ".transformList(i, c, " + keep + ",\n      " + op(base, list) +
           ") : [])";
  }
  return out;
}

std::string AnyContainer(const std::string& pred) {
  std::string out;
  for (const char* list : {"initContainers", "containers"}) {
    const std::string at = std::string("object.spec.") + list;
    out += (out.empty() ? "(" : "\n  || (") + HasChain("object", {"spec", list}) + " && type(" + at +
           ") == list && " + at + ".exists(c, " + pred + "))";
  }
  return out;
}

std::vector<Variable> Needed(const std::vector<Variable>& variables, const std::vector<std::string>& exprs) {
  std::set<std::string> used;
  for (const std::string& e : exprs) UsedVariables(e, &used);
  for (auto it = variables.rbegin(); it != variables.rend(); ++it) {
    if (used.count(it->name) != 0) UsedVariables(it->expression, &used);
  }
  std::vector<Variable> out;
  for (const Variable& v : variables) {
    if (used.count(v.name) != 0) out.push_back(v);
  }
  return out;
}

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

std::string PodScopeCondition(const Policy& policy) { return PodScoped("object", policy); }

std::string ScopeCondition(const Policy& policy) {
  return InScope("object", policy) + "\n|| (oldObject != null && " + InScope("oldObject", policy) +
         ")";
}

std::vector<Variable> Variables(const Policy& p) {
  const std::string label = Str(p.node_label), sidecar = Str(p.sidecar_name);
  std::vector<Variable> out = {
      {"kind", "request.kind.kind"},
      {"npScoped", "variables.kind == 'NetworkPolicy' && " + NetpolScope("object", p)},
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
      // A list test beside has(): see InScope.
      {"containers",
       "!has(variables.tmpl.spec) ? [] :\n  (has(variables.tmpl.spec.initContainers) && "
       "type(variables.tmpl.spec.initContainers) == list ? variables.tmpl.spec.initContainers : [])\n"
       "  + (has(variables.tmpl.spec.containers) && type(variables.tmpl.spec.containers) == list ? "
       "variables.tmpl.spec.containers : [])"},
      // The sidecar: the first container of that name.
      {"sidecars", "variables.containers.filter(c, c.name == " + sidecar + ")"},
      // Bootstrap pods and their template (Policy::bootstrap_labels): their
      // sidecar needs no public listener, so it counts as none here.
      {"bootstrap", BootstrapMatch("variables.labels", p)},
      {"hasSidecar", "!variables.bootstrap && size(variables.sidecars) > 0"},
      {"sidecar", "variables.hasSidecar ? variables.sidecars[0] : {}"},
      {"sidecarPorts", "has(variables.sidecar.ports) ? variables.sidecar.ports : []"},
      {"nodeLabelApplies", "variables.kind != 'Service' && variables.present"},
      // The value the controlling StatefulSet gives the node label ('' when none).
      {"expected",
       "variables.kind == 'StatefulSet' ? (has(object.metadata.name) ? object.metadata.name : '')\n"
       "  : variables.kind != 'Pod' || !(" + HasChain("object", {"metadata", "ownerReferences"}) +
           ") ? ''\n  : (object.metadata.ownerReferences.filter(o, has(o.controller) && o.controller && "
           "o.kind == 'StatefulSet'\n      && o.apiVersion.startsWith('apps/')).map(o, o.name) + ['']"
           ")[0]"},
  };
  for (const RuleInfo& rule : Rules()) {
    if (rule.cel == nullptr) continue;
    Twin twin;
    rule.cel(p, twin);
    for (Variable& v : twin.variables) out.push_back(std::move(v));
  }
  return out;
}

std::vector<RuleCheck> Checks(const Policy& p) {
  std::vector<RuleCheck> out;
  for (const RuleInfo& rule : Rules()) {
    if (rule.cel == nullptr) continue;
    Twin twin;
    rule.cel(p, twin);
    for (Check& c : twin.checks) out.push_back(RuleCheck{std::move(c), rule.id});
  }
  return out;
}

std::string Downgraded(const RuleInfo& rule) {
  switch (rule.on_pod_update) {
    case OnPodUpdate::kKeep: return "false";
    case OnPodUpdate::kKeepIfLabelChanged: return "variables.podUpdate && !variables.labelChanged";
    case OnPodUpdate::kWarn: break;
  }
  return "variables.podUpdate";
}

std::string Unpatchable() { return "variables.kind != 'Pod' || variables.mirror"; }

}  // namespace seiguard::cel
