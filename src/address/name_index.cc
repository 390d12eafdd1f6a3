#include "address/name_index.h"

#include <algorithm>
#include <unordered_map>

namespace zhizhi::address {

namespace {

// The peoples named in autonomous divisions (广西壮族自治区, 恩施土家族苗族自治州); the bare form
// of such a name is what comes before the first of them.
constexpr std::u32string_view kPeoples[] = {
    U"蒙古族", U"回族",   U"藏族",     U"维吾尔", U"苗族",     U"彝族",   U"壮族",   U"布依族",
    U"朝鲜族", U"满族",   U"侗族",     U"瑶族",   U"白族",     U"土家族", U"哈尼族", U"哈萨克",
    U"傣族",   U"黎族",   U"傈僳族",   U"佤族",   U"畲族",     U"拉祜族", U"水族",   U"东乡族",
    U"纳西族", U"景颇族", U"柯尔克孜", U"土族",   U"达斡尔族", U"仫佬族", U"羌族",   U"布朗族",
    U"撒拉族", U"毛南族", U"仡佬族",   U"锡伯族", U"普米族",   U"塔吉克", U"怒族",   U"鄂温克族",
    U"保安族", U"裕固族", U"京族",     U"独龙族", U"鄂伦春族", U"赫哲族", U"门巴族", U"珞巴族",
    U"基诺族", U"各族"};

bool EndsWith(std::u32string_view s, std::u32string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Length without the first suffix of `suffixes` that `name` ends with; `name.size()` if none.
size_t Strip(std::u32string_view name, std::initializer_list<std::u32string_view> suffixes) {
  for (std::u32string_view suffix : suffixes) {
    if (EndsWith(name, suffix)) return name.size() - suffix.size();
  }
  return name.size();
}

size_t BeforePeoples(std::u32string_view name) {
  size_t best = name.size();
  for (std::u32string_view people : kPeoples) {
    const size_t at = name.find(people);
    if (at != std::u32string_view::npos && at >= 2) best = std::min(best, at);
  }
  return best;
}

// The bare form's length for a name of `level` (0 when it has none).
size_t BareFormLength(std::u32string_view name, Level level) {
  size_t bare = name.size();
  const bool autonomous = name.find(U"自治") != std::u32string_view::npos;
  switch (level) {
    case Level::kProvince:
      bare = autonomous ? std::min(Strip(name, {U"自治区"}), BeforePeoples(name))
                        : Strip(name, {U"特别行政区", U"省", U"市"});
      break;
    case Level::kCity:
      bare = autonomous ? BeforePeoples(name) : Strip(name, {U"地区", U"市", U"盟"});
      break;
    case Level::kCounty:
      bare = autonomous ? BeforePeoples(name)
                        : Strip(name, {U"新区", U"林区", U"特区", U"区", U"县", U"市", U"旗"});
      if (autonomous && bare == name.size()) bare = Strip(name, {U"自治县", U"自治旗"});
      break;
    case Level::kTown:
      bare = name.find(U"族乡") != std::u32string_view::npos
                 ? BeforePeoples(name)
                 : Strip(name, {U"街道办事处", U"街道", U"镇", U"乡", U"苏木", U"地区", U"办事处"});
      break;
    case Level::kVillage:
      break;  // from the common form, below
  }
  if (bare < 2 || bare >= name.size()) return 0;
  // 中山路街道 is also written 中山路, but that is a road's name: the bare form would take it.
  for (std::u32string_view road : {U"路", U"街", U"大道", U"巷"}) {
    if (EndsWith(name.substr(0, bare), road)) return 0;
  }
  return bare;
}

// A village's common form: without the committee (文海社区居委会 → 文海社区, 五四村民委员会 →
// 五四村).
size_t CommonFormLength(std::u32string_view name) {
  struct Cut {
    std::u32string_view suffix;
    size_t keep;  // characters of the suffix that stay
  };
  static constexpr Cut kCuts[] = {{U"社区居民委员会", 2}, {U"社区居委会", 2}, {U"村民委员会", 1},
                                  {U"村委会", 1},         {U"居民委员会", 0}, {U"居委会", 0},
                                  {U"牧委会", 0},         {U"委员会", 0}};
  for (const Cut& cut : kCuts) {
    if (EndsWith(name, cut.suffix)) {
      const size_t len = name.size() - cut.suffix.size() + cut.keep;
      return len >= 2 && len < name.size() ? len : 0;
    }
  }
  return 0;
}

size_t VillageBareLength(std::u32string_view common) {
  const size_t bare = Strip(common, {U"社区", U"嘎查", U"村"});
  return bare >= 2 && bare < common.size() ? bare : 0;
}

struct Entry {
  std::uint32_t offset;
  std::uint16_t length;
  Level level;
  NameHit hit;
};

}  // namespace

std::unique_ptr<const NameIndex> NameIndex::Build(const Gazetteer& g, const Normalizer& norm) {
  auto index = std::unique_ptr<NameIndex>(new NameIndex());
  NameIndex& x = *index;
  x.forms_.resize(g.size());
  x.names_.reserve(g.size() * 6);
  std::vector<Entry> entries;
  entries.reserve(g.size() * 2);
  std::u32string folded;

  auto add_name = [&](std::string_view utf8) {
    const auto offset = static_cast<std::uint32_t>(x.names_.size());
    norm.Normalize(utf8, &folded);
    x.names_ += folded;
    return offset;
  };

  for (std::uint32_t i = 0; i < g.size(); ++i) {
    Forms& f = x.forms_[i];
    f.offset = add_name(g.Name(i));
    const std::u32string_view name = std::u32string_view(x.names_).substr(f.offset, folded.size());
    f.full = static_cast<std::uint16_t>(name.size());
    f.first = name.empty() ? 0 : name[0];
    const Level level = g.LevelOf(i);
    if (level == Level::kVillage) {
      f.common = static_cast<std::uint16_t>(CommonFormLength(name));
      const std::u32string_view common = name.substr(0, f.common > 0 ? f.common : name.size());
      if (f.common > 0 && !EndsWith(common, U"社区") && !EndsWith(common, U"村") &&
          !EndsWith(common, U"嘎查")) {
        // 下沙居委会 written 下沙: no word says it is a community — as bare as 文海 for 文海社区,
        // found only under the town or county that holds it.
        f.bare = f.common;
        f.common = 0;
      } else {
        f.bare = static_cast<std::uint16_t>(VillageBareLength(common));
      }
    } else {
      f.bare = static_cast<std::uint16_t>(BareFormLength(name, level));
    }
    if (!g.Nameable(i)) continue;
    entries.push_back(
        {f.offset, f.full, level, {g.at(i).code, i, level, Form::kFull, false, false}});
    if (f.common > 0)
      entries.push_back(
          {f.offset, f.common, level, {g.at(i).code, i, level, Form::kCommon, false, false}});
    if (f.bare > 0 && level != Level::kVillage) {
      entries.push_back(
          {f.offset, f.bare, level, {g.at(i).code, i, level, Form::kBare, false, false}});
    }
  }
  // The villages with a bare form under each town, by first character.
  x.village_offsets_.assign(g.size() + 1, 0);
  x.village_masks_.assign(g.size(), 0);
  for (std::uint32_t i = 0; i < g.size(); ++i) {
    x.village_offsets_[i] = static_cast<std::uint32_t>(x.village_starts_.size());
    if (g.LevelOf(i) != Level::kTown) continue;
    const size_t begin = x.village_starts_.size();
    for (std::uint32_t v : g.Children(i))
      if (x.forms_[v].bare > 0) {
        x.village_starts_.push_back({x.forms_[v].first, v});
        x.village_masks_[i] |= FirstCharBit(x.forms_[v].first);
      }
    std::sort(x.village_starts_.begin() + static_cast<std::ptrdiff_t>(begin),
              x.village_starts_.end());
  }
  x.village_offsets_[g.size()] = static_cast<std::uint32_t>(x.village_starts_.size());
  for (const HistoricalName& h : g.history()) {
    const std::uint32_t offset = add_name(h.name);
    const std::u32string_view name = std::u32string_view(x.names_).substr(offset, folded.size());
    for (std::uint32_t now : h.now) {
      const Level level = g.LevelOf(now);
      entries.push_back({offset,
                         static_cast<std::uint16_t>(name.size()),
                         level,
                         {g.at(now).code, now, level, Form::kFull, true, false}});
      if (const size_t bare = BareFormLength(name, level); bare > 0) {
        entries.push_back({offset,
                           static_cast<std::uint16_t>(bare),
                           level,
                           {g.at(now).code, now, level, Form::kBare, true, false}});
      }
    }
  }

  const std::u32string_view all(x.names_);
  auto text = [&](const Entry& e) { return all.substr(e.offset, e.length); };
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    const int c = text(a).compare(text(b));
    if (c != 0) return c < 0;
    if (a.level != b.level) return a.level < b.level;
    return a.hit.division < b.hit.division;
  });

