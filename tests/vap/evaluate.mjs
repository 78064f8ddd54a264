// Evaluates ValidatingAdmissionPolicies and their bindings against admission
// requests the way kube-apiserver does, with a real CEL implementation
// (@bufbuild/cel): matchConstraints (resource rules, namespaceSelector),
// then matchConditions, then `variables` in order, then every validation's
// expression and, on failure, its messageExpression.
//
// Webhook configurations (`seiguard webhooks -o json`) are evaluated too: for
// each webhook, whether the API server would call it (actions ["Call"]).
//
// Input (stdin, JSON):
//   {"policies": {"<key>": [documents from `seiguard vap -o json`]},
//    "cases": [{"id": "...", "policies": "<key>", "request": AdmissionRequest}]}
// Output (stdout, JSON): [{"id", "results": [{"policy", "actions",
//   "matched", "failures": [message], "errors": [text]}]}]
//
// Values are bound as the apiserver binds them: JSON integers as CEL int
// (BigInt), objects as maps. Explicit nulls are dropped. That is close to,
// not the same as, the apiserver: it decodes an object into its Go type, so
// most nulls vanish, but a field without omitempty (a pod spec's containers)
// is handed to CEL as null when unset. tests/cluster/matchcond evaluates with
// the apiserver's own decoding and code, and is the authority on that.
// Variables are evaluated eagerly (the apiserver evaluates them lazily): an
// expression that errors anywhere is reported, never hidden.
import { readFileSync } from "node:fs";
import { CelScalar, celEnv, celError, celFunc, celMethod, isCelError, parse, plan } from "@bufbuild/cel";

// The part of the Kubernetes CEL network library (k8s.io/apiserver
// pkg/cel/library/cidr.go) the backstop calls: isCIDR, cidr and
// containsCIDR. A CIDR value is held as its (valid) text. Parsing is
// Go's netip.ParsePrefix less IPv4-mapped IPv6, as in rules/netpol.cc.
function parseIpv4(s) {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function parseIpv6(s) {
  let head = s, tail = "";
  const ellipsis = s.indexOf("::");
  if (ellipsis >= 0) {
    head = s.slice(0, ellipsis);
    tail = s.slice(ellipsis + 2);
    if (tail.includes("::")) return null;
  }
  const groups = (text, last) => {
    if (text === "") return [];
    const out = [];
    const fields = text.split(":");
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      if (last && i === fields.length - 1 && f.includes(".")) {
        const v4 = parseIpv4(f);
        if (v4 === null) return null;
        out.push(v4[0], v4[1], v4[2], v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(f)) return null;
        const v = parseInt(f, 16);
        out.push(v >> 8, v & 0xff);
      }
    }
    return out;
  };
  const h = groups(head, ellipsis < 0), t = groups(tail, true);
  if (h === null || t === null) return null;
  if (ellipsis < 0) return h.length === 16 ? h : null;
  if (h.length + t.length > 14) return null;  // "::" stands for at least one zero group
  return [...h, ...new Array(16 - h.length - t.length).fill(0), ...t];
}

function parseCidr(text) {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return null;
  const ip = text.slice(0, slash), bits = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(bits)) return null;
  const family = ip.search(/[.:]/);
  if (family < 0) return null;
  const address = ip[family] === "." ? parseIpv4(ip) : parseIpv6(ip);
  if (address === null || Number(bits) > address.length * 8) return null;
  if (address.length === 16 && address.slice(0, 12).join() === "0,0,0,0,0,0,0,0,0,0,255,255") return null;
  return { address, bits: Number(bits) };
}

function containsCidr(outer, inner) {
  const a = parseCidr(outer), b = parseCidr(inner);
  if (a === null || b === null) return celError(`network address parse error: ${a === null ? outer : inner}`);
  if (a.address.length !== b.address.length || b.bits < a.bits) return false;
  for (let i = 0; i < a.bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((a.address[i >> 3] & mask) !== (b.address[i >> 3] & mask)) return false;
  }
  return true;
}

const network = [
  celFunc("isCIDR", [CelScalar.STRING], CelScalar.BOOL, (s) => parseCidr(s) !== null),
  celFunc("cidr", [CelScalar.STRING], CelScalar.STRING, (s) => {
    const c = parseCidr(s);
    return c === null ? celError(`network address parse error: ${s}`) : s;
  }),
  celMethod("containsCIDR", CelScalar.STRING, [CelScalar.STRING], CelScalar.BOOL, function (other) {
    return containsCidr(this, other);
  }),
];

const env = celEnv({ funcs: network });
const plans = new Map();

function compile(expression) {
  let p = plans.get(expression);
  if (p === undefined) {
    try {
      p = plan(env, parse(expression));
    } catch (e) {
      p = { error: `does not compile: ${e.message}` };
    }
    plans.set(expression, p);
  }
  return p;
}

