#include "address/standardizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/text.h"

namespace zhizhi::address {

namespace {

struct Match {
  std::uint64_t code;
  std::uint32_t division;
  std::uint16_t start;
  std::uint16_t end;
  Level level;
  Form form;
  bool historical;
  bool may_start;  // may begin a chain (not a bare village, not a shared bare town)
  float weight;
  bool home = false;    // in the caller's home division (a start it may assume)
  bool may_end = true;  // may end a chain that began with it (a shared name may not)
  float best = -std::numeric_limits<float>::infinity();
  int previous = -1;
};

constexpr float kGapPenalty = 0.15f;
constexpr size_t kMaxShared = 512;
// Matches of shared names taken without an ancestor, at most: a text of repeated shared names
// (团结村团结村…) would otherwise make the chain's search quadratic in thousands of matches.
constexpr size_t kMaxMatches = 256;  // hits of one name taken without an ancestor before them  //
                                     // per character between two levels of a chain

// A road follows: 文海南路 is a road, not the village 文海 and then 南路 (新华南街: not the town
// 新华乡 and then 南街).
bool RoadFollows(std::u32string_view text, size_t at) {
  if (at >= text.size()) return false;
  const std::u32string_view rest = text.substr(at);
  if (rest.starts_with(U"街道")) return false;
  for (std::u32string_view suffix :
       {U"路", U"街", U"大街", U"大道", U"巷", U"东路", U"西路", U"南路", U"北路", U"中路", U"东街",
        U"西街", U"南街", U"北街", U"中街"}) {
    if (rest.starts_with(suffix)) return true;
  }
  return false;
}

bool EndsInRoad(std::u32string_view name) {
  if (name.ends_with(U"街道")) return false;
  for (std::u32string_view suffix : {U"路", U"街", U"大道", U"巷"}) {
    if (name.ends_with(suffix)) return true;
  }
  return false;
}

float Weight(size_t length, Form form, bool historical) {
  float w = static_cast<float>(length) * (form == Form::kBare ? 0.8f : 1.0f);
  if (historical) w *= 0.9f;
  return w + 0.5f;
}

void AppendOpt(std::string& out, const char* key, const std::optional<std::string>& value) {
  out += ",\"";
  out += key;
  out += "\":";
  if (value) {
    AppendJsonString(out, *value);
  } else {
    out += "null";
  }
}

}  // namespace

Result<std::unique_ptr<const Standardizer>> Standardizer::Load(const std::string& dir) {
  ZZ_ASSIGN_OR_RETURN(auto gazetteer, Gazetteer::Load(dir));
  ZZ_ASSIGN_OR_RETURN(Normalizer normalizer, Normalizer::Create());
  auto index = NameIndex::Build(*gazetteer, normalizer);
  return std::unique_ptr<const Standardizer>(
      new Standardizer(std::move(gazetteer), std::move(normalizer), std::move(index)));
}

Result<Standardized> Standardizer::Standardize(std::string_view input, std::uint32_t home) const {
  const std::string_view trimmed = Trim(input);
  if (trimmed.empty()) return Status::Rule("empty", "input", "the address is empty");
  if (trimmed.size() > kMaxInputBytes) {
    return Status::Rule("too_long", "input",
                        "the address has " + std::to_string(trimmed.size()) + " bytes; at most " +
                            std::to_string(kMaxInputBytes));
  }
  std::u32string text;
  if (!normalizer_.Normalize(trimmed, &text)) {
    return Status::Rule(
        "invalid_utf8", "input",
        "the address is not UTF-8 (byte " + std::to_string(FindInvalidUtf8(trimmed)) + ")");
  }
  const Gazetteer& g = *gazetteer_;
  const NameIndex& index = *index_;
  const size_t n = text.size();
  const bool has_home = home != kNoDivision;
  const std::uint64_t home_code = has_home ? g.at(home).code : 0;
  const Level home_level = has_home ? g.LevelOf(home) : Level::kProvince;
  auto at_home = [&](std::uint64_t code, Level level) {
    return has_home && Gazetteer::CodeIsAncestor(home_code, home_level, code, level);
  };

  // 1. Every form of every name at every position. Ancestors come first in reading order, so a
  // name shared by many divisions keeps only those under a level already found.
  std::vector<Match> matches;
  matches.reserve(32);
  // Names that many divisions share, read where none of them was under a level found before:
  // an address, but not settled; nothing shorter inside them counts (和平村 is not 平村乡).
  std::vector<std::pair<size_t, size_t>> unsettled;
  // The codes per level of the matches that end at or before `anchors_at`, sorted: whether a hit
  // of a crowded name is under a level found before it, without reading every match per hit.
  std::array<std::vector<std::uint64_t>, kLevels> anchors;
  size_t anchors_at = std::numeric_limits<size_t>::max();
  auto under_found = [&](size_t pos, const NameHit& hit) {
    if (anchors_at != pos) {
      anchors_at = pos;
      for (auto& codes : anchors)
        codes.clear();
      for (const Match& a : matches)
        if (a.end <= pos) anchors[static_cast<int>(a.level)].push_back(a.code);
      for (auto& codes : anchors)
        std::sort(codes.begin(), codes.end());
    }
    for (int l = 0; l < static_cast<int>(hit.level); ++l) {
      const auto& codes = anchors[l];
      if (!codes.empty() &&
          std::binary_search(codes.begin(), codes.end(),
                             Gazetteer::AncestorCode(hit.code, hit.level, static_cast<Level>(l))))
        return true;
    }
    return false;
  };
  for (size_t pos = 0; pos < n; ++pos) {
    index.Walk(text, pos, [&](size_t len, std::span<const NameHit> hits) {
      const bool road_follows = RoadFollows(text, pos + len);
      // 中山路 before a number is the road, not the community 中山路居委会 written short.
      const bool is_road = pos + len < n && text[pos + len] >= U'0' && text[pos + len] <= U'9' &&
                           EndsInRoad(std::u32string_view(text).substr(pos, len));
      // A name many divisions share is settled only by the levels around it: before it (the
      // hits under a level already found), or after it — 城关镇新利村 names one 城关镇 of 88 — so
      // its hits may begin a chain but not end one alone. Beyond kMaxShared only the first way.
      const bool crowded = hits.size() > 16;
      const bool too_many = hits.size() > kMaxShared;
      bool any_under = false;
      for (const NameHit& hit : hits) {
        if ((road_follows || is_road) && hit.form != Form::kFull) continue;
        const Level level = hit.level;
        const bool under = crowded && under_found(pos, hit);
        const bool home_hit = level >= Level::kTown && at_home(hit.code, level);
        if ((too_many || matches.size() >= kMaxMatches) && !under && !home_hit) continue;
        any_under = any_under || under;
        Match m{hit.code,
                hit.division,
                static_cast<std::uint16_t>(pos),
                static_cast<std::uint16_t>(pos + len),
                level,
                hit.form,
                hit.historical,
                !(hit.form == Form::kBare && level == Level::kVillage),
                Weight(len, hit.form, hit.historical)};
        // A bare town name that other towns share (下沙, 金川) needs a level after it too.
        if (hit.form == Form::kBare && level == Level::kTown && !hit.unique) m.may_end = false;
        if (crowded && !under) m.may_end = false;
        if (crowded && under) m.may_start = false;  // settled by its parents
        if (home_hit) {
          m.may_start = true;
          m.may_end = true;
          m.weight += 0.3f;
          m.home = true;
        }
        matches.push_back(m);
      }
      if (crowded && !any_under && !road_follows && !is_road)
        unsettled.emplace_back(pos, pos + len);
    });
  }
  std::erase_if(matches, [&](const Match& m) {
    for (const auto& [begin, end] : unsettled) {
      if (begin <= m.start && m.end <= end && static_cast<size_t>(m.end - m.start) < end - begin)
        return true;
    }
    return false;
  });
  // 2. Villages by their bare names (文海), only right after a town or county that holds them.
  const size_t found = matches.size();
  for (size_t k = 0; k < found; ++k) {
    const Match a = matches[k];
    if (a.level != Level::kTown && a.level != Level::kCounty) continue;
    if (a.level == Level::kCounty) {
      bool town_found = false;
      for (size_t t = 0; t < found && !town_found; ++t)
        town_found = matches[t].level == Level::kTown &&
                     Gazetteer::CodeIsAncestor(a.code, a.level, matches[t].code, Level::kTown);
      if (town_found) continue;
    }
    const size_t window_end = std::min(n, static_cast<size_t>(a.end) + 4);
    // Village v's bare name at text[pos], after the town or county it belongs to.
    auto try_village = [&](std::uint32_t v, size_t pos) {
      const std::uint16_t bare = index.BareLength(v);
      if (pos + bare > n) return;
      if (std::u32string_view(text).substr(pos, bare) != index.FullName(v).substr(0, bare)) return;
      // 下沙街道下沙街道: the town written twice, not its community 下沙社区 written short.
      if (std::u32string_view(text).substr(pos).starts_with(index.FullName(a.division))) return;
      // 车站路社区 written 车站路 is the road's name first.
      if (EndsInRoad(index.FullName(v).substr(0, bare))) return;
      if (RoadFollows(text, pos + bare)) return;
      matches.push_back(Match{g.at(v).code, v, static_cast<std::uint16_t>(pos),
                              static_cast<std::uint16_t>(pos + bare), Level::kVillage, Form::kBare,
                              false, false, Weight(bare, Form::kBare, false)});
    };
    // The villages of `town` whose bare name starts with the character at a position of the
    // window (the index holds them by first character: no village of the town is read in vain).
    auto try_town = [&](std::uint32_t town) {
      for (size_t pos = a.end; pos < window_end; ++pos) {
        for (const NameIndex::VillageStart& start : index.VillagesStartingWith(town, text[pos]))
          try_village(start.village, pos);
      }
    };
    if (a.level == Level::kTown) {
      try_town(a.division);
    } else {
      for (std::uint32_t town : g.Children(a.division))
        try_town(town);
    }
  }

  // 3. The chain that explains most: each match after a match of one of its ancestors.
  // In reading order, then level; the rest only makes the order total, so that equal scores
  // are settled the same way whatever order the matches were found in.
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    if (a.start != b.start) return a.start < b.start;
    if (a.level != b.level) return a.level < b.level;
    if (a.end != b.end) return a.end < b.end;
    if (a.code != b.code) return a.code < b.code;
    if (a.form != b.form) return a.form < b.form;
    return a.historical < b.historical;
  });
  float top = -std::numeric_limits<float>::infinity();
  for (size_t b = 0; b < matches.size(); ++b) {
    Match& mb = matches[b];
    if (mb.may_start) mb.best = mb.weight;
    for (size_t a = 0; a < b; ++a) {
      const Match& ma = matches[a];
      if (ma.end > mb.start || ma.level >= mb.level ||
          ma.best == -std::numeric_limits<float>::infinity())
        continue;
      if (!Gazetteer::CodeIsAncestor(ma.code, ma.level, mb.code, mb.level)) continue;
      const float score = ma.best + mb.weight - kGapPenalty * static_cast<float>(mb.start - ma.end);
      if (score > mb.best) {
        mb.best = score;
        mb.previous = static_cast<int>(a);
      }
    }
    if (mb.may_end || mb.previous >= 0) top = std::max(top, mb.best);
  }

  Standardized out;
  size_t rest_begin = 0;
  size_t explained = 0;
  bool bare_low = false;
  bool anchored = false;      // the chain names a county, city or province
  bool at_home_only = false;  // it starts in the home division, which the text does not name
  if (top > -std::numeric_limits<float>::infinity()) {
    // Every chain that scores the top: the same division, or only the levels they share.
    int chosen = -1;
    std::uint32_t settled = kNoDivision;
    bool first = true;
    for (size_t k = 0; k < matches.size(); ++k) {
      if (matches[k].best < top - 1e-4f || (!matches[k].may_end && matches[k].previous < 0)) {
        continue;
      }
      if (first) {
        chosen = static_cast<int>(k);
        settled = matches[k].division;
        first = false;
        continue;
      }
      const std::uint32_t other = matches[k].division;
      if (other == settled) continue;
      if (matches[k].end > matches[chosen].end) chosen = static_cast<int>(k);
      if (settled == kNoDivision) continue;  // nothing left in common
      // The deepest level at which both agree.
      std::uint32_t common = kNoDivision;
      for (int l =
               std::min(static_cast<int>(g.LevelOf(settled)), static_cast<int>(g.LevelOf(other)));
           l >= 0; --l) {
        const std::uint32_t x = g.AncestorAt(settled, static_cast<Level>(l));
        if (x != kNoDivision && x == g.AncestorAt(other, static_cast<Level>(l))) {
          common = x;
          break;
        }
      }
      if (common != settled) out.ambiguous = true;
      settled = common;
    }
    // A city without districts (儋州市, 嘉峪关市, 东莞市) has one county-level child of its own
    // name: the same place, one level down.
    if (settled != kNoDivision && g.LevelOf(settled) == Level::kCity) {
      for (std::uint32_t child : g.Children(settled)) {
        if (g.Name(child) == g.Name(settled)) settled = child;
      }
    }
    out.division = settled;
    rest_begin = matches[chosen].end;
    for (int k = chosen; k >= 0; k = matches[k].previous) {
      explained += matches[k].end - matches[k].start;
      out.historical = out.historical || matches[k].historical;
      bare_low = bare_low || (matches[k].form == Form::kBare && matches[k].level >= Level::kTown);
      anchored = anchored || matches[k].level <= Level::kCounty;
      at_home_only = at_home_only || (matches[k].previous < 0 && matches[k].home);
      if (matches[k].previous < 0) {
        // Text before the chain that is only a repetition of its first level (杭州杭州市) is read.
        for (const Match& m : matches) {
          if (m.end <= matches[k].start && m.division == matches[k].division)
            explained += m.end - m.start;
        }
      }
    }
  }

  // 4. The components below the divisions.
  std::u32string rest(text.substr(rest_begin));
  ConvertNumerals(rest);
  out.parts = ParseComponents(rest);
  const bool names_read =
      top > -std::numeric_limits<float>::infinity() || !unsettled.empty() || !matches.empty();
  if (out.division == kNoDivision && !matches.empty()) out.ambiguous = true;
  if (out.division == kNoDivision && !unsettled.empty()) out.ambiguous = true;
  if (!names_read && !out.parts.any()) {
    return Status::Rule(
        "not_an_address", "input",
        "no division, road, number, building or room could be read in " + QuoteForMessage(trimmed));
  }
  explained += out.parts.explained;

  // Confidence: how deep, how much of the text was read, and how surely.
  double confidence = 1.0;
  if (out.division == kNoDivision) {
    confidence = 0.3;
  } else {
    static constexpr double kDepth[kLevels] = {0.4, 0.6, 0.85, 0.95, 1.0};
    confidence = kDepth[static_cast<int>(g.LevelOf(out.division))];
  }
  if (bare_low) confidence *= 0.95;
  // A chain that starts below the county (a town or community named alone) has nothing that
  // confirms it: 下沙 is a street of 钱塘区 and a village of 浦东新区.
  if (!anchored && out.division != kNoDivision) confidence *= at_home_only ? 0.9 : 0.8;
  if (out.historical) confidence *= 0.9;
  if (out.ambiguous) confidence *= 0.7;
  const double read = static_cast<double>(n > out.parts.dropped ? n - out.parts.dropped : 0);
  if (read > 0) {
    const double unexplained = std::max(0.0, read - static_cast<double>(explained)) / read;
    confidence *= 1.0 - 0.5 * unexplained;
  }
  if (out.parts.dropped > 0) confidence *= 0.97;
  out.confidence = std::round(std::clamp(confidence, 0.0, 1.0) * 100.0) / 100.0;

  out.canonical = Canonical(out);
  return out;
}

