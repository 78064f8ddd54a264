// The manifest reader (YAML and JSON), the checker and --fix over any bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "webhook/checker.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static seiguard::Policy policy;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // As it is, and behind a '{' so that the JSON stream reader (and its turn
  // to YAML) sees every input too.
  for (std::string text : {std::string(bytes), "{" + std::string(bytes)}) {
    seiguard::ManifestSet set;
    seiguard::ParseManifestText("fuzz", text, &set);
    seiguard::CheckReport report = seiguard::Check(set, policy);
    (void)report;
    std::string fixed = seiguard::FixedYaml(set, policy);
    (void)fixed;
  }
  return 0;
}
