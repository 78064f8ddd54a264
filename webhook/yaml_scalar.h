// YAML scalars as kubectl reads them. kubectl converts YAML to JSON with
// sigs.k8s.io/yaml, which decodes with go-yaml v2 (YAML 1.1 resolution) into
// Go values and marshals those with encoding/json. This file restates those
// rules (go-yaml v2 resolve.go and decode.go, sigs.k8s.io/yaml's key
// conversion, encoding/json's number format) so that seiguard sees the JSON
// kubectl sends:
//
//   y Y yes Yes YES true True TRUE on On ON     -> true   (n/no/false/off: false)
//   "" ~ null Null NULL                          -> null
//   020373 0o17 0x1F 0b101 1_000 +12 (Go base 0) -> integers (8443, 15, 31, 5, 1000, 12)
//   1e3 1.0 08443                                -> numbers, written as Go writes them (1000, 1, 8443)
//   .inf .nan                                    -> refused: JSON has no such number
//   2024-01-01 1:30 and everything else          -> strings
//
// Quoted scalars are strings; a tag (!!str, !!int, ...) forces or checks a type.
#ifndef SEIGUARD_WEBHOOK_YAML_SCALAR_H_
#define SEIGUARD_WEBHOOK_YAML_SCALAR_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/status.h"

namespace seiguard {

struct YamlScalar {
  enum class Type { kNull, kBool, kInt, kUint, kFloat, kString };
  Type type = Type::kString;
  bool boolean = false;
  int64_t integer = 0;
  uint64_t unsigned_integer = 0;  // only for integers beyond int64
  double number = 0;
  std::string text;  // kString: the value (for !!binary, the decoded bytes)
};

// Resolves a scalar node. `plain` is true for an unquoted scalar; `tag` is
// libyaml's tag ("" when none, "tag:yaml.org,2002:int" for !!int). Fails
// where go-yaml fails ("cannot decode !!str `abc` as a !!int").
StatusOr<YamlScalar> ResolveYamlScalar(std::string_view value, bool plain, std::string_view tag);

// True when go-yaml keeps a plain scalar as the string it is without looking
// further: its first character can start no other type (most text in a
// manifest: names, images, paths). A fast path; ResolveYamlScalar agrees.
bool PlainIsString(std::string_view value);

// True for the plain scalar "<<" (or one tagged !!merge): a merge key.
bool IsMergeKey(std::string_view value, bool plain, std::string_view tag);

// The value as JSON text, as encoding/json writes it (floats: shortest form,
// exponent only below 1e-6 or from 1e21 on; integral floats have no point).
// Fails for NaN and infinities, as json.Marshal does.
Status AppendYamlScalarJson(std::string& out, const YamlScalar& v);

// The value as a JSON object key, as sigs.k8s.io/yaml converts keys: strings
// as they are, integers in decimal, floats in Go's 32-bit %g form, booleans
// as true/false. Null and integers beyond int64 cannot be keys.
StatusOr<std::string> YamlScalarKey(const YamlScalar& v);

// Go's strconv.FormatFloat(v, 'f' or 'e', -1, 64) as encoding/json picks it.
void AppendGoJsonFloat(std::string& out, double v);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_YAML_SCALAR_H_
