#include "rules/model.h"

#include <utility>

namespace seiguard {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPod: return "Pod";
    case Kind::kDeployment: return "Deployment";
    case Kind::kStatefulSet: return "StatefulSet";
    case Kind::kDaemonSet: return "DaemonSet";
    case Kind::kReplicaSet: return "ReplicaSet";
    case Kind::kJob: return "Job";
    case Kind::kCronJob: return "CronJob";
    case Kind::kReplicationController: return "ReplicationController";
    case Kind::kService: return "Service";
    case Kind::kNetworkPolicy: return "NetworkPolicy";
    case Kind::kOther: break;
  }
  return "";
}

std::string_view KindGroup(Kind kind) {
  switch (kind) {
    case Kind::kDeployment:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
    case Kind::kReplicaSet:
      return "apps";
    case Kind::kJob:
    case Kind::kCronJob:
      return "batch";
    case Kind::kNetworkPolicy:
      return "networking.k8s.io";
    default:
      return "";
  }
}

std::string KindResource(Kind kind) {
  if (kind == Kind::kNetworkPolicy) return "networkpolicies";
  std::string resource(KindName(kind));
  for (char& c : resource) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return resource + "s";  // regular plurals for every other judgeable kind
}

Kind KindFromGroupKind(std::string_view group, std::string_view kind) {
  for (Kind k : kJudgeableKinds) {
    if (KindName(k) == kind && KindGroup(k) == group) return k;
  }
  return Kind::kOther;
}

bool IsWorkload(Kind kind) {
  switch (kind) {
    case Kind::kDeployment:
    case Kind::kStatefulSet:
    case Kind::kDaemonSet:
    case Kind::kReplicaSet:
    case Kind::kJob:
    case Kind::kCronJob:
    case Kind::kReplicationController:
      return true;
    default:
      return false;
  }
}

namespace {

// The image without its digest, and where its tag's colon is (npos: none).
std::pair<std::string_view, size_t> TagColon(std::string_view image) {
  size_t at = image.find('@');
  if (at != std::string_view::npos) image = image.substr(0, at);
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  if (colon != std::string_view::npos && slash != std::string_view::npos && colon < slash) {
    colon = std::string_view::npos;
  }
  return {image, colon};
}

}  // namespace

std::string_view ImageName(std::string_view image) {
  auto [undigested, colon] = TagColon(image);
  return colon == std::string_view::npos ? undigested : undigested.substr(0, colon);
}

std::string_view ImageTag(std::string_view image) {
  auto [undigested, colon] = TagColon(image);
  return colon == std::string_view::npos ? std::string_view() : undigested.substr(colon + 1);
}

std::string_view ProbeFieldName(ProbeType type) {
  switch (type) {
    case ProbeType::kStartup: return "startupProbe";
    case ProbeType::kLiveness: return "livenessProbe";
    case ProbeType::kReadiness: return "readinessProbe";
  }
  return "";
}

std::string_view ProbeHandlerName(ProbeHandler handler) {
  switch (handler) {
    case ProbeHandler::kHttpGet: return "httpGet";
    case ProbeHandler::kTcpSocket: return "tcpSocket";
    case ProbeHandler::kGrpc: return "grpc";
    case ProbeHandler::kExec: return "exec";
    case ProbeHandler::kNone: break;
  }
  return "";
}

const std::string_view* ObjectMeta::Label(std::string_view key) const {
  for (const auto& [k, v] : labels) {
    if (k == key) return &v;
  }
  return nullptr;
}

const OwnerReference* ObjectMeta::Controller() const {
  for (const OwnerReference& o : owners) {
    if (o.controller) return &o;
  }
  return nullptr;
}

const OwnerReference* ObjectMeta::ControllingStatefulSet() const {
  for (const OwnerReference& o : owners) {
    if (o.controller && o.kind == "StatefulSet" && o.api_version.rfind("apps/", 0) == 0) {
      return &o;
    }
  }
  return nullptr;
}

bool ObjectMeta::OwnedByKind(std::string_view kind) const {
  for (const OwnerReference& o : owners) {
    if (o.kind == kind) return true;
  }
  return false;
}

const EnvVar* Container::FindEnv(std::string_view env_name) const {
  const EnvVar* found = nullptr;
  for (const EnvVar& e : env) {
    if (e.name == env_name) found = &e;
  }
  return found;
}

const Container* PodView::FindContainer(std::string_view name) const {
  for (const Container& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace seiguard
