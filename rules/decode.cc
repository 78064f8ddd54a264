#include "rules/decode.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "rules/trail.h"

namespace seiguard {
namespace {

namespace dom = simdjson::dom;
using simdjson::dom::element;
using simdjson::dom::element_type;

std::string_view TypeWord(element_type t) {
  switch (t) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64: return "an integer";
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
  }
  return "a value";
}

class Decoder {
 public:
  StatusOr<Object> Run(element root, Kind kind);
  const std::string& ErrorPointer() const { return error_pointer_; }

 private:
  Status Fail(std::string_view what) {
    Path path = trail_.ToPath();
    error_pointer_ = std::string(path.Pointer());
    std::string where(path.Dotted());
    return Status::Error((where.empty() ? std::string("object") : where) + ": " + std::string(what));
  }
  Status TypeError(element e, std::string_view want) {
    return Fail("expected " + std::string(want) + ", got " + std::string(TypeWord(e.type())));
  }

  // Iterates the members of an object, calling fn(key, value) for each
  // non-null member whose key is in `keys`; a repeated key is an error.
  template <size_t N, typename Fn>
  Status Fields(element e, const std::string_view (&keys)[N], Fn fn) {
    static_assert(N <= 32);
    if (e.type() != element_type::OBJECT) return TypeError(e, "an object");
    uint32_t seen = 0;
    for (dom::key_value_pair field : dom::object(e)) {
      for (size_t i = 0; i < N; ++i) {
        if (field.key != keys[i]) continue;
        trail_.PushKey(field.key);
        if (seen & (1u << i)) return Fail("duplicate key");
        seen |= 1u << i;
        if (field.value.type() != element_type::NULL_VALUE) {
          Status s = fn(i, field.value);
          if (!s.ok()) return s;
        }
        trail_.Pop();
        break;
      }
    }
    return Status();
  }

  template <typename Fn>
  Status Items(element e, Fn fn) {
    if (e.type() != element_type::ARRAY) return TypeError(e, "an array");
    size_t i = 0;
    for (element item : dom::array(e)) {
      trail_.PushIndex(i);
      Status s = fn(i, item);
      if (!s.ok()) return s;
      trail_.Pop();
      ++i;
    }
    return Status();
  }

  // Items, each decoded into a new element appended to `out`:
  // fn(index, item, slot). Room for them all is made first, so a list of n
  // grows by one allocation instead of log n; capped, so a hostile array
  // cannot make us reserve more than it could fill.
  template <typename T, typename Fn>
  Status ItemsInto(element e, std::vector<T>* out, Fn fn) {
    if (e.type() == element_type::ARRAY) {
      out->reserve(out->size() + std::min<size_t>(dom::array(e).size(), kMaxReserve));
    }
    return Items(e, [&](size_t i, element item) { return fn(i, item, out->emplace_back()); });
  }
  static constexpr size_t kMaxReserve = 64;

  Status String(element e, std::string_view* out) {
    if (e.type() != element_type::STRING) return TypeError(e, "a string");
    *out = e.get_string().value_unsafe();
    return Status();
  }

  Status Bool(element e, bool* out) {
    if (e.type() != element_type::BOOL) return TypeError(e, "a boolean");
    *out = e.get_bool().value_unsafe();
    return Status();
  }

  // An int32 field: a number with an integral value ("8443" is not one), no
  // silent truncation. 8443.0 and 8.443e3 count: kubectl holds manifest
  // numbers as float64 and sends them as 8443, so that is what a cluster
  // gets from such a manifest (the API server itself never sends them).
  Status Int32(element e, int64_t* out) {
    int64_t v = 0;
    if (e.type() == element_type::INT64) {
      v = e.get_int64().value_unsafe();
    } else if (e.type() == element_type::UINT64) {
      return Fail("integer out of range");
    } else if (e.type() == element_type::DOUBLE) {
      double d = e.get_double().value_unsafe();
      if (d != std::floor(d)) return Fail("expected an integer, got a fractional number");
      if (d < INT32_MIN || d > INT32_MAX) return Fail("integer out of range");
      v = static_cast<int64_t>(d);
    } else {
      return TypeError(e, "an integer");
    }
    if (v < INT32_MIN || v > INT32_MAX) return Fail("integer out of range");
    *out = v;
    return Status();
  }

