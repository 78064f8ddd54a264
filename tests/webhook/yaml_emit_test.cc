#include "webhook/yaml_emit.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "webhook/yaml_json.h"

namespace seiguard {
namespace {

using ordered = nlohmann::ordered_json;

// ToYaml, then our YAML reader: the value must come back unchanged.
nlohmann::json RoundTrip(const ordered& value) {
  auto docs = YamlToJson(ToYaml(value));
  EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.status().message()) << "\n" << ToYaml(value);
  if (!docs.ok() || docs->size() != 1) return "FAILED";
  return nlohmann::json::parse((*docs)[0].json);
}

TEST(ToYaml, WritesMultiLineStringsAsLiteralBlocks) {
  ordered v = {{"spec", {{"list", {{{"expression", "a ||\n  b\n\nc"}}}}}},
               {"script", "set -e\nexec kube-rbac-proxy --v=0\n"}};
  std::string yaml = ToYaml(v);
  EXPECT_NE(yaml.find("expression: |-\n      a ||\n        b\n\n      c\n"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("script: |\n  set -e\n  exec kube-rbac-proxy --v=0\n"), std::string::npos) << yaml;
  EXPECT_EQ(RoundTrip(v), nlohmann::json(v));
}

TEST(ToYaml, QuotesMultiLineStringsABlockWouldChange) {
  for (const char* s : {" leading blank\nx", "trailing blank \nx", "two final newlines\n\n",
                        "\nstarts with a newline", "tab\tand\r\ncarriage return", "end blank\nx "}) {
    ordered v = {{"s", s}};
    EXPECT_EQ(ToYaml(v).find('|'), std::string::npos) << s;
    EXPECT_EQ(RoundTrip(v), nlohmann::json(v)) << s;
  }
}

TEST(ToYaml, KeepsSpecialLinesInsideABlock) {
  ordered v = {{"s", "# not a comment\n- not a list\nkey: not a map\n'quoted'\n---\n..."}};
  EXPECT_NE(ToYaml(v).find("|-"), std::string::npos);
  EXPECT_EQ(RoundTrip(v), nlohmann::json(v));
  ordered list = ordered::array({"first\nsecond", "plain"});
  EXPECT_EQ(RoundTrip(list), nlohmann::json(list));
}

TEST(ToYaml, QuotesStringsAYaml11ReaderWouldRetype) {
  // Each must read back, as kubectl reads YAML, as the same string.
  for (const char* s : {"yes", "YES", "Y", "N", "ON", "OFF", "oN", "y", "~", "NULL", "0755", "020373", "0x1F",
                        "1e3", "1_000", "+12", ".5", "-.inf", ".NaN", "<<", "=", "1:30", "2024-01-01", "",
                        "- x", "a: b", "x #y", "trailing:", "\xe2\x80\xa8line separator", "nel\xc2\x85here",
                        "bom\xef\xbb\xbf", "c1 \xc2\x9b control"}) {
    ordered v = {{"k", s}, {s, "key"}};
    EXPECT_EQ(RoundTrip(v), nlohmann::json(v)) << s << "\n" << ToYaml(v);
  }
}

TEST(ToYaml, WritesNumbersThatReadBackAsTheSameValue) {
  ordered v = ordered::parse(R"({"a":256,"b":-3,"c":0.5,"d":1e+21,"e":1.5e-7,"f":18446744073709551615,"g":true,"h":null})");
  EXPECT_EQ(RoundTrip(v), nlohmann::json::parse(R"({"a":256,"b":-3,"c":0.5,"d":1e+21,"e":1.5e-7,
                                                   "f":18446744073709552000,"g":true,"h":null})"));
}

TEST(ToYaml, KeepsLineSeparatorsOutOfBlocks) {
  ordered v = {{"s", "first\nsecond\xe2\x80\xa8third"}};
  EXPECT_EQ(ToYaml(v).find('|'), std::string::npos);
  EXPECT_EQ(RoundTrip(v), nlohmann::json(v));
}

}  // namespace
}  // namespace seiguard
