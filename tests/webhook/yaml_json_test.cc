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

std::string Text(const std::string& yaml) {
  auto docs = YamlToJson(yaml);
  return docs.ok() && docs->size() == 1 ? (*docs)[0].json : "FAILED";
}

std::string Error(const std::string& yaml) {
  auto docs = YamlToJson(yaml);
  return docs.ok() ? "" : docs.status().message();
}

TEST(YamlToJson, TypesPlainScalarsAsKubectlDoes) {
  json j = One("a: 8443\nb: \"8443\"\nc: true\nd: null\ne: ~\nf:\ng: 1.5\nh: 0x1F\ni: 0o17\nj: yes\n"
               "k: -3\nl: .5\nm: 'true'\nport: 020373\no: on\np: 1e3\nq: 08443\nn: x\n");
  EXPECT_EQ(j, json::parse(R"({"a":8443,"b":"8443","c":true,"d":null,"e":null,"f":null,"g":1.5,
                               "h":31,"i":15,"j":true,"k":-3,"l":0.5,"m":"true","port":8443,"o":true,
                               "p":1000,"q":8443,"false":"x"})"));  // n: a YAML 1.1 boolean key
}

TEST(YamlToJson, WritesNumbersAsGoDoes) {
  // Integral floats have no point (kubectl sends 8443 for 8443.0), and
  // numbers beyond int64 are float64s.
  EXPECT_EQ(Text("a: 8443.0\nb: 1e21\nc: 1.5e-7\nd: 18446744073709551615\ne: 123456789012345678901234\n"),
            R"({"a":8443,"b":1e+21,"c":1.5e-7,"d":18446744073709552000,"e":1.2345678901234569e+23})");
}

TEST(YamlToJson, RefusesInfinityAndNan) {
  EXPECT_NE(Error("a: .inf\n").find("1:4: json: unsupported value: +Inf"), std::string::npos) << Error("a: .inf\n");
  EXPECT_NE(Error("a: [.nan]\n").find("unsupported value: NaN"), std::string::npos);
  EXPECT_EQ(One("a: '.inf'\nb: 1e400\n"), json::parse(R"({"a":".inf","b":"1e400"})"));
}

TEST(YamlToJson, ConvertsKeysAsSigsYamlDoes) {
  EXPECT_EQ(Text("yes: b\non: f\n"), "FAILED");  // both are the key "true"
  EXPECT_EQ(One("1: a\nyes: b\n0x10: c\n1.5: d\n1e6: e\n"),
            json::parse(R"({"1":"a","true":"b","16":"c","1.5":"d","1e+06":"e"})"));
  EXPECT_NE(Error("~: 1\n").find("null mapping key"), std::string::npos);
  EXPECT_NE(Error("? [a]\n: 1\n").find("invalid map key"), std::string::npos);
}

TEST(YamlToJson, ReadsJsonAsYaml) {
  EXPECT_EQ(One(R"({"a": [1, "x", {"b": null}]})"), json::parse(R"({"a":[1,"x",{"b":null}]})"));
}

TEST(YamlToJson, SplitsMultiDocumentStreamsUpToALimit) {
  auto docs = YamlToJson("a: 1\n---\nb: 2\n---\n");
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 3u);
  EXPECT_EQ((*docs)[1].json, R"({"b":2})");
  EXPECT_EQ((*docs)[1].line, 2u);
  EXPECT_EQ((*docs)[2].json, "null");
  // kubectl reads the first YAML document of a chunk and ignores the rest,
  // errors in it included.
  docs = YamlToJson("a: 1\n...\nb: [\n", 1, 1);
  ASSERT_TRUE(docs.ok());
  ASSERT_EQ(docs->size(), 1u);
  EXPECT_EQ((*docs)[0].json, R"({"a":1})");
}

TEST(YamlToJson, EscapesStringsForJson) {
  EXPECT_EQ(One("a: \"q\\\"b\\\\\\n\\t\"\n"), json::parse(R"({"a":"q\"b\\\n\t"})"));
}

TEST(YamlToJson, ExpandsAliases) {
  EXPECT_EQ(One("base: &b {x: 1}\ncopy: *b\nlist: [&s str, *s]\n"),
            json::parse(R"({"base":{"x":1},"copy":{"x":1},"list":["str","str"]})"));
}

