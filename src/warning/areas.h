// Areas: the district's streets (街道, the gazetteer's towns), communities (社区/村, its villages)
// and the grids (网格) under a community — where warnings are coloured and work orders belong.
//
// Streets and communities come from the gazetteer for the region the node serves (`serve
// --region`), seeded into the areas table at start: a fresh data directory has them. Grids are the
// district's own: created with POST /api/v1/areas (or by the demo), each under one community.
// The whole tree is kept in memory (a district has a few thousand areas), refreshed after each
// change.
//
// Thread-safety: every method may be called from any thread; the tree is an immutable snapshot
// swapped under a mutex.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/address_service.h"
#include "base/status.h"
#include "store/database.h"

namespace zhizhi::warning {

enum class Level { kStreet, kCommunity, kGrid };
std::string_view LevelName(Level level);
std::optional<Level> ParseLevel(std::string_view name);

struct Area {
  std::string code;
  Level level = Level::kStreet;
  std::string name;
  std::string parent;  // "" for a street
  std::optional<double> lat, lng;
  std::vector<std::string> children;  // codes, in code order
};

class AreaTree {
 public:
  const Area* Find(std::string_view code) const;
  // The area and its ancestors, finest first ("330114001005" → itself, then 330114001).
  std::vector<const Area*> Chain(std::string_view code) const;
  std::vector<const Area*> OfLevel(Level level) const;
  size_t size() const { return areas_.size(); }

 private:
  friend class Areas;
  std::map<std::string, Area, std::less<>> areas_;
};

class Areas {
 public:
  Areas(store::Database* db, address::AddressService* addresses, std::string region);

  // Reads the tree from the database.
  Status Load();
  // Adds the region's streets and communities that the areas table lacks (waits for the
  // gazetteer); returns how many were added.
  Result<int> SeedFromGazetteer();

  std::shared_ptr<const AreaTree> tree() const;

  // POST /api/v1/areas: a grid under a community {"code","name","parent","lat","lng"}; the
  // code is the community's 12 digits and 2 more. Its own write job; the tree is refreshed.
  Result<nlohmann::json> CreateGrid(const nlohmann::json& body, const std::string& actor);

  // The community (12-digit village code) of a free-text address, via the standardiser, cached
  // per text; none when it does not settle to an area of the tree.
  std::optional<std::string> CommunityOfAddress(const std::string& address) const;
  // Where an alert belongs, as the warning places it (warning.h): the community of its
  // base-data subject (the entity's village); for a residence anomaly, the community of the
  // person's dormitory; else the community of its project's address.
  Result<std::optional<std::string>> PlaceAlert(store::Connection& conn,
                                                std::int64_t alert_id) const;

  const std::string& region() const { return region_; }

 private:
  store::Database* db_;
  address::AddressService* addresses_;
  std::string region_;
  std::mutex load_mu_;     // Load()
  mutable std::mutex mu_;  // tree_
  std::shared_ptr<const AreaTree> tree_;
  mutable std::mutex cache_mu_;
  mutable std::map<std::string, std::optional<std::string>, std::less<>> address_cache_;
};

// The SQL expression (over `alerts a`) of the community of a residence anomaly's dormitory:
// the person's most recent enrolment with a standardised dormitory. NULL for other alerts.
extern const char* const kDormCommunityOfAlertSql;

// JSON of an area without colour: {"code","level","name","parent","lat","lng"}.
nlohmann::json AreaJson(const Area& area);

}  // namespace zhizhi::warning
