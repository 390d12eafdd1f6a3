// Registry: enrolments — enrolling, exits, dormitory moves, an enrolment, a project's workers.
#include "registry/registry.h"

#include "registry/code_lists.h"
#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

namespace {

constexpr const char* kWorkerSelect =
    "SELECT e.id, e.person_id, pe.name, pe.id_masked, pe.id_cipher, e.work_role, e.work_type, "
    "e.post, e.team_id, t.name, e.uscc, c.name, e.entry_date, e.exit_date, e.dorm_address, "
    "e.project_code, e.card_no, e.exit_reason, e.dorm_community, e.dorm_standard, "
    "e.dorm_address_id FROM enrolments e "
    "JOIN persons pe ON pe.id = e.person_id "
    "LEFT JOIN teams t ON t.id = e.team_id LEFT JOIN corps c ON c.uscc = e.uscc";

}  // namespace

Result<std::int64_t> Registry::Enrol(store::Connection& conn, const std::string& project,
                                     const EnrolmentDraft& d) {
  {
    auto stmt = conn.Prepare("SELECT status FROM projects WHERE code = ?");
    stmt.Bind(1, project);
    if (!stmt.Step()) {
      ZZ_RETURN_IF_ERROR(StepError(stmt));
      return Status::NotFound("no project " + project);
    }
    if (stmt.Text(0) == "completed") {
      return Status::Rule("project_completed", "",
                          "project " + project + " is completed; nobody can be enrolled");
    }
  }
  ZZ_ASSIGN_OR_RETURN(const bool person_known,
                      RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", d.person_id));
  if (!person_known) {
    return Status::Rule("person_not_found", "person_id",
                        "no person " + std::to_string(d.person_id));
  }
  ZZ_RETURN_IF_ERROR(CorpMustBeOnProject(conn, project, d.uscc));
  if (d.team_id) {
    auto stmt = conn.Prepare("SELECT project_code, uscc FROM teams WHERE id = ?");
    stmt.Bind(1, *d.team_id);
    if (!stmt.Step()) {
      ZZ_RETURN_IF_ERROR(StepError(stmt));
      return Status::Rule("team_not_found", "team_id", "no team " + std::to_string(*d.team_id));
    }
    if (stmt.Text(0) != project) {
      return Status::Rule("team_not_on_project", "team_id",
                          "team " + std::to_string(*d.team_id) + " belongs to another project");
    }
    if (stmt.Text(1) != d.uscc) {
      return Status::Rule("team_corp_mismatch", "uscc",
                          "team " + std::to_string(*d.team_id) + " belongs to corp " +
                              stmt.Text(1) + ", not " + d.uscc);
    }
  }
  {
    // One identity type per ID per project: an open enrolment decides the role.
    auto stmt = conn.Prepare(
        "SELECT id, work_role FROM enrolments WHERE project_code = ? AND person_id = ? "
        "AND exit_date IS NULL");
    stmt.Bind(1, project).Bind(2, d.person_id);
    if (stmt.Step()) {
      if (stmt.Text(1) != d.work_role) {
        return Status::Conflict("identity_conflict", "work_role",
                                "the person is already enrolled on " + project +
                                    " with work_role " + stmt.Text(1) +
                                    "; one identity type per ID per project")
            .With("id", stmt.Int(0));
      }
      return Status::AlreadyExists("person_id", "the person is already enrolled on " + project)
          .With("id", stmt.Int(0));
    }
    ZZ_RETURN_IF_ERROR(StepError(stmt));
  }
  auto stmt = conn.Prepare(
      "INSERT INTO enrolments(project_code, person_id, team_id, uscc, work_role, work_type, post, "
      "entry_date, dorm_address, created_at, card_no) VALUES (?,?,?,?,?,?,?,?,?,?,?)");
  stmt.Bind(1, project).Bind(2, d.person_id).Bind(3, d.team_id).Bind(4, d.uscc);
  stmt.Bind(5, d.work_role).Bind(6, d.work_type).Bind(7, d.post);
  stmt.Bind(8, d.entry_date.ToString()).Bind(9, d.dorm_address).Bind(10, NowUnixMs());
  stmt.Bind(11, d.card_no);
  ZZ_RETURN_IF_ERROR(stmt.Run());
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(SettleDormitory(conn, id, d.dorm_address));
  ZZ_RETURN_IF_ERROR(PersonChanged(conn, d.person_id));
  return id;
}

Status Registry::SettleDormitories(store::Database& db) {
  if (addresses_ == nullptr) return Status::Ok();
  ZZ_RETURN_IF_ERROR(addresses_->Get().status());
  struct Row {
    std::int64_t id, person;
    std::string address;
  };
  std::vector<Row> rows;
  ZZ_RETURN_IF_ERROR(db.Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT id, person_id, dorm_address FROM enrolments WHERE dorm_address IS NOT NULL AND "
        "dorm_address != '' AND dorm_standard IS NULL AND exit_date IS NULL ORDER BY id");
    while (s.Step())
      rows.push_back({s.Int(0), s.Int(1), s.Text(2)});
    return s.status();
  }));
  constexpr size_t kChunk = 200;
  for (size_t begin = 0; begin < rows.size(); begin += kChunk) {
    ZZ_RETURN_IF_ERROR(db.Write([&](store::Connection& conn) -> Status {
      for (size_t i = begin; i < std::min(rows.size(), begin + kChunk); ++i) {
        ZZ_RETURN_IF_ERROR(SettleDormitory(conn, rows[i].id, rows[i].address));
        ZZ_RETURN_IF_ERROR(PersonChanged(conn, rows[i].person));
      }
      return Status::Ok();
    }));
  }
  return Status::Ok();
}

