// NameIndex: every way people write a division's name, over the whole gazetteer, in one trie
// walked from each position of an address.
//
// The forms of a name are prefixes of its normalised full name, so each division keeps one
// string and up to three lengths:
//   full    钱塘区, 下沙街道, 文海社区居委会, 恩施土家族苗族自治州
//   common  文海社区 (villages without 居委会/村民委员会/村委会 — how people write them)
//   bare    钱塘, 下沙, 文海, 恩施, 浙江, 广西 (without 省/市/区/县/街道/镇/乡/社区/村, and
//           without the peoples of an autonomous name) — only when two characters or more stay
// Old names from the history (江干区, 大江东, 富阳市) are forms of today's divisions, marked as
// historical.
//
// The trie holds the forms of provinces, cities, counties and towns, and the full and common
// forms of villages; a village's bare form (两 characters that occur everywhere) is only looked for
// under a town or county that the address names — see Standardizer.
//
// Thread-safety: immutable after Build.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "address/gazetteer.h"
#include "address/normalizer.h"

namespace zhizhi::address {

enum class Form : std::uint8_t { kFull = 0, kCommon = 1, kBare = 2 };

// One way a name matched: which division, in which form; `historical` for an old name, whose
// division is today's successor.
struct NameHit {
  std::uint64_t code = 0;  // the division's, kept here so that filtering hits reads no Division
  std::uint32_t division = kNoDivision;
  Level level = Level::kProvince;
  Form form = Form::kFull;
  bool historical = false;
  bool unique = false;  // the only division of its level with this form (bare towns may start)
};

class NameIndex {
 public:
  static std::unique_ptr<const NameIndex> Build(const Gazetteer& gazetteer,
                                                const Normalizer& normalizer);

  // Calls visit(length, hits) for every form that starts at text[pos], shortest first.
  template <typename Visit>
  void Walk(std::u32string_view text, size_t pos, Visit&& visit) const {
    if (pos >= text.size()) return;
    std::uint32_t node = RootChild(text[pos]);
    size_t len = 1;
    while (node != kNone) {
      const Node& n = nodes_[node];
      if (n.hits_end > n.hits_begin) {
        visit(len,
              std::span<const NameHit>(hits_.data() + n.hits_begin, n.hits_end - n.hits_begin));
      }
      if (pos + len >= text.size()) break;
      node = Child(node, text[pos + len]);
      ++len;
    }
  }

  // The normalised full name of a division, and the lengths of its common and bare forms (0
  // when it has none).
  std::u32string_view FullName(std::uint32_t division) const {
    return std::u32string_view(names_).substr(forms_[division].offset, forms_[division].full);
  }
  std::uint16_t CommonLength(std::uint32_t division) const { return forms_[division].common; }
  char32_t FirstChar(std::uint32_t division) const { return forms_[division].first; }
  std::uint16_t BareLength(std::uint32_t division) const { return forms_[division].bare; }

  // The villages of a town that have a bare form, as (first character, village), sorted by the
  // character: a text is compared only with the villages whose bare name starts with its
  // character (a town has up to a few hundred villages; an address names one).
  struct VillageStart {
    char32_t first;
    std::uint32_t village;
    bool operator<(const VillageStart& o) const {
      return first != o.first ? first < o.first : village < o.village;
    }
  };
  std::span<const VillageStart> VillagesStartingWith(std::uint32_t town, char32_t c) const {
    if (town + 1 >= village_offsets_.size()) return {};
    // Most characters start no village of the town: one bit of its mask says so.
    if ((village_masks_[town] & FirstCharBit(c)) == 0) return {};
    const VillageStart* begin = village_starts_.data() + village_offsets_[town];
    const VillageStart* end = village_starts_.data() + village_offsets_[town + 1];
    const VillageStart* lo = std::lower_bound(begin, end, VillageStart{c, 0});
    const VillageStart* hi = lo;
    while (hi != end && hi->first == c)
      ++hi;
    return {lo, hi};
  }

  static std::uint64_t FirstCharBit(char32_t c) {
    return std::uint64_t{1} << ((static_cast<std::uint64_t>(c) * 0x9E3779B97F4A7C15ull) >> 58);
  }

  size_t nodes() const { return nodes_.size(); }
  size_t hits() const { return hits_.size(); }

 private:
  static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
  struct Node {
    std::uint32_t first_edge = 0;  // into edge_cp_ / edge_node_
    std::uint32_t edges = 0;
    std::uint32_t hits_begin = 0;
    std::uint32_t hits_end = 0;
  };
  struct Forms {
    std::uint32_t offset = 0;
    char32_t first = 0;  // the name's first character, to skip most names without reading them
    std::uint16_t full = 0;
    std::uint16_t common = 0;
    std::uint16_t bare = 0;
  };

  std::uint32_t RootChild(char32_t c) const {
    if (c < root_.size()) return root_[c];
    for (const auto& [cp, node] : root_wide_)
      if (cp == c) return node;
    return kNone;
  }
  std::uint32_t Child(std::uint32_t node, char32_t c) const {
    // A node's children are contiguous and sorted: a binary search over their characters.
    const Node& n = nodes_[node];
    const char32_t* first = edge_cp_.data() + n.first_edge;
    const char32_t* last = first + n.edges;
    const char32_t* it = std::lower_bound(first, last, c);
    if (it == last || *it != c) return kNone;
    return edge_node_[n.first_edge + static_cast<std::uint32_t>(it - first)];
  }

  std::vector<Node> nodes_;
  std::vector<char32_t> edge_cp_;         // children's characters, per node sorted
  std::vector<std::uint32_t> edge_node_;  // and the children
  std::vector<std::uint32_t> root_;       // BMP first characters → node
  std::vector<std::pair<char32_t, std::uint32_t>> root_wide_;
  std::vector<NameHit> hits_;
  std::u32string names_;
  std::vector<Forms> forms_;  // per division
  // Per division (only towns have any): village_starts_[village_offsets_[i], …[i + 1]).
  std::vector<std::uint32_t> village_offsets_;
  std::vector<std::uint64_t> village_masks_;  // per division: FirstCharBit of its villages
  std::vector<VillageStart> village_starts_;
};

}  // namespace zhizhi::address
