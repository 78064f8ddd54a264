// DecodeObject over the simdjson DOM (check, read, the tests); the decoder
// itself is rules/decode_impl.h, shared with the admission path's On-Demand
// reader (decode_ondemand.cc).
#include "rules/decode.h"

#include "rules/decode_impl.h"

namespace seiguard {
namespace {

namespace dom = simdjson::dom;
using decode::JsonType;
using simdjson::dom::element;
using simdjson::dom::element_type;

// The DOM reader: the whole document is parsed and validated up front, so
// nothing here can fail.
struct DomJson {
  using Value = element;
  static JsonType Type(Value& v) {
    switch (v.type()) {
      case element_type::ARRAY: return JsonType::kArray;
      case element_type::OBJECT: return JsonType::kObject;
      case element_type::INT64: return JsonType::kInt64;
      case element_type::UINT64: return JsonType::kUint64;
      case element_type::DOUBLE: return JsonType::kDouble;
      case element_type::STRING: return JsonType::kString;
      case element_type::BOOL: return JsonType::kBool;
      case element_type::NULL_VALUE: return JsonType::kNull;
    }
    return JsonType::kInvalid;
  }
  template <typename Fn>
  static bool Members(Value& v, Fn fn) {
    for (dom::key_value_pair kv : dom::object(v)) {
      if (!fn(kv.key, kv.value)) break;
    }
    return true;
  }
  template <typename Fn>
  static bool Elements(Value& v, Fn fn) {
    for (element item : dom::array(v)) {
      if (!fn(item)) break;
    }
    return true;
  }
  static size_t LengthHint(Value& v) {
    return v.type() == element_type::ARRAY ? dom::array(v).size() : dom::object(v).size();
  }
  static size_t Count(Value& v) { return dom::array(v).size(); }
  static bool String(Value& v, std::string_view* out) { return !v.get_string().get(*out); }
  static bool Bool(Value& v, bool* out) { return !v.get_bool().get(*out); }
  static bool Int64(Value& v, int64_t* out) { return !v.get_int64().get(*out); }
  static bool Double(Value& v, double* out) { return !v.get_double().get(*out); }
};

}  // namespace

StatusOr<Object> DecodeObject(element root, Kind kind, std::string* error_pointer) {
  decode::Decoder<DomJson> decoder;
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