  Status IntOrStr(element e, IntOrString* out) {
    out->present = true;
    if (e.type() == element_type::STRING) {
      out->is_string = true;
      return String(e, &out->text);
    }
    if (e.type() == element_type::INT64 || e.type() == element_type::UINT64) {
      return Int32(e, &out->number);
    }
    return TypeError(e, "an integer or a string");
  }

  Status StringList(element e, std::vector<std::string_view>* out) {
    return ItemsInto(e, out, [&](size_t, element item, std::string_view& slot) {
      return String(item, &slot);
    });
  }

  // Sorting keeps this O(n log n): a hostile object may carry many labels.
  Status CheckUniqueLabels(const ObjectMeta& meta) {
    std::vector<std::string_view> keys;
    keys.reserve(meta.labels.size());
    for (const auto& kv : meta.labels) keys.push_back(kv.first);
    std::sort(keys.begin(), keys.end());
    for (size_t i = 1; i < keys.size(); ++i) {
      if (keys[i] == keys[i - 1]) {
        trail_.PushKey(keys[i]);
        return Fail("duplicate key");
      }
    }
    return Status();
  }

  Status Meta(element e, ObjectMeta* meta);
  Status Container(element e, seiguard::Container* c);
  Status ProbeAt(element e, ProbeType type, seiguard::Container* c);
  Status PodSpec(element e, PodView* pod);
  Status Template(element e, PodView* pod);
  Status ServiceSpec(element e, seiguard::ServiceSpec* svc);
  Status NetworkPolicySpec(element e, NetworkPolicy* np);
  Status Selector(element e, LabelSelector* out);
  Status Peer(element e, NetworkPolicyPeer* out);
  Status PolicyPort(element e, NetworkPolicyPort* out);

  Status Owned(element e, std::string* out) {
    std::string_view v;
    Status s = String(e, &v);
    if (s.ok()) out->assign(v);
    return s;
  }
  Status OwnedList(element e, std::vector<std::string>* out) {
    return ItemsInto(e, out, [&](size_t, element item, std::string& slot) { return Owned(item, &slot); });
  }

  Trail trail_;
  std::string error_pointer_;
};

Status Decoder::Meta(element e, ObjectMeta* meta) {
  meta->present = true;
  static constexpr std::string_view kKeys[] = {"name", "generateName", "namespace", "labels",
                                               "annotations", "ownerReferences"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    switch (i) {
      case 0: return String(v, &meta->name);
      case 1: return String(v, &meta->generate_name);
      case 2: return String(v, &meta->namespace_);
      case 3: {
        if (v.type() != element_type::OBJECT) return TypeError(v, "an object");
        meta->has_labels = true;
        meta->labels.reserve(std::min<size_t>(dom::object(v).size(), kMaxReserve));
        for (dom::key_value_pair kv : dom::object(v)) {
          trail_.PushKey(kv.key);
          meta->labels.emplace_back(kv.key, std::string_view());
          if (kv.value.type() != element_type::NULL_VALUE) {
            Status s = String(kv.value, &meta->labels.back().second);
            if (!s.ok()) return s;
          }
          trail_.Pop();
        }
        return CheckUniqueLabels(*meta);
      }
      case 4: {  // map[string]string: every value a string, as the API server decodes it
        if (v.type() != element_type::OBJECT) return TypeError(v, "an object");
        for (dom::key_value_pair kv : dom::object(v)) {
          if (kv.value.type() == element_type::NULL_VALUE) continue;
          trail_.PushKey(kv.key);
          std::string_view text;
          Status s = String(kv.value, &text);
          if (!s.ok()) return s;
          trail_.Pop();
          if (kv.key == "kubernetes.io/config.mirror") meta->mirror = true;
        }
        return Status();
      }
      default:
        return ItemsInto(v, &meta->owners, [&](size_t, element item, OwnerReference& o) -> Status {
          static constexpr std::string_view kOwner[] = {"apiVersion", "kind", "name", "controller"};
          return Fields(item, kOwner, [&](size_t j, element f) -> Status {
            switch (j) {
              case 0: return String(f, &o.api_version);
              case 1: return String(f, &o.kind);
              case 2: return String(f, &o.name);
              default: return Bool(f, &o.controller);
            }
          });
        });
    }
  });
}

