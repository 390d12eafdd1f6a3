// Five-colour warning and dispatch (docs/dispatch.md, docs/benchmarks.md "Warning and dispatch"):
// over the district's 7 streets, 135 communities and 405 grids with 10,000 open work orders and
// 20,000 open alerts —
//   - BM_WarningRecompute: every area's colour from scratch (what runs after any change);
//   - BM_OrderToColour: a new red order, then the map that shows it (the issue's "recomputed
//     within 1 s of a change");
//   - BM_ListOrders / BM_WarningMap: what one dispatcher's poll costs (100 dispatchers polling
//     every 2 s are 50 of each per second);
//   - BM_ReferenceGroupBy: the least a recomputation must read — the open orders and alerts
//     counted per area and level by plain SQL, measured in the same run.
#include <random>

#include <benchmark/benchmark.h>

#include "address/address_service.h"
#include "base/civil_time.h"
#include "dispatch/work_calendar.h"
#include "dispatch/work_orders.h"
#include "security/field_cipher.h"
#include "testkit/scratch_database.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::dispatch {
namespace {

using nlohmann::json;

struct District {
  std::unique_ptr<testkit::ScratchDatabase> scratch;
  std::unique_ptr<address::AddressService> addresses;
  std::unique_ptr<warning::Areas> areas;
  std::unique_ptr<warning::Warning> warning;
  std::unique_ptr<WorkOrders> orders;
  security::FieldCipher cipher =
      security::FieldCipher::FromMasterKey(security::FieldCipher::GenerateKey());
  std::unique_ptr<security::AuditLog> audit;
  std::vector<std::string> grids;
};

District& TheDistrict() {
  static District* d = [] {
    auto* d = new District();
    d->scratch = std::move(testkit::ScratchDatabase::Open("dispatch-bench").value());
    store::Database& db = d->scratch->db();
    d->addresses = std::make_unique<address::AddressService>(&db, "");
    d->areas = std::make_unique<warning::Areas>(&db, d->addresses.get(), "330114");
    (void)d->areas->Load();
    (void)d->areas->SeedFromGazetteer();
    const auto communities = d->areas->tree();  // CreateGrid replaces the tree: hold this one
    for (const warning::Area* c : communities->OfLevel(warning::Level::kCommunity)) {
      for (const char* suffix : {"01", "02", "03"}) {
        (void)d->areas->CreateGrid(
            {{"code", c->code + suffix}, {"name", "网格"}, {"parent", c->code}}, "bench");
        d->grids.push_back(c->code + suffix);
      }
    }
    std::mt19937_64 rng(7);
    const std::int64_t now = NowUnixMs();
    const char* levels[] = {"red", "orange", "yellow", "blue"};
    (void)db.Write([&](store::Connection& conn) -> Status {
      for (int i = 0; i < 10'000; ++i) {
        const std::string& grid = d->grids[rng() % d->grids.size()];
        ZZ_RETURN_IF_ERROR(
            conn.Prepare("INSERT INTO work_orders(title, category, priority, area_code, source, "
                         "status, created_at, created_by, due_at, updated_at) VALUES "
                         "('bench', 'other', ?, ?, 'manual', 'assigned', ?, 'bench', ?, ?)")
                .Bind(1, levels[rng() % 4])
                .Bind(2, grid)
                .Bind(3, now)
                .Bind(4, now + static_cast<std::int64_t>(rng() % 10) * 86'400'000 - 86'400'000)
                .Bind(5, now)
                .Run());
      }
      for (int i = 0; i < 20'000; ++i) {
        const std::string village = d->grids[rng() % d->grids.size()].substr(0, 12);
        ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO entities(kind, golden, village, records, "
                                        "members, updated_at) VALUES ('house','{}',?,1,x'',0)")
                               .Bind(1, village)
                               .Run());
        ZZ_RETURN_IF_ERROR(
            conn.Prepare(
                    "INSERT INTO alerts(type, severity, alert_key, subject_kind, subject_id, "
                    "message, evidence, detail, status, first_seen, last_seen) VALUES "
                    "('house_overcrowded', ?, ?, 'house', ?, 'bench', '[]', '{}', 'open', ?, ?)")
                .Bind(1, levels[rng() % 4])
                .Bind(2, "bench:" + std::to_string(i))
                .Bind(3, std::to_string(conn.LastInsertRowId()))
                .Bind(4, now)
                .Bind(5, now)
                .Run());
      }
      return Status::Ok();
    });
    d->audit = std::make_unique<security::AuditLog>(&d->cipher);
    d->warning =
        std::make_unique<warning::Warning>(&db, d->areas.get(), &warning::Rulebook::Default());
    (void)d->warning->Recompute();
    WorkOrderOptions options;
    options.from_alerts = false;
    d->orders =
        std::make_unique<WorkOrders>(&db, d->audit.get(), d->areas.get(), d->warning.get(),
                                     &DispatchRules::Default(), &WorkCalendar::Default(), options);
    return d;
  }();
  return *d;
}

