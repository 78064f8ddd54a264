#include "rules/path.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace seiguard {
namespace {

TEST(Path, RendersDottedAndPointerForms) {
  Path p = Path().Key("spec").Key("initContainers").Index(2).Key("args").Index(3);
  EXPECT_EQ(p.Dotted(), "spec.initContainers[2].args[3]");
  EXPECT_EQ(p.Pointer(), "/spec/initContainers/2/args/3");
}

TEST(Path, EscapesSlashAndTildeInPointers) {
  Path p = Path().Key("metadata").Key("labels").Key("sei.io/node");
  EXPECT_EQ(p.Pointer(), "/metadata/labels/sei.io~1node");
  EXPECT_EQ(p.Dotted(), "metadata.labels[\"sei.io/node\"]");
  // "~1" must become "~01", not be mistaken for an escaped slash.
  EXPECT_EQ(EscapePointerToken("a~1/b"), "a~01~1b");
}

TEST(Path, AppendTokenIsADash) {
  Path env = Path().Key("env").Append(), root;
  EXPECT_EQ(env.Pointer(), "/env/-");
  EXPECT_EQ(root.Pointer(), "");
}

// Views into a temporary path would dangle, so the compiler refuses them.
template <typename P>
concept DottedOf = requires(P&& p) { std::forward<P>(p).Dotted(); };
static_assert(DottedOf<const Path&>);
static_assert(!DottedOf<Path&&>);
static_assert(!DottedOf<Path>);

TEST(Path, EscapesTokensBuiltThroughKeysToo) {
  Path p = Path().Key("a~1/b").Key("x\"y\\z").Index(10);
  EXPECT_EQ(p.Pointer(), "/a~01~1b/x\"y\\z/10");
  EXPECT_EQ(p.Dotted(), "[\"a~1/b\"][\"x\\\"y\\\\z\"][10]");
}

TEST(Path, ExtendingACopyLeavesTheOriginalAlone) {
  const Path base = Path().Key("spec").Key("containers").Index(0);
  Path env = base.Key("env").Append();
  Path ports = base.Key("ports").Index(1);
  EXPECT_EQ(base.Pointer(), "/spec/containers/0");
  EXPECT_EQ(base.Dotted(), "spec.containers[0]");
  EXPECT_EQ(env.Pointer(), "/spec/containers/0/env/-");
  EXPECT_EQ(env.Dotted(), "spec.containers[0].env[-]");
  EXPECT_EQ(ports.Dotted(), "spec.containers[0].ports[1]");
  EXPECT_FALSE(base == ports);
  EXPECT_TRUE(ports == base.Key("ports").Index(1));
  EXPECT_TRUE(Path().empty());
  EXPECT_FALSE(base.empty());
}

TEST(Path, BothFormsStayApartPastAnyReservedLength) {
  Path p;
  std::string pointer, dotted;
  for (size_t i = 0; i < 60; ++i) {
    std::string key = "k" + std::to_string(i) + (i % 7 == 0 ? "/~" : "");
    p = std::move(p).Key(key).Index(i * 1000003);
    pointer += "/" + EscapePointerToken(key) + "/" + std::to_string(i * 1000003);
    dotted += (i % 7 == 0 ? "[\"" + key + "\"]" : (dotted.empty() ? "" : ".") + key) + "[" +
              std::to_string(i * 1000003) + "]";
  }
  EXPECT_EQ(p.Pointer(), pointer);
  EXPECT_EQ(p.Dotted(), dotted);
}

}  // namespace
}  // namespace seiguard