Status Registry::SettleDormitory(store::Connection& conn, std::int64_t enrolment,
                                 const std::optional<std::string>& dorm_address) const {
  std::optional<address::SettledAddress> settled;
  if (addresses_ != nullptr && dorm_address && !dorm_address->empty()) {
    ZZ_ASSIGN_OR_RETURN(settled, addresses_->Settle(*dorm_address));
  }
  return conn
      .Prepare(
          "UPDATE enrolments SET dorm_community = ?, dorm_standard = ?, dorm_address_id = ? "
          "WHERE id = ?")
      .Bind(1, settled ? settled->community : std::nullopt)
      .Bind(2, settled && !settled->canonical.empty() ? std::optional(settled->canonical)
                                                      : std::nullopt)
      .Bind(3, settled ? settled->standard_address_id : std::nullopt)
      .Bind(4, enrolment)
      .Run();
}

Status Registry::Exit(store::Connection& conn, const std::string& project, std::int64_t person_id,
                      const ExitDraft& d) {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  auto stmt = conn.Prepare(
      "SELECT id, entry_date FROM enrolments WHERE project_code = ? AND person_id = ? "
      "AND exit_date IS NULL");
  stmt.Bind(1, project).Bind(2, person_id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    auto past =
        conn.Prepare("SELECT 1 FROM enrolments WHERE project_code = ? AND person_id = ? LIMIT 1");
    past.Bind(1, project).Bind(2, person_id);
    if (past.Step()) {
      return Status::Conflict(
          "already_exited", "",
          "person " + std::to_string(person_id) + " has already exited " + project);
    }
    ZZ_RETURN_IF_ERROR(StepError(past));
    return Status::NotFound("person " + std::to_string(person_id) + " is not enrolled on " +
                            project);
  }
  const std::int64_t enrolment_id = stmt.Int(0);
  const std::string entry = stmt.Text(1);
  if (d.exit_date.ToString() < entry) {
    return Status::Rule(
        "exit_before_entry", "exit_date",
        "exit_date " + d.exit_date.ToString() + " is before the entry date " + entry);
  }
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE enrolments SET exit_date = ?, exited_at = ?, exit_reason = ? "
                   "WHERE id = ?")
          .Bind(1, d.exit_date.ToString())
          .Bind(2, NowUnixMs())
          .Bind(3, d.reason)
          .Bind(4, enrolment_id)
          .Run());
  return PersonChanged(conn, person_id);
}

