#include "app/demo_base_data.h"

#include <chrono>
#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "app/basedata_feeds.h"
#include "base/civil_time.h"
#include "base/file.h"
#include "basedata/feed.h"
#include "basedata/mapping.h"

namespace zhizhi::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Result<std::int64_t> Count(store::Database& db, const char* kind) {
  return db.Read([&](store::Connection& conn) -> Result<std::int64_t> {
    auto s = conn.Prepare("SELECT COUNT(*) FROM entities WHERE kind = ?");
    s.Bind(1, kind);
    if (!s.Step()) return s.status();
    return s.Int(0);
  });
}

// What the workforce district seeded that the district's sources know of (basedata_feeds.h): the
// workers with an open enrolment (at the latest one's dormitory, as the registry's own source
// gives them), the corps, and the doors of the standard-address base (the dormitories).
Status ReadRegistry(Platform& p, BaseDataFeedOptions& options) {
  const Date today = TodayInChina();
  return p.db().Read([&](store::Connection& conn) -> Status {
    auto workers = conn.Prepare(
        "SELECT p.name, p.id_cipher, COALESCE(p.phone, ''), COALESCE(e.dorm_address, ''), "
        "e.entry_date FROM persons p JOIN enrolments e ON e.id = (SELECT MAX(id) FROM enrolments "
        "WHERE person_id = p.id AND exit_date IS NULL) WHERE p.id_type = '01' ORDER BY p.id");
    while (workers.Step()) {
      RegistryWorker w;
      w.name = workers.Text(0);
      ZZ_ASSIGN_OR_RETURN(w.id_number, p.cipher().Unseal(workers.Blob(1)));
      w.phone = workers.Text(2);
      w.address = workers.Text(3);
      if (auto entry = Date::Parse(workers.Text(4), "entry_date"); entry.ok()) {
        w.days_on_site = static_cast<int>(today.DaysSinceEpoch() - entry->DaysSinceEpoch());
      }
      options.workers.push_back(std::move(w));
    }
    ZZ_RETURN_IF_ERROR(workers.status());
    auto corps = conn.Prepare(
        "SELECT uscc, name, COALESCE(address, ''), COALESCE(legal_person, '') FROM corps "
        "ORDER BY uscc");
    while (corps.Step()) {
      options.corps.push_back({corps.Text(0), corps.Text(1), corps.Text(2), corps.Text(3)});
    }
    ZZ_RETURN_IF_ERROR(corps.status());
    auto doors = conn.Prepare(
        "SELECT DISTINCT road, number FROM standard_addresses WHERE kind = 'door' AND county = "
        "'330114' AND road IS NOT NULL AND number IS NOT NULL ORDER BY 1, 2");
    while (doors.Step()) {
      const std::string number = doors.Text(1);
      if (number.empty() || number.size() > 6 ||
          number.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      options.base_doors.push_back({doors.Text(0), static_cast<std::uint32_t>(std::stoul(number))});
    }
    return doors.status();
  });
}

}  // namespace

