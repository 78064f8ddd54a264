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

}  // namespace
}  // namespace seiguard
