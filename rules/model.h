// The small typed model the rules judge: only the parts of a Pod, a pod
// template or a Service that seiguard reads, each able to say where it lives
// in the object. Built by decode.h; plain values, no JSON library types.
//
// Text is borrowed, not copied: every std::string_view points into the parsed
// document (JsonParser) the object was decoded from, and is valid until that
// parser parses again. Decoding a SeiNode pod therefore allocates almost
// nothing.
#ifndef SEIGUARD_RULES_MODEL_H_
#define SEIGUARD_RULES_MODEL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rules/netpol.h"
#include "rules/path.h"

namespace seiguard {

enum class Kind {
  kOther,
  kPod,
  kDeployment,
  kStatefulSet,
  kDaemonSet,
  kReplicaSet,
  kJob,
  kCronJob,
  kReplicationController,
  kService,
  kNetworkPolicy,
};

// Every kind seiguard can judge, in declaration order.
inline constexpr Kind kJudgeableKinds[] = {Kind::kPod,       Kind::kDeployment, Kind::kStatefulSet,
                                           Kind::kDaemonSet, Kind::kReplicaSet, Kind::kJob,
                                           Kind::kCronJob,   Kind::kReplicationController, Kind::kService,
                                           Kind::kNetworkPolicy};

// "Pod", "StatefulSet", ...; "" for kOther.
std::string_view KindName(Kind kind);
// The API group: "" (core), "apps" or "batch".
std::string_view KindGroup(Kind kind);
// The API resource: "pods", "statefulsets", ...
std::string KindResource(Kind kind);
// Maps an API group and kind ("apps", "StatefulSet") to a Kind; kOther when
// seiguard does not judge it.
Kind KindFromGroupKind(std::string_view group, std::string_view kind);
// True for the workloads that carry a pod template.
bool IsWorkload(Kind kind);

struct OwnerReference {
  std::string_view api_version;
  std::string_view kind;
  std::string_view name;
  bool controller = false;
};

struct ObjectMeta {
  bool present = false;  // the "metadata" member exists
  std::string_view name;
  std::string_view generate_name;
  std::string_view namespace_;
  bool has_labels = false;  // "labels" exists as an object (possibly empty)
  std::vector<std::pair<std::string_view, std::string_view>> labels;
  bool mirror = false;  // annotation kubernetes.io/config.mirror
  std::vector<OwnerReference> owners;

  const std::string_view* Label(std::string_view key) const;
  // The controlling owner (controller: true; the API server allows one), and
  // the controlling StatefulSet owner (apps/*), if any.
  const OwnerReference* Controller() const;
  const OwnerReference* ControllingStatefulSet() const;
  bool OwnedByKind(std::string_view kind) const;
};

// A Kubernetes IntOrString as written: a number, or a (port) name.
struct IntOrString {
  bool present = false;
  bool is_string = false;
  int64_t number = 0;
  std::string_view text;
};

struct ContainerPort {
  std::string_view name;
  int64_t container_port = 0;
  std::string_view protocol;  // "" means the default, TCP
  bool IsTcp() const { return protocol.empty() || protocol == "TCP"; }
};

struct EnvVar {
  std::string_view name;
  bool has_value = false;  // "value" present and not null
  std::string_view value;
  bool has_value_from = false;
};

enum class ProbeType { kStartup, kLiveness, kReadiness };
enum class ProbeHandler { kNone, kHttpGet, kTcpSocket, kGrpc, kExec };

// An image reference's parts: "quay.io/brancz/kube-rbac-proxy:v0.19.1@sha256:..."
// has the name "quay.io/brancz/kube-rbac-proxy" and the tag "v0.19.1" ("" when
// none; a registry's ":5000" is not a tag).
std::string_view ImageName(std::string_view image);
std::string_view ImageTag(std::string_view image);

std::string_view ProbeFieldName(ProbeType type);      // "livenessProbe"
std::string_view ProbeHandlerName(ProbeHandler handler);  // "httpGet"

struct Probe {
  ProbeType type = ProbeType::kLiveness;
  ProbeHandler handler = ProbeHandler::kNone;
  IntOrString port;
  std::string_view http_path;
};

struct Container {
  bool init = false;  // listed under initContainers
  size_t index = 0;   // position in its list
  std::string_view name;
  std::string_view image;
  bool restart_always = false;  // native sidecar (restartPolicy: Always)
  std::vector<std::string_view> command;
  std::vector<std::string_view> args;
  bool has_ports = false;  // "ports" present and not null
  std::vector<ContainerPort> ports;
  bool has_env = false;  // "env" present and not null
  std::vector<EnvVar> env;
  std::vector<Probe> probes;

  // The last env entry with that name (the kubelet lets later entries win).
  const EnvVar* FindEnv(std::string_view env_name) const;
};

// A pod, or the pod template of a workload: its metadata and containers, and
// where both live in the enclosing object.
struct PodView {
  // False for a workload without a pod template (spec.template absent): there
  // is nothing to judge, and no path under it exists to patch.
  bool present = false;
  Path meta_path;  // "metadata" or "spec.template.metadata"
  Path spec_path;  // "spec" or "spec.template.spec"
  ObjectMeta meta;
  std::vector<Container> containers;  // initContainers first, then containers

  Path ContainerPath(const Container& c) const {
    return spec_path.Key(c.init ? "initContainers" : "containers").Index(c.index);
  }
  // The container named `name`, searching initContainers then containers.
  const Container* FindContainer(std::string_view name) const;
};

struct ServicePort {
  std::string_view name;
  int64_t port = 0;
};

struct ServiceSpec {
  std::string_view cluster_ip;
  std::vector<ServicePort> ports;
  bool Headless() const { return cluster_ip == "None"; }
};

struct Object {
  Kind kind = Kind::kOther;
  ObjectMeta meta;   // the object's own metadata
  PodView pod;       // Pod: the pod itself; workloads: the pod template
  ServiceSpec service;
  NetworkPolicy network_policy;  // NetworkPolicy: its namespace, name and spec

  bool IsPod() const { return kind == Kind::kPod; }
  bool IsTemplate() const { return IsWorkload(kind); }
  bool IsService() const { return kind == Kind::kService; }
  bool IsNetworkPolicy() const { return kind == Kind::kNetworkPolicy; }
};

}  // namespace seiguard

#endif  // SEIGUARD_RULES_MODEL_H_
