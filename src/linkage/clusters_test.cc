#include "linkage/clusters.h"

#include <gtest/gtest.h>

namespace zhizhi::linkage {
namespace {

TEST(ClustersTest, UnionsAreTransitive) {
  Clusters c(5);
  EXPECT_TRUE(c.Union(0, 1));
  EXPECT_TRUE(c.Union(1, 2));
  EXPECT_TRUE(c.Together(0, 2));
  EXPECT_FALSE(c.Together(0, 3));
  EXPECT_EQ(c.groups(), 3u);
  const auto reps = c.Representatives();
  EXPECT_EQ(reps, (std::vector<std::uint32_t>{0, 0, 0, 3, 4}));
}

TEST(ClustersTest, TwoIdentitiesNeverJoinThroughAThirdRecord) {
  Clusters c(3);
  c.SetIdentity(0, 11);         // twin A
  c.SetIdentity(2, 22);         // twin B
  EXPECT_TRUE(c.Union(0, 1));   // a vague record joins A …
  EXPECT_FALSE(c.Union(1, 2));  // … and cannot bring B along
  EXPECT_TRUE(c.Conflicts(1, 2));
  EXPECT_FALSE(c.Together(0, 2));
  EXPECT_EQ(c.groups(), 2u);
  EXPECT_TRUE(c.Union(1, 2, /*force=*/true));  // a reviewer's merge overrides
  EXPECT_TRUE(c.Together(0, 2));
}

TEST(ClustersTest, CannotLinksHoldForWholeGroups) {
  Clusters c(4);
  c.AddCannotLink(0, 3);
  EXPECT_TRUE(c.Union(0, 1));
  EXPECT_TRUE(c.Union(2, 3));
  EXPECT_FALSE(c.Union(1, 2));
  EXPECT_EQ(c.groups(), 2u);
}

}  // namespace
}  // namespace zhizhi::linkage
