#include "app/demo_dispatch.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cmath>
#include <random>

#include "app/demo_district_words.h"
#include "base/civil_time.h"
#include "base/file.h"
#include "dispatch/work_calendar.h"
#include "dispatch/work_orders.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::app {

using nlohmann::json;

namespace {

constexpr int kGridsPerCommunity = 3;
constexpr const char* kDemoUsersFile = "demo-users.txt";

struct Point {
  double lat, lng;
};

// Where a street lies: the demo's own centres (demo_district_words.h) by name; the district's
// middle for any other.
Point StreetCentre(const std::string& name) {
  for (const demo::StreetSeed& s : demo::kStreetSeeds)
    if (name == s.name) return {s.lat, s.lng};
  return {30.33, 120.42};
}

// The mediation system's kinds of dispute, with how often each comes and its usual level.
struct DisputeKind {
  const char* title;
  const char* level;
  int weight;
};
constexpr DisputeKind kDisputeKinds[] = {
    {"邻里噪音纠纷", "blue", 20},   {"物业费纠纷", "blue", 14},    {"房屋租赁纠纷", "yellow", 14},
    {"工资拖欠纠纷", "orange", 10}, {"征迁补偿纠纷", "orange", 6}, {"婚姻家庭纠纷", "yellow", 10},
    {"相邻通行纠纷", "blue", 8},    {"群体讨薪", "red", 1},        {"施工扰民投诉", "yellow", 12},
    {"消费维权纠纷", "blue", 6},
};

}  // namespace

