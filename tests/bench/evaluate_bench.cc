// Engine cost per AdmissionReview, no sockets: parse + decode + rules +
// response encoding, on the four shared SeiNode fixtures. Also the parts
// alone, so BENCHMARKS.md can say where the time goes, and the admission
// path's On-Demand reader beside the DOM reader it replaced.
//   build/tests/seiguard_bench --benchmark_repetitions=5
#include <benchmark/benchmark.h>

#include <string>

#include "rules/decode.h"
#include "rules/engine.h"
#include "tests/test_util.h"
#include "webhook/admission.h"

namespace seiguard {
namespace {

std::string Fixture(const std::string& name) {
  return testing::ReadFile(testing::FixturesDir() / "seinode" / (name + ".review.json"));
}

void Review(benchmark::State& state, const char* name, Endpoint ep,
            AdmissionHandler::Reader reader = AdmissionHandler::Reader::kBoth) {
  std::string body = Fixture(name);
  Policy policy;
  AdmissionHandler handler;
  handler.UseReader(reader);
  for (auto _ : state) {
    auto r = handler.Review(body, ep, policy);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void ParseOnly(benchmark::State& state, const char* name) {
  std::string body = Fixture(name);
  JsonParser parser;
  for (auto _ : state) {
    auto root = parser.Parse(body);
    benchmark::DoNotOptimize(root);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}

void DecodeOnly(benchmark::State& state, const char* name) {
  std::string body = Fixture(name);
  JsonParser parser;
  simdjson::dom::element object = (*parser.Parse(body))["request"]["object"];
  for (auto _ : state) {
    auto obj = DecodeObject(object, Kind::kPod);
    benchmark::DoNotOptimize(obj);
  }
}

// The admission path's reader: stage 1 over the whole body, then a walk
// that parses only request.object's metadata and pod spec fields the rules
// read (the On-Demand DecodeObject), skipping the rest.
void ParseDecodeOnDemand(benchmark::State& state, const char* name) {
  std::string body = Fixture(name);
  JsonParser parser;
  for (auto _ : state) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::value object;
    if (parser.Iterate(body, &doc) || doc["request"]["object"].get(object)) state.SkipWithError("parse");
    auto obj = DecodeObject(object, Kind::kPod);
    benchmark::DoNotOptimize(obj);
  }
}

// Stage 1 alone, plus passing over every value (the floor of any
// On-Demand read).
void Stage1AndSkip(benchmark::State& state, const char* name) {
  std::string body = Fixture(name);
  JsonParser parser;
  for (auto _ : state) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::object root;
    size_t fields = 0;
    if (parser.Iterate(body, &doc) || doc.get_object().get(root) || root.count_fields().get(fields)) {
      state.SkipWithError("parse");
    }
    benchmark::DoNotOptimize(fields);
  }
}

void RulesOnly(benchmark::State& state, const char* name, Mode mode) {
  std::string body = Fixture(name);
  JsonParser parser;
  Object obj = *DecodeObject((*parser.Parse(body))["request"]["object"], Kind::kPod);
  Policy policy;
  for (auto _ : state) {
    Evaluation e = Evaluate(Request{Operation::kCreate, &obj, nullptr, "pacific-1"}, policy, mode);
    benchmark::DoNotOptimize(e);
  }
}

#define SEIGUARD_FIXTURE_BENCH(id, name)                                          \
  BENCHMARK_CAPTURE(Review, id##_validate, name, Endpoint::kValidate);            \
  BENCHMARK_CAPTURE(Review, id##_mutate, name, Endpoint::kMutate);                \
  BENCHMARK_CAPTURE(Review, id##_validate_dom, name, Endpoint::kValidate,         \
                    AdmissionHandler::Reader::kDomOnly);                          \
  BENCHMARK_CAPTURE(ParseDecodeOnDemand, id, name);                               \
  BENCHMARK_CAPTURE(Stage1AndSkip, id, name);                                     \
  BENCHMARK_CAPTURE(ParseOnly, id, name);                                         \
  BENCHMARK_CAPTURE(DecodeOnly, id, name);                                        \
  BENCHMARK_CAPTURE(RulesOnly, id##_validate, name, Mode::kValidate);

SEIGUARD_FIXTURE_BENCH(legacy, "seinode-pod-legacy")
SEIGUARD_FIXTURE_BENCH(split, "seinode-pod-split")
SEIGUARD_FIXTURE_BENCH(needs_injection, "seinode-pod-needs-injection")
SEIGUARD_FIXTURE_BENCH(plain, "plain-pod")

}  // namespace
}  // namespace seiguard

BENCHMARK_MAIN();
