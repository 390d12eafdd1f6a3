#include "linkage/person_linker.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "linkage/clusters.h"
#include "pinyin/pinyin.h"

namespace zhizhi::linkage {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::uint64_t Sound(char32_t c) {
  const pinyin::Syllable s = pinyin::Of(c).first();
  return s != 0 ? s : 0x100000000ull + c;
}

std::uint64_t NameSound(const std::u32string& name) {
  std::uint64_t h = 0x51ED;
  for (char32_t c : name)
    h = MixBits(h ^ Sound(c));
  return h;
}

std::uint64_t NameHash(const std::u32string& name) {
  std::uint64_t h = 0xA11CE;
  for (char32_t c : name)
    h = MixBits(h ^ c);
  return h;
}

std::uint64_t IdHash(const PersonRecord& r) {
  std::uint64_t h = 0x1D;
  for (char c : r.id)
    h = MixBits(h ^ static_cast<unsigned char>(c));
  return h | 1;  // never 0 (0 = no identity)
}

constexpr const char* kRuleNames[] = {"name_year", "birth_surname", "phone", "house_sound"};
constexpr int kRules = 4;

std::uint64_t RuleKey(int rule, const PersonRecord& r) {
  std::uint64_t k = 0;
  switch (rule) {
    case 0:
      if (!r.name.empty() && r.birth != 0)
        k = MixBits(NameSound(r.name) ^ MixBits(r.birth / 10000));
      break;
    case 1:
      if (!r.name.empty() && r.birth != 0) k = MixBits(MixBits(r.birth) ^ r.name[0]);
      break;
    case 2:
      if (r.phone != 0) k = MixBits(r.phone ^ 0x9E0E);
      break;
    case 3:
      if (!r.name.empty() && r.house != 0) k = MixBits(MixBits(r.house) ^ Sound(r.name[0]));
      break;
  }
  return k;  // 0: the record has no key under this rule
}

struct Candidate {
  std::uint32_t a, b, code;
  int rule;
};

// The fields a rule's key is made of: their agreement among the rule's pairs is forced, so they
// say nothing about m there (Splink estimates m the same way, rule by rule).
bool RuleUses(int rule, int field) {
  switch (rule) {
    case 0:
      return field == kName || field == kBirthDate;
    case 1:
      return field == kName || field == kBirthDate;
    case 2:
      return field == kPhone;
    case 3:
      return field == kName || field == kAddress;
  }
  return false;
}

// Term frequencies of a key over the records: f(v) = count(v) / n, and Σ f² (the chance that two
// random records agree on it).
class TermFrequencies {
 public:
  void Add(std::uint64_t key) {
    if (key != 0) ++counts_[key], ++n_;
  }
  void Finish() {
    for (const auto& [key, count] : counts_) {
      const double f = static_cast<double>(count) / static_cast<double>(n_);
      sum_squares_ += f * f;
    }
  }
  // log2(Σf² / f(v)), within ±6 bits: > 0 for rare values, < 0 for common ones.
  double Adjustment(std::uint64_t key) const {
    auto it = counts_.find(key);
    if (it == counts_.end() || n_ == 0) return 0;
    const double f = static_cast<double>(it->second) / static_cast<double>(n_);
    return std::clamp(std::log2(sum_squares_ / f), -6.0, 6.0);
  }

 private:
  std::unordered_map<std::uint64_t, std::uint32_t> counts_;
  std::uint64_t n_ = 0;
  double sum_squares_ = 0;
};

}  // namespace

