#include "linkage/person_linker.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "base/civil_time.h"
#include "base/resident_id.h"

namespace zhizhi::linkage {
namespace {

// A small town: people with a full public-security record, and second copies (grid collection)
// with the noise people type: homophone names, swapped birth digits, no ID number, no phone.
// Twins share surname, birth date, house and phone; only their given names and ID numbers differ.
struct Town {
  std::vector<PersonRecord> records;
  std::vector<int> truth;                                      // per record: the person
  std::vector<std::pair<std::uint32_t, std::uint32_t>> twins;  // their public-security records
};

Town MakeTown(int people, std::uint64_t seed) {
  const std::u32string surnames = U"王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗";
  const std::u32string given = U"伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红";
  const std::map<char32_t, char32_t> homophone = {{U'伟', U'玮'}, {U'丽', U'莉'}, {U'静', U'婧'},
                                                  {U'军', U'君'}, {U'明', U'铭'}, {U'华', U'桦'}};
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  Town town;
  auto add = [&](PersonRecord r, int person) {
    town.records.push_back(std::move(r));
    town.truth.push_back(person);
  };
  for (int p = 0; p < people; ++p) {
    PersonRecord r;
    const bool twin = p > 0 && p % 97 == 0;  // p and p-1 are twins
    const PersonRecord* sibling = twin ? &town.records[town.records.size() - 1] : nullptr;
    if (twin && town.truth.back() != p - 1) {
      // the previous person's copy came last; find their public-security record
      for (size_t i = town.records.size(); i-- > 0;)
        if (town.truth[i] == p - 1) sibling = &town.records[i];
    }
    r.name = twin ? std::u32string{sibling->name[0], given[pick(given.size())]}
                  : std::u32string{surnames[pick(surnames.size())], given[pick(given.size())]};
    const Date birth =
        twin ? *Date::FromYmd(sibling->birth / 10000, sibling->birth / 100 % 100,
                              sibling->birth % 100)
             : *Date::FromYmd(1960 + static_cast<int>(pick(40)), 1 + static_cast<int>(pick(12)),
                              1 + static_cast<int>(pick(28)));
    const int sequence = twin ? 2 * p % 999 + 1 : 2 * p % 999;
    EXPECT_TRUE(ParseIdNumber(MakeResidentIdNumber("330106", birth, sequence), &r));
    r.birth = birth.year * 10000 + birth.month * 100 + birth.day;
    r.sex = sequence % 2 ? 'M' : 'F';
    r.phone = twin ? sibling->phone : 13800000000ull + static_cast<std::uint64_t>(p);
    r.house = twin ? sibling->house : 1 + pick(static_cast<size_t>(people / 3));
    r.village = 330114001000ull + r.house % 40;
    if (twin) {
      if (r.name == sibling->name) r.name[1] = r.name[1] == U'伟' ? U'强' : U'伟';
      town.twins.emplace_back(
          static_cast<std::uint32_t>(std::find(town.truth.begin(), town.truth.end(), p - 1) -
                                     town.truth.begin()),
          static_cast<std::uint32_t>(town.records.size()));
    }
    const PersonRecord ps = r;
    add(r, p);
    if (pick(100) >= 45) continue;
    PersonRecord grid = ps;  // the grid's copy
    if (pick(100) < 25) grid.id = {}, grid.id_valid = false;
    if (pick(100) < 30) grid.phone = 0;
    if (pick(100) < 6) {
      auto it = homophone.find(grid.name[1]);
      if (it != homophone.end()) grid.name[1] = it->second;
    }
    if (pick(100) < 4)
      grid.birth = grid.birth / 100 * 100 + (grid.birth % 10) * 10 + grid.birth % 100 / 10;
    add(grid, p);
  }
  return town;
}

struct PairCounts {
  std::uint64_t true_positive = 0, false_positive = 0, false_negative = 0;
};

PairCounts CountPairs(const Town& town, const std::vector<std::uint32_t>& entity) {
  PairCounts c;
  for (size_t i = 0; i < entity.size(); ++i)
    for (size_t j = i + 1; j < entity.size(); ++j) {
      const bool predicted = entity[i] == entity[j];
      const bool truth = town.truth[i] == town.truth[j];
      c.true_positive += predicted && truth;
      c.false_positive += predicted && !truth;
      c.false_negative += !predicted && truth;
    }
  return c;
}

TEST(PersonLinkerTest, LinksCopiesAndKeepsTwinsApart) {
  const Town town = MakeTown(3000, 7);
  LinkOptions options;
  const LinkResult result = LinkPersons(town.records, {}, options);
  const PairCounts c = CountPairs(town, result.entity);
  const double precision =
      static_cast<double>(c.true_positive) / (c.true_positive + c.false_positive);
  const double recall = static_cast<double>(c.true_positive) / (c.true_positive + c.false_negative);
  EXPECT_GE(precision, 0.99) << result.report.ToJson();
  EXPECT_GE(recall, 0.97) << result.report.ToJson();
  EXPECT_TRUE(result.report.em.converged);
  EXPECT_LT(result.report.comparison_share, 0.01);
  ASSERT_FALSE(town.twins.empty());
  for (const auto& [a, b] : town.twins)
    EXPECT_NE(result.entity[a], result.entity[b]);
  // Exact ID agreement outweighs any other single field.
  EXPECT_GT(result.model.Weight(kIdNumber, 2), result.model.Weight(kName, 3));
  EXPECT_LT(result.model.Weight(kIdNumber, 0), 0);
}

TEST(PersonLinkerTest, NameAndBirthDateAloneAreNotOnePerson) {
  // Two namesakes born the same day, in different houses, phones different; one copy without ID.
  std::vector<PersonRecord> records(3);
  for (PersonRecord& r : records)
    r.name = U"张伟", r.birth = 19850611, r.sex = 'M';
  ASSERT_TRUE(
      ParseIdNumber(MakeResidentIdNumber("330106", *Date::FromYmd(1985, 6, 11), 11), &records[0]));
  ASSERT_TRUE(
      ParseIdNumber(MakeResidentIdNumber("410105", *Date::FromYmd(1985, 6, 11), 13), &records[1]));
  records[0].house = 1, records[0].village = 330114001001, records[0].phone = 13800000001;
  records[1].house = 2, records[1].village = 330114002001, records[1].phone = 13800000002;
  records[2].house = 3, records[2].village = 330114003001;  // the grid's vague copy
  const LinkResult result = LinkPersons(records, {}, LinkOptions{});
  EXPECT_NE(result.entity[0], result.entity[1]);
  EXPECT_NE(result.entity[2], result.entity[0]);
  EXPECT_NE(result.entity[2], result.entity[1]);
}

TEST(PersonLinkerTest, ReviewersDecisionsSplitAndMerge) {
  const Town town = MakeTown(600, 11);
  const LinkResult before = LinkPersons(town.records, {}, LinkOptions{});
  // A linked pair of records, split by a reviewer; and two people merged by one.
  std::uint32_t a = 0, b = 0;
  for (std::uint32_t i = 1; i < town.records.size() && b == 0; ++i)
    if (before.entity[i] == before.entity[i - 1]) a = i - 1, b = i;
  ASSERT_NE(b, 0u);
  std::vector<LinkDecision> decisions = {{a, b, false}, {0, 5, true}};
  const LinkResult after = LinkPersons(town.records, decisions, LinkOptions{});
  EXPECT_NE(after.entity[a], after.entity[b]);
  EXPECT_EQ(after.entity[0], after.entity[5]);
  // Undo = the decisions withdrawn: the first result again.
  const LinkResult undone = LinkPersons(town.records, {}, LinkOptions{});
  EXPECT_EQ(undone.entity, before.entity);
}

TEST(PersonLinkerTest, ReviewsExplainTheirWeights) {
  const Town town = MakeTown(3000, 3);
  LinkOptions options;
  options.match_probability = 0.999999;  // widen the grey zone so that there is something to see
  const LinkResult result = LinkPersons(town.records, {}, options);
  ASSERT_FALSE(result.reviews.empty());
  const ScoredPair& top = result.reviews.front();
  const auto weights = ExplainPair(result.model, top);
  double sum = 0;
  for (const FieldWeight& w : weights)
    sum += w.weight;
  EXPECT_NEAR(sum, top.weight, 1e-3);
  EXPECT_EQ(weights[0].field, "id_number");
  // Two valid ID numbers that differ are two people: never a question for a reviewer.
  for (const ScoredPair& r : result.reviews) {
    const PersonRecord &a = town.records[r.a], &b = town.records[r.b];
    EXPECT_FALSE(a.id_valid && b.id_valid && a.id != b.id) << r.a << " " << r.b;
  }
}

}  // namespace
}  // namespace zhizhi::linkage
