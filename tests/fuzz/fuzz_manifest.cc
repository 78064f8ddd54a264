// The manifest reader (YAML and JSON), the checker and --fix over any bytes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "webhook/checker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static seiguard::Policy policy;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool json : {false, true}) {
    seiguard::ManifestSet set;
    seiguard::ParseManifestText("fuzz", text, json, &set);
    seiguard::CheckReport report = seiguard::Check(set, policy);
    (void)report;
    std::string fixed = seiguard::FixedYaml(set, policy);
    (void)fixed;
  }
  return 0;
}
