// `seiguard check` throughput on SeiNode-sized pods: reading (YAML->JSON or
// JSON parse), decode, rules and locating findings, from text in memory (no
// file system). Documents/s and MB/s for JSON and YAML.
//   build/tests/seiguard_check_bench
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "webhook/checker.h"
#include "webhook/yaml_emit.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

ordered Pod(const std::string& name) {
  ordered review = ordered::parse(
      testing::ReadFile(testing::FixturesDir() / "seinode" / (name + ".review.json")));
  return review["request"]["object"];  // managedFields kept: real objects carry them
}

std::string Text(const ordered& value, bool yaml) { return yaml ? ToYaml(value) : value.dump(2); }

std::string ListOf(const std::string& name, int n, bool yaml) {
  ordered list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", ordered::array()}};
  for (int i = 0; i < n; ++i) list["items"].push_back(Pod(name));
  return Text(list, yaml);
}

void CheckText(benchmark::State& state, std::string text, int objects) {
  Policy policy;
  for (auto _ : state) {
    ManifestSet set;
    ParseManifestText("bench", text, &set);
    CheckReport report = Check(set, policy);
    benchmark::DoNotOptimize(report);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["docs/s"] = benchmark::Counter(static_cast<double>(state.iterations() * objects),
                                                benchmark::Counter::kIsRate);
}

void Pods(benchmark::State& state, const char* name, bool yaml) {
  CheckText(state, Text(Pod(name), yaml), 1);
}

void List(benchmark::State& state, const char* name, bool yaml) {
  CheckText(state, ListOf(name, 100, yaml), 100);
}

BENCHMARK_CAPTURE(Pods, json_split, "seinode-pod-split", false);
BENCHMARK_CAPTURE(Pods, json_legacy, "seinode-pod-legacy", false);
BENCHMARK_CAPTURE(Pods, yaml_split, "seinode-pod-split", true);
BENCHMARK_CAPTURE(Pods, yaml_legacy, "seinode-pod-legacy", true);
BENCHMARK_CAPTURE(List, json_100_split, "seinode-pod-split", false);
BENCHMARK_CAPTURE(List, json_100_legacy, "seinode-pod-legacy", false);
BENCHMARK_CAPTURE(List, yaml_100_split, "seinode-pod-split", true);
BENCHMARK_CAPTURE(List, yaml_100_legacy, "seinode-pod-legacy", true);

}  // namespace
}  // namespace seiguard

BENCHMARK_MAIN();
