// Property: for any decodable pod, an emitted patch applies with an
// independent RFC 6902 implementation (nlohmann's), and the patched pod
// reviewed again yields no patch and passes /validate.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "webhook/admission.h"

namespace {

nlohmann::json Review(const nlohmann::json& pod) {
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "fuzz"},
            {"operation", "CREATE"},
            {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
            {"namespace", "fuzz"},
            {"object", pod}}}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static seiguard::Policy policy;
  static seiguard::AdmissionHandler handler;
  auto pod = nlohmann::json::parse(reinterpret_cast<const char*>(data),
                                   reinterpret_cast<const char*>(data) + size, nullptr, false);
  if (pod.is_discarded() || !pod.is_object()) return 0;
  auto first = handler.Review(Review(pod).dump(), seiguard::Endpoint::kMutate, policy);
  if (!first.ok()) return 0;
  auto answer = nlohmann::json::parse(first->body)["response"];
  if (!answer["allowed"].get<bool>() || !answer.contains("patch")) return 0;
  nlohmann::json ops = nlohmann::json::parse(seiguard::testing::Base64Decode(answer["patch"].get<std::string>()));
  nlohmann::json patched;
  try {
    patched = pod.patch(ops);
  } catch (const std::exception&) {
    std::abort();  // a patch the API server could not apply
  }
  std::string again = Review(patched).dump();
  auto second = handler.Review(again, seiguard::Endpoint::kMutate, policy);
  if (!second.ok()) std::abort();
  auto a2 = nlohmann::json::parse(second->body)["response"];
  if (a2.contains("patch") || !a2["allowed"].get<bool>()) std::abort();
  auto validated = handler.Review(again, seiguard::Endpoint::kValidate, policy);
  if (!validated.ok() || !nlohmann::json::parse(validated->body)["response"]["allowed"].get<bool>()) {
    std::abort();
  }
  return 0;
}
