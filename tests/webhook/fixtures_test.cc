// Every file in tests/fixtures goes through the review path: as an
// AdmissionReview where it is one, and wrapped as a Pod review (CREATE and
// UPDATE) where it is an object. Never a crash; always an answer echoing the
// uid, or a clear error.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/test_util.h"
#include "webhook/admission.h"
#include "webhook/checker.h"
#include "webhook/yaml_json.h"

namespace seiguard {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<fs::path> SharedFixtures() {
  std::vector<fs::path> files;
  for (const char* dir : {"k8s-api", "seinode"}) {
    for (const auto& e : fs::directory_iterator(testing::FixturesDir() / dir)) {
      std::string ext = e.path().extension().string();
      if (ext == ".json" || ext == ".yaml") files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void ExpectAnswerOrError(AdmissionHandler& handler, const std::string& body, const std::string& uid) {
  for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
    auto r = handler.Review(body, ep, Policy());
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
      continue;
    }
    json a = json::parse(r->body);
    EXPECT_EQ(a["response"]["uid"], uid);
    EXPECT_TRUE(a["response"]["allowed"].is_boolean());
    if (!a["response"]["allowed"].get<bool>()) {
      EXPECT_FALSE(a["response"]["status"]["message"].get<std::string>().empty());
    }
  }
}

TEST(SharedFixtures, AllGetAnAnswerOrAClearError) {
  std::vector<fs::path> files = SharedFixtures();
  ASSERT_GE(files.size(), 20u);
  AdmissionHandler handler;
  for (const fs::path& f : files) {
    SCOPED_TRACE(f.filename().string());
    auto docs = YamlToJson(testing::ReadFile(f));
    ASSERT_TRUE(docs.ok()) << docs.status().message();
    for (const YamlDocument& doc : *docs) {
      json value = json::parse(doc.json);
      if (value.value("kind", "") == "AdmissionReview") {
        ExpectAnswerOrError(handler, doc.json, value["request"].value("uid", ""));
        continue;
      }
      // Wrapped as a Pod review, whatever the object really is.
      for (const char* op : {"CREATE", "UPDATE"}) {
        json review = testing::MakeReview(value, op, std::string(op) == "UPDATE" ? value : json());
        review["request"]["kind"] = {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}};
        ExpectAnswerOrError(handler, review.dump(), review["request"]["uid"]);
      }
    }
  }
}

// Real third-party manifests (tests/data/corpus: kubernetes/examples and
// kube-prometheus) as CREATE and UPDATE reviews, in the API server's key
// order and in sorted order: the On-Demand reader answers exactly what the
// DOM reader answers, wherever the DOM reader judges; and the two decoders
// build the same model of every object.
TEST(Corpus, BothReadersAgreeOnRealManifests) {
  size_t objects = 0, reviews = 0, on_demand = 0;
  for (const auto& e : fs::recursive_directory_iterator(testing::SourceDir() / "tests/data/corpus")) {
    std::string ext = e.path().extension().string();
    if (ext != ".json" && ext != ".yaml" && ext != ".yml") continue;
    auto docs = YamlToJson(testing::ReadFile(e.path()));
    if (!docs.ok()) continue;  // the corpus keeps a few files kubectl refuses too
    for (const YamlDocument& doc : *docs) {
      json value = json::parse(doc.json, nullptr, false);
      if (!value.is_object() || !value.contains("kind") || !value["kind"].is_string()) continue;
      // The two decoders on the object itself, as the kind it says it is
      // and as a Pod: the same model, or the same error.
      JsonParser kind_parser;
      Kind kind = KindOf(*kind_parser.Parse(doc.json));
      for (Kind as : {kind, Kind::kPod}) EXPECT_EQ(testing::DecodersDisagree(doc.json, as), "") << e.path();
      ++objects;
      for (const char* op : {"CREATE", "UPDATE"}) {
        json review = testing::MakeReview(value, op, std::string(op) == "UPDATE" ? value : json());
        for (const std::string& body : {review.dump(), testing::InApiServerOrder(review)}) {
          for (Endpoint ep : {Endpoint::kValidate, Endpoint::kMutate}) {
            bool answered = false;
            EXPECT_EQ(testing::ReadersDisagree(body, ep, Policy(), &answered), "") << e.path();
            ++reviews;
            on_demand += answered;
          }
        }
      }
    }
  }
  EXPECT_GT(objects, 300u);
  EXPECT_GT(reviews, 1000u);
  EXPECT_GT(on_demand, reviews * 9 / 10) << "the On-Demand reader should answer nearly all of them";
}

TEST(SharedFixtures, TheEveryFieldPodDecodesAsAPod) {
  json pod = json::parse(testing::ReadFile(testing::FixturesDir() / "k8s-api/core.v1.Pod.json"));
  AdmissionHandler handler;
  auto r = handler.Review(testing::MakeReview(pod).dump(), Endpoint::kValidate, Policy());
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->decision, Decision::kError) << r->body;
}

}  // namespace
}  // namespace seiguard

namespace seiguard {
namespace {

using nlohmann::json;

// Found by fuzz_manifest: a SeiNode-owned StatefulSet without a spec made
// --fix emit a patch under a parent that does not exist.
TEST(FixedYaml, LeavesAWorkloadWithoutATemplateAlone) {
  std::string text = testing::ReadFile(testing::SourceDir() /
                                       "tests/fuzz/regressions/fuzz_manifest/statefulset-without-spec.yaml");
  ManifestSet set;
  ParseManifestText("regression.yaml", text, &set);
  ASSERT_EQ(set.documents.size(), 1u);
  std::string fixed = FixedYaml(set, Policy());
  auto before = YamlToJson(text);
  auto after = YamlToJson(fixed);
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_EQ(json::parse((*after)[0].json), json::parse((*before)[0].json)) << fixed;
}

}  // namespace
}  // namespace seiguard
