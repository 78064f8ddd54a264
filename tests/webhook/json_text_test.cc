// The answer's hand-written encodings against the library ones they replace:
// the patch text against nlohmann's dump of the same document, and base64
// against RFC 4648's vectors.
#include "webhook/json_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_util.h"
#include "webhook/admission.h"
#include "webhook/base64.h"

namespace seiguard {
namespace {

using nlohmann::json;

std::string LibraryText(const std::vector<PatchOp>& ops) {
  return PatchToJson(ops).dump(-1, ' ', false, json::error_handler_t::replace);
}

TEST(JsonPatchText, IsByteForByteWhatTheLibraryWouldWrite) {
  Path containers = Path().Key("spec").Key("containers");
  std::vector<PatchOp> ops = {
      {"add", containers.Index(0).Key("ports").Append(),
       {{"name", "public"}, {"containerPort", 9100}, {"protocol", "TCP"}}},
      {"add", containers.Index(0).Key("env"),
       json::array({{{"name", "SEI_SIDECAR_PUBLIC_PORT"}, {"value", "9100"}}})},
      {"add", Path().Key("metadata").Key("labels").Key("sei.io/node"), "pacific-1-val-0"},
      {"add", Path().Key("metadata").Key("labels").Key("a~b/\"c\\d"), "tab\there \b\f\x01 é €"},
      {"replace", containers.Index(3).Key("livenessProbe").Key("httpGet").Key("port"), 9100},
      {"add", Path().Key("metadata").Key("labels"), json::object()},
      {"add", Path().Key("x"), {{"nested", {{"z", nullptr}, {"a", {true, false, 1.5, -3}}}}}},
  };
  EXPECT_EQ(JsonPatchText(ops), LibraryText(ops));
  EXPECT_EQ(JsonPatchText({}), LibraryText({}));
}

TEST(JsonPatchText, MatchesTheLibraryOnTheFixturePatch) {
  AdmissionHandler handler;
  std::string body =
      testing::ReadFile(testing::FixturesDir() / "seinode/seinode-pod-needs-injection.review.json");
  auto r = handler.Review(body, Endpoint::kMutate, Policy());
  ASSERT_TRUE(r.ok());
  json patch = json::parse(testing::Base64Decode(json::parse(r->body)["response"]["patch"]));
  ASSERT_GE(patch.size(), 3u);
  EXPECT_EQ(testing::Base64Decode(json::parse(r->body)["response"]["patch"]), patch.dump());
}

TEST(Base64, EncodesTheRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(testing::Base64Decode(Base64Encode(all)), all);
}

}  // namespace
}  // namespace seiguard
