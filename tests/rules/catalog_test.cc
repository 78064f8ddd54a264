// The catalog is the registry, and every rule in it is complete. A rule file
// that leaves a field out compiles (designated initializers default it), so
// these tests are where an incomplete definition is caught, with what to do.
#include "rules/catalog.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "rules/rule.h"

namespace seiguard {
namespace {

constexpr std::string_view kIds[] = {
#define SEIGUARD_RULE(id) #id,
#include "rules/registry.inc"
#undef SEIGUARD_RULE
};

TEST(Catalog, IsTheRegistryInOrder) {
  ASSERT_EQ(Rules().size(), std::size(kIds));
  for (size_t i = 0; i < Rules().size(); ++i) {
    const RuleInfo& r = Rules()[i];
    std::string name(kIds[i]);
    for (char& c : name) c = c == '_' ? '-' : c;
    EXPECT_EQ(r.name, name) << "rules/" << kIds[i] << ".cc: .name must be \"" << name
                            << "\", the file name with '-' for '_'";
    EXPECT_EQ(r.id.index(), i);
    EXPECT_EQ(&Rule(r.id), &r);
    ASSERT_TRUE(RuleFromName(r.name).has_value()) << r.name;
    EXPECT_EQ(*RuleFromName(r.name), r.id);
  }
  EXPECT_FALSE(RuleFromName("no-such-rule").has_value());
}

TEST(Catalog, EveryRuleIsComplete) {
  for (const RuleInfo& r : Rules()) {
    SCOPED_TRACE(std::string(r.name));
    EXPECT_NE(r.check, nullptr) << "set .check to the rule's Check function (see rules/rule.h)";
    EXPECT_FALSE(r.summary.empty()) << "set .summary (one line)";
    EXPECT_EQ(r.summary.find('\n'), std::string_view::npos) << ".summary is one line";
    EXPECT_FALSE(r.description.empty()) << "set .description (what it checks and why)";
    EXPECT_FALSE(r.fix.empty()) << "set .fix (how to fix a finding)";
    EXPECT_NE(r.default_action, Action::kOff) << "a rule that is off by default is never run";
    if (r.default_action == Action::kMutate) {
      EXPECT_TRUE(r.can_mutate()) << "default mutate needs .patches = kSpec or kLabels";
    }
  }
}

}  // namespace
}  // namespace seiguard
