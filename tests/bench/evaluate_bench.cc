// Engine cost per AdmissionReview, no sockets: parse + decode + rules +
// response encoding, on the four shared SeiNode fixtures. Also the parts
// alone, so BENCHMARKS.md can say where the time goes.
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

void Review(benchmark::State& state, const char* name, Endpoint ep) {
  std::string body = Fixture(name);
  Policy policy;
  AdmissionHandler handler;
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
