#include "webhook/admission.h"

#include <algorithm>
#include <array>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "webhook/admission_internal.h"
#include "webhook/base64.h"
#include "webhook/json_text.h"

namespace seiguard {

using admission::IsAdmissionReview;
using admission::ParseOperation;
using admission::Unjudged;
using admission::Verdict;

namespace {

using nlohmann::json;
namespace dom = simdjson::dom;
using dom::element;
using dom::element_type;

constexpr std::string_view kV1 = "admission.k8s.io/v1";
constexpr std::string_view kV1beta1 = "admission.k8s.io/v1beta1";

// Reads an optional string member; absent or null leaves `out` untouched.
// The view borrows from the parsed document.
Status OptString(element obj, const char* key, std::string_view* out) {
  element v;
  if (obj[key].get(v) || v.type() == element_type::NULL_VALUE) return Status();
  if (v.get_string().get(*out)) return Status::Error(std::string("request.") + key + ": expected a string");
  return Status();
}

Status OptString(element obj, const char* key, std::string* out) {
  std::string_view s;  // its data() stays null when the member is absent or null
  Status status = OptString(obj, key, &s);
  if (s.data() != nullptr) out->assign(s);
  return status;
}

// The answer is written as text directly: it is on every request's path, and
// a DOM plus its serializer cost more than all the rules together. Keys are
// in sorted order, the order nlohmann would give, so the bytes stay stable.
struct Response {
  std::string_view uid;  // the ReviewResult's
  bool allowed = true;
  int code = 0;  // status, when refused
  std::string_view reason;
  std::string message;
  std::vector<std::pair<std::string_view, std::string_view>> annotations;  // sorted by key; keys are static
  std::string audit_text;  // the annotations' values
  std::string patch;  // base64
  std::vector<std::string> warnings;
};

std::string Write(std::string_view api_version, const Response& r) {
  std::string out;
  size_t size = 256 + r.uid.size() + r.message.size() + r.patch.size();
  for (const auto& [key, value] : r.annotations) size += key.size() + value.size() + 6;
  for (const std::string& w : r.warnings) size += w.size() + 3;
  out.reserve(size + size / 16);  // and some room for escapes
  out += "{\"apiVersion\":";
  AppendJsonString(out, api_version);
  out += ",\"kind\":\"AdmissionReview\",\"response\":{\"allowed\":";
  out += r.allowed ? "true" : "false";
  if (!r.annotations.empty()) {
    out += ",\"auditAnnotations\":{";
    for (size_t i = 0; i < r.annotations.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, r.annotations[i].first);
      out += ':';
      AppendJsonString(out, r.annotations[i].second);
    }
    out += '}';
  }
  if (!r.patch.empty()) {
    out += ",\"patch\":";
    AppendJsonString(out, r.patch);
    out += ",\"patchType\":\"JSONPatch\"";
  }
  if (!r.allowed) {
    out += ",\"status\":{\"code\":";
    out += std::to_string(r.code);
    out += ",\"message\":";
    AppendJsonString(out, r.message);
    out += ",\"reason\":";
    AppendJsonString(out, r.reason);
    out += ",\"status\":\"Failure\"}";
  }
  out += ",\"uid\":";
  AppendJsonString(out, r.uid);
  if (!r.warnings.empty()) {
    out += ",\"warnings\":[";
    for (size_t i = 0; i < r.warnings.size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString(out, r.warnings[i]);
    }
    out += ']';
  }
  out += "}}";
  return out;
}

// Fills the response for an evaluated object.
void Respond(const Evaluation& eval, Endpoint endpoint, Response* response, Decision* decision) {
  if (!eval.in_scope) {
    *decision = Decision::kSkipped;
    return;
  }
  size_t message_size = 0, denials = 0, audit_size = 0;  // each text allocated once
  for (const Finding& f : eval.findings) {
    audit_size += f.path.Dotted().size() + 7;
    if (f.severity == Severity::kDeny) {
      message_size += f.path.Dotted().size() + f.container.size() + f.what.size() + f.fix.size() + 64;
      ++denials;
    }
  }
  response->message.reserve(message_size);
  response->warnings.reserve(eval.findings.size() - denials);
  for (const Finding& f : eval.findings) {
    bool deny = f.severity == Severity::kDeny;
    if (deny) {
      if (!response->message.empty()) response->message += '\n';
      f.AppendMessage(response->message);
    } else if (std::string w = f.Warning();
               std::find(response->warnings.begin(), response->warnings.end(), w) ==
               response->warnings.end()) {  // the API server drops duplicates anyway
      response->warnings.push_back(std::move(w));
    }
  }
  if (!response->message.empty()) {
    *decision = Decision::kDenied;
    response->allowed = false;
    response->code = 403;
    response->reason = "Forbidden";
  } else if (endpoint == Endpoint::kMutate && !eval.patch.empty()) {
    *decision = Decision::kPatched;
    response->patch = Base64Encode(JsonPatchText(eval.patch));
  } else {
    *decision = Decision::kAllowed;
  }
  // One audit annotation per rule that found something: "deny <path>,
  // warn <path>", all of them written into one string.
  std::string& text = response->audit_text;
  text.reserve(audit_size);
  std::array<std::pair<size_t, size_t>, kRuleCount> spans{};  // by rule: [begin, end) in text
  for (size_t i = 0; i < kRuleCount; ++i) {
    spans[i].first = text.size();
    for (const Finding& f : eval.findings) {
      if (f.rule.index() != i) continue;
      if (text.size() > spans[i].first) text += ", ";
      text += f.severity == Severity::kDeny ? "deny " : "warn ";
      text += f.path.Dotted();
    }
    spans[i].second = text.size();
  }
  auto& annotations = response->annotations;
  annotations.reserve(kRuleCount + 1);
  for (size_t i = 0; i < kRuleCount; ++i) {
    auto [begin, end] = spans[i];
    if (end > begin) annotations.emplace_back(Rules()[i].name, std::string_view(text).substr(begin, end - begin));
  }
  annotations.emplace_back("decision", DecisionName(*decision));
  std::sort(annotations.begin(), annotations.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

namespace admission {

std::optional<Operation> ParseOperation(std::string_view op) {
  if (op == "CREATE") return Operation::kCreate;
  if (op == "UPDATE") return Operation::kUpdate;
  if (op == "DELETE") return Operation::kDelete;
  if (op == "CONNECT") return Operation::kConnect;
  return std::nullopt;
}

// The answer for a decoded object: both readers end here.
ReviewResult Verdict(ReviewResult result, std::string_view api_version, Operation op, const Object& obj,
                     const Object* old, Endpoint endpoint, const Policy& policy) {
  Response response;
  response.uid = result.uid;
  if (result.name.empty()) result.name = obj.meta.name;
  Request req{op, &obj, old, result.namespace_};
  req.user = result.user;
  Evaluation eval = Evaluate(req, policy, endpoint == Endpoint::kMutate ? Mode::kMutate : Mode::kValidate);
  Respond(eval, endpoint, &response, &result.decision);
  result.findings = std::move(eval.findings);
  result.body = Write(api_version, response);
  return result;
}

// Allowed without judging: not a kind the policy judges, a subresource,
// DELETE or CONNECT.
ReviewResult Unjudged(ReviewResult result, std::string_view api_version) {
  Response response;
  response.uid = result.uid;
  result.body = Write(api_version, response);
  return result;
}

bool IsAdmissionReview(std::string_view api_version, std::string_view kind) {
  return kind == "AdmissionReview" && (api_version == kV1 || api_version == kV1beta1);
}

}  // namespace admission

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
  if (reader_ != Reader::kDomOnly) {
    if (std::optional<ReviewResult> answer = ReviewOnDemand(body, endpoint, policy)) return std::move(*answer);
    if (reader_ == Reader::kOnDemandOnly) return Status::Error("the On-Demand reader passed this body on");
  }
  return ReviewDom(body, endpoint, policy);
}

StatusOr<ReviewResult> AdmissionHandler::ReviewDom(std::string_view body, Endpoint endpoint,
                                                   const Policy& policy) {
  StatusOr<element> parsed = parser_.Parse(body);
  if (!parsed.ok()) return Status::Error("request body: " + parsed.status().message());
  element root = *parsed;
  if (root.type() != element_type::OBJECT) {
    return Status::Error("not an AdmissionReview: expected a JSON object");
  }
  std::string_view api_version, kind;
  if (Status s = OptString(root, "apiVersion", &api_version); !s.ok()) return s;
  if (Status s = OptString(root, "kind", &kind); !s.ok()) return s;
  if (!IsAdmissionReview(api_version, kind)) {
    return Status::Error("not an AdmissionReview: got apiVersion \"" + std::string(api_version) +
                         "\", kind \"" + std::string(kind) + "\" (want " + std::string(kV1) + " or " +
                         std::string(kV1beta1) + ", AdmissionReview)");
  }
  element request;
  if (root["request"].get(request) || request.type() != element_type::OBJECT) {
    return Status::Error("not an AdmissionReview request: \"request\" is missing");
  }

  ReviewResult result;
  std::string_view group, kind_name, sub_resource;
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
  // Who asks (policy workloadControllers); anything but a string is no one.
  if (element user; !request["userInfo"].get(user) && user.type() == element_type::OBJECT) {
    if (element name; !user["username"].get(name) && name.type() == element_type::STRING) {
      result.user.assign(std::string_view(name.get_string().value_unsafe()));
    }
  }
  if (element dry; !request["dryRun"].get(dry) && dry.type() == element_type::BOOL) {
    result.dry_run = dry.get_bool().value_unsafe();
  }
  element object, old_object;
  bool has_object = !request["object"].get(object) && object.type() != element_type::NULL_VALUE;
  bool has_old = !request["oldObject"].get(old_object) && old_object.type() != element_type::NULL_VALUE;

  Kind judged = has_kind ? KindFromGroupKind(group, kind_name)
                         : (has_object ? KindOf(object) : Kind::kOther);
  result.kind = has_kind ? kind_name : KindName(judged);

  Response response;
  response.uid = result.uid;
  // Every path ends here, once: the result is moved out, not copied.
  auto finish = [&]() -> StatusOr<ReviewResult> {
    result.body = Write(api_version, response);
    return std::move(result);
  };
  auto error = [&](const std::string& message) {
    result.decision = Decision::kError;
    response.allowed = false;
    response.code = 400;
    response.reason = "BadRequest";
    response.message = "[seiguard] " + message;
    return finish();
  };

  if (!sub_resource.empty() || !policy.Judges(judged)) return finish();
  std::optional<Operation> op = ParseOperation(result.operation);
  if (!op) return error("unsupported operation \"" + result.operation + "\"");
  if (*op == Operation::kDelete || *op == Operation::kConnect) return finish();
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
  return Verdict(std::move(result), api_version, *op, *obj, old ? &*old : nullptr, endpoint, policy);
}

}  // namespace seiguard
