// JSON values to block-style YAML, for `seiguard check --fix` and `seiguard
// vap`. Multi-line strings become literal block scalars. Every value
// survives a round trip through a YAML 1.2 core-schema reader: strings that
// would read as anything else (numbers, booleans, null, or that need escapes)
// are double-quoted; key order is kept.
#ifndef SEIGUARD_WEBHOOK_YAML_EMIT_H_
#define SEIGUARD_WEBHOOK_YAML_EMIT_H_

#include <string>

#include <nlohmann/json.hpp>

namespace seiguard {

std::string ToYaml(const nlohmann::ordered_json& value);

}  // namespace seiguard

#endif  // SEIGUARD_WEBHOOK_YAML_EMIT_H_
