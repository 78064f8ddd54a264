#include "rules/path.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(Path().Key("env").Append().Pointer(), "/env/-");
  EXPECT_EQ(Path().Pointer(), "");
}

}  // namespace
}  // namespace seiguard
