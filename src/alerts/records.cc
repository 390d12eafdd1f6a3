#include "alerts/records.h"

#include <map>

namespace zhizhi::alerts {

using nlohmann::json;

Result<LeaveDraft> ParseLeave(FieldReader& in) {
  LeaveDraft d;
  d.from = in.RequiredDate("from_date");
  d.to = in.RequiredDate("to_date");
  d.project_code = in.OptText("project_code", 64);
  d.reason = in.OptText("reason", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (d.to < d.from) return Status::InvalidArgument("to_date", "to_date is before from_date");
  if (d.to.DaysSinceEpoch() - d.from.DaysSinceEpoch() > 366) {
    return Status::InvalidArgument("to_date", "a leave is at most one year");
  }
  return d;
}

Result<ExemptionDraft> ParseExemption(FieldReader& in, const registry::Rulebook& rules) {
  ExemptionDraft d;
  auto person = in.OptInteger("person_id");
  d.project_code = in.Text("project_code", 64);
  d.reason = in.Text("reason", 64);
  d.note = in.OptText("note", 500);
  d.valid_to = in.OptDate("valid_to");
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (!person || *person <= 0) return Status::InvalidArgument("person_id", "person_id is required");
  d.person_id = *person;
  if (!rules.exemption_reasons().count(d.reason)) {
    std::string known;
    for (const auto& [code, text] : rules.exemption_reasons())
      known += (known.empty() ? "" : ", ") + code;
    return Status::InvalidArgument("reason", "reason must be one of: " + known);
  }
  return d;
}

namespace {

Result<bool> PersonExists(store::Connection& conn, std::int64_t id) {
  return store::RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", id);
}

Result<bool> ProjectExists(store::Connection& conn, const std::string& code) {
  return store::RowExists(conn, "SELECT 1 FROM projects WHERE code = ?", code);
}

// Working days of [from, to] per "YYYY-MM" and per "YYYY".
void CountLeaveDays(const registry::Rulebook& rules, const Date& from, const Date& to,
                    std::map<std::string, int>& per_month, std::map<std::string, int>& per_year) {
  for (Date day = from; day <= to; day = day.AddDays(1)) {
    if (!rules.IsWorkingDay(day)) continue;
    const std::string ymd = day.ToString();
    ++per_month[ymd.substr(0, 7)];
    ++per_year[ymd.substr(0, 4)];
  }
}

json LeaveJson(const store::Statement& s) {
  return {{"id", s.Int(0)},
          {"person_id", s.Int(1)},
          {"project_code", s.OptText(2) ? json(*s.OptText(2)) : json(nullptr)},
          {"from_date", s.Text(3)},
          {"to_date", s.Text(4)},
          {"reason", s.OptText(5) ? json(*s.OptText(5)) : json(nullptr)},
          {"approved_by", s.Text(6)},
          {"created_at", FormatRfc3339(s.Int(7))}};
}

json ExemptionJson(const store::Statement& s) {
  return {{"id", s.Int(0)},
          {"person_id", s.Int(1)},
          {"project_code", s.Text(2)},
          {"reason", s.Text(3)},
          {"note", s.OptText(4) ? json(*s.OptText(4)) : json(nullptr)},
          {"approved_by", s.Text(5)},
          {"valid_to", s.OptText(6) ? json(*s.OptText(6)) : json(nullptr)},
          {"created_at", FormatRfc3339(s.Int(7))},
          {"revoked_at", s.OptInt(8) ? json(FormatRfc3339(*s.OptInt(8))) : json(nullptr)}};
}

// The exemptions that state a fact of the project are granted only while it is true: a project
// past completion acceptance is `completed`; one stopped long enough has been suspended since
// at least `stopped_days` ago (PATCH /api/v1/projects/{code} records both).
Status CheckExemptionApplies(store::Connection& conn, const ExemptionDraft& d,
                             const registry::Rulebook& rules) {
  if (d.reason != "completion_accepted" && d.reason != "stopped_120_days") return Status::Ok();
  auto s = conn.Prepare("SELECT status, suspended_on FROM projects WHERE code = ?");
  s.Bind(1, d.project_code);
  if (!s.Step()) return s.status();
  const std::string status = s.Text(0);
  if (d.reason == "completion_accepted") {
    if (status == "completed") return Status::Ok();
    return Status::Rule("exemption_not_applicable", "reason",
                        "project " + d.project_code + " is " + status +
                            ", not completed: completion_accepted does not apply");
  }
  const std::optional<std::string> since = s.OptText(1);
  const Date today = TodayInChina();
  if (status == "suspended" && since) {
    auto day = Date::Parse(*since, "suspended_on");
    if (day.ok() && today.DaysSinceEpoch() - day->DaysSinceEpoch() >= rules.stopped_days())
      return Status::Ok();
  }
  return Status::Rule("exemption_not_applicable", "reason",
                      "project " + d.project_code + " has not stopped for " +
                          std::to_string(rules.stopped_days()) + " days (" + status +
                          (since ? " since " + *since : "") + ")");
}

constexpr const char* kLeaveColumns =
    "id, person_id, project_code, from_date, to_date, reason, approved_by, created_at";
constexpr const char* kExemptionColumns =
    "id, person_id, project_code, reason, note, approved_by, valid_to, created_at, revoked_at";

}  // namespace

Result<json> Records::AddLeave(store::Connection& conn, std::int64_t person_id, const LeaveDraft& d,
                               const std::string& approved_by) const {
  ZZ_ASSIGN_OR_RETURN(const bool person_known, PersonExists(conn, person_id));
  if (!person_known) return Status::NotFound("no person " + std::to_string(person_id));
  if (d.project_code) {
    ZZ_ASSIGN_OR_RETURN(const bool project_known, ProjectExists(conn, *d.project_code));
    if (!project_known) {
      return Status::Rule("project_not_registered", "project_code",
                          "project " + *d.project_code + " is not registered");
    }
  }
  // Leave limits (domain.md: ≤ 6 working days a month, ≤ 20 a year), counted with what is
  // already approved in the same months and years.
  const registry::Rulebook& rules = engine_->detectors().rules();
  std::map<std::string, int> month, year;
  CountLeaveDays(rules, d.from, d.to, month, year);
  {
    auto s = conn.Prepare(
        "SELECT from_date, to_date FROM leaves WHERE person_id = ? AND to_date >= ? AND "
        "from_date <= ?");
    s.Bind(1, person_id)
        .Bind(2, d.from.ToString().substr(0, 4) + "-01-01")
        .Bind(3, d.to.ToString().substr(0, 4) + "-12-31");
    std::map<std::string, int> old_month, old_year;
    while (s.Step()) {
      auto from = Date::Parse(s.Text(0), "from_date");
      auto to = Date::Parse(s.Text(1), "to_date");
      if (from.ok() && to.ok()) CountLeaveDays(rules, *from, *to, old_month, old_year);
    }
    ZZ_RETURN_IF_ERROR(s.status());
    const auto& p = rules.presence();
    for (const auto& [m, n] : month) {
      if (n + old_month[m] > p.leave_days_per_month) {
        return Status::Rule("leave_limit_exceeded", "to_date",
                            "leave in " + m + " would be " + std::to_string(n + old_month[m]) +
                                " working days; the limit is " +
                                std::to_string(p.leave_days_per_month) + " a month");
      }
    }
    for (const auto& [y, n] : year) {
      if (n + old_year[y] > p.leave_days_per_year) {
        return Status::Rule("leave_limit_exceeded", "to_date",
                            "leave in " + y + " would be " + std::to_string(n + old_year[y]) +
                                " working days; the limit is " +
                                std::to_string(p.leave_days_per_year) + " a year");
      }
    }
  }
  ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO leaves(person_id, project_code, from_date, "
                                  "to_date, reason, approved_by, created_at) "
                                  "VALUES (?,?,?,?,?,?,?)")
                         .Bind(1, person_id)
                         .Bind(2, d.project_code)
                         .Bind(3, d.from.ToString())
                         .Bind(4, d.to.ToString())
                         .Bind(5, d.reason)
                         .Bind(6, approved_by)
                         .Bind(7, NowUnixMs())
                         .Run());
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(engine_->OnPersonChanged(conn, person_id));
  auto s = conn.Prepare(std::string("SELECT ") + kLeaveColumns + " FROM leaves WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::Internal("leave vanished");
  }
  return LeaveJson(s);
}

Result<json> Records::ListLeaves(store::Connection& conn, std::int64_t person_id) const {
  ZZ_ASSIGN_OR_RETURN(const bool person_known, PersonExists(conn, person_id));
  if (!person_known) return Status::NotFound("no person " + std::to_string(person_id));
  auto s = conn.Prepare(std::string("SELECT ") + kLeaveColumns +
                        " FROM leaves WHERE person_id = ? ORDER BY from_date, id");
  s.Bind(1, person_id);
  json items = json::array();
  while (s.Step())
    items.push_back(LeaveJson(s));
  ZZ_RETURN_IF_ERROR(s.status());
  return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
}

Result<json> Records::AddExemption(store::Connection& conn, const ExemptionDraft& d,
                                   const std::string& approved_by) const {
  ZZ_ASSIGN_OR_RETURN(const bool person_known, PersonExists(conn, d.person_id));
  if (!person_known) {
    return Status::Rule("person_not_registered", "person_id",
                        "person " + std::to_string(d.person_id) + " is not registered");
  }
  ZZ_ASSIGN_OR_RETURN(const bool project_known, ProjectExists(conn, d.project_code));
  if (!project_known) {
    return Status::Rule("project_not_registered", "project_code",
                        "project " + d.project_code + " is not registered");
  }
  {
    auto s =
        conn.Prepare("SELECT 1 FROM enrolments WHERE person_id = ? AND project_code = ? LIMIT 1");
    s.Bind(1, d.person_id).Bind(2, d.project_code);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::Rule("not_enrolled", "project_code",
                          "the person holds no post on project " + d.project_code);
    }
  }
  ZZ_RETURN_IF_ERROR(CheckExemptionApplies(conn, d, engine_->detectors().rules()));
  ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO post_exemptions(person_id, project_code, reason, "
                                  "note, approved_by, valid_to, created_at) "
                                  "VALUES (?,?,?,?,?,?,?)")
                         .Bind(1, d.person_id)
                         .Bind(2, d.project_code)
                         .Bind(3, d.reason)
                         .Bind(4, d.note)
                         .Bind(5, approved_by)
                         .Bind(6, d.valid_to ? std::optional(d.valid_to->ToString()) : std::nullopt)
                         .Bind(7, NowUnixMs())
                         .Run());
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(engine_->OnPersonChanged(conn, d.person_id));
  auto s = conn.Prepare(std::string("SELECT ") + kExemptionColumns +
                        " FROM post_exemptions WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::Internal("exemption vanished");
  }
  return ExemptionJson(s);
}

