#include "alerts/alert_book.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>

#include "base/civil_time.h"

namespace zhizhi::alerts {

using nlohmann::json;

const std::vector<std::string>& PersonScopedTypes() {
  static const std::vector<std::string> types = {
      type::kPostConflict,         type::kPostUncertified,          type::kCertificateExpiring,
      type::kCertificateExpired,   type::kKeyPersonAbsent,          type::kWorkerUnseen,
      type::kExitedButSeen,        type::kDuplicateIdentity,        type::kResidenceOverdue,
      type::kUnregisteredPresence, type::kResidenceNotDeregistered, type::kImpossibleTravel};
  return types;
}

const std::vector<std::string>& ProjectScopedTypes() {
  static const std::vector<std::string> types = {type::kPostVacant, type::kDeviceOffline,
                                                 type::kClockSkew};
  return types;
}

const std::vector<std::string>& BaseDataTypes() {
  static const std::vector<std::string> types = {
      type::kHouseOvercrowded, type::kWorkerNotInPopulation, type::kUnitAddressNotStandard,
      type::kPersonTwoResidences};
  return types;
}

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> types = {
      type::kAccessRefusalBurst, type::kTerminalImpersonation, type::kTerminalUnregistered};
  return types;
}

const std::vector<std::string>& IotTypes() {
  static const std::vector<std::string> types = {
      type::kFireAlarm,      type::kFireFault,
      type::kElectricalFire, type::kWaterPressureLow,
      type::kCraneOverload,  type::kCraneWind,
      type::kCraneTilt,      type::kCraneUnauthorisedOperator,
      type::kIotOffline};
  return types;
}

bool IsKnownType(std::string_view t) {
  auto has = [&](const auto& list) { return std::find(list.begin(), list.end(), t) != list.end(); };
  return has(PersonScopedTypes()) || has(ProjectScopedTypes()) || has(BaseDataTypes()) ||
         has(EventTypes()) || has(IotTypes());
}

