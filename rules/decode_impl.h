// Internal to rules/: the one decoder, written once over a JSON access layer
// `J` so that the same code reads a simdjson DOM (decode.cc: check, read,
// the tests) and a simdjson On-Demand document (decode_ondemand.cc: the
// admission path, which skips every value no rule reads).
//
// J provides:
//   using Value;                                  a JSON value, passed by reference
//   static JsonType Type(Value&);                 peeks, consumes nothing
//   static bool Members(Value&, fn(key, Value&) -> bool);   false: bad JSON
//   static bool Elements(Value&, fn(Value&) -> bool);       false: bad JSON
//   static size_t LengthHint(Value&);             items to reserve room for (0: unknown)
//   static size_t Count(Value&);                  an array's length, even if it costs a pass
//   static bool String/Bool/Int64/Double(Value&, T*);        false: bad JSON
// A Members or Elements callback that returns false stops the walk (the
// decoder keeps its own Status). Each value is read at most once, in
// document order: what a forward-only reader allows.
#ifndef SEIGUARD_RULES_DECODE_IMPL_H_
#define SEIGUARD_RULES_DECODE_IMPL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/model.h"
#include "rules/status.h"
#include "rules/trail.h"

namespace seiguard::decode {

enum class JsonType { kNull, kBool, kInt64, kUint64, kDouble, kString, kArray, kObject, kInvalid };

inline std::string_view TypeWord(JsonType t) {
  switch (t) {
    case JsonType::kArray: return "an array";
    case JsonType::kObject: return "an object";
    case JsonType::kInt64:
    case JsonType::kUint64: return "an integer";
    case JsonType::kDouble: return "a number";
    case JsonType::kString: return "a string";
    case JsonType::kBool: return "a boolean";
    case JsonType::kNull: return "null";
    case JsonType::kInvalid: break;
  }
  return "invalid JSON";
}

template <typename J>
class Decoder {
 public:
  using Value = typename J::Value;

  template <typename V>
  StatusOr<Object> Run(V& root, Kind kind);
  const std::string& ErrorPointer() const { return error_pointer_; }

 private:
  Status Fail(std::string_view what) {
    Path path = trail_.ToPath();
    error_pointer_ = std::string(path.Pointer());
    std::string where(path.Dotted());
    return Status::Error((where.empty() ? std::string("object") : where) + ": " + std::string(what));
  }
  template <typename V>
  Status TypeError(V& e, std::string_view want) {
    JsonType t = J::Type(e);
    if (t == JsonType::kInvalid) return Invalid();
    return Fail("expected " + std::string(want) + ", got " + std::string(TypeWord(t)));
  }
  Status Invalid() { return Fail("invalid JSON"); }

  // Iterates the members of an object, calling fn(i, value) for each
  // non-null member whose key is keys[i]; a repeated key is an error.
  template <size_t N, typename V, typename Fn>
  Status Fields(V& e, const std::string_view (&keys)[N], Fn fn) {
    static_assert(N <= 32);
    if (J::Type(e) != JsonType::kObject) return TypeError(e, "an object");
    uint32_t seen = 0;
    Status status;
    bool well_formed = J::Members(e, [&](std::string_view key, Value& value) -> bool {
      for (size_t i = 0; i < N; ++i) {
        if (key != keys[i]) continue;
        trail_.PushKey(key);
        if (seen & (1u << i)) {
          status = Fail("duplicate key");
          return false;
        }
        seen |= 1u << i;
        JsonType t = J::Type(value);
        if (t == JsonType::kInvalid) {
          status = Invalid();
          return false;
        }
        if (t != JsonType::kNull) {
          status = fn(i, value);
          if (!status.ok()) return false;
        }
        trail_.Pop();
        break;
      }
      return true;
    });
    if (!status.ok()) return status;
    return well_formed ? Status() : Invalid();
  }

  // Every member of an object, null or not: fn(key, value).
  template <typename Fn>
  Status EachMember(Value& e, Fn fn) {
    if (J::Type(e) != JsonType::kObject) return TypeError(e, "an object");
    Status status;
    bool well_formed = J::Members(e, [&](std::string_view key, Value& value) -> bool {
      status = fn(key, value);
      return status.ok();
    });
    if (!status.ok()) return status;
    return well_formed ? Status() : Invalid();
  }

