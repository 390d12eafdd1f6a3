#include "linkage/model.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

namespace zhizhi::linkage {

namespace {

constexpr double kFloor = 1e-6;

double Clamp(double p) {
  return std::clamp(p, kFloor, 1 - kFloor);
}

// Scales `v` to sum 1 with every entry at least about kFloor.
void Normalise(std::vector<double>& v) {
  for (int pass = 0; pass < 2; ++pass) {
    double sum = 0;
    for (double& x : v)
      sum += (x = std::max(x, pass == 0 ? 0.0 : kFloor));
    if (sum <= 0) {
      for (double& x : v)
        x = 1.0 / static_cast<double>(v.size());
      return;
    }
    for (double& x : v)
      x /= sum;
  }
}

}  // namespace

PatternCodec::PatternCodec(const std::vector<FieldSpec>& fields)
    : fields_(static_cast<int>(fields.size())) {
  for (int f = 0; f < fields_; ++f) {
    radix_[f] = static_cast<std::uint32_t>(fields[f].levels.size()) + 1;  // + missing
    size_ *= radix_[f];
  }
}

std::uint32_t PatternCodec::Encode(const Pattern& p) const {
  std::uint32_t code = 0;
  for (int f = fields_ - 1; f >= 0; --f)
    code = code * radix_[f] + static_cast<std::uint32_t>(p[f] + 1);
  return code;
}

Pattern PatternCodec::Decode(std::uint32_t code) const {
  Pattern p{};
  p.fill(kMissing);
  for (int f = 0; f < fields_; ++f) {
    p[f] = static_cast<std::int8_t>(static_cast<int>(code % radix_[f]) - 1);
    code /= radix_[f];
  }
  return p;
}

Model::Model(std::vector<FieldSpec> fields) : fields_(std::move(fields)) {
  for (const FieldSpec& f : fields_) {
    const size_t n = f.levels.size();
    // Start: matches mostly agree exactly, non-matches mostly disagree.
    std::vector<double> m(n), u(n);
    for (size_t l = 0; l < n; ++l) {
      m[l] = l + 1 == n ? 0.9 : 0.1 / static_cast<double>(n - 1);
      u[l] = l == 0 ? 0.9 : 0.1 / static_cast<double>(n - 1);
    }
    m_.push_back(std::move(m));
    u_.push_back(std::move(u));
  }
}

void Model::SetM(int field, std::vector<double> m) {
  Normalise(m);
  m_[field] = std::move(m);
}

void Model::SetU(int field, std::vector<double> u) {
  Normalise(u);
  u_[field] = std::move(u);
}

EmReport Model::Estimate(const PatternCodec& codec, const std::vector<std::uint64_t>& counts,
                         bool fix_u, int max_iterations, double tolerance) {
  EmReport report;
  const int nf = static_cast<int>(fields_.size());
  // The patterns that occur, decoded once.
  std::vector<Pattern> patterns;
  std::vector<double> n;
  double total = 0;
  for (std::uint32_t code = 0; code < counts.size(); ++code) {
    if (counts[code] == 0) continue;
    patterns.push_back(codec.Decode(code));
    n.push_back(static_cast<double>(counts[code]));
    total += n.back();
  }
  if (total == 0) return report;
  std::vector<std::vector<double>> m_acc(nf), u_acc(nf);
  for (report.iterations = 1; report.iterations <= max_iterations; ++report.iterations) {
    for (int f = 0; f < nf; ++f) {
      m_acc[f].assign(fields_[f].levels.size(), 0);
      u_acc[f].assign(fields_[f].levels.size(), 0);
    }
    double matches = 0;
    // E step: the posterior probability of a match of each pattern; M step accumulators.
    for (size_t i = 0; i < patterns.size(); ++i) {
      double pm = prior_, pu = 1 - prior_;
      for (int f = 0; f < nf; ++f) {
        const int l = patterns[i][f];
        if (l == kMissing) continue;
        pm *= m_[f][l];
        pu *= u_[f][l];
      }
      const double g = pm / (pm + pu);
      matches += g * n[i];
      for (int f = 0; f < nf; ++f) {
        const int l = patterns[i][f];
        if (l == kMissing) continue;
        m_acc[f][l] += g * n[i];
        u_acc[f][l] += (1 - g) * n[i];
      }
    }
    double moved = std::abs(Clamp(matches / total) - prior_);
    prior_ = Clamp(matches / total);
    for (int f = 0; f < nf; ++f) {
      std::vector<double> m = m_acc[f];
      Normalise(m);
      for (size_t l = 0; l < m.size(); ++l)
        moved = std::max(moved, std::abs(m[l] - m_[f][l]));
      m_[f] = std::move(m);
      if (fix_u) continue;
      std::vector<double> u = u_acc[f];
      Normalise(u);
      for (size_t l = 0; l < u.size(); ++l)
        moved = std::max(moved, std::abs(u[l] - u_[f][l]));
      u_[f] = std::move(u);
    }
    if (moved < tolerance) {
      report.converged = true;
      break;
    }
  }
  report.iterations = std::min(report.iterations, max_iterations);
  report.prior = prior_;
  return report;
}

void Model::EstimatePrior(const PatternCodec& codec, const std::vector<std::uint64_t>& counts,
                          int max_iterations, double tolerance) {
  std::vector<double> ratio;  // Π m / Π u per occurring pattern
  std::vector<double> n;
  double total = 0;
  for (std::uint32_t code = 0; code < counts.size(); ++code) {
    if (counts[code] == 0) continue;
    const Pattern p = codec.Decode(code);
    double r = 1;
    for (size_t f = 0; f < fields_.size(); ++f)
      if (p[f] != kMissing) r *= m_[f][p[f]] / u_[f][p[f]];
    ratio.push_back(r);
    n.push_back(static_cast<double>(counts[code]));
    total += n.back();
  }
  if (total == 0) return;
  for (int i = 0; i < max_iterations; ++i) {
    double matches = 0;
    for (size_t k = 0; k < ratio.size(); ++k) {
      const double odds = prior_ / (1 - prior_) * ratio[k];
      matches += n[k] * odds / (1 + odds);
    }
    const double next = Clamp(matches / total);
    const bool done = std::abs(next - prior_) < tolerance;
    prior_ = next;
    if (done) break;
  }
}

double Model::Weight(int field, int level) const {
  if (level == kMissing) return 0;
  return std::log2(m_[field][level] / u_[field][level]);
}

double Model::MatchWeight(const Pattern& p) const {
  double w = std::log2(prior_ / (1 - prior_));
  for (int f = 0; f < static_cast<int>(fields_.size()); ++f)
    w += Weight(f, p[f]);
  return w;
}

double Model::Probability(double weight) {
  return 1 / (1 + std::exp2(-weight));
}

std::string Model::ToJson() const {
  nlohmann::json fields = nlohmann::json::array();
  for (size_t f = 0; f < fields_.size(); ++f) {
    nlohmann::json levels = nlohmann::json::array();
    for (size_t l = 0; l < fields_[f].levels.size(); ++l)
      levels.push_back({{"level", fields_[f].levels[l]},
                        {"m", m_[f][l]},
                        {"u", u_[f][l]},
                        {"weight", Weight(static_cast<int>(f), static_cast<int>(l))}});
    fields.push_back({{"field", fields_[f].name}, {"levels", std::move(levels)}});
  }
  return nlohmann::json{{"prior", prior_}, {"fields", std::move(fields)}}.dump();
}

}  // namespace zhizhi::linkage
