// The demo district's entry point and the order of the Seeder's work (demo_district_seeder.h).
#include "app/demo_district.h"

#include <cstdio>
#include <string>

#include "app/demo_district_seeder.h"

namespace zhizhi::app {

namespace demo {

Seeder::Seeder(Platform& platform, const DemoOptions& options)
    : p_(platform),
      o_(options),
      rng_(options.seed),
      today_(TodayInChina()),
      started_(std::chrono::steady_clock::now()) {
  for (const DivisionCounty& c : kSourceCounties) {
    counties_.push_back(&c);
    county_weights_.push_back(c.weight);
  }
  // Within a province the counties share its weight.
  std::map<std::string, int> per_province;
  for (const DivisionCounty* c : counties_)
    ++per_province[std::string(c->code, 2)];
  for (size_t i = 0; i < counties_.size(); ++i) {
    county_weights_[i] /= per_province[std::string(counties_[i]->code, 2)];
  }
  county_pick_ = std::discrete_distribution<size_t>(county_weights_.begin(), county_weights_.end());
  for (size_t s = 0; s < std::size(kQiantangStreets); ++s) {
    for (const DivisionCommunity& c : kQiantangCommunities) {
      if (std::string_view(c.street_code) == kQiantangStreets[s].code) {
        communities_[s].push_back(c.name);
      }
    }
  }
}

Result<DemoSummary> Seeder::Run() {
  ZZ_RETURN_IF_ERROR(CheckEmpty());
  Progress("registry: corps and projects");
  ZZ_RETURN_IF_ERROR(p_.db().Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(MakeCorps(conn));
    return MakeProjects(conn);
  }));
  PlanSizes();
  Progress("addresses: the dormitories' door plates and rooms");
  ZZ_RETURN_IF_ERROR(SeedAddresses());
  for (size_t i = 0; i < sites_.size(); ++i) {
    ZZ_RETURN_IF_ERROR(p_.db().Write([&](store::Connection& conn) { return StaffSite(conn, i); }));
    if (i % 20 == 19) Progress("registry: " + std::to_string(i + 1) + " projects staffed");
  }
  ZZ_RETURN_IF_ERROR(p_.db().Write([&](store::Connection& conn) { return PlantAnomalies(conn); }));
  summary_.registry_seconds = Seconds(started_);
  Progress("registry done: " + std::to_string(summary_.persons) + " persons");

  if (p_.gate() == nullptr) {
    gate::GateOptions options;
    options.tick_seconds = 86'400;  // housekeeping is done here, day by day
    ZZ_RETURN_IF_ERROR(p_.StartGate(options));
  }
  const auto history_start = std::chrono::steady_clock::now();
  // A bulk load touches index pages all over the gate's tables: give this process's writer a
  // cache that holds them (256 MiB instead of 16), or it rereads pages for every pass.
  ZZ_RETURN_IF_ERROR(p_.db().Write(
      [](store::Connection& conn) { return conn.Exec("PRAGMA cache_size=-262144"); }));
  ZZ_RETURN_IF_ERROR(MakeDevices());
  ZZ_RETURN_IF_ERROR(Blacklist());
  ZZ_RETURN_IF_ERROR(History());
  summary_.history_seconds = Seconds(history_start);
  return summary_;
}

void Seeder::Progress(const std::string& what) {
  if (!o_.quiet) std::fprintf(stderr, "  [%5.1f s] %s\n", Seconds(started_), what.c_str());
}

Status Seeder::CheckEmpty() {
  ZZ_ASSIGN_OR_RETURN(std::int64_t projects, p_.db().Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM projects");
  }));
  if (projects > 0) {
    return Status::Conflict("not_empty", "", "the data directory already holds projects");
  }
  return Status::Ok();
}

}  // namespace demo

Result<DemoSummary> SeedDemoDistrict(Platform& platform, const DemoOptions& options) {
  if (options.projects < 1 || options.persons < 1 || options.history_days < 0 ||
      options.history_days > 30) {
    return Status::InvalidArgument("", "projects and persons must be positive, history 0–30 days");
  }
  demo::Seeder seeder(platform, options);
  return seeder.Run();
}

}  // namespace zhizhi::app