LinkResult LinkPersons(const std::vector<PersonRecord>& records,
                       const std::vector<LinkDecision>& decisions, const LinkOptions& options) {
  const auto start = Clock::now();
  LinkResult result;
  LinkReport& report = result.report;
  const auto n = static_cast<std::uint32_t>(records.size());
  report.records = n;
  const PatternCodec codec(PersonFieldSpecs());
  const int threads = std::max(1, options.threads);

  // 2. Blocking: keys per rule, then candidate pairs rule by rule.
  std::vector<std::vector<std::uint64_t>> keys(kRules, std::vector<std::uint64_t>(n));
  for (int rule = 0; rule < kRules; ++rule)
    for (std::uint32_t i = 0; i < n; ++i) {
      keys[rule][i] = RuleKey(rule, records[i]);
    }
  std::vector<Candidate> candidates;
  std::vector<std::vector<std::uint64_t>> em_counts(kRules);
  for (int rule = 0; rule < kRules; ++rule) {
    BlockingRuleReport rule_report{kRuleNames[rule]};
    std::vector<std::pair<std::uint64_t, std::uint32_t>> sorted;
    sorted.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i)
      if (keys[rule][i] != 0) sorted.emplace_back(keys[rule][i], i);
    std::sort(sorted.begin(), sorted.end());
    // Blocks as [begin, end) ranges; the oversized ones are skipped and their keys cleared so
    // that later rules do not think the pairs were compared here.
    std::vector<std::pair<size_t, size_t>> blocks;
    for (size_t b = 0; b < sorted.size();) {
      size_t e = b + 1;
      while (e < sorted.size() && sorted[e].first == sorted[b].first)
        ++e;
      if (e - b > options.max_block) {
        ++rule_report.skipped_blocks;
        for (size_t i = b; i < e; ++i)
          keys[rule][sorted[i].second] = 0;
      } else if (e - b > 1) {
        blocks.emplace_back(b, e);
      }
      b = e;
    }
    // Every pair of the rule's blocks counts towards the rule's EM (masked: its own fields left
    // out) — also those compared under an earlier rule, or the rule's matches would be only
    // those that earlier rules missed; only the new ones become candidates.
    std::vector<std::vector<Candidate>> found(threads);
    std::vector<std::vector<std::uint64_t>> rule_counts(
        threads, std::vector<std::uint64_t>(codec.size(), 0));
    auto work = [&](int t) {
      std::vector<Candidate>& out = found[t];
      std::vector<std::uint64_t>& count = rule_counts[t];
      for (size_t k = t; k < blocks.size(); k += threads) {
        const auto [b, e] = blocks[k];
        for (size_t x = b; x < e; ++x)
          for (size_t y = x + 1; y < e; ++y) {
            const std::uint32_t i = sorted[x].second, j = sorted[y].second;
            bool earlier = false;
            for (int r = 0; r < rule && !earlier; ++r)
              earlier = keys[r][i] != 0 && keys[r][i] == keys[r][j];
            Pattern p = ComparePersons(records[i], records[j]);
            if (!earlier) out.push_back({std::min(i, j), std::max(i, j), codec.Encode(p), rule});
            for (int f = 0; f < kPersonFields; ++f)
              if (RuleUses(rule, f)) p[f] = kMissing;
            ++count[codec.Encode(p)];
          }
      }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t)
      workers.emplace_back(work, t);
    work(0);
    for (std::thread& w : workers)
      w.join();
    for (auto& part : found) {
      rule_report.pairs += part.size();
      candidates.insert(candidates.end(), part.begin(), part.end());
    }
    em_counts[rule].assign(codec.size(), 0);
    for (const auto& part : rule_counts)
      for (size_t c = 0; c < part.size(); ++c)
        em_counts[rule][c] += part[c];
    report.rules.push_back(rule_report);
  }
  report.comparisons = candidates.size();
  const double all_pairs = static_cast<double>(n) * (static_cast<double>(n) - 1) / 2;
  report.comparison_share = all_pairs > 0 ? static_cast<double>(candidates.size()) / all_pairs : 0;
  report.seconds_blocking = SecondsSince(start);

  // 3. u from random pairs (nearly all non-matches, whatever blocking chose); m by EM over each
  // rule's candidates with the rule's own fields left out; the prior from the rules' estimates.
  const auto em_start = Clock::now();
  Model& model = result.model;
  const auto specs = PersonFieldSpecs();
  {
    std::vector<std::vector<double>> u(specs.size());
    for (size_t f = 0; f < specs.size(); ++f)
      u[f].assign(specs[f].levels.size(), 0.5);
    std::uint64_t state = 0x5EED;
    const std::uint64_t samples =
        n < 2 ? 0 : std::min(options.u_samples, static_cast<std::uint64_t>(all_pairs));
    for (std::uint64_t s = 0; s < samples; ++s) {
      const auto i = static_cast<std::uint32_t>(MixBits(state++) % n);
      const auto j = static_cast<std::uint32_t>(MixBits(state++) % n);
      if (i == j) continue;
      const Pattern p = ComparePersons(records[i], records[j]);
      for (size_t f = 0; f < specs.size(); ++f)
        if (p[f] != kMissing) u[f][p[f]] += 1;
    }
    for (size_t f = 0; f < specs.size(); ++f)
      model.SetU(static_cast<int>(f), u[f]);
  }
  std::vector<std::vector<double>> m_sum(specs.size());
  std::vector<double> m_weight(specs.size(), 0);
  for (size_t f = 0; f < specs.size(); ++f)
    m_sum[f].assign(specs[f].levels.size(), 0);
  for (int rule = 0; rule < kRules; ++rule) {
    const std::vector<std::uint64_t>& counts = em_counts[rule];
    std::uint64_t pairs = 0;
    for (std::uint64_t c : counts)
      pairs += c;
    if (pairs == 0) continue;
    Model rule_model = model;
    rule_model.SetPrior(0.1);
    // u free here: the rule's non-matches (a family in one house) agree more than random pairs.
    const EmReport em = rule_model.Estimate(codec, counts, /*fix_u=*/false);
    report.em.iterations = std::max(report.em.iterations, em.iterations);
    report.em.converged = (rule == 0 || report.em.converged) && em.converged;
    const double rule_matches = em.prior * static_cast<double>(pairs);
    for (int f = 0; f < kPersonFields; ++f) {
      if (RuleUses(rule, f)) continue;
      for (size_t l = 0; l < specs[f].levels.size(); ++l)
        m_sum[f][l] += rule_model.m(f, static_cast<int>(l)) * rule_matches;
      m_weight[f] += rule_matches;
    }
  }
  for (int f = 0; f < kPersonFields; ++f)
    if (m_weight[f] > 0) model.SetM(f, m_sum[f]);
  // The prior among the candidates: EM over their full patterns with m and u held.
  std::vector<std::uint64_t> counts(codec.size(), 0);
  for (const Candidate& c : candidates)
    ++counts[c.code];
  model.SetPrior(0.1);
  model.EstimatePrior(codec, counts);
  report.em.prior = model.prior();
  TermFrequencies names, houses;
  for (const PersonRecord& r : records) {
    if (!r.name.empty()) names.Add(NameHash(r.name));
    houses.Add(r.house);
  }
  names.Finish();
  houses.Finish();
  // The weight of each pattern once, then each pair's term frequencies.
  std::vector<float> pattern_weight(codec.size(), 0);
  for (std::uint32_t code = 0; code < codec.size(); ++code)
    if (counts[code] != 0)
      pattern_weight[code] = static_cast<float>(model.MatchWeight(codec.Decode(code)));
  report.seconds_em = SecondsSince(em_start);

  // 4. Clustering, strongest first; 5. reviews.
  const auto cluster_start = Clock::now();
  Clusters clusters(n);
  for (std::uint32_t i = 0; i < n; ++i)
    if (records[i].id_valid) clusters.SetIdentity(i, IdHash(records[i]));
  for (const LinkDecision& d : decisions)
    if (!d.same && d.a < n && d.b < n) clusters.AddCannotLink(d.a, d.b);
  for (const LinkDecision& d : decisions)
    if (d.same && d.a < n && d.b < n && clusters.Union(d.a, d.b, /*force=*/true))
      ++report.exact_links;
  {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> by_id;
    for (std::uint32_t i = 0; i < n; ++i)
      if (records[i].id_valid) by_id.emplace_back(IdHash(records[i]), i);
    std::sort(by_id.begin(), by_id.end());
    for (size_t i = 1; i < by_id.size(); ++i)
      if (by_id[i].first == by_id[i - 1].first &&
          !clusters.Together(by_id[i].second, by_id[i - 1].second) &&
          clusters.Union(by_id[i].second, by_id[i - 1].second))
        ++report.exact_links;
  }
  const double match_weight =
      std::log2(options.match_probability / (1 - options.match_probability));
  const double review_weight =
      std::log2(options.review_probability / (1 - options.review_probability));
  std::vector<ScoredPair> links, reviews;
  for (const Candidate& c : candidates) {
    float w = pattern_weight[c.code];
    if (w + 12 < review_weight) continue;  // the adjustments add at most 12 bits
    const Pattern p = codec.Decode(c.code);
    double tf = 0;
    if (p[kName] == 3) tf += names.Adjustment(NameHash(records[c.a].name));
    if (p[kAddress] == 3) tf += houses.Adjustment(records[c.a].house);
    w += static_cast<float>(tf);
    if (w < review_weight) continue;
    ScoredPair pair{c.a, c.b, w, static_cast<float>(tf), p, {}};
    const bool more_in_common = p[kIdNumber] >= 1 || p[kPhone] >= 1 || p[kAddress] == 3;
    if (w >= match_weight && more_in_common) {
      links.push_back(std::move(pair));
    } else {
      pair.reason = w >= match_weight ? "name_and_birth_only" : "grey_zone";
      reviews.push_back(std::move(pair));
    }
  }
  std::sort(links.begin(), links.end(),
            [](const ScoredPair& x, const ScoredPair& y) { return x.weight > y.weight; });
  for (ScoredPair& pair : links) {
    if (clusters.Together(pair.a, pair.b)) continue;
    if (clusters.Union(pair.a, pair.b)) {
      ++report.links;
    } else {
      ++report.refused;
      pair.reason = "conflict";
      reviews.push_back(std::move(pair));
    }
  }
  // A review is worth a person's time only if its records are still apart, and could be one
  // person: two valid ID numbers that differ are two people (an ID number lent to another is
  // the faces' duplicate_identity alert, not a linkage question).
  std::erase_if(reviews, [&](const ScoredPair& r) {
    const PersonRecord &a = records[r.a], &b = records[r.b];
    return clusters.Together(r.a, r.b) || (a.id_valid && b.id_valid && a.id != b.id);
  });
  std::sort(reviews.begin(), reviews.end(),
            [](const ScoredPair& x, const ScoredPair& y) { return x.weight > y.weight; });
  result.reviews = std::move(reviews);
  report.reviews = result.reviews.size();
  result.entity = clusters.Representatives();
  report.entities = clusters.groups();
  report.seconds_clustering = SecondsSince(cluster_start);
  report.seconds_total = SecondsSince(start);
  return result;
}