Result<DemoDispatchSummary> SeedDemoDispatch(Platform& p, std::uint64_t seed) {
  DemoDispatchSummary summary;
  warning::Areas areas(&p.db(), &p.addresses(), "330114");
  ZZ_RETURN_IF_ERROR(areas.Load());
  ZZ_RETURN_IF_ERROR(areas.SeedFromGazetteer().status());
  std::mt19937_64 rng(seed ^ 0x9e3779b97f4a7c15ULL);
  std::normal_distribution<double> jitter(0, 1);

  // Grids: three per community, around a point near the community's street.
  auto tree = areas.tree();
  std::vector<std::string> grids;
  for (const warning::Area* street : tree->OfLevel(warning::Level::kStreet)) {
    ++summary.streets;
    const Point centre = StreetCentre(street->name);
    for (const std::string& code : street->children) {
      const warning::Area* community = tree->Find(code);
      if (community == nullptr || community->level != warning::Level::kCommunity) continue;
      ++summary.communities;
      const Point c{centre.lat + 0.008 * jitter(rng), centre.lng + 0.010 * jitter(rng)};
      for (int g = 1; g <= kGridsPerCommunity; ++g) {
        char suffix[4];
        std::snprintf(suffix, sizeof suffix, "%02d", g);
        const std::string grid = code + suffix;
        if (tree->Find(grid) == nullptr) {
          json body = {{"code", grid},
                       {"name", "第" + std::to_string(g) + "网格"},
                       {"parent", code},
                       {"lat", std::round((c.lat + 0.002 * jitter(rng)) * 1e6) / 1e6},
                       {"lng", std::round((c.lng + 0.002 * jitter(rng)) * 1e6) / 1e6}};
          ZZ_RETURN_IF_ERROR(areas.CreateGrid(body, "demo").status());
        }
        grids.push_back(grid);
      }
    }
  }
  summary.grids = static_cast<int>(grids.size());
  if (grids.empty()) return summary;
  tree = areas.tree();

  // A dispatcher and a grid worker for each grid of the first community of each street, on duty
  // at their grid's centre. Their passwords go to a file only the owner reads.
  std::string users_text =
      "# The demo's command-centre users (zhizhi demo). Log in on the screen or at /m/.\n";
  const auto make_user = [&](const std::string& name, const std::string& role,
                             const std::vector<std::string>& user_areas) -> Result<std::int64_t> {
    std::string password = "Demo-" + std::to_string(rng() % 100000000) + "-zz";
    accounts::UserDraft draft{name, password, role, {}, false, user_areas};
    auto user = p.accounts().CreateUser(draft, security::Actor::Command("demo"));
    if (!user.ok() && user.status().code() == "already_exists") return std::int64_t{0};
    ZZ_RETURN_IF_ERROR(user.status());
    users_text += name + "\t" + role + "\t" + password + "\n";
    return (*user)["id"].get<std::int64_t>();
  };
  ZZ_RETURN_IF_ERROR(make_user("demo.dispatcher", "dispatcher", {}).status());
  std::vector<std::pair<std::int64_t, const warning::Area*>> on_duty;
  for (const warning::Area* street : tree->OfLevel(warning::Level::kStreet)) {
    if (street->children.empty()) continue;
    const warning::Area* community = tree->Find(street->children.front());
    if (community == nullptr) continue;
    for (const std::string& code : community->children) {
      const warning::Area* grid = tree->Find(code);
      if (grid == nullptr) continue;
      ZZ_ASSIGN_OR_RETURN(std::int64_t id, make_user("grid." + code, "grid_worker", {code}));
      if (id != 0) on_duty.emplace_back(id, grid);
    }
  }
  summary.workers = static_cast<int>(on_duty.size());
  ZZ_RETURN_IF_ERROR(p.db().Write([&](store::Connection& conn) -> Status {
    for (const auto& [id, grid] : on_duty) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT OR REPLACE INTO duty(user_id, on_duty, lat, lng, "
                                      "updated_at) VALUES (?,1,?,?,?)")
                             .Bind(1, id)
                             .Bind(2, grid->lat)
                             .Bind(3, grid->lng)
                             .Bind(4, NowUnixMs())
                             .Run());
    }
    return Status::Ok();
  }));
  const std::string users_path = p.data_dir() + "/" + kDemoUsersFile;
  ZZ_RETURN_IF_ERROR(WriteFileDurably(users_path, users_text));
  ::chmod(users_path.c_str(), 0600);

  // Dispute cases over the last 30 days, received when they were: the older ones are overdue.
  std::vector<double> weights;
  for (const DisputeKind& k : kDisputeKinds)
    weights.push_back(k.weight);
  std::discrete_distribution<int> kind_of(weights.begin(), weights.end());
  std::uniform_int_distribution<size_t> grid_of(0, grids.size() - 1);
  std::uniform_int_distribution<int> age_days(0, 30);
  const std::int64_t now = NowUnixMs();
  const int cases = std::max(40, summary.communities / 2);
  std::int64_t clock_ms = now;
  dispatch::WorkOrderOptions options;
  options.clock = [&clock_ms] { return clock_ms; };
  options.from_alerts = false;
  dispatch::WorkOrders orders(&p.db(), &p.audit(), &areas, nullptr,
                              &dispatch::DispatchRules::Default(),
                              &dispatch::WorkCalendar::Default(), options);
  const security::Actor mediation = security::Actor::Command("mediation-feed");
  for (int i = 0; i < cases; ++i) {
    const DisputeKind& kind = kDisputeKinds[kind_of(rng)];
    clock_ms = now - std::int64_t{age_days(rng)} * 86'400'000 - (rng() % 36'000'000);
    char code[40];
    std::snprintf(code, sizeof code, "JFM-330114-%s-%04d", DateInChina(clock_ms).ToString().c_str(),
                  i + 1);
    json body = {{"cases",
                  {{{"code", code},
                    {"title", kind.title},
                    {"level", kind.level},
                    {"area_code", grids[grid_of(rng)]},
                    {"description", "浙江解纷码受理，转网格化解"}}}}};
    auto made = orders.ImportDisputes(body, mediation);
    if (!made.ok()) return made.status();
    summary.disputes += static_cast<int>((*made)["created"].size());
  }
  return summary;
}

}  // namespace zhizhi::app
