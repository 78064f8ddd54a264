#include "webhook/admission.h"

#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "webhook/base64.h"

namespace seiguard {
namespace {

using nlohmann::json;
namespace dom = simdjson::dom;
using dom::element;
using dom::element_type;

constexpr std::string_view kV1 = "admission.k8s.io/v1";
constexpr std::string_view kV1beta1 = "admission.k8s.io/v1beta1";

// Reads an optional string member; absent or null leaves `out` untouched.
Status OptString(element obj, const char* key, std::string* out) {
  element v;
  if (obj[key].get(v) || v.type() == element_type::NULL_VALUE) return Status();
  std::string_view s;
  if (v.get_string().get(s)) return Status::Error(std::string("request.") + key + ": expected a string");
  out->assign(s);
  return Status();
}

std::optional<Operation> ParseOperation(std::string_view op) {
  if (op == "CREATE") return Operation::kCreate;
  if (op == "UPDATE") return Operation::kUpdate;
  if (op == "DELETE") return Operation::kDelete;
  if (op == "CONNECT") return Operation::kConnect;
  return std::nullopt;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json Envelope(std::string_view api_version, json response) {
  return json{{"apiVersion", api_version}, {"kind", "AdmissionReview"}, {"response", std::move(response)}};
}

json Refusal(const std::string& uid, int code, const char* reason, const std::string& message) {
  return json{{"uid", uid},
              {"allowed", false},
              {"status", {{"code", code}, {"reason", reason}, {"message", message}, {"status", "Failure"}}}};
}

// Builds the response for an evaluated object.
json Respond(const std::string& uid, const Evaluation& eval, Endpoint endpoint, Decision* decision) {
  json response = {{"uid", uid}, {"allowed", true}};
  if (!eval.in_scope) {
    *decision = Decision::kSkipped;
    return response;
  }
  std::string message;
  json warnings = json::array();
  std::set<std::string> seen_warnings;  // the API server drops duplicates anyway
  std::map<std::string, std::string> audit;
  for (const Finding& f : eval.findings) {
    bool deny = f.severity == Severity::kDeny;
    if (deny) {
      message += (message.empty() ? "" : "\n") + f.Message();
    } else if (std::string w = f.Warning(); seen_warnings.insert(w).second) {
      warnings.push_back(std::move(w));
    }
    std::string& a = audit[std::string(Rule(f.rule).name)];
    a += (a.empty() ? "" : ", ") + std::string(deny ? "deny " : "warn ") + f.path.Dotted();
  }
  if (!message.empty()) {
    *decision = Decision::kDenied;
    response = Refusal(uid, 403, "Forbidden", message);
  } else if (endpoint == Endpoint::kMutate && !eval.patch.empty()) {
    *decision = Decision::kPatched;
    response["patch"] = Base64Encode(Dump(PatchToJson(eval.patch)));
    response["patchType"] = "JSONPatch";
  } else {
    *decision = Decision::kAllowed;
  }
  if (!warnings.empty()) response["warnings"] = std::move(warnings);
  json annotations = {{"decision", DecisionName(*decision)}};
  for (auto& [rule, value] : audit) annotations[rule] = value;
  response["auditAnnotations"] = std::move(annotations);
  return response;
}

}  // namespace

std::string_view DecisionName(Decision d) {
  switch (d) {
    case Decision::kSkipped: return "skipped";
    case Decision::kAllowed: return "allowed";
    case Decision::kPatched: return "patched";
    case Decision::kDenied: return "denied";
    case Decision::kError: return "error";
  }
  return "";
}

StatusOr<ReviewResult> AdmissionHandler::Review(std::string_view body, Endpoint endpoint,
                                                const Policy& policy) {
  StatusOr<element> parsed = parser_.Parse(body);
  if (!parsed.ok()) return Status::Error("request body: " + parsed.status().message());
  element root = *parsed;
  if (root.type() != element_type::OBJECT) {
    return Status::Error("not an AdmissionReview: expected a JSON object");
  }
  std::string api_version, kind;
  if (Status s = OptString(root, "apiVersion", &api_version); !s.ok()) return s;
  if (Status s = OptString(root, "kind", &kind); !s.ok()) return s;
  if (kind != "AdmissionReview" || (api_version != kV1 && api_version != kV1beta1)) {
    return Status::Error("not an AdmissionReview: got apiVersion \"" + api_version +
                         "\", kind \"" + kind + "\" (want " + std::string(kV1) + " or " +
                         std::string(kV1beta1) + ", AdmissionReview)");
  }
  element request;
  if (root["request"].get(request) || request.type() != element_type::OBJECT) {
    return Status::Error("not an AdmissionReview request: \"request\" is missing");
  }

  ReviewResult result;
  std::string group, kind_name, sub_resource;
  element uid;
  if (request["uid"].get(uid) || uid.type() != element_type::STRING) {
    return Status::Error("not an AdmissionReview request: request.uid is missing");
  }
  result.uid.assign(std::string_view(uid.get_string().value_unsafe()));
  element request_kind;
  bool has_kind = !request["kind"].get(request_kind) && request_kind.type() == element_type::OBJECT;
  for (Status s : {has_kind ? OptString(request_kind, "group", &group) : Status(),
                   has_kind ? OptString(request_kind, "kind", &kind_name) : Status(),
                   OptString(request, "subResource", &sub_resource),
                   OptString(request, "name", &result.name),
                   OptString(request, "namespace", &result.namespace_),
                   OptString(request, "operation", &result.operation)}) {
    if (!s.ok()) return s;
  }
  if (element dry; !request["dryRun"].get(dry) && dry.type() == element_type::BOOL) {
    result.dry_run = dry.get_bool().value_unsafe();
  }
  element object, old_object;
  bool has_object = !request["object"].get(object) && object.type() != element_type::NULL_VALUE;
  bool has_old = !request["oldObject"].get(old_object) && old_object.type() != element_type::NULL_VALUE;

  Kind judged = has_kind ? KindFromGroupKind(group, kind_name)
                         : (has_object ? KindOf(object) : Kind::kOther);
  result.kind = has_kind ? kind_name : std::string(KindName(judged));

  auto finish = [&](json response) {
    result.body = Dump(Envelope(api_version, std::move(response)));
    return result;
  };
  auto error = [&](const std::string& message) {
    result.decision = Decision::kError;
    return finish(Refusal(result.uid, 400, "BadRequest", "[seiguard] " + message));
  };

  if (!sub_resource.empty() || !policy.Judges(judged)) {
    return finish(json{{"uid", result.uid}, {"allowed", true}});
  }
  std::optional<Operation> op = ParseOperation(result.operation);
  if (!op) return error("unsupported operation \"" + result.operation + "\"");
  if (*op == Operation::kDelete || *op == Operation::kConnect) {
    return finish(json{{"uid", result.uid}, {"allowed", true}});
  }
  if (!has_object) return error("request.object is missing for " + result.operation);
  StatusOr<Object> obj = DecodeObject(object, judged);
  if (!obj.ok()) {
    return error("cannot decode the " + result.kind + ": request.object." +
                 obj.status().message());
  }
  std::optional<Object> old;
  if (*op == Operation::kUpdate && has_old) {
    StatusOr<Object> decoded = DecodeObject(old_object, judged);
    if (!decoded.ok()) {
      return error("cannot decode the old " + result.kind + ": request.oldObject." +
                   decoded.status().message());
    }
    old = std::move(decoded).value();
  }
  if (result.name.empty()) result.name = obj->meta.name;

  Request req{*op, &*obj, old ? &*old : nullptr, result.namespace_};
  Evaluation eval = Evaluate(req, policy, endpoint == Endpoint::kMutate ? Mode::kMutate : Mode::kValidate);
  json response = Respond(result.uid, eval, endpoint, &result.decision);
  result.findings = std::move(eval.findings);
  return finish(std::move(response));
}

}  // namespace seiguard
