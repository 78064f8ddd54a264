// DecodeObject over simdjson On-Demand: the admission path. Only the values
// the decoder asks for are parsed; everything else (managedFields, status,
// resources, volumes: most of a Pod) is passed over by its brackets, never
// copied or converted. The decoder is the one of rules/decode_impl.h, so
// what it yields for a document both readers accept is the same Object.
#include <cstdint>
#include <cstring>

#include "rules/decode.h"
#include "rules/decode_impl.h"

namespace seiguard {
namespace {

namespace od = simdjson::ondemand;
using decode::JsonType;

struct OnDemandJson {
  using Value = od::value;
  static JsonType Type(Value& v) {
    od::json_type t;
    if (v.type().get(t)) return JsonType::kInvalid;
    switch (t) {
      case od::json_type::array: return JsonType::kArray;
      case od::json_type::object: return JsonType::kObject;
      case od::json_type::string: return JsonType::kString;
      case od::json_type::boolean: return JsonType::kBool;
      case od::json_type::null: return OnDemandNull(v) ? JsonType::kNull : JsonType::kInvalid;
      case od::json_type::number: {
        od::number_type n;
        if (v.get_number_type().get(n)) return JsonType::kInvalid;
        if (n == od::number_type::signed_integer) return JsonType::kInt64;
        if (n == od::number_type::unsigned_integer) return JsonType::kUint64;
        return JsonType::kDouble;
      }
    }
    return JsonType::kInvalid;
  }
  template <typename Fn>
  static bool Members(Value& v, Fn fn) {
    od::object obj;
    if (v.get_object().get(obj)) return false;
    for (auto member : obj) {
      od::field field;
      std::string_view key;
      if (std::move(member).get(field) || !OnDemandKey(field, &key)) return false;
      if (!fn(key, field.value())) return true;
    }
    return true;
  }
  template <typename Fn>
  static bool Elements(Value& v, Fn fn) {
    od::array arr;
    if (v.get_array().get(arr)) return false;
    for (auto element : arr) {
      od::value item;
      if (std::move(element).get(item)) return false;
      if (!fn(item)) return true;
    }
    return true;
  }
  // Counting would walk the array twice; the decoder's guesses do instead.
  static size_t LengthHint(Value&) { return 0; }
  static size_t Count(Value& v) {
    size_t n = 0;
    return v.count_elements().get(n) ? 0 : n;  // an error shows again when the items are read
  }
  static bool String(Value& v, std::string_view* out) { return !v.get_string().get(*out); }
  static bool Bool(Value& v, bool* out) { return !v.get_bool().get(*out); }
  static bool Int64(Value& v, int64_t* out) { return !v.get_int64().get(*out); }
  static bool Double(Value& v, double* out) { return !v.get_double().get(*out); }
};

}  // namespace

bool OnDemandKey(od::field& field, std::string_view* key) {
  // A key without escapes (all of them, from an API server) is viewed where
  // it stands; only one with a backslash is unescaped into the parser's
  // string buffer (once: the walk never comes back to a key).
  const char* start = reinterpret_cast<const char*>(field.key().raw());
  const char* p = start;
  // Eight bytes at a time: the document is padded (SIMDJSON_PADDING), and
  // stage 1 found the closing quote.
  for (;;) {
    uint64_t word;
    std::memcpy(&word, p, sizeof word);
    uint64_t quote = word ^ 0x2222222222222222ULL, slash = word ^ 0x5c5c5c5c5c5c5c5cULL;
    uint64_t hit = ((quote - 0x0101010101010101ULL) & ~quote) | ((slash - 0x0101010101010101ULL) & ~slash);
    hit &= 0x8080808080808080ULL;
    if (hit != 0) {
      p += __builtin_ctzll(hit) / 8;
      break;
    }
    p += 8;
  }
  if (*p == '"') {
    *key = std::string_view(start, static_cast<size_t>(p - start));
    return true;
  }
  return !field.unescaped_key().get(*key);
}

bool OnDemandNull(od::value& v) {
  // type() looks at the first byte only; "nul" or "nullx" is not null. The
  // token is looked at, not consumed, so the value can be asked again.
  std::string_view token = v.raw_json_token();
  size_t end = token.find_last_not_of(" \t\r\n");
  return token.substr(0, end + 1) == "null";
}

StatusOr<Object> DecodeObject(od::value& root, Kind kind) {
  decode::Decoder<OnDemandJson> decoder;
  return decoder.Run(root, kind);
}

}  // namespace seiguard