TEST(YamlToJson, AppliesMergeKeysInGoYamlOrder) {
  // Keys after << override merged ones; keys before it are overridden; in a
  // list, earlier mappings win.
  EXPECT_EQ(One("a: &a {x: 1, w: 1}\nb: &b {x: 2, z: 2}\nm:\n  w: 0\n  <<: [*a, *b]\n  z: 9\n")["m"],
            json::parse(R"({"x":1,"w":1,"z":9})"));
  EXPECT_EQ(One("p: &p {args: [--ignore-paths=/x]}\nc:\n  <<: *p\n  name: kube-rbac-proxy\n")["c"],
            json::parse(R"({"args":["--ignore-paths=/x"],"name":"kube-rbac-proxy"})"));
  EXPECT_EQ(One("\"<<\": {a: 1}\n"), json::parse(R"({"<<":{"a":1}})"));  // a quoted << is a key
  EXPECT_NE(Error("a: &a [1]\nb:\n  <<: *a\n").find("3:7: map merge requires map"), std::string::npos)
      << Error("a: &a [1]\nb:\n  <<: *a\n");
}

TEST(YamlToJson, MarksMergedValuesWhereTheirTextIs) {
  auto docs = YamlToJson("p: &p\n  args: [--x]\nc:\n  <<: *p\n");
  ASSERT_TRUE(docs.ok());
  const YamlDocument& d = (*docs)[0];
  size_t at = d.json.rfind("[\"--x\"]");
  bool found = false;
  for (const NodeMark& m : d.marks) {
    if (m.json_offset == at) {
      EXPECT_EQ(m.line, 2u);
      EXPECT_EQ(m.column, 9u);
      found = true;
    }
  }
  EXPECT_TRUE(found) << d.json;
}

TEST(YamlToJson, RefusesDuplicateKeysWithTheirPosition) {
  EXPECT_EQ(Error("a: 1\nb: 2\na: 3\n").rfind("3:1: duplicate key \"a\"", 0), 0u);
  // 1 and "1" are two keys to go-yaml and one in JSON: kubectl keeps either.
  EXPECT_NE(Error("1: a\n\"1\": b\n").find("kubectl keeps one of them at random"), std::string::npos);
  EXPECT_NE(Error("m: &m {1: a}\nx:\n  <<: *m\n  \"1\": b\n").find("at random"), std::string::npos);
  EXPECT_EQ(Error("a: &a {x: 1}\nb:\n  <<: *a\n  x: 2\n"), "");  // overriding a merged key is no duplicate
}

TEST(YamlToJson, RefusesWhatKubectlRefuses) {
  EXPECT_NE(Error("a: &x {b: *x}\n").find("anchor 'x' value contains itself"), std::string::npos);
  EXPECT_NE(Error("a: *nope\n").find("unknown anchor 'nope'"), std::string::npos);
  EXPECT_NE(Error("a: !!int abc\n").find("cannot decode !!str `abc` as a !!int"), std::string::npos);
  EXPECT_NE(Error("a: !!binary '%%'\n").find("invalid base64"), std::string::npos);
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
  EXPECT_NE(Error(bomb).find("document contains excessive aliasing"), std::string::npos) << Error(bomb);
}

TEST(YamlToJson, RefusesNestingBeyondTheJsonLimit) {
  std::string deep(70, '[');
  EXPECT_NE(Error(deep).find("nested deeper than 64 levels"), std::string::npos);
  EXPECT_NE(Error(std::string(1000000, '[')).find("nested deeper"), std::string::npos);
  // Aliases can nest deeper than the text does.
  std::string nest = "a: &a " + std::string(40, '[') + std::string(40, ']') + "\nb: &b " + std::string(30, '[') +
                     "*a" + std::string(30, ']') + "\n";
  EXPECT_NE(Error(nest).find("nested deeper"), std::string::npos) << Error(nest);
}

TEST(YamlToJson, RefusesBinaryInput) {
  EXPECT_FALSE(YamlToJson(std::string("a: \xff\xfe\x00\x01", 8)).ok());
}

}  // namespace
}  // namespace seiguard
