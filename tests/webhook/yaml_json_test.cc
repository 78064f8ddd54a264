#include "webhook/yaml_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace seiguard {
namespace {

using nlohmann::json;

json One(const std::string& yaml) {
  auto docs = YamlToJson(yaml);
  EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.status().message());
  if (!docs.ok() || docs->size() != 1) return "FAILED";
  return json::parse((*docs)[0].json);
}

std::string Error(const std::string& yaml) {
  auto docs = YamlToJson(yaml);
  return docs.ok() ? "" : docs.status().message();
}

TEST(YamlToJson, TypesPlainScalarsByTheCoreSchema) {
  json j = One("a: 8443\nb: \"8443\"\nc: true\nd: null\ne: ~\nf:\ng: 1.5\nh: 0x1F\ni: 0o17\nj: yes\nk: -3\nl: .5\nm: 'true'\n");
  EXPECT_EQ(j, json::parse(R"({"a":8443,"b":"8443","c":true,"d":null,"e":null,"f":null,"g":1.5,
                               "h":31,"i":15,"j":"yes","k":-3,"l":0.5,"m":"true"})"));
}

TEST(YamlToJson, KeepsHugeIntegersAndInfinityAsText) {
  EXPECT_EQ(One("a: 99999999999999999999\nb: .inf\n"), json::parse(R"({"a":"99999999999999999999","b":".inf"})"));
}

TEST(YamlToJson, ReadsJsonAsYaml) {
  EXPECT_EQ(One(R"({"a": [1, "x", {"b": null}]})"), json::parse(R"({"a":[1,"x",{"b":null}]})"));
}

TEST(YamlToJson, SplitsMultiDocumentStreams) {
  auto docs = YamlToJson("a: 1\n---\nb: 2\n---\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[1].json, R"({"b":2})");
  EXPECT_EQ((*docs)[1].line, 2u);
  EXPECT_EQ((*docs)[2].json, "null");
}

TEST(YamlToJson, EscapesStringsForJson) {
  EXPECT_EQ(One("a: \"q\\\"b\\\\\\n\\t\"\n"), json::parse(R"({"a":"q\"b\\\n\t"})"));
}

TEST(YamlToJson, ExpandsAliases) {
  EXPECT_EQ(One("base: &b {x: 1}\ncopy: *b\nlist: [&s str, *s]\n"),
            json::parse(R"({"base":{"x":1},"copy":{"x":1},"list":["str","str"]})"));
}

TEST(YamlToJson, RefusesDuplicateKeysWithTheirPosition) {
  EXPECT_EQ(Error("a: 1\nb: 2\na: 3\n"), "3:1: duplicate key \"a\"");
}

TEST(YamlToJson, RefusesComplexKeys) {
  EXPECT_NE(Error("? [a]\n: 1\n").find("complex mapping keys"), std::string::npos);
}

TEST(YamlToJson, ReportsSyntaxErrorsWithLineAndColumn) {
  std::string e = Error("a: 1\nb: [1, 2\n");
  EXPECT_EQ(e.rfind("3:1: ", 0), 0u) << e;
}

TEST(YamlToJson, RefusesAnAliasBomb) {
  std::string bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n";
  char prev = 'a';
  for (char c = 'b'; c <= 'k'; ++c, ++prev) {
    bomb += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? "," : "") + "*" + prev;
    bomb += "]\n";
  }
  EXPECT_NE(Error(bomb).find("aliases expand to more than"), std::string::npos);
}

TEST(YamlToJson, RefusesNestingBeyondTheJsonLimit) {
  std::string deep(70, '[');
  EXPECT_NE(Error(deep).find("nested deeper than 64 levels"), std::string::npos);
  EXPECT_NE(Error(std::string(1000000, '[')).find("nested deeper"), std::string::npos);
}

TEST(YamlToJson, RefusesBinaryInput) {
  EXPECT_FALSE(YamlToJson(std::string("a: \xff\xfe\x00\x01", 8)).ok());
}

}  // namespace
}  // namespace seiguard