std::string Standardizer::Canonical(const Standardized& a) const {
  // Today's names, then the components with their standard markers.
  const Gazetteer& g = *gazetteer_;
  std::string c;
  for (int l = 0; a.division != kNoDivision && l <= static_cast<int>(g.LevelOf(a.division)); ++l) {
    const std::uint32_t d = g.AncestorAt(a.division, static_cast<Level>(l));
    if (d == kNoDivision || !g.Nameable(d)) continue;
    // The common form is cut from the normalised name, whose length it counts.
    const std::uint16_t common = index_->CommonLength(d);
    c += common > 0 ? ToUtf8(index_->FullName(d).substr(0, common)) : std::string(g.Name(d));
  }
  const Components& p = a.parts;
  if (p.road) c += *p.road;
  if (p.number) c += *p.number + "号";
  if (p.building) c += *p.building + "幢";
  if (p.unit) c += *p.unit + "单元";
  if (p.room) c += *p.room + "室";
  return c;
}

std::string Standardizer::CodeAt(const Standardized& s, Level level) const {
  if (s.division == kNoDivision) return "";
  const std::uint32_t d = gazetteer_->AncestorAt(s.division, level);
  return d == kNoDivision ? "" : gazetteer_->Code(d);
}

void Standardizer::AppendJson(const Standardized& s, std::string& out) const {
  // Called after the caller's first field (the CLI's "id"), so every field starts with a comma.
  for (int l = 0; l < kLevels; ++l) {
    const std::string code = CodeAt(s, static_cast<Level>(l));
    out += ",\"";
    out += LevelName(static_cast<Level>(l));
    out += "\":";
    if (code.empty()) {
      out += "null";
    } else {
      out += '"';
      out += code;
      out += '"';
    }
  }
  AppendOpt(out, "road", s.parts.road);
  AppendOpt(out, "number", s.parts.number);
  AppendOpt(out, "building", s.parts.building);
  AppendOpt(out, "unit", s.parts.unit);
  AppendOpt(out, "room", s.parts.room);
  char confidence[16];
  std::snprintf(confidence, sizeof confidence, "%.2f", s.confidence);
  out += ",\"confidence\":";
  out += confidence;
  out += ",\"canonical\":";
  AppendJsonString(out, s.canonical);
  if (s.standard_address_id) {
    out += ",\"standard_address_id\":";
    out += std::to_string(*s.standard_address_id);
  }
  if (s.road_as_typed) {
    out += ",\"road_as_typed\":";
    AppendJsonString(out, *s.road_as_typed);
  }
}

nlohmann::json Standardizer::ToJson(const Standardized& s) const {
  nlohmann::json j = nlohmann::json::object();
  for (int l = 0; l < kLevels; ++l) {
    const std::string code = CodeAt(s, static_cast<Level>(l));
    j[LevelName(static_cast<Level>(l))] =
        code.empty() ? nlohmann::json(nullptr) : nlohmann::json(code);
  }
  auto opt = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  j["road"] = opt(s.parts.road);
  j["number"] = opt(s.parts.number);
  j["building"] = opt(s.parts.building);
  j["unit"] = opt(s.parts.unit);
  j["room"] = opt(s.parts.room);
  j["confidence"] = s.confidence;
  j["canonical"] = s.canonical;
  if (s.standard_address_id) j["standard_address_id"] = *s.standard_address_id;
  if (s.road_as_typed) j["road_as_typed"] = *s.road_as_typed;
  return j;
}

}  // namespace zhizhi::address
