// The policy file parser: YAML or JSON bytes to a Policy or a clear error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rules/policy.h"
#include "webhook/yaml_json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto docs = seiguard::YamlToJson(text);
  if (!docs.ok()) {
    if (docs.status().message().empty()) std::abort();  // errors always say why
    return 0;
  }
  for (const seiguard::YamlDocument& d : *docs) {
    // The converter's output is always valid JSON.
    auto json = nlohmann::json::parse(d.json, nullptr, false);
    if (json.is_discarded()) std::abort();
    auto policy = seiguard::PolicyFromJson(json, "fuzz.yaml");
    if (!policy.ok() && policy.status().message().empty()) std::abort();
    // A policy that loads round-trips through its own JSON form.
    if (policy.ok() && !seiguard::PolicyFromJson(seiguard::PolicyToJson(*policy), "again").ok()) std::abort();
  }
  return 0;
}