  template <typename Fn>
  Status Items(Value& e, Fn fn) {
    if (J::Type(e) != JsonType::kArray) return TypeError(e, "an array");
    size_t i = 0;
    Status status;
    bool well_formed = J::Elements(e, [&](Value& item) -> bool {
      trail_.PushIndex(i);
      status = fn(i, item);
      if (!status.ok()) return false;
      trail_.Pop();
      ++i;
      return true;
    });
    if (!status.ok()) return status;
    return well_formed ? Status() : Invalid();
  }

  // Items, each decoded into a new element appended to `out`:
  // fn(index, item, slot). Room for them all is made first when the reader
  // knows how many there are (a list of n grows by one allocation instead
  // of log n), else for `guess`; capped, so a hostile array cannot make us
  // reserve more than it could fill.
  template <typename T, typename Fn>
  Status ItemsInto(Value& e, std::vector<T>* out, Fn fn, size_t guess = 0) {
    if (J::Type(e) == JsonType::kArray) {
      size_t n = J::LengthHint(e);
      out->reserve(out->size() + std::min<size_t>(n == 0 ? guess : n, kMaxReserve));
    }
    return Items(e, [&](size_t i, Value& item) { return fn(i, item, out->emplace_back()); });
  }
  static constexpr size_t kMaxReserve = 64;

  Status String(Value& e, std::string_view* out) {
    if (J::Type(e) != JsonType::kString) return TypeError(e, "a string");
    return J::String(e, out) ? Status() : Invalid();
  }

  Status Bool(Value& e, bool* out) {
    if (J::Type(e) != JsonType::kBool) return TypeError(e, "a boolean");
    return J::Bool(e, out) ? Status() : Invalid();
  }