function evaluate(expression, bindings) {
  const p = compile(expression);
  if (typeof p !== "function") return { error: p.error };
  let value;
  try {
    value = p(bindings);
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
  if (isCelError(value)) return { error: value.message };
  return { value };
}

// JSON value -> CEL input; null members of objects are dropped.
function toCel(v) {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(toCel);
  if (typeof v === "number") return Number.isInteger(v) ? BigInt(v) : v;
  if (typeof v === "object") {
    const m = new Map();
    for (const [k, x] of Object.entries(v)) {
      if (x !== null) m.set(k, toCel(x));
    }
    return m;
  }
  return v;
}

const RESOURCES = {
  Pod: "pods", Service: "services", Deployment: "deployments", StatefulSet: "statefulsets",
  DaemonSet: "daemonsets", ReplicaSet: "replicasets", Job: "jobs", CronJob: "cronjobs",
};

function listed(list, value) {
  return (list || []).includes("*") || (list || []).includes(value);
}

function matchesRules(constraints, request) {
  const kind = request.kind || {};
  let resource = request.resource && request.resource.resource
    ? request.resource.resource : RESOURCES[kind.kind] || "";
  if (request.subResource) resource += "/" + request.subResource;
  return (constraints.resourceRules || []).some((r) =>
    listed(r.apiGroups, kind.group || "") && listed(r.apiVersions, kind.version || "v1") &&
    listed(r.operations, request.operation) && listed(r.resources, resource));
}

// A namespace's labels, as the apiserver sees them: its name label at least.
function matchesNamespace(selector, request) {
  if (!selector) return true;
  const labels = { "kubernetes.io/metadata.name": request.namespace || "" };
  for (const [k, v] of Object.entries(selector.matchLabels || {})) {
    if (labels[k] !== v) return false;
  }
  return (selector.matchExpressions || []).every((e) => {
    const has = e.key in labels;
    switch (e.operator) {
      case "In": return has && e.values.includes(labels[e.key]);
      case "NotIn": return !has || !e.values.includes(labels[e.key]);
      case "Exists": return has;
      case "DoesNotExist": return !has;
      default: throw new Error(`unknown operator ${e.operator}`);
    }
  });
}

// The admission variables the API server binds for a request.
function bindingsOf(request) {
  return {
    object: toCel(request.object ?? null),
    oldObject: toCel(request.oldObject ?? null),
    request: toCel(Object.fromEntries(
      Object.entries(request).filter(([k]) => k !== "object" && k !== "oldObject"))),
  };
}

// Whether every matchCondition is true; an error or a non-bool is recorded
// in out.errors and holds nothing.
function conditionsHold(conditions, bindings, out) {
  for (const mc of conditions || []) {
    const r = evaluate(mc.expression, bindings);
    if (r.error !== undefined || typeof r.value !== "boolean") {
      out.errors.push(`matchCondition ${mc.name}: ${r.error ?? "not a bool"}`);
      return false;
    }
    if (!r.value) return false;
  }
  return true;
}

function evaluatePolicy(policy, actions, request) {
  const out = { policy: policy.metadata.name, actions, matched: false, failures: [], errors: [] };
  const spec = policy.spec;
  const constraints = spec.matchConstraints || {};
  if (!["CREATE", "UPDATE", "DELETE", "CONNECT"].includes(request.operation)) return out;
  if (!matchesRules(constraints, request) || !matchesNamespace(constraints.namespaceSelector, request)) {
    return out;
  }
  const bindings = bindingsOf(request);
  if (!conditionsHold(spec.matchConditions, bindings, out)) return out;
  out.matched = true;
  const variables = new Map();
  bindings.variables = variables;
  for (const v of spec.variables || []) {
    const r = evaluate(v.expression, bindings);
    if (r.error !== undefined) {
      out.errors.push(`variable ${v.name}: ${r.error}`);
      continue;
    }
    variables.set(v.name, r.value);
  }
  spec.validations.forEach((val, i) => {
    const r = evaluate(val.expression, bindings);
    if (r.error !== undefined) {
      out.errors.push(`validations[${i}]: ${r.error}`);
      return;
    }
    if (typeof r.value !== "boolean") {
      out.errors.push(`validations[${i}]: not a bool`);
      return;
    }
    if (r.value) return;
    let message = val.message;
    if (val.messageExpression) {
      const m = evaluate(val.messageExpression, bindings);
      if (m.error !== undefined || typeof m.value !== "string" || m.value.includes("\n")) {
        out.errors.push(`validations[${i}].messageExpression: ${m.error ?? "not a one-line string"}`);
      } else {
        message = m.value;
      }
    }
    out.failures.push(message);
  });
  return out;
}

// A webhook of a Validating- or MutatingWebhookConfiguration: whether the
// API server would call it (rules, namespaceSelector, then matchConditions,
// as k8s.io/apiserver's ShouldCallHook). An evaluation error is reported: under
// failurePolicy Fail it would refuse the request.
function evaluateWebhook(hook, request) {
  const out = { policy: hook.name, actions: ["Call"], matched: false, failures: [], errors: [] };
  const constraints = { resourceRules: hook.rules, namespaceSelector: hook.namespaceSelector };
  if (!matchesNamespace(constraints.namespaceSelector, request) || !matchesRules(constraints, request)) {
    return out;
  }
  out.matched = conditionsHold(hook.matchConditions, bindingsOf(request), out);
  return out;
}

function evaluateCase(docs, request) {
  const bindings = docs.filter((d) => d.kind === "ValidatingAdmissionPolicyBinding");
  const results = [];
  for (const config of docs.filter((d) => d.kind.endsWith("WebhookConfiguration"))) {
    for (const hook of config.webhooks || []) results.push(evaluateWebhook(hook, request));
  }
  for (const policy of docs.filter((d) => d.kind === "ValidatingAdmissionPolicy")) {
    for (const b of bindings.filter((b) => b.spec.policyName === policy.metadata.name)) {
      results.push(evaluatePolicy(policy, b.spec.validationActions, request));
    }
  }
  return results;
}

const input = JSON.parse(readFileSync(0, "utf8"));
const output = input.cases.map((c) => ({
  id: c.id,
  results: evaluateCase(input.policies[c.policies], c.request),
}));
process.stdout.write(JSON.stringify(output));
