// The On-Demand reader of AdmissionHandler (admission.h): one pass over the
// body that reads request's scalars and decodes the object where it stands,
// passing over everything else; whatever it cannot answer as the API server's
// own requests are answered goes to the DOM reader (admission.cc).
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <optional>

#include "webhook/admission.h"
#include "webhook/admission_internal.h"

namespace seiguard {
namespace {

using admission::IsAdmissionReview;
using admission::ParseOperation;
using admission::Unjudged;
using admission::Verdict;

namespace od = simdjson::ondemand;

// OptString for the On-Demand reader: absent or null leaves `out` as it is;
// false for anything but a string or null.
bool OptString(od::value& v, std::string_view* out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  if (t == od::json_type::null) return OnDemandNull(v);
  return !v.get_string().get(*out);
}

bool OptString(od::value& v, std::string* out) {
  std::string_view s;
  if (!OptString(v, &s)) return false;
  if (s.data() != nullptr) out->assign(s);
  return true;
}

// Calls fn(index, value) for each member of `obj` whose key is in `keys`;
// false on malformed JSON, on a repeated key (the DOM reader takes the
// first: let it answer) or when fn returns false.
template <size_t N, typename Fn>
bool EachKnown(od::object& obj, const std::string_view (&keys)[N], Fn fn) {
  uint32_t seen = 0;
  for (auto member : obj) {
    od::field field;
    std::string_view key;
    if (std::move(member).get(field) || !OnDemandKey(field, &key)) return false;
    size_t i = std::find(std::begin(keys), std::end(keys), key) - std::begin(keys);
    if (i == N) continue;
    if (seen & (1u << i)) return false;
    seen |= 1u << i;
    if (!fn(i, field.value())) return false;
  }
  return true;
}

}  // namespace

std::optional<ReviewResult> AdmissionHandler::ReviewOnDemand(std::string_view body, Endpoint endpoint,
                                                             const Policy& policy) {
  od::document doc;
  od::object root;
  if (parser_.Iterate(body, &doc) || doc.get_object().get(root)) return std::nullopt;

  std::string_view api_version, kind, group, kind_name, sub_resource;
  ReviewResult result;
  bool has_request = false, has_uid = false, has_kind = false, has_object = false, has_old = false;
  std::optional<Operation> op;
  std::optional<Object> obj, old;
  // The object is decoded where it stands, so request.kind must come before
  // it, as it does in what the API server sends and in sorted keys; if not,
  // the DOM reader answers. The operation and subResource may come later
  // (sorted keys): until they are known, the object is decoded in case.
  auto decode = [&](od::value& v, bool is_old, std::optional<Object>* out) -> bool {
    od::json_type t;
    if (v.type().get(t)) return false;
    if (t == od::json_type::null) return OnDemandNull(v);
    (is_old ? has_old : has_object) = true;
    if (!has_kind) return false;
    Kind judged = KindFromGroupKind(group, kind_name);
    bool needed = sub_resource.empty() && policy.Judges(judged) &&
                  (!op || *op == Operation::kUpdate || (*op == Operation::kCreate && !is_old));
    if (!needed) return true;
    StatusOr<Object> decoded = DecodeObject(v, judged);
    if (!decoded.ok()) return false;
    out->emplace(std::move(decoded).value());
    return true;
  };
  static constexpr std::string_view kRoot[] = {"apiVersion", "kind", "request"};
  bool read = EachKnown(root, kRoot, [&](size_t i, od::value& v) {
    if (i == 0) return OptString(v, &api_version);
    if (i == 1) return OptString(v, &kind);
    od::object request;
    if (v.get_object().get(request)) return false;
    has_request = true;
    static constexpr std::string_view kRequest[] = {"uid", "kind", "subResource", "name", "namespace",
                                                    "operation", "dryRun", "object", "oldObject",
                                                    "userInfo"};
    return EachKnown(request, kRequest, [&](size_t j, od::value& f) -> bool {
      switch (j) {
        case 0: {
          std::string_view uid;
          if (f.get_string().get(uid)) return false;
          result.uid.assign(uid);
          has_uid = true;
          return true;
        }
        case 1: {
          od::object k;
          if (f.get_object().get(k)) return false;  // not an object: the DOM reader knows what to do
          has_kind = true;
          static constexpr std::string_view kKind[] = {"group", "kind"};
          return EachKnown(k, kKind, [&](size_t g, od::value& gv) {
            return OptString(gv, g == 0 ? &group : &kind_name);
          });
        }
        case 2: return OptString(f, &sub_resource);
        case 3: return OptString(f, &result.name);
        case 4: return OptString(f, &result.namespace_);
        case 5:
          if (!OptString(f, &result.operation)) return false;
          op = ParseOperation(result.operation);
          return true;
        case 6: {
          od::json_type t;
          if (f.type().get(t)) return false;
          return t != od::json_type::boolean || !f.get_bool().get(result.dry_run);
        }
        case 7: return decode(f, false, &obj);
        case 8: return decode(f, true, &old);
        default: {
          // As the DOM reader: a username that is not a string is no one.
          od::object u;
          if (f.get_object().get(u)) return false;
          static constexpr std::string_view kUser[] = {"username"};
          return EachKnown(u, kUser, [&](size_t, od::value& name) {
            od::json_type t;
            if (name.type().get(t)) return false;
            std::string_view text;
            if (t == od::json_type::string && !name.get_string().get(text)) result.user.assign(text);
            return true;  // any other value is skipped, as any member no rule reads
          });
        }
      }
    });
  });
  const char* trailing = nullptr;  // no location means the walk ended at the end
  if (!read || doc.current_location().get(trailing) != simdjson::OUT_OF_BOUNDS) return std::nullopt;
  // The checks of ReviewDom, in its order; each of its errors is its to word.
  if (!IsAdmissionReview(api_version, kind) || !has_request || !has_uid) return std::nullopt;
  if (!has_kind && has_object) return std::nullopt;  // the kind comes from the object: DOM
  Kind judged = has_kind ? KindFromGroupKind(group, kind_name) : Kind::kOther;
  result.kind = has_kind ? kind_name : KindName(judged);
  if (!sub_resource.empty() || !policy.Judges(judged)) return Unjudged(std::move(result), api_version);
  if (!op) return std::nullopt;
  if (*op == Operation::kDelete || *op == Operation::kConnect) return Unjudged(std::move(result), api_version);
  if (!has_object || !obj || (*op == Operation::kUpdate && has_old && !old)) return std::nullopt;
  return Verdict(std::move(result), api_version, *op, *obj, old ? &*old : nullptr, endpoint, policy);
}

}  // namespace seiguard