namespace {

constexpr const char* kColumns =
    "id, type, severity, status, subject_kind, subject_id, project_code, person_id, device_id, "
    "message, evidence, detail, first_seen, last_seen, acknowledged_at, acknowledged_by, "
    "resolved_at, resolved_by, resolution, note";

json OptTime(const store::Statement& s, int column) {
  auto v = s.OptInt(column);
  return v ? json(FormatRfc3339(*v)) : json(nullptr);
}

json OptTextJson(const store::Statement& s, int column) {
  auto v = s.OptText(column);
  return v ? json(*v) : json(nullptr);
}

json RowJson(const store::Statement& s) {
  json a = {{"id", s.Int(0)},
            {"type", s.Text(1)},
            {"severity", s.Text(2)},
            {"status", s.Text(3)},
            {"subject_kind", s.Text(4)},
            {"subject_id", s.Text(5)},
            {"project_code", OptTextJson(s, 6)},
            {"person_id", s.IsNull(7) ? json(nullptr) : json(s.Int(7))},
            {"device_id", s.IsNull(8) ? json(nullptr) : json(s.Int(8))},
            {"message", s.Text(9)},
            {"evidence", json::parse(s.Text(10), nullptr, false)},
            {"detail", json::parse(s.Text(11), nullptr, false)},
            {"first_seen", FormatRfc3339(s.Int(12))},
            {"last_seen", FormatRfc3339(s.Int(13))},
            {"acknowledged_at", OptTime(s, 14)},
            {"acknowledged_by", OptTextJson(s, 15)},
            {"resolved_at", OptTime(s, 16)},
            {"resolved_by", OptTextJson(s, 17)},
            {"resolution", OptTextJson(s, 18)},
            {"note", OptTextJson(s, 19)}};
  return a;
}

Status StepError(const store::Statement& s) {
  return s.status();
}

Status History(store::Connection& conn, std::int64_t alert_id, std::int64_t at, const char* action,
               const std::string& actor, const std::optional<std::string>& note) {
  return conn
      .Prepare("INSERT INTO alert_history(alert_id, at, action, actor, note) VALUES (?,?,?,?,?)")
      .Bind(1, alert_id)
      .Bind(2, at)
      .Bind(3, action)
      .Bind(4, actor)
      .Bind(5, note)
      .Run();
}

struct Active {
  std::int64_t id;
  std::string severity, message, evidence, detail;
};

// Loads the active alerts owned by `scope`, keyed by alert_key.
Result<std::map<std::string, Active>> LoadActive(store::Connection& conn, const Scope& scope) {
  std::map<std::string, Active> out;
  auto collect = [&](store::Statement& s) -> Status {
    while (s.Step()) {
      out.emplace(s.Text(0), Active{s.Int(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
    }
    return s.status();
  };
  constexpr const char* kSelect =
      "SELECT alert_key, id, severity, message, evidence, detail FROM alerts ";
  auto in_list = [](const std::vector<std::string>& types) {
    std::string sql = "(";
    for (size_t i = 0; i < types.size(); ++i)
      sql += (i ? ",'" : "'") + types[i] + "'";
    return sql + ")";
  };
  if (scope.all) {
    auto s = conn.Prepare(std::string(kSelect) + "WHERE status != 'resolved'");
    ZZ_RETURN_IF_ERROR(collect(s));
    return out;
  }
  const std::string person_sql = std::string(kSelect) +
                                 "WHERE person_id = ? AND status != 'resolved' AND type IN " +
                                 in_list(PersonScopedTypes());
  for (std::int64_t person : scope.persons) {
    auto s = conn.Prepare(person_sql);
    s.Bind(1, person);
    ZZ_RETURN_IF_ERROR(collect(s));
  }
  const std::string project_sql = std::string(kSelect) +
                                  "WHERE project_code = ? AND status != 'resolved' AND type IN " +
                                  in_list(ProjectScopedTypes());
  for (const std::string& project : scope.projects) {
    auto s = conn.Prepare(project_sql);
    s.Bind(1, project);
    ZZ_RETURN_IF_ERROR(collect(s));
  }
  for (const std::string& type : scope.types) {
    auto s = conn.Prepare(std::string(kSelect) + "WHERE type = ? AND status != 'resolved'");
    s.Bind(1, type);
    ZZ_RETURN_IF_ERROR(collect(s));
  }
  return out;
}

}  // namespace

namespace {

std::atomic<std::shared_ptr<const AlertBook::OpenedListener>>& Listener() {
  static std::atomic<std::shared_ptr<const AlertBook::OpenedListener>> listener;
  return listener;
}

}  // namespace

void AlertBook::SetOpenedListener(OpenedListener listener) {
  Listener().store(listener ? std::make_shared<const OpenedListener>(std::move(listener))
                            : nullptr);
}

Status AlertBook::Raise(store::Connection& conn, const AlertDraft& d, std::int64_t now_ms) {
  Scope none;  // owns nothing: the draft is added or refreshed, nothing else is touched
  auto s = conn.Prepare("SELECT id FROM alerts WHERE alert_key = ? AND status != 'resolved'");
  s.Bind(1, d.key);
  if (s.Step()) {
    const std::int64_t id = s.Int(0);
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE alerts SET severity = ?, message = ?, evidence = ?, "
                                    "detail = ?, last_seen = ? WHERE id = ?")
                           .Bind(1, d.severity)
                           .Bind(2, d.message)
                           .Bind(3, d.evidence.dump())
                           .Bind(4, d.detail.dump())
                           .Bind(5, now_ms)
                           .Bind(6, id)
                           .Run());
    return History(conn, id, now_ms, "changed", "system", d.message);
  }
  ZZ_RETURN_IF_ERROR(s.status());
  return Reconcile(conn, none, {d}, now_ms).status();
}

Result<std::optional<std::int64_t>> AlertBook::ActiveId(store::Connection& conn,
                                                        const std::string& key) {
  auto s = conn.Prepare("SELECT id FROM alerts WHERE alert_key = ? AND status != 'resolved'");
  s.Bind(1, key);
  if (s.Step()) return std::optional<std::int64_t>(s.Int(0));
  ZZ_RETURN_IF_ERROR(s.status());
  return std::optional<std::int64_t>();
}

Status AlertBook::Clear(store::Connection& conn, const std::string& key, std::int64_t now_ms,
                        const std::string& why) {
  ZZ_ASSIGN_OR_RETURN(auto id, ActiveId(conn, key));
  if (!id) return Status::Ok();
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = "
                   "'system', resolution = 'auto', last_seen = ? WHERE id = ?")
          .Bind(1, now_ms)
          .Bind(2, now_ms)
          .Bind(3, *id)
          .Run());
  return History(conn, *id, now_ms, "resolved", "system", why);
}