Status Decoder::ProbeAt(element e, ProbeType type, seiguard::Container* c) {
  // One Probe per handler present: the API server refuses two handlers, but
  // a second must never hide the first from the rules.
  static constexpr std::string_view kHandlers[] = {"httpGet", "tcpSocket", "grpc"};
  static constexpr ProbeHandler kKinds[] = {ProbeHandler::kHttpGet, ProbeHandler::kTcpSocket,
                                            ProbeHandler::kGrpc};
  return Fields(e, kHandlers, [&](size_t i, element h) -> Status {
    if (c->probes.empty()) c->probes.reserve(3);  // one per probe field, as a rule
    c->probes.push_back(Probe{type, kKinds[i], {}, {}});
    Probe& p = c->probes.back();
    static constexpr std::string_view kPort[] = {"port", "path"};
    return Fields(h, kPort, [&](size_t j, element f) -> Status {
      if (j == 1) return String(f, &p.http_path);
      if (p.handler == ProbeHandler::kGrpc) {  // grpc.port is a plain int32
        p.port.present = true;
        return Int32(f, &p.port.number);
      }
      return IntOrStr(f, &p.port);
    });
  });
}

Status Decoder::Container(element e, seiguard::Container* c) {
  static constexpr std::string_view kKeys[] = {
      "name", "image", "restartPolicy", "command", "args", "ports", "env",
      "startupProbe", "livenessProbe", "readinessProbe"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    switch (i) {
      case 0: return String(v, &c->name);
      case 1: return String(v, &c->image);
      case 2: {
        std::string_view policy;
        Status s = String(v, &policy);
        c->restart_always = policy == "Always";
        return s;
      }
      case 3: return StringList(v, &c->command);
      case 4: return StringList(v, &c->args);
      case 5:
        c->has_ports = true;
        return ItemsInto(v, &c->ports, [&](size_t, element item, ContainerPort& port) -> Status {
          static constexpr std::string_view kPort[] = {"name", "containerPort", "protocol"};
          return Fields(item, kPort, [&](size_t j, element f) -> Status {
            switch (j) {
              case 0: return String(f, &port.name);
              case 1: return Int32(f, &port.container_port);
              default: return String(f, &port.protocol);
            }
          });
        });
      case 6:
        c->has_env = true;
        return ItemsInto(v, &c->env, [&](size_t, element item, EnvVar& env) -> Status {
          static constexpr std::string_view kEnv[] = {"name", "value", "valueFrom"};
          return Fields(item, kEnv, [&](size_t j, element f) -> Status {
            switch (j) {
              case 0: return String(f, &env.name);
              case 1: env.has_value = true; return String(f, &env.value);
              default:
                if (f.type() != element_type::OBJECT) return TypeError(f, "an object");
                env.has_value_from = true;
                return Status();
            }
          });
        });
      case 7: return ProbeAt(v, ProbeType::kStartup, c);
      case 8: return ProbeAt(v, ProbeType::kLiveness, c);
      default: return ProbeAt(v, ProbeType::kReadiness, c);
    }
  });
}

Status Decoder::PodSpec(element e, PodView* pod) {
  // Two passes keep initContainers before containers whatever the key order.
  static constexpr std::string_view kKeys[] = {"initContainers", "containers"};
  for (bool init : {true, false}) {
    Status s = Fields(e, kKeys, [&](size_t i, element v) -> Status {
      if ((i == 0) != init) return Status();
      return ItemsInto(v, &pod->containers,
                       [&](size_t index, element item, seiguard::Container& c) -> Status {
        c.init = init;
        c.index = index;
        return Container(item, &c);
      });
    });
    if (!s.ok()) return s;
  }
  return Status();
}