Result<DemoBaseDataSummary> SeedDemoBaseData(Platform& p, double scale, std::uint64_t seed,
                                             bool quiet) {
  if (!(scale > 0 && scale <= 1))
    return Status::InvalidArgument("base-data-scale", "a share of the seed's scale, (0, 1]");
  auto say = [&](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "demo: %s\n", line.c_str());
  };
  DemoBaseDataSummary summary;
  ZZ_ASSIGN_OR_RETURN(const address::Standardizer* standardizer, p.addresses().Get());

  BaseDataFeedOptions options;
  options.seed = seed;
  options.people = static_cast<size_t>(options.people * scale);
  options.houses = static_cast<size_t>(options.houses * scale);
  options.addresses = static_cast<size_t>(options.addresses * scale);
  options.units = static_cast<size_t>(options.units * scale);
  // A working district: its sources mostly agree on where people live, and they know the
  // registry's workers and corps.
  options.people_moved = 0.002;
  ZZ_RETURN_IF_ERROR(ReadRegistry(p, options));
  const fs::path dir = fs::path(p.data_dir()) / "demo-feeds";
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  auto start = Clock::now();
  say("writing the base-data feeds (" + std::to_string(options.people) + " people, " +
      std::to_string(options.workers.size()) + " registry workers) …");
  ZZ_ASSIGN_OR_RETURN(BaseDataFeedCounts counts,
                      WriteBaseDataFeeds(standardizer->gazetteer(), options, dir.string()));
  say(std::to_string(counts.workers) + " registry workers in the population, " +
      std::to_string(counts.workers_unregistered) + " not (yet) registered; planted " +
      std::to_string(counts.overcrowded_houses) + " overcrowded houses, " +
      std::to_string(counts.units_not_standard) + " units at no standard address");
  summary.generate_seconds = Since(start);

  start = Clock::now();
  say("importing " + std::to_string(counts.addresses) + " standard addresses …");
  ZZ_ASSIGN_OR_RETURN(std::string addresses,
                      ReadWholeFile((dir / "addresses.csv").string(), basedata::kMaxFeedBytes));
  ZZ_ASSIGN_OR_RETURN(address::ImportSummary imported,
                      p.addresses().Import(std::move(addresses), /*partial=*/true));
  summary.addresses = imported.imported + imported.updated;
  // The district's register of roads (街路巷): each road its door plates are on, so that a road
  // typed by ear (学元街) is read as the district's (学源街) wherever it is typed.
  ZZ_ASSIGN_OR_RETURN(
      std::string roads, p.db().Read([](store::Connection& conn) -> Result<std::string> {
        std::string csv = "code,kind,address\n";
        auto s = conn.Prepare(
            "SELECT DISTINCT road FROM standard_addresses WHERE county = '330114' AND road IS NOT "
            "NULL ORDER BY road");
        for (int n = 1; s.Step(); ++n) {
          const std::string road = s.Text(0);
          if (road.find_first_of(",\"\r\n") != std::string::npos) continue;
          csv += "RD330114" + std::to_string(10000 + n).substr(1) + ",road,浙江省杭州市钱塘区" +
                 road + "\n";
        }
        ZZ_RETURN_IF_ERROR(s.status());
        return csv;
      }));
  ZZ_ASSIGN_OR_RETURN(address::ImportSummary registered,
                      p.addresses().Import(std::move(roads), /*partial=*/true));
  say(std::to_string(registered.imported + registered.updated) + " roads in the register (街路巷)");
  summary.address_seconds = Since(start);

  start = Clock::now();
  const security::Actor actor = security::Actor::Command("demo");
  for (const char* source : {"ps_population", "grid_people", "rental_tenants", "ps_housing",
                             "grid_houses", "market_units", "grid_units"}) {
    ZZ_ASSIGN_OR_RETURN(
        std::string text,
        ReadWholeFile((dir / "mappings" / (std::string(source) + ".json")).string(), 1 << 20));
    ZZ_ASSIGN_OR_RETURN(basedata::Mapping mapping,
                        basedata::Mapping::FromJson(nlohmann::json::parse(text, nullptr, false)));
    const char* extension = mapping.jsonl ? ".jsonl" : ".csv";
    ZZ_ASSIGN_OR_RETURN(
        std::string bytes,
        ReadWholeFile((dir / (std::string(source) + extension)).string(), basedata::kMaxFeedBytes));
    say(std::string("importing ") + source + " …");
    ZZ_ASSIGN_OR_RETURN(nlohmann::json answer,
                        p.base_data().Import(mapping, std::move(bytes), actor));
    summary.records += answer["counts"]["added"].get<std::int64_t>();
  }
  ZZ_RETURN_IF_ERROR(p.base_data().SyncWorkforce(actor).status());
  summary.import_seconds = Since(start);
  fs::remove_all(dir, ignored);

  start = Clock::now();
  for (basedata::Kind kind :
       {basedata::Kind::kUnit, basedata::Kind::kHouse, basedata::Kind::kPerson}) {
    say(std::string("linking ") + basedata::KindName(kind) + " records …");
    ZZ_RETURN_IF_ERROR(p.base_data().LinkNow(kind));
  }
  summary.link_seconds = Since(start);
  ZZ_ASSIGN_OR_RETURN(summary.people, Count(p.db(), "person"));
  ZZ_ASSIGN_OR_RETURN(summary.houses, Count(p.db(), "house"));
  ZZ_ASSIGN_OR_RETURN(summary.units, Count(p.db(), "unit"));
  ZZ_ASSIGN_OR_RETURN(summary.alerts, p.db().Read([](store::Connection& conn) {
    return store::QueryInt(conn,
                           "SELECT COUNT(*) FROM alerts WHERE status != 'resolved' AND type IN "
                           "('house_overcrowded', 'worker_not_in_population', "
                           "'unit_address_not_standard', 'person_two_residences')");
  }));
  return summary;
}

}  // namespace zhizhi::app