void BM_WarningRecompute(benchmark::State& state) {
  District& d = TheDistrict();
  for (auto _ : state) {
    auto done = d.warning->Recompute();
    if (!done.ok()) state.SkipWithError(done.status().ToString().c_str());
  }
  state.counters["areas"] = static_cast<double>(d.areas->tree()->size());
}
BENCHMARK(BM_WarningRecompute)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_OrderToColour(benchmark::State& state) {
  District& d = TheDistrict();
  std::mt19937_64 rng(11);
  for (auto _ : state) {
    const std::string& grid = d.grids[rng() % d.grids.size()];
    auto made = d.orders->Create({{"title", "bench"},
                                  {"category", "other"},
                                  {"area_code", grid},
                                  {"source", "manual"},
                                  {"priority", "red"}},
                                 security::Actor::Command("bench"));
    if (!made.ok()) state.SkipWithError(made.status().ToString().c_str());
    if (d.warning->ColourOf(grid) != "red") state.SkipWithError("the map did not show it");
  }
}
BENCHMARK(BM_OrderToColour)->Unit(benchmark::kMillisecond)->MinTime(2.0);

void BM_ListOrders(benchmark::State& state) {
  District& d = TheDistrict();
  OrderFilter filter;
  filter.status = "assigned";
  store::Page page;
  const security::Principal dispatcher = security::Principal::System("dispatcher");
  for (auto _ : state)
    benchmark::DoNotOptimize(d.orders->List(filter, page, dispatcher));
}
BENCHMARK(BM_ListOrders)->Unit(benchmark::kMillisecond);

void BM_WarningMap(benchmark::State& state) {
  District& d = TheDistrict();
  for (auto _ : state)
    benchmark::DoNotOptimize(d.warning->List(warning::Level::kCommunity, "").dump());
}
BENCHMARK(BM_WarningMap)->Unit(benchmark::kMillisecond);

void BM_ReferenceGroupBy(benchmark::State& state) {
  District& d = TheDistrict();
  for (auto _ : state) {
    auto n = d.scratch->db().Read([&](store::Connection& conn) -> Result<std::int64_t> {
      std::int64_t rows = 0;
      auto o = conn.Prepare(
          "SELECT area_code, priority, COUNT(*) FROM work_orders WHERE status != 'closed' "
          "GROUP BY 1, 2");
      while (o.Step())
        ++rows;
      auto a = conn.Prepare(
          "SELECT e.village, a.severity, COUNT(*) FROM alerts a JOIN entities e "
          "ON e.id = CAST(a.subject_id AS INTEGER) WHERE a.status != 'resolved' GROUP BY 1, 2");
      while (a.Step())
        ++rows;
      return rows;
    });
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_ReferenceGroupBy)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace
}  // namespace zhizhi::dispatch

BENCHMARK_MAIN();
