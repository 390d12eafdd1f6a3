// Entities from links: a union–find over record indices whose unions can be refused. A union is
// refused when the two groups hold different identities (two valid ID numbers, two USCCs) or
// when a reviewer said two of their records are not the same (a cannot-link); transitivity then
// never makes one person of twins through a third, vaguer record.
//
// Thread-safety: not synchronised; one owner.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zhizhi::linkage {

class Clusters {
 public:
  explicit Clusters(size_t records);

  // The record's identity key (0 = none). Set before any union.
  void SetIdentity(std::uint32_t record, std::uint64_t identity) { identity_[record] = identity; }
  // Reviewers' "not the same" between two records.
  void AddCannotLink(std::uint32_t a, std::uint32_t b) { cannot_.emplace_back(a, b); }

  std::uint32_t Find(std::uint32_t r);
  bool Together(std::uint32_t a, std::uint32_t b) { return Find(a) == Find(b); }
  // True if a union of a's and b's groups would break a rule (and would be refused).
  bool Conflicts(std::uint32_t a, std::uint32_t b);
  // Joins the groups; false (and nothing changes) when they conflict. `force` joins anyway — for
  // a reviewer's merge, which is the one decision that may override an identity.
  bool Union(std::uint32_t a, std::uint32_t b, bool force = false);

  // The representative of each record's group: the smallest record index in it.
  std::vector<std::uint32_t> Representatives();
  size_t groups() const { return groups_; }

 private:
  std::vector<std::uint32_t> parent_;
  std::vector<std::uint32_t> size_;
  std::vector<std::uint64_t> identity_;  // per root after unions: the group's identity
  std::vector<std::pair<std::uint32_t, std::uint32_t>> cannot_;
  size_t groups_ = 0;
};

}  // namespace zhizhi::linkage