  // The trie, from the sorted forms: each new form shares the path of its common prefix with the
  // one before; children are appended in order, so siblings stay sorted.
  x.root_.assign(0x10000, kNone);
  std::vector<std::uint32_t> path;  // nodes of the previous form's characters
  std::vector<std::uint32_t> parent_of;
  std::vector<char32_t> cp_of;
  std::u32string_view previous;
  for (size_t k = 0; k < entries.size(); ++k) {
    const std::u32string_view form = text(entries[k]);
    size_t common = 0;
    while (common < form.size() && common < previous.size() && form[common] == previous[common])
      ++common;
    path.resize(std::min(path.size(), common));
    for (size_t d = path.size(); d < form.size(); ++d) {
      const auto id = static_cast<std::uint32_t>(x.nodes_.size());
      x.nodes_.push_back(Node{});
      parent_of.push_back(d == 0 ? kNone : path[d - 1]);
      cp_of.push_back(form[d]);
      if (d == 0) {
        if (form[0] < x.root_.size()) {
          x.root_[form[0]] = id;
        } else {
          x.root_wide_.emplace_back(form[0], id);
        }
      }
      path.push_back(id);
    }
    Node& terminal = x.nodes_[path.back()];
    if (terminal.hits_end == terminal.hits_begin) {
      terminal.hits_begin = static_cast<std::uint32_t>(x.hits_.size());
    }
    x.hits_.push_back(entries[k].hit);
    terminal.hits_end = static_cast<std::uint32_t>(x.hits_.size());
    previous = form;
  }
  // Edges, grouped by parent: nodes were made in sorted order, so each parent's children come in
  // order of their characters.
  std::vector<std::uint32_t> count(x.nodes_.size() + 1, 0);
  for (std::uint32_t parent : parent_of)
    if (parent != kNone) ++count[parent];
  std::uint32_t offset = 0;
  for (size_t i = 0; i < x.nodes_.size(); ++i) {
    x.nodes_[i].first_edge = offset;
    offset += count[i];
  }
  x.edge_cp_.resize(offset);
  x.edge_node_.resize(offset);
  for (std::uint32_t id = 0; id < parent_of.size(); ++id) {
    const std::uint32_t parent = parent_of[id];
    if (parent == kNone) continue;
    Node& p = x.nodes_[parent];
    x.edge_cp_[p.first_edge + p.edges] = cp_of[id];
    x.edge_node_[p.first_edge + p.edges] = id;
    ++p.edges;
  }
  // Unique: the only division of its level under this form.
  for (const Node& n : x.nodes_) {
    int per_level[kLevels] = {};
    for (std::uint32_t h = n.hits_begin; h < n.hits_end; ++h)
      ++per_level[static_cast<int>(x.hits_[h].level)];
    for (std::uint32_t h = n.hits_begin; h < n.hits_end; ++h)
      x.hits_[h].unique = per_level[static_cast<int>(x.hits_[h].level)] == 1;
  }
  return index;
}

}  // namespace zhizhi::address
