// The AdmissionReview path end to end, without sockets: bytes in, answer out,
// on both endpoints. Any crash, sanitizer report or non-JSON answer fails.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "webhook/admission.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static seiguard::Policy policy;
  static seiguard::AdmissionHandler handler;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (seiguard::Endpoint ep : {seiguard::Endpoint::kValidate, seiguard::Endpoint::kMutate}) {
    auto result = handler.Review(body, ep, policy);
    if (!result.ok()) continue;
    // The answer is always valid JSON with a boolean verdict.
    auto answer = nlohmann::json::parse(result->body, nullptr, false);
    if (answer.is_discarded() || !answer["response"]["allowed"].is_boolean()) std::abort();
    if (ep == seiguard::Endpoint::kValidate && answer["response"].contains("patch")) std::abort();
  }
  return 0;
}