std::vector<FieldWeight> ExplainPair(const Model& model, const ScoredPair& pair) {
  std::vector<FieldWeight> out;
  const auto& fields = model.fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    const int level = pair.pattern[f];
    out.push_back({fields[f].name, level == kMissing ? "missing" : fields[f].levels[level],
                   model.Weight(static_cast<int>(f), level)});
  }
  out.push_back({"term_frequency", "adjustment", pair.tf_adjustment});
  out.push_back({"prior", "log_odds", std::log2(model.prior() / (1 - model.prior()))});
  return out;
}

std::string LinkReport::ToJson() const {
  nlohmann::json rule_list = nlohmann::json::array();
  for (const BlockingRuleReport& r : rules)
    rule_list.push_back(
        {{"rule", r.name}, {"pairs", r.pairs}, {"skipped_blocks", r.skipped_blocks}});
  return nlohmann::json{
      {"records", records},
      {"exact_links", exact_links},
      {"comparisons", comparisons},
      {"comparison_share", comparison_share},
      {"blocking", std::move(rule_list)},
      {"em", {{"iterations", em.iterations}, {"converged", em.converged}, {"prior", em.prior}}},
      {"links", links},
      {"refused", refused},
      {"reviews", reviews},
      {"entities", entities},
      {"seconds",
       {{"blocking_and_comparison", seconds_blocking},
        {"em", seconds_em},
        {"clustering", seconds_clustering},
        {"total", seconds_total}}}}
      .dump();
}

}  // namespace zhizhi::linkage
