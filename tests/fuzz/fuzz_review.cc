// The AdmissionReview path end to end, without sockets: bytes in, answer out,
// on both endpoints. Any crash, sanitizer report or non-JSON answer fails.
// Both readers run on every input: wherever both answer, the answers are
// the same bytes; the On-Demand reader may answer a body the DOM reader
// refuses only when the DOM's reason is malformed JSON (which the On-Demand
// reader does not look for in values no rule reads). And the two decoders
// build the same model of the review's object.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "webhook/admission.h"

namespace {

seiguard::AdmissionHandler& Handler(seiguard::AdmissionHandler::Reader reader) {
  static seiguard::AdmissionHandler both, dom, on_demand;
  static bool ready = [] {
    dom.UseReader(seiguard::AdmissionHandler::Reader::kDomOnly);
    on_demand.UseReader(seiguard::AdmissionHandler::Reader::kOnDemandOnly);
    return true;
  }();
  (void)ready;
  switch (reader) {
    case seiguard::AdmissionHandler::Reader::kDomOnly: return dom;
    case seiguard::AdmissionHandler::Reader::kOnDemandOnly: return on_demand;
    default: return both;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using Reader = seiguard::AdmissionHandler::Reader;
  static seiguard::Policy policy;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (seiguard::Endpoint ep : {seiguard::Endpoint::kValidate, seiguard::Endpoint::kMutate}) {
    auto result = Handler(Reader::kBoth).Review(body, ep, policy);
    if (result.ok()) {
      // The answer is always valid JSON with a boolean verdict.
      auto answer = nlohmann::json::parse(result->body, nullptr, false);
      if (answer.is_discarded() || !answer["response"]["allowed"].is_boolean()) std::abort();
      if (ep == seiguard::Endpoint::kValidate && answer["response"].contains("patch")) std::abort();
    }
    auto dom = Handler(Reader::kDomOnly).Review(body, ep, policy);
    auto on_demand = Handler(Reader::kOnDemandOnly).Review(body, ep, policy);
    if (!on_demand.ok()) continue;
    if (!dom.ok()) {
      if (dom.status().message().rfind("request body: ", 0) != 0) std::abort();
      continue;
    }
    if (dom->body != on_demand->body || dom->decision != on_demand->decision ||
        dom->findings.size() != on_demand->findings.size()) {
      std::abort();
    }
  }
  // The two decoders on the review's object: the same model or the same
  // error, whatever the fuzzer made of it.
  static seiguard::JsonParser parser;
  auto root = parser.Parse(body);
  simdjson::dom::element object;
  if (root.ok() && !(*root)["request"]["object"].get(object) && object.is_object()) {
    std::string text = simdjson::to_string(object);
    for (seiguard::Kind kind : {seiguard::KindOf(object), seiguard::Kind::kPod}) {
      if (!seiguard::testing::DecodersDisagree(text, kind).empty()) std::abort();
    }
  }
  return 0;
}
