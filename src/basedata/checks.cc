#include "basedata/checks.h"

#include <cmath>
#include <cstdio>

namespace zhizhi::basedata {

namespace {

using alerts::AlertDraft;
using nlohmann::json;

json Link(const char* kind, std::int64_t id, const char* path) {
  return {
      {"kind", kind}, {"id", std::to_string(id)}, {"href", std::string(path) + std::to_string(id)}};
}

AlertDraft Draft(const char* type, const char* severity, const char* subject_kind,
                 std::int64_t subject, const std::string& key_suffix = "") {
  AlertDraft d;
  d.type = type;
  d.severity = severity;
  d.subject_kind = subject_kind;
  d.subject_id = std::to_string(subject);
  d.key = std::string(type) + ":" + std::to_string(subject) + key_suffix;
  return d;
}

std::string Format(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", value);
  return text;
}

Result<bool> Exists(store::Connection& conn, store::SqlLiteral sql) {
  auto s = conn.Prepare(sql);
  if (s.Step()) return true;
  ZZ_RETURN_IF_ERROR(s.status());
  return false;
}

}  // namespace

Result<std::vector<AlertDraft>> DraftChecks(store::Connection& conn, const CheckOptions& options) {
  std::vector<AlertDraft> drafts;

  // Overcrowded houses: floor area per occupant below the setting.
  auto houses = conn.Prepare(
      "SELECT h.id, COALESCE(h.address, ''), CAST(json_extract(h.golden, '$.area.value') AS REAL), "
      "(SELECT COUNT(DISTINCT r.entity_id) FROM source_records r WHERE r.kind = 'person' AND "
      "r.key_house = h.house_key AND r.withdrawn = 0) FROM entities h WHERE h.kind = 'house' AND "
      "h.house_key IS NOT NULL AND json_extract(h.golden, '$.area.value') IS NOT NULL");
  while (houses.Step()) {
    const double area = houses.Double(2);
    const std::int64_t occupants = houses.Int(3);
    if (occupants == 0 || !(area > 0)) continue;
    const double each = area / static_cast<double>(occupants);
    if (each >= options.min_area_per_occupant) continue;
    AlertDraft d = Draft(alerts::type::kHouseOvercrowded, "orange", "house", houses.Int(0));
    d.message = houses.Text(1) + " 面积 " + Format(area) + " ㎡，登记居住 " +
                std::to_string(occupants) + " 人，人均 " + Format(each) + " ㎡（低于 " +
                Format(options.min_area_per_occupant) + " ㎡）";
    d.evidence.push_back(Link("house", houses.Int(0), "/api/v1/houses/"));
    d.detail = {{"area", area},
                {"occupants", occupants},
                {"area_per_occupant", std::round(each * 10) / 10},
                {"minimum", options.min_area_per_occupant}};
    drafts.push_back(std::move(d));
  }
  ZZ_RETURN_IF_ERROR(houses.status());

  // Workers without a population record (once a population source exists).
  ZZ_ASSIGN_OR_RETURN(bool population, Exists(conn,
                                              "SELECT 1 FROM source_records WHERE kind = "
                                              "'person' AND source != 'workforce' AND "
                                              "withdrawn = 0 LIMIT 1"));
  if (population) {
    auto workers = conn.Prepare(
        "SELECT r.entity_id, r.source_id, COALESCE(e.name, '') FROM source_records r JOIN entities "
        "e ON e.id = r.entity_id WHERE r.kind = 'person' AND r.source = 'workforce' AND "
        "r.withdrawn = 0 AND NOT EXISTS (SELECT 1 FROM source_records o WHERE o.entity_id = "
        "r.entity_id AND o.source != 'workforce' AND o.withdrawn = 0)");
    while (workers.Step()) {
      AlertDraft d =
          Draft(alerts::type::kWorkerNotInPopulation, "yellow", "base_person", workers.Int(0));
      d.message = workers.Text(2) + " 在工地实名登记，但实有人口中无此人";
      d.evidence.push_back(Link("base_person", workers.Int(0), "/api/v1/people/"));
      const std::string source_id = workers.Text(1);  // person:<registry id>
      if (source_id.starts_with("person:")) {
        const std::int64_t person = std::stoll(source_id.substr(7));
        d.person_id = person;
        d.evidence.push_back(Link("person", person, "/api/v1/persons/"));
      }
      drafts.push_back(std::move(d));
    }
    ZZ_RETURN_IF_ERROR(workers.status());
  }

  // Units at no standard address (once the standard-address base has any).
  ZZ_ASSIGN_OR_RETURN(bool base, Exists(conn, "SELECT 1 FROM standard_addresses LIMIT 1"));
  if (base) {
    auto units = conn.Prepare(
        "SELECT e.id, COALESCE(e.name, ''), e.address FROM entities e WHERE e.kind = 'unit' AND "
        "e.address IS NOT NULL AND NOT EXISTS (SELECT 1 FROM source_records r WHERE r.entity_id "
        "= e.id AND r.withdrawn = 0 AND r.standard_address_id IS NOT NULL)");
    while (units.Step()) {
      AlertDraft d = Draft(alerts::type::kUnitAddressNotStandard, "blue", "unit", units.Int(0));
      d.message = units.Text(1) + " 的登记地址 " + units.Text(2) + " 不是标准地址";
      d.evidence.push_back(Link("unit", units.Int(0), "/api/v1/units/"));
      d.detail = {{"address", units.Text(2)}};
      drafts.push_back(std::move(d));
    }
    ZZ_RETURN_IF_ERROR(units.status());
  }

  // People registered at two residences or more.
  auto people = conn.Prepare(
      "SELECT r.entity_id, COUNT(DISTINCT r.key_house), COALESCE(e.name, '') FROM source_records "
      "r JOIN entities e ON e.id = r.entity_id WHERE r.kind = 'person' AND r.withdrawn = 0 AND "
      "r.key_house IS NOT NULL GROUP BY r.entity_id HAVING "
      "COUNT(DISTINCT r.key_house) > 1");
  while (people.Step()) {
    AlertDraft d =
        Draft(alerts::type::kPersonTwoResidences, "yellow", "base_person", people.Int(0));
    d.message = people.Text(2) + " 登记在 " + std::to_string(people.Int(1)) + " 处住所";
    d.evidence.push_back(Link("base_person", people.Int(0), "/api/v1/people/"));
    d.detail = {{"residences", people.Int(1)}};
    drafts.push_back(std::move(d));
  }
  ZZ_RETURN_IF_ERROR(people.status());
  return drafts;
}

Result<CheckCounts> RunChecks(store::Database& db, const CheckOptions& options,
                              std::int64_t now_ms) {
  ZZ_ASSIGN_OR_RETURN(std::vector<AlertDraft> drafts,
                      db.Read([&](store::Connection& conn) { return DraftChecks(conn, options); }));
  CheckCounts counts;
  for (const AlertDraft& d : drafts) {
    counts.overcrowded += d.type == alerts::type::kHouseOvercrowded;
    counts.workers_not_in_population += d.type == alerts::type::kWorkerNotInPopulation;
    counts.units_not_standard += d.type == alerts::type::kUnitAddressNotStandard;
    counts.two_residences += d.type == alerts::type::kPersonTwoResidences;
  }
  alerts::Scope scope;
  for (const std::string& type : alerts::BaseDataTypes())
    scope.types.insert(type);
  ZZ_RETURN_IF_ERROR(db.Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(counts.alerts,
                        alerts::AlertBook::Reconcile(conn, scope, std::move(drafts), now_ms));
    return Status::Ok();
  }));
  return counts;
}

}  // namespace zhizhi::basedata