Result<ReconcileCounts> AlertBook::Reconcile(store::Connection& conn, const Scope& scope,
                                             std::vector<AlertDraft> drafts, std::int64_t now_ms) {
  ZZ_ASSIGN_OR_RETURN(auto active, LoadActive(conn, scope));
  ReconcileCounts counts;
  for (AlertDraft& d : drafts) {
    const std::string evidence = d.evidence.dump();
    const std::string detail = d.detail.dump();
    auto it = active.find(d.key);
    if (it != active.end()) {
      const Active& a = it->second;
      const bool changed = a.severity != d.severity || a.message != d.message ||
                           a.evidence != evidence || a.detail != detail;
      if (changed) {
        // What it is about moves with it (a later attempt of a duplicate identity at another
        // project's gate belongs to that project).
        ZZ_RETURN_IF_ERROR(
            conn.Prepare("UPDATE alerts SET severity = ?, message = ?, evidence = ?, detail = ?, "
                         "last_seen = ?, project_code = ?, device_id = ? WHERE id = ?")
                .Bind(1, d.severity)
                .Bind(2, d.message)
                .Bind(3, evidence)
                .Bind(4, detail)
                .Bind(5, now_ms)
                .Bind(6, d.project_code)
                .Bind(7, d.device_id)
                .Bind(8, a.id)
                .Run());
        ZZ_RETURN_IF_ERROR(History(conn, a.id, now_ms, "changed", "system", d.message));
        ++counts.refreshed;
      }
      active.erase(it);
      continue;
    }
    auto insert = conn.Prepare(
        "INSERT INTO alerts(type, severity, alert_key, subject_kind, subject_id, project_code, "
        "person_id, device_id, message, evidence, detail, status, first_seen, last_seen) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,'open',?,?)");
    insert.Bind(1, d.type).Bind(2, d.severity).Bind(3, d.key).Bind(4, d.subject_kind);
    insert.Bind(5, d.subject_id).Bind(6, d.project_code).Bind(7, d.person_id);
    insert.Bind(8, d.device_id).Bind(9, d.message).Bind(10, evidence).Bind(11, detail);
    insert.Bind(12, now_ms).Bind(13, now_ms);
    ZZ_RETURN_IF_ERROR(insert.Run());
    const std::int64_t id = conn.LastInsertRowId();
    ZZ_RETURN_IF_ERROR(History(conn, id, now_ms, "opened", "system", {}));
    if (const auto listener = Listener().load()) ZZ_RETURN_IF_ERROR((*listener)(conn, id, d));
    ++counts.opened;
  }
  // What is left is no longer true: resolve it automatically.
  for (const auto& [key, a] : active) {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE alerts SET status = 'resolved', resolved_at = ?, resolved_by = "
                     "'system', resolution = 'auto', last_seen = ? WHERE id = ?")
            .Bind(1, now_ms)
            .Bind(2, now_ms)
            .Bind(3, a.id)
            .Run());
    ZZ_RETURN_IF_ERROR(
        History(conn, a.id, now_ms, "resolved", "system", std::string("condition cleared")));
    ++counts.resolved;
  }
  return counts;
}

namespace {

Result<std::string> StatusOf(store::Connection& conn, std::int64_t id) {
  auto s = conn.Prepare("SELECT status FROM alerts WHERE id = ?");
  s.Bind(1, id);
  if (s.Step()) return s.Text(0);
  ZZ_RETURN_IF_ERROR(StepError(s));
  return Status::NotFound("no alert with id " + std::to_string(id), "id");
}

}  // namespace

Result<json> AlertBook::Acknowledge(store::Connection& conn, std::int64_t id,
                                    const std::string& actor, const std::string& note,
                                    std::int64_t now_ms) {
  ZZ_ASSIGN_OR_RETURN(std::string status, StatusOf(conn, id));
  if (status == "resolved") {
    return Status::Conflict("invalid_transition", "status", "the alert is already resolved");
  }
  if (status == "open") {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("UPDATE alerts SET status = 'acknowledged', acknowledged_at = ?, "
                     "acknowledged_by = ?, note = COALESCE(?, note) WHERE id = ?")
            .Bind(1, now_ms)
            .Bind(2, actor)
            .Bind(3, note.empty() ? std::optional<std::string>() : note)
            .Bind(4, id)
            .Run());
    ZZ_RETURN_IF_ERROR(History(conn, id, now_ms, "acknowledged", actor,
                               note.empty() ? std::optional<std::string>() : note));
  }
  // Acknowledging an acknowledged alert is a no-op that answers the alert (idempotent retries).
  return Get(conn, id, /*with_history=*/false);
}

Result<json> AlertBook::Resolve(store::Connection& conn, std::int64_t id, const std::string& actor,
                                const std::string& note, std::int64_t now_ms) {
  ZZ_ASSIGN_OR_RETURN(std::string status, StatusOf(conn, id));
  if (status == "resolved") {
    return Status::Conflict("invalid_transition", "status", "the alert is already resolved");
  }
  ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE alerts SET status = 'resolved', resolved_at = ?, "
                                  "resolved_by = ?, resolution = 'manual', note = ? WHERE id = ?")
                         .Bind(1, now_ms)
                         .Bind(2, actor)
                         .Bind(3, note)
                         .Bind(4, id)
                         .Run());
  ZZ_RETURN_IF_ERROR(History(conn, id, now_ms, "resolved", actor, note));
  return Get(conn, id, /*with_history=*/false);
}