Status Decoder::Template(element e, PodView* pod) {
  if (e.type() == element_type::OBJECT) pod->present = true;
  static constexpr std::string_view kKeys[] = {"metadata", "spec"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    return i == 0 ? Meta(v, &pod->meta) : PodSpec(v, pod);
  });
}

Status Decoder::ServiceSpec(element e, seiguard::ServiceSpec* svc) {
  static constexpr std::string_view kKeys[] = {"clusterIP", "ports"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) return String(v, &svc->cluster_ip);
    return ItemsInto(v, &svc->ports, [&](size_t, element item, ServicePort& port) -> Status {
      static constexpr std::string_view kPort[] = {"name", "port"};
      return Fields(item, kPort, [&](size_t j, element f) -> Status {
        return j == 0 ? String(f, &port.name) : Int32(f, &port.port);
      });
    });
  });
}

// NetworkPolicySpec as the API defines it (see rules/netpol.h); egress is
// not read: only who reaches the pods matters here.
Status Decoder::Selector(element e, LabelSelector* out) {
  static constexpr std::string_view kKeys[] = {"matchLabels", "matchExpressions"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) {
      if (v.type() != element_type::OBJECT) return TypeError(v, "an object");
      for (dom::key_value_pair kv : dom::object(v)) {
        trail_.PushKey(kv.key);
        std::string value;
        if (Status s = Owned(kv.value, &value); !s.ok()) return s;
        trail_.Pop();
        out->match_labels.emplace_back(std::string(kv.key), std::move(value));
      }
      return Status();
    }
    return ItemsInto(v, &out->expressions, [&](size_t, element item, SelectorRequirement& r) -> Status {
      static constexpr std::string_view kReq[] = {"key", "operator", "values"};
      std::string op;
      Status s = Fields(item, kReq, [&](size_t j, element f) -> Status {
        if (j == 0) return Owned(f, &r.key);
        if (j == 1) return Owned(f, &op);
        return OwnedList(f, &r.values);
      });
      if (!s.ok()) return s;
      using Op = SelectorRequirement::Op;
      if (op == "In") r.op = Op::kIn;
      else if (op == "NotIn") r.op = Op::kNotIn;
      else if (op == "Exists") r.op = Op::kExists;
      else if (op == "DoesNotExist") r.op = Op::kDoesNotExist;
      else return Fail("operator \"" + op + "\" is not In, NotIn, Exists or DoesNotExist");
      return Status();
    });
  });
}

Status Decoder::Peer(element e, NetworkPolicyPeer* out) {
  static constexpr std::string_view kKeys[] = {"podSelector", "namespaceSelector", "ipBlock"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) return Selector(v, &out->pod_selector.emplace());
    if (i == 1) return Selector(v, &out->namespace_selector.emplace());
    static constexpr std::string_view kBlock[] = {"cidr", "except"};
    IpBlock& block = out->ip_block.emplace();
    return Fields(v, kBlock, [&](size_t j, element f) -> Status {
      return j == 0 ? Owned(f, &block.cidr) : OwnedList(f, &block.except);
    });
  });
}

Status Decoder::PolicyPort(element e, NetworkPolicyPort* out) {
  static constexpr std::string_view kKeys[] = {"protocol", "port", "endPort"};
  return Fields(e, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) return Owned(v, &out->protocol);
    if (i == 2) return Int32(v, &out->end_port.emplace());
    IntOrString port;
    if (Status s = IntOrStr(v, &port); !s.ok()) return s;
    out->has_port = true;
    out->named = port.is_string;
    out->number = port.number;
    out->name.assign(port.text);
    return Status();
  });
}