  // An int32 field: a number with an integral value ("8443" is not one), no
  // silent truncation. 8443.0 and 8.443e3 count: kubectl holds manifest
  // numbers as float64 and sends them as 8443, so that is what a cluster
  // gets from such a manifest (the API server itself never sends them).
  Status Int32(Value& e, int64_t* out) {
    int64_t v = 0;
    JsonType t = J::Type(e);
    if (t == JsonType::kInt64) {
      if (!J::Int64(e, &v)) return Invalid();
    } else if (t == JsonType::kUint64) {
      return Fail("integer out of range");
    } else if (t == JsonType::kDouble) {
      double d = 0;
      if (!J::Double(e, &d)) return Invalid();
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

  Status IntOrStr(Value& e, IntOrString* out) {
    out->present = true;
    JsonType t = J::Type(e);
    if (t == JsonType::kString) {
      out->is_string = true;
      return String(e, &out->text);
    }
    if (t == JsonType::kInt64 || t == JsonType::kUint64) return Int32(e, &out->number);
    return TypeError(e, "an integer or a string");
  }

  // Strings are cheap to count first (no nesting to pass over): their list
  // is allocated once at its size.
  Status StringList(Value& e, std::vector<std::string_view>* out) {
    size_t count = J::Type(e) == JsonType::kArray ? J::Count(e) : 0;
    return ItemsInto(e, out, [&](size_t, Value& item, std::string_view& slot) {
      return String(item, &slot);
    }, count);
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

  Status Meta(Value& e, ObjectMeta* meta);
  Status Container(Value& e, seiguard::Container* c);
  Status ProbeAt(Value& e, ProbeType type, seiguard::Container* c);
  Status PodSpec(Value& e, PodView* pod);
  Status Template(Value& e, PodView* pod);
  Status ServiceSpec(Value& e, seiguard::ServiceSpec* svc);
  Status NetworkPolicySpec(Value& e, NetworkPolicy* np);
  Status Selector(Value& e, LabelSelector* out);
  Status Peer(Value& e, NetworkPolicyPeer* out);
  Status PolicyPort(Value& e, NetworkPolicyPort* out);

  Status Owned(Value& e, std::string* out) {
    std::string_view v;
    Status s = String(e, &v);
    if (s.ok()) out->assign(v);
    return s;
  }
  Status OwnedList(Value& e, std::vector<std::string>* out) {
    return ItemsInto(e, out, [&](size_t, Value& item, std::string& slot) { return Owned(item, &slot); });
  }

  Trail trail_;
  std::string error_pointer_;
};

template <typename J>
Status Decoder<J>::Meta(Value& e, ObjectMeta* meta) {
  meta->present = true;
  static constexpr std::string_view kKeys[] = {"name", "generateName", "namespace", "labels",
                                               "annotations", "ownerReferences"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    switch (i) {
      case 0: return String(v, &meta->name);
      case 1: return String(v, &meta->generate_name);
      case 2: return String(v, &meta->namespace_);
      case 3: {
        if (J::Type(v) != JsonType::kObject) return TypeError(v, "an object");
        meta->has_labels = true;
        size_t n = J::LengthHint(v);
        meta->labels.reserve(std::min<size_t>(n == 0 ? 16 : n, kMaxReserve));
        Status s = EachMember(v, [&](std::string_view key, Value& value) -> Status {
          trail_.PushKey(key);
          meta->labels.emplace_back(key, std::string_view());
          JsonType t = J::Type(value);
          if (t == JsonType::kInvalid) return Invalid();
          if (t != JsonType::kNull) {
            Status s = String(value, &meta->labels.back().second);
            if (!s.ok()) return s;
          }
          trail_.Pop();
          return Status();
        });
        if (!s.ok()) return s;
        return CheckUniqueLabels(*meta);
      }
      case 4:  // map[string]string: every value a string, as the API server decodes it
        return EachMember(v, [&](std::string_view key, Value& value) -> Status {
          JsonType t = J::Type(value);
          if (t == JsonType::kInvalid) return Invalid();
          if (t == JsonType::kNull) return Status();
          trail_.PushKey(key);
          std::string_view text;
          Status s = String(value, &text);
          if (!s.ok()) return s;
          trail_.Pop();
          if (key == "kubernetes.io/config.mirror") meta->mirror = true;
          return Status();
        });
      default:
        return ItemsInto(v, &meta->owners, [&](size_t, Value& item, OwnerReference& o) -> Status {
          static constexpr std::string_view kOwner[] = {"apiVersion", "kind", "name", "controller"};
          return Fields(item, kOwner, [&](size_t j, Value& f) -> Status {
            switch (j) {
              case 0: return String(f, &o.api_version);
              case 1: return String(f, &o.kind);
              case 2: return String(f, &o.name);
              default: return Bool(f, &o.controller);
            }
          });
        }, 1);
    }
  });
}

template <typename J>
Status Decoder<J>::ProbeAt(Value& e, ProbeType type, seiguard::Container* c) {
  // One Probe per handler present: the API server refuses two handlers, but
  // a second must never hide the first from the rules.
  static constexpr std::string_view kHandlers[] = {"httpGet", "tcpSocket", "grpc"};
  static constexpr ProbeHandler kKinds[] = {ProbeHandler::kHttpGet, ProbeHandler::kTcpSocket,
                                            ProbeHandler::kGrpc};
  return Fields(e, kHandlers, [&](size_t i, Value& h) -> Status {
    if (c->probes.empty()) c->probes.reserve(3);  // one per probe field, as a rule
    c->probes.push_back(Probe{type, kKinds[i], {}, {}});
    Probe& p = c->probes.back();
    static constexpr std::string_view kPort[] = {"port", "path"};
    return Fields(h, kPort, [&](size_t j, Value& f) -> Status {
      if (j == 1) return String(f, &p.http_path);
      if (p.handler == ProbeHandler::kGrpc) {  // grpc.port is a plain int32
        p.port.present = true;
        return Int32(f, &p.port.number);
      }
      return IntOrStr(f, &p.port);
    });
  });
}

template <typename J>
Status Decoder<J>::Container(Value& e, seiguard::Container* c) {
  static constexpr std::string_view kKeys[] = {
      "name", "image", "restartPolicy", "command", "args", "ports", "env",
      "startupProbe", "livenessProbe", "readinessProbe"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
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
        return ItemsInto(v, &c->ports, [&](size_t, Value& item, ContainerPort& port) -> Status {
          static constexpr std::string_view kPort[] = {"name", "containerPort", "protocol"};
          return Fields(item, kPort, [&](size_t j, Value& f) -> Status {
            switch (j) {
              case 0: return String(f, &port.name);
              case 1: return Int32(f, &port.container_port);
              default: return String(f, &port.protocol);
            }
          });
        }, 8);  // a Sei node's seid exposes 7

      case 6:
        c->has_env = true;
        return ItemsInto(v, &c->env, [&](size_t, Value& item, EnvVar& env) -> Status {
          static constexpr std::string_view kEnv[] = {"name", "value", "valueFrom"};
          return Fields(item, kEnv, [&](size_t j, Value& f) -> Status {
            switch (j) {
              case 0: return String(f, &env.name);
              case 1: env.has_value = true; return String(f, &env.value);
              default:
                if (J::Type(f) != JsonType::kObject) return TypeError(f, "an object");
                env.has_value_from = true;
                return Status();
            }
          });
        }, 16);  // the sidecar has 12 or 13
      case 7: return ProbeAt(v, ProbeType::kStartup, c);
      case 8: return ProbeAt(v, ProbeType::kLiveness, c);
      default: return ProbeAt(v, ProbeType::kReadiness, c);
    }
  });
}

template <typename J>
Status Decoder<J>::PodSpec(Value& e, PodView* pod) {
  // One pass; initContainers are moved before containers afterwards, whatever
  // the key order.
  static constexpr std::string_view kKeys[] = {"initContainers", "containers"};
  size_t init_begin = 0, init_end = 0;
  Status s = Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    bool init = i == 0;
    if (init) init_begin = pod->containers.size();
    Status s = ItemsInto(v, &pod->containers,
                         [&](size_t index, Value& item, seiguard::Container& c) -> Status {
      c.init = init;
      c.index = index;
      return Container(item, &c);
    }, 8);
    if (init) init_end = pod->containers.size();
    return s;
  });
  if (!s.ok()) return s;
  std::rotate(pod->containers.begin(), pod->containers.begin() + init_begin,
              pod->containers.begin() + init_end);
  return Status();
}