Status Registry::MoveDormitory(store::Connection& conn, const std::string& project,
                               std::int64_t person_id, const DormMove& d) {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  auto stmt = conn.Prepare(
      "SELECT id, entry_date, dorm_address, dorm_standard FROM enrolments WHERE "
      "project_code = ? AND person_id = ? AND exit_date IS NULL");
  stmt.Bind(1, project).Bind(2, person_id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("person " + std::to_string(person_id) + " is not enrolled on " +
                            project);
  }
  const std::int64_t enrolment_id = stmt.Int(0);
  const std::string entry = stmt.Text(1);
  if (stmt.OptText(2) == d.dorm_address) {
    // The same dormitory again: nothing moves, but an address never settled is settled now.
    if (!stmt.IsNull(3)) return Status::Ok();
    ZZ_RETURN_IF_ERROR(SettleDormitory(conn, enrolment_id, d.dorm_address));
    return PersonChanged(conn, person_id);
  }
  const Date moved_on = d.moved_on.value_or(TodayInChina());
  if (moved_on.ToString() < entry) {
    return Status::Rule("move_before_entry", "moved_on",
                        "moved_on " + moved_on.ToString() + " is before the entry date " + entry);
  }
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE enrolments SET dorm_address = ?, dorm_since = ? WHERE id = ?")
          .Bind(1, d.dorm_address)
          .Bind(2, moved_on.ToString())
          .Bind(3, enrolment_id)
          .Run());
  ZZ_RETURN_IF_ERROR(SettleDormitory(conn, enrolment_id, d.dorm_address));
  return PersonChanged(conn, person_id);
}

// One enrolment row of kWorkerSelect as JSON.
json Registry::WorkerJson(const store::Statement& s, bool full_ids) const {
  return {{"id", s.Int(0)},
          {"project_code", s.Text(15)},
          {"person_id", s.Int(1)},
          {"name", s.Text(2)},
          {"id_number", ShownIdNumber(s.Blob(4), s.Text(3), full_ids)},
          {"work_role", s.Text(5)},
          {"work_type", s.Text(6)},
          {"work_type_name", NameOf(WorkTypes(), s.Text(6))},
          {"post", OptJson(s.OptText(7))},
          {"team_id", OptJson(s.OptInt(8))},
          {"team_name", OptJson(s.OptText(9))},
          {"uscc", s.Text(10)},
          {"corp_name", OptJson(s.OptText(11))},
          {"entry_date", s.Text(12)},
          {"exit_date", OptJson(s.OptText(13))},
          {"dorm_address", OptJson(s.OptText(14))},
          {"card_no", OptJson(s.OptText(16))},
          {"exit_reason", OptJson(s.OptText(17))},
          {"dorm_community", OptJson(s.OptText(18))},
          {"dorm_standard_address", OptJson(s.OptText(19))},
          {"dorm_address_id", OptJson(s.OptInt(20))},
          {"status", s.IsNull(13) ? "active" : "exited"}};
}

Result<json> Registry::ListWorkers(store::Connection& conn, const std::string& project,
                                   const std::string& status, const Page& page,
                                   bool full_ids) const {
  ZZ_RETURN_IF_ERROR(ProjectMustExist(conn, project));
  const std::int64_t after = AfterId(page);
  static const std::string sql =
      std::string(kWorkerSelect) +
      " WHERE e.project_code = ?1 AND e.id > ?2 AND (?3 = 'all' OR (?3 = 'active' AND "
      "e.exit_date IS NULL) OR (?3 = 'exited' AND e.exit_date IS NOT NULL)) ORDER BY e.id LIMIT ?4";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, project).Bind(2, after).Bind(3, status).Bind(4, page.limit);
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    items.push_back(WorkerJson(stmt, full_ids));
    last = std::to_string(stmt.Int(0));
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return ListPage(std::move(items), page, last);
}

Result<json> Registry::GetEnrolment(store::Connection& conn, std::int64_t id, bool full_ids) const {
  static const std::string sql = std::string(kWorkerSelect) + " WHERE e.id = ?";
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no enrolment " + std::to_string(id));
  }
  return WorkerJson(stmt, full_ids);
}

}  // namespace zhizhi::registry