Result<json> Records::RevokeExemption(store::Connection& conn, std::int64_t id) const {
  std::int64_t person = 0;
  {
    auto s = conn.Prepare("SELECT person_id, revoked_at FROM post_exemptions WHERE id = ?");
    s.Bind(1, id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no exemption " + std::to_string(id));
    }
    if (!s.IsNull(1)) {
      return Status::Conflict("already_revoked", "id", "the exemption is already revoked");
    }
    person = s.Int(0);
  }
  ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE post_exemptions SET revoked_at = ? WHERE id = ?")
                         .Bind(1, NowUnixMs())
                         .Bind(2, id)
                         .Run());
  ZZ_RETURN_IF_ERROR(engine_->OnPersonChanged(conn, person));
  auto s = conn.Prepare(std::string("SELECT ") + kExemptionColumns +
                        " FROM post_exemptions WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::Internal("exemption vanished");
  }
  return ExemptionJson(s);
}

Result<std::string> Records::ExemptionProject(store::Connection& conn, std::int64_t id) const {
  auto s = conn.Prepare("SELECT project_code FROM post_exemptions WHERE id = ?");
  s.Bind(1, id);
  if (s.Step()) return s.Text(0);
  ZZ_RETURN_IF_ERROR(s.status());
  return Status::NotFound("no exemption " + std::to_string(id));
}

Result<json> Records::ListExemptions(store::Connection& conn,
                                     std::optional<std::int64_t> person_id) const {
  auto s = conn.Prepare(std::string("SELECT ") + kExemptionColumns +
                        " FROM post_exemptions WHERE ? IS NULL OR person_id = ? ORDER BY id");
  s.Bind(1, person_id).Bind(2, person_id);
  json items = json::array();
  while (s.Step())
    items.push_back(ExemptionJson(s));
  ZZ_RETURN_IF_ERROR(s.status());
  return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
}

}  // namespace zhizhi::alerts
