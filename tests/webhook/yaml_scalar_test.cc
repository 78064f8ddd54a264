#include "webhook/yaml_scalar.h"

#include <gtest/gtest.h>

namespace seiguard {
namespace {

// The JSON kubectl sends for a plain (unquoted) scalar; "ERROR" when it
// refuses it.
std::string Plain(std::string_view s, std::string_view tag = "") {
  StatusOr<YamlScalar> v = ResolveYamlScalar(s, true, tag);
  if (!v.ok()) return "ERROR";
  std::string out;
  return AppendYamlScalarJson(out, *v).ok() ? out : "ERROR";
}

TEST(YamlScalar, ReadsYaml11Booleans) {
  for (const char* t : {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    EXPECT_EQ(Plain(t), "true") << t;
  }
  for (const char* f : {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    EXPECT_EQ(Plain(f), "false") << f;
  }
  EXPECT_EQ(Plain("yEs"), "\"yEs\"");
  EXPECT_EQ(Plain("oN"), "\"oN\"");
}

TEST(YamlScalar, ReadsNulls) {
  for (const char* n : {"", "~", "null", "Null", "NULL"}) EXPECT_EQ(Plain(n), "null") << n;
  EXPECT_EQ(Plain("nULL"), "\"nULL\"");
}

TEST(YamlScalar, ReadsIntegersWithGoBaseZeroRules) {
  EXPECT_EQ(Plain("020373"), "8443");  // a leading 0 is octal
  EXPECT_EQ(Plain("0o17"), "15");
  EXPECT_EQ(Plain("0x1F"), "31");
  EXPECT_EQ(Plain("0x_1F"), "31");  // underscores go first
  EXPECT_EQ(Plain("0b101"), "5");
  EXPECT_EQ(Plain("-0b11"), "-3");
  EXPECT_EQ(Plain("1_000"), "1000");
  EXPECT_EQ(Plain("+12"), "12");
  EXPECT_EQ(Plain("-0x1F"), "-31");
  EXPECT_EQ(Plain("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(Plain("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Plain("0x"), "\"0x\"");
}

TEST(YamlScalar, ReadsFloatsAndWritesThemAsGo) {
  EXPECT_EQ(Plain("1e3"), "1000");
  EXPECT_EQ(Plain("08443"), "8443");  // not octal: read as the float 8443
  EXPECT_EQ(Plain("8443.0"), "8443");
  EXPECT_EQ(Plain("1."), "1");
  EXPECT_EQ(Plain(".5"), "0.5");
  EXPECT_EQ(Plain("-.5"), "-0.5");
  EXPECT_EQ(Plain(".5_5"), "0.55");
  EXPECT_EQ(Plain("._5"), "\"._5\"");
  EXPECT_EQ(Plain("1.5e-7"), "1.5e-7");
  EXPECT_EQ(Plain("1e21"), "1e+21");
  EXPECT_EQ(Plain("1e20"), "100000000000000000000");
  EXPECT_EQ(Plain("18446744073709551615"), "18446744073709552000");  // uint64: a float64 to kubectl
  EXPECT_EQ(Plain("-9223372036854775809"), "-9223372036854776000");
  EXPECT_EQ(Plain("1e400"), "\"1e400\"");  // out of range: a string
  EXPECT_EQ(Plain("1e-400"), "0");
  EXPECT_EQ(Plain(".inf"), "ERROR");
  EXPECT_EQ(Plain("-.Inf"), "ERROR");
  EXPECT_EQ(Plain(".NaN"), "ERROR");
}

TEST(YamlScalar, KeepsTimestampsAndOtherTextAsStrings) {
  EXPECT_EQ(Plain("2024-01-01"), "\"2024-01-01\"");
  EXPECT_EQ(Plain("1:30"), "\"1:30\"");
  EXPECT_EQ(Plain("<<"), "\"<<\"");
  EXPECT_EQ(Plain("8443/TCP"), "\"8443/TCP\"");
}

TEST(YamlScalar, QuotedScalarsAreStrings) {
  StatusOr<YamlScalar> v = ResolveYamlScalar("yes", false, "");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->type, YamlScalar::Type::kString);
}

TEST(YamlScalar, TagsForceOrCheckTheType) {
  EXPECT_EQ(Plain("123", "tag:yaml.org,2002:str"), "\"123\"");
  EXPECT_EQ(Plain("12", "tag:yaml.org,2002:int"), "12");
  EXPECT_EQ(Plain("1", "tag:yaml.org,2002:float"), "1");
  EXPECT_EQ(Plain("abc", "tag:yaml.org,2002:int"), "ERROR");
  EXPECT_EQ(Plain("x", "!custom"), "\"x\"");
  EXPECT_EQ(Plain("aGVsbG8=", "tag:yaml.org,2002:binary"), "\"hello\"");
  EXPECT_EQ(Plain("/w==", "tag:yaml.org,2002:binary"), "\"\xEF\xBF\xBD\"");  // invalid UTF-8 -> U+FFFD
}

TEST(YamlScalar, ConvertsKeysAsSigsYaml) {
  auto key = [](std::string_view s) {
    StatusOr<YamlScalar> v = ResolveYamlScalar(s, true, "");
    StatusOr<std::string> k = YamlScalarKey(*v);
    return k.ok() ? *k : "ERROR";
  };
  EXPECT_EQ(key("yes"), "true");
  EXPECT_EQ(key("0x10"), "16");
  EXPECT_EQ(key("1e6"), "1e+06");
  EXPECT_EQ(key("1e3"), "1000");
  EXPECT_EQ(key("3.14159265358979"), "3.1415927");  // float32 digits
  EXPECT_EQ(key("0.00001"), "1e-05");
  EXPECT_EQ(key(".inf"), ".inf");
  EXPECT_EQ(key("~"), "ERROR");
  EXPECT_EQ(key("18446744073709551615"), "ERROR");
}

TEST(YamlScalar, KnowsMergeKeys) {
  EXPECT_TRUE(IsMergeKey("<<", true, ""));
  EXPECT_TRUE(IsMergeKey("<<", false, "tag:yaml.org,2002:merge"));
  EXPECT_FALSE(IsMergeKey("<<", false, ""));
}

}  // namespace
}  // namespace seiguard