Result<json> AlertBook::Get(store::Connection& conn, std::int64_t id, bool with_history) {
  auto s = conn.Prepare(std::string("SELECT ") + kColumns + " FROM alerts WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(s));
    return Status::NotFound("no alert with id " + std::to_string(id), "id");
  }
  json a = RowJson(s);
  if (with_history) {
    json history = json::array();
    auto h = conn.Prepare(
        "SELECT at, action, actor, note FROM alert_history WHERE alert_id = ? ORDER BY id");
    h.Bind(1, id);
    while (h.Step()) {
      history.push_back({{"at", FormatRfc3339(h.Int(0))},
                         {"action", h.Text(1)},
                         {"actor", h.Text(2)},
                         {"note", OptTextJson(h, 3)}});
    }
    ZZ_RETURN_IF_ERROR(StepError(h));
    a["history"] = std::move(history);
  }
  return a;
}

Result<std::optional<std::string>> AlertBook::ProjectOf(store::Connection& conn, std::int64_t id) {
  auto s = conn.Prepare("SELECT project_code FROM alerts WHERE id = ?");
  s.Bind(1, id);
  if (s.Step()) return s.OptText(0);
  ZZ_RETURN_IF_ERROR(StepError(s));
  return Status::NotFound("no alert with id " + std::to_string(id), "id");
}

Result<json> AlertBook::List(store::Connection& conn, const AlertFilter& f, const store::Page& page,
                             const security::Principal& principal) {
  // One WHERE clause for the page and the counts; values are bound, never spliced.
  std::string where = " WHERE 1=1";
  std::vector<std::string> texts;
  std::optional<std::int64_t> person;
  if (f.type) {
    where += " AND type = ?";
    texts.push_back(*f.type);
  }
  if (f.severity) {
    where += " AND severity = ?";
    texts.push_back(*f.severity);
  }
  if (f.project) {
    where += " AND project_code = ?";
    texts.push_back(*f.project);
  }
  if (f.status && *f.status == "active") {
    where += " AND status != 'resolved'";
  } else if (f.status && *f.status != "all") {
    where += " AND status = ?";
    texts.push_back(*f.status);
  }
  if (!principal.all_projects) {
    where += " AND project_code IN (";
    for (size_t i = 0; i < principal.projects.size(); ++i) {
      where += i ? ",?" : "?";
      texts.push_back(principal.projects[i]);
    }
    where += principal.projects.empty() ? "NULL)" : ")";
  }
  if (f.person_id) where += " AND person_id = ?";
  auto bind = [&](store::Statement& s) {
    int i = 1;
    for (const std::string& t : texts)
      s.Bind(i++, t);
    if (f.person_id) s.Bind(i++, *f.person_id);
    return i;
  };

  std::string page_sql = std::string("SELECT ") + kColumns + " FROM alerts" + where;
  if (page.after_id != 0) page_sql += " AND id < ?";
  page_sql += " ORDER BY id DESC LIMIT ?";
  auto s = conn.Prepare(page_sql);
  int next = bind(s);
  if (page.after_id != 0) s.Bind(next++, page.after_id);
  s.Bind(next, page.limit + 1);
  json items = json::array();
  std::int64_t last_id = 0;
  bool more = false;
  while (s.Step()) {
    if (static_cast<int>(items.size()) == page.limit) {
      more = true;
      break;
    }
    last_id = s.Int(0);
    items.push_back(RowJson(s));
  }
  ZZ_RETURN_IF_ERROR(StepError(s));

  json counts = {{"total", 0},
                 {"by_type", json::object()},
                 {"by_severity", json::object()},
                 {"by_project", json::object()}};
  auto c = conn.Prepare("SELECT type, severity, COALESCE(project_code, ''), COUNT(*) FROM alerts" +
                        where + " GROUP BY 1, 2, 3");
  bind(c);
  std::int64_t total = 0;
  while (c.Step()) {
    const std::int64_t n = c.Int(3);
    total += n;
    auto add = [n](json& obj, const std::string& k) {
      obj[k] = obj.value(k, static_cast<std::int64_t>(0)) + n;
    };
    add(counts["by_type"], c.Text(0));
    add(counts["by_severity"], c.Text(1));
    if (!c.Text(2).empty()) add(counts["by_project"], c.Text(2));
  }
  ZZ_RETURN_IF_ERROR(StepError(c));
  counts["total"] = total;
  return json{
      {"items", std::move(items)},
      {"next_cursor", more ? json(page.NextCursor(std::to_string(last_id))) : json(nullptr)},
      {"counts", std::move(counts)}};
}

}  // namespace zhizhi::alerts