Status Decoder::NetworkPolicySpec(element e, NetworkPolicy* np) {
  static constexpr std::string_view kKeys[] = {"podSelector", "policyTypes", "ingress"};
  bool has_types = false;
  std::vector<std::string> types;
  Status s = Fields(e, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) return Selector(v, &np->pod_selector);
    if (i == 1) {
      has_types = true;
      return OwnedList(v, &types);
    }
    return ItemsInto(v, &np->ingress, [&](size_t, element item, IngressRule& rule) -> Status {
      static constexpr std::string_view kRule[] = {"from", "ports"};
      return Fields(item, kRule, [&](size_t j, element f) -> Status {
        if (j == 0) return ItemsInto(f, &rule.from, [&](size_t, element p, NetworkPolicyPeer& peer) { return Peer(p, &peer); });
        return ItemsInto(f, &rule.ports, [&](size_t, element p, NetworkPolicyPort& port) { return PolicyPort(p, &port); });
      });
    });
  });
  // policyTypes absent or empty (the API server defaults both alike):
  // Ingress is always in it.
  if (has_types && !types.empty()) {
    np->ingress_type = std::find(types.begin(), types.end(), "Ingress") != types.end();
  }
  return s;
}

StatusOr<Object> Decoder::Run(element root, Kind kind) {
  Object obj;
  obj.kind = kind;
  if (root.type() != element_type::OBJECT) return TypeError(root, "an object");
  Path spec = Path().Key("spec");
  if (kind == Kind::kPod) {
    obj.pod.present = true;
    obj.pod.meta_path = Path().Key("metadata");
    obj.pod.spec_path = spec;
  } else if (kind == Kind::kCronJob) {
    Path tmpl = spec.Key("jobTemplate").Key("spec").Key("template");
    obj.pod.meta_path = tmpl.Key("metadata");
    obj.pod.spec_path = tmpl.Key("spec");
  } else if (IsWorkload(kind)) {
    obj.pod.meta_path = spec.Key("template").Key("metadata");
    obj.pod.spec_path = spec.Key("template").Key("spec");
  }

  static constexpr std::string_view kKeys[] = {"metadata", "spec"};
  Status s = Fields(root, kKeys, [&](size_t i, element v) -> Status {
    if (i == 0) return Meta(v, &obj.meta);
    switch (kind) {
      case Kind::kPod: return PodSpec(v, &obj.pod);
      case Kind::kService: return ServiceSpec(v, &obj.service);
      case Kind::kNetworkPolicy: return NetworkPolicySpec(v, &obj.network_policy);
      case Kind::kCronJob: {
        static constexpr std::string_view kJob[] = {"jobTemplate"};
        return Fields(v, kJob, [&](size_t, element job) {
          static constexpr std::string_view kSpec[] = {"spec"};
          return Fields(job, kSpec, [&](size_t, element job_spec) {
            static constexpr std::string_view kTemplate[] = {"template"};
            return Fields(job_spec, kTemplate,
                          [&](size_t, element t) { return Template(t, &obj.pod); });
          });
        });
      }
      case Kind::kOther: return Status();
      default: {
        static constexpr std::string_view kTemplate[] = {"template"};
        return Fields(v, kTemplate, [&](size_t, element t) { return Template(t, &obj.pod); });
      }
    }
  });
  if (!s.ok()) return s;
  if (kind == Kind::kPod) obj.pod.meta = obj.meta;
  if (kind == Kind::kNetworkPolicy) {
    obj.network_policy.namespace_.assign(obj.meta.namespace_);
    obj.network_policy.name.assign(obj.meta.name);
  }
  return obj;
}

}  // namespace

StatusOr<Object> DecodeObject(element root, Kind kind, std::string* error_pointer) {
  Decoder decoder;
  StatusOr<Object> obj = decoder.Run(root, kind);
  if (!obj.ok() && error_pointer != nullptr) *error_pointer = decoder.ErrorPointer();
  return obj;
}

Kind KindOf(element root) {
  std::string_view api_version, kind;
  if (root["apiVersion"].get(api_version) || root["kind"].get(kind)) return Kind::kOther;
  size_t slash = api_version.find('/');
  std::string_view group = slash == std::string_view::npos ? "" : api_version.substr(0, slash);
  return KindFromGroupKind(group, kind);
}

}  // namespace seiguard
