#include "warning/areas.h"

#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/text.h"

namespace zhizhi::warning {

using nlohmann::json;

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kStreet:
      return "street";
    case Level::kCommunity:
      return "community";
    case Level::kGrid:
      return "grid";
  }
  return "street";
}

std::optional<Level> ParseLevel(std::string_view name) {
  if (name == "street") return Level::kStreet;
  if (name == "community") return Level::kCommunity;
  if (name == "grid") return Level::kGrid;
  return std::nullopt;
}

const Area* AreaTree::Find(std::string_view code) const {
  const auto it = areas_.find(code);
  return it == areas_.end() ? nullptr : &it->second;
}

std::vector<const Area*> AreaTree::Chain(std::string_view code) const {
  std::vector<const Area*> chain;
  for (const Area* a = Find(code); a != nullptr && chain.size() < 4; a = Find(a->parent))
    chain.push_back(a);
  return chain;
}

std::vector<const Area*> AreaTree::OfLevel(Level level) const {
  std::vector<const Area*> out;
  for (const auto& [code, area] : areas_)
    if (area.level == level) out.push_back(&area);
  return out;
}

json AreaJson(const Area& area) {
  return {{"code", area.code},
          {"level", LevelName(area.level)},
          {"name", area.name},
          {"parent", area.parent.empty() ? json() : json(area.parent)},
          {"lat", area.lat ? json(*area.lat) : json()},
          {"lng", area.lng ? json(*area.lng) : json()}};
}

Areas::Areas(store::Database* db, address::AddressService* addresses, std::string region)
    : db_(db),
      addresses_(addresses),
      region_(std::move(region)),
      tree_(std::make_shared<AreaTree>()) {}

Status Areas::Load() {
  // One load at a time: an older read must not be swapped in over a newer one.
  std::lock_guard loading(load_mu_);
  auto tree = std::make_shared<AreaTree>();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT code, level, name, parent, lat, lng FROM areas ORDER BY code");
    while (s.Step()) {
      Area a;
      a.code = s.Text(0);
      a.level = ParseLevel(s.Text(1)).value_or(Level::kStreet);
      a.name = s.Text(2);
      a.parent = s.OptText(3).value_or("");
      a.lat = s.OptDouble(4);
      a.lng = s.OptDouble(5);
      tree->areas_.emplace(a.code, std::move(a));
    }
    return s.status();
  }));
  for (auto& [code, area] : tree->areas_) {
    if (area.parent.empty()) continue;
    auto parent = tree->areas_.find(area.parent);
    if (parent != tree->areas_.end()) parent->second.children.push_back(code);
  }
  {
    std::lock_guard lock(mu_);
    tree_ = std::move(tree);
  }
  // An address that settled to no area may settle to a new one.
  std::lock_guard cache(cache_mu_);
  address_cache_.clear();
  return Status::Ok();
}

std::shared_ptr<const AreaTree> Areas::tree() const {
  std::lock_guard lock(mu_);
  return tree_;
}

Result<int> Areas::SeedFromGazetteer() {
  if (region_.empty()) return 0;
  ZZ_ASSIGN_OR_RETURN(json county, addresses_->Division(region_));
  struct Row {
    std::string code, level, name, parent;
  };
  std::vector<Row> rows;
  for (const json& town : county["children"]) {
    const std::string code = town["code"].get<std::string>();
    rows.push_back({code, "street", town["name"].get<std::string>(), ""});
    ZZ_ASSIGN_OR_RETURN(json detail, addresses_->Division(code));
    for (const json& village : detail["children"]) {
      rows.push_back({village["code"].get<std::string>(), "community",
                      village["name"].get<std::string>(), code});
    }
  }
  int added = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    added = 0;
    const std::int64_t now = NowUnixMs();
    for (const Row& row : rows) {
      auto insert = conn.Prepare(
          "INSERT INTO areas(code, level, name, parent, created_at) VALUES (?,?,?,?,?) "
          "ON CONFLICT(code) DO NOTHING");
      insert.Bind(1, row.code).Bind(2, row.level).Bind(3, row.name);
      if (row.parent.empty()) {
        insert.BindNull(4);
      } else {
        insert.Bind(4, row.parent);
      }
      insert.Bind(5, now);
      ZZ_RETURN_IF_ERROR(insert.Run());
      added += conn.Changes();
    }
    return Status::Ok();
  }));
  ZZ_RETURN_IF_ERROR(Load());
  if (added > 0) spdlog::info("event=areas_seeded region={} added={}", region_, added);
  return added;
}

