#include "linkage/model.h"

#include <gtest/gtest.h>

#include <cmath>

namespace zhizhi::linkage {
namespace {

// Three fields with known m, u and prior; the pattern counts are their exact expectations over a
// million pairs, so EM must find the parameters again (three or more conditionally independent
// fields make the mixture identifiable).
TEST(ModelTest, EmRecoversKnownParameters) {
  const std::vector<FieldSpec> fields = {
      {"a", {"other", "exact"}}, {"b", {"other", "near", "exact"}}, {"c", {"other", "exact"}}};
  const double prior = 0.05;
  const std::vector<std::vector<double>> m = {{0.05, 0.95}, {0.1, 0.2, 0.7}, {0.2, 0.8}};
  const std::vector<std::vector<double>> u = {{0.9, 0.1}, {0.8, 0.15, 0.05}, {0.7, 0.3}};
  const PatternCodec codec(fields);
  std::vector<std::uint64_t> counts(codec.size(), 0);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 2; ++c) {
        Pattern p;
        p.fill(kMissing);
        p[0] = static_cast<std::int8_t>(a);
        p[1] = static_cast<std::int8_t>(b);
        p[2] = static_cast<std::int8_t>(c);
        const double share =
            prior * m[0][a] * m[1][b] * m[2][c] + (1 - prior) * u[0][a] * u[1][b] * u[2][c];
        counts[codec.Encode(p)] = static_cast<std::uint64_t>(std::llround(share * 1e9));
      }
  Model model(fields);
  model.SetPrior(0.2);
  const EmReport report = model.Estimate(codec, counts, /*fix_u=*/false, 5000, 1e-10);
  EXPECT_TRUE(report.converged);
  EXPECT_NEAR(model.prior(), prior, 1e-3);
  for (int f = 0; f < 3; ++f)
    for (size_t l = 0; l < m[f].size(); ++l) {
      EXPECT_NEAR(model.m(f, static_cast<int>(l)), m[f][l], 2e-3) << f << "/" << l;
      EXPECT_NEAR(model.u(f, static_cast<int>(l)), u[f][l], 2e-3) << f << "/" << l;
    }
  // Weights: agreement on a is log2(0.95/0.1).
  EXPECT_NEAR(model.Weight(0, 1), std::log2(0.95 / 0.1), 0.02);
  EXPECT_EQ(model.Weight(0, kMissing), 0);
}

TEST(ModelTest, PatternCodesRoundTripWithMissingFields) {
  const std::vector<FieldSpec> fields = {{"a", {"x", "y"}}, {"b", {"x", "y", "z"}}};
  const PatternCodec codec(fields);
  EXPECT_EQ(codec.size(), 3u * 4u);
  for (std::uint32_t code = 0; code < codec.size(); ++code)
    EXPECT_EQ(codec.Encode(codec.Decode(code)), code);
  Pattern p;
  p.fill(kMissing);
  p[1] = 2;
  EXPECT_EQ(codec.Decode(codec.Encode(p))[0], kMissing);
  EXPECT_EQ(codec.Decode(codec.Encode(p))[1], 2);
}

TEST(ModelTest, ProbabilityOfAWeight) {
  EXPECT_DOUBLE_EQ(Model::Probability(0), 0.5);
  EXPECT_NEAR(Model::Probability(std::log2(99.0)), 0.99, 1e-12);
}

}  // namespace
}  // namespace zhizhi::linkage
