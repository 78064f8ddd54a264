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