Result<json> Areas::CreateGrid(const json& body, const std::string& actor) {
  if (!body.is_object()) return Status::InvalidJson("the body must be a JSON object");
  JsonFieldReader in(body);
  const std::string code = in.Text("code", 15);
  const std::string name = in.Text("name", 100);
  const std::string parent = in.Text("parent", 15);
  const auto position = in.OptPosition();
  ZZ_RETURN_IF_ERROR(in.Finish());
  std::optional<double> lat, lng;
  if (position) {
    lat = position->lat;
    lng = position->lng;
  }
  const auto tree = this->tree();
  const Area* community = tree->Find(parent);
  if (community == nullptr || community->level != Level::kCommunity)
    return Status::Rule("area_not_found", "parent", "no community " + parent);
  if (code.size() != 14 || code.compare(0, 12, parent) != 0 ||
      code.find_first_not_of("0123456789") != std::string::npos)
    return Status::InvalidArgument("code", "a grid's code is its community's 12 digits and 2 more");
  json out;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    auto insert = conn.Prepare(
        "INSERT INTO areas(code, level, name, parent, lat, lng, created_at) "
        "VALUES (?,'grid',?,?,?,?,?) ON CONFLICT(code) DO NOTHING");
    insert.Bind(1, code).Bind(2, name).Bind(3, parent).Bind(4, lat).Bind(5, lng);
    insert.Bind(6, NowUnixMs());
    ZZ_RETURN_IF_ERROR(insert.Run());
    if (conn.Changes() == 0) return Status::AlreadyExists("code", "an area " + code + " exists");
    Area a{code, Level::kGrid, name, parent, lat, lng, {}};
    out = AreaJson(a);
    out["created_by"] = actor;
    return Status::Ok();
  }));
  ZZ_RETURN_IF_ERROR(Load());
  return out;
}

std::optional<std::string> Areas::CommunityOfAddress(const std::string& address) const {
  if (address.empty()) return std::nullopt;
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = address_cache_.find(address); it != address_cache_.end()) return it->second;
  }
  if (!addresses_->Ready()) return std::nullopt;  // not cached: asked again next time
  std::optional<std::string> community;
  const json answer = addresses_->Answer(addresses_->Standardize(address));
  if (answer.contains("village") && answer["village"].is_string()) {
    std::string code = answer["village"].get<std::string>();
    if (tree()->Find(code) != nullptr) community = std::move(code);
  }
  std::lock_guard lock(cache_mu_);
  if (address_cache_.size() > 100'000) address_cache_.clear();
  address_cache_.emplace(address, community);
  return community;
}

const char* const kDormCommunityOfAlertSql =
    "CASE WHEN a.type IN ('residence_overdue','residence_not_deregistered',"
    "'unregistered_presence') AND a.person_id IS NOT NULL THEN "
    "(SELECT n.dorm_community FROM enrolments n WHERE n.person_id = a.person_id "
    " AND n.dorm_community IS NOT NULL ORDER BY n.exit_date IS NULL DESC, n.id DESC LIMIT 1) END";

Result<std::optional<std::string>> Areas::PlaceAlert(store::Connection& conn,
                                                     std::int64_t alert_id) const {
  auto s = conn.Prepare(std::string("SELECT COALESCE(e.village, d.community_code), ") +
                        kDormCommunityOfAlertSql +
                        ", p.address FROM alerts a "
                        "LEFT JOIN entities e ON a.subject_kind IN ('base_person','house','unit') "
                        "  AND e.id = CAST(a.subject_id AS INTEGER) "
                        "LEFT JOIN iot_devices d ON a.subject_kind = 'iot_device' "
                        "  AND d.id = a.device_id "
                        "LEFT JOIN projects p ON p.code = a.project_code WHERE a.id = ?");
  s.Bind(1, alert_id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no alert " + std::to_string(alert_id), "source_id");
  }
  const auto tree = this->tree();
  for (int column : {0, 1}) {
    if (auto village = s.OptText(column); village && tree->Find(*village)) return village;
  }
  return CommunityOfAddress(s.OptText(2).value_or(""));
}

}  // namespace zhizhi::warning