template <typename J>
Status Decoder<J>::Template(Value& e, PodView* pod) {
  if (J::Type(e) == JsonType::kObject) pod->present = true;
  static constexpr std::string_view kKeys[] = {"metadata", "spec"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    return i == 0 ? Meta(v, &pod->meta) : PodSpec(v, pod);
  });
}

template <typename J>
Status Decoder<J>::ServiceSpec(Value& e, seiguard::ServiceSpec* svc) {
  static constexpr std::string_view kKeys[] = {"clusterIP", "ports"};
  return Fields(e, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) return String(v, &svc->cluster_ip);
    return ItemsInto(v, &svc->ports, [&](size_t, Value& item, ServicePort& port) -> Status {
      static constexpr std::string_view kPort[] = {"name", "port"};
      return Fields(item, kPort, [&](size_t j, Value& f) -> Status {
        return j == 0 ? String(f, &port.name) : Int32(f, &port.port);
      });
    }, 4);
  });
}

template <typename J>
template <typename V>
StatusOr<Object> Decoder<J>::Run(V& root, Kind kind) {
  Object obj;
  obj.kind = kind;
  if (J::Type(root) != JsonType::kObject) return TypeError(root, "an object");
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
  Status s = Fields(root, kKeys, [&](size_t i, Value& v) -> Status {
    if (i == 0) return Meta(v, &obj.meta);
    switch (kind) {
      case Kind::kPod: return PodSpec(v, &obj.pod);
      case Kind::kService: return ServiceSpec(v, &obj.service);
      case Kind::kNetworkPolicy: return NetworkPolicySpec(v, &obj.network_policy);
      case Kind::kCronJob: {
        static constexpr std::string_view kJob[] = {"jobTemplate"};
        return Fields(v, kJob, [&](size_t, Value& job) {
          static constexpr std::string_view kSpec[] = {"spec"};
          return Fields(job, kSpec, [&](size_t, Value& job_spec) {
            static constexpr std::string_view kTemplate[] = {"template"};
            return Fields(job_spec, kTemplate,
                          [&](size_t, Value& t) { return Template(t, &obj.pod); });
          });
        });
      }
      case Kind::kOther: return Status();
      default: {
        static constexpr std::string_view kTemplate[] = {"template"};
        return Fields(v, kTemplate, [&](size_t, Value& t) { return Template(t, &obj.pod); });
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

}  // namespace seiguard::decode

#include "rules/decode_netpol_impl.h"  // the NetworkPolicy part of the decoder

#endif  // SEIGUARD_RULES_DECODE_IMPL_H_
