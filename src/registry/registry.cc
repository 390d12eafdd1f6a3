#include "registry/registry.h"

#include <map>

#include "registry/code_lists.h"
#include "security/principal.h"

namespace zhizhi::registry {

namespace {

using nlohmann::json;

json OptJson(const std::optional<std::string>& value) {
  return value ? json(*value) : json();
}
json OptJson(const std::optional<std::int64_t>& value) {
  return value ? json(*value) : json();
}

std::string Time(std::int64_t unix_ms) {
  return FormatRfc3339(unix_ms);
}

std::string SexName(const std::optional<std::string>& sex) {
  if (!sex) return {};
  return *sex == "M" ? "male" : "female";
}

// Phone numbers are personal data too: 138****5678 unless the caller has the pii right.
std::string MaskPhone(const std::string& phone, bool full) {
  if (full || phone.size() < 7) return phone;
  return phone.substr(0, 3) + std::string(phone.size() - 7, '*') + phone.substr(phone.size() - 4);
}

json ListPage(json items, const Page& page, const std::string& last_key) {
  json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (out["items"].size() == static_cast<size_t>(page.limit) && !last_key.empty()) {
    out["next_cursor"] = page.NextCursor(last_key);
  }
  return out;
}

Status StepError(const store::Statement& stmt) {
  return stmt.status().ok() ? Status::Ok() : stmt.status();
}

bool Exists(store::Connection& conn, const char* sql, const std::string& key) {
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, key);
  return stmt.Step();
}

bool ExistsId(store::Connection& conn, const char* sql, std::int64_t key) {
  auto stmt = conn.Prepare(sql);
  stmt.Bind(1, key);
  return stmt.Step();
}

json ProjectJson(const store::Statement& s) {
  json lat = s.IsNull(4) ? json() : json(s.Double(4));
  json lng = s.IsNull(5) ? json() : json(s.Double(5));
  return {{"code", s.Text(0)},
          {"name", s.Text(1)},
          {"region_code", s.Text(2)},
          {"address", OptJson(s.OptText(3))},
          {"lat", lat},
          {"lng", lng},
          {"permit_no", OptJson(s.OptText(6))},
          {"status", s.Text(7)},
          {"start_date", OptJson(s.OptText(8))},
          {"end_date", OptJson(s.OptText(9))},
          {"created_at", Time(s.Int(10))}};
}

bool Limited(const security::Principal* scope) {
  return scope != nullptr && !scope->all_projects;
}

// The projects of a limited scope as a JSON array, for `json_each(?)` in SQL.
std::string ScopeProjects(const security::Principal* scope) {
  return Limited(scope) ? json(scope->projects).dump() : "[]";
}

constexpr const char* kProjectColumns =
    "code, name, region_code, address, lat, lng, permit_no, status, start_date, end_date, "
    "created_at";

}  // namespace

std::string CertificateStatus(const Date& valid_from, const Date& valid_to, bool revoked,
                              const Date& today) {
  if (revoked) return "revoked";
  if (today < valid_from) return "not_yet_valid";
  if (valid_to < today) return "expired";
  if (valid_to.DaysSinceEpoch() - today.DaysSinceEpoch() <= kExpiringWithinDays) return "expiring";
  return "valid";
}

std::string Registry::LookupKey(const std::string& id_type, const std::string& id_number) const {
  return cipher_->LookupHash(id_type + ":" + id_number);
}

std::string Registry::ShownIdNumber(const std::string& sealed, const std::string& masked,
                                    bool full_ids) const {
  if (!full_ids) return masked;
  auto plain = cipher_->Unseal(sealed);
  return plain.ok() ? *plain : masked;
}

// ---------------------------------------------------------------------------------- writes

Status Registry::CreateCorp(store::Connection& conn, const CorpDraft& d) {
  auto stmt = conn.Prepare(
      "INSERT INTO corps(uscc, name, legal_person, address, created_at) VALUES (?,?,?,?,?) "
      "ON CONFLICT(uscc) DO NOTHING");
  stmt.Bind(1, d.uscc)
      .Bind(2, d.name)
      .Bind(3, d.legal_person)
      .Bind(4, d.address)
      .Bind(5, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    return Status::AlreadyExists("uscc", "a corp with USCC " + d.uscc + " already exists")
        .With("uscc", d.uscc);
  }
  return Status::Ok();
}

Status Registry::CreateProject(store::Connection& conn, const ProjectDraft& d) {
  auto stmt = conn.Prepare(
      "INSERT INTO projects(code, name, region_code, address, lat, lng, permit_no, status, "
      "start_date, end_date, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(code) DO NOTHING");
  stmt.Bind(1, d.code).Bind(2, d.name).Bind(3, d.region_code).Bind(4, d.address);
  stmt.Bind(5, d.lat).Bind(6, d.lng).Bind(7, d.permit_no).Bind(8, d.status);
  stmt.Bind(9, d.start_date ? std::optional(d.start_date->ToString()) : std::nullopt);
  stmt.Bind(10, d.end_date ? std::optional(d.end_date->ToString()) : std::nullopt);
  stmt.Bind(11, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    // Not "code": that key of the error object is the error code.
    return Status::AlreadyExists("code", "a project with code " + d.code + " already exists")
        .With("project_code", d.code);
  }
  return ProjectChanged(conn, d.code);
}

Status Registry::AddProjectCorp(store::Connection& conn, const std::string& project,
                                const ProjectCorpDraft& d) {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
  if (!Exists(conn, "SELECT 1 FROM corps WHERE uscc = ?", d.uscc)) {
    return Status::Rule("corp_not_registered", "uscc",
                        "corp " + d.uscc + " is not registered; POST /api/v1/corps first");
  }
  auto stmt = conn.Prepare(
      "INSERT INTO project_corps(project_code, uscc, corp_type, created_at) VALUES (?,?,?,?) "
      "ON CONFLICT DO NOTHING");
  stmt.Bind(1, project).Bind(2, d.uscc).Bind(3, d.corp_type).Bind(4, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    return Status::AlreadyExists("uscc", "corp " + d.uscc + " already takes part in " + project);
  }
  return ProjectChanged(conn, project);
}

Result<std::int64_t> Registry::CreateTeam(store::Connection& conn, const std::string& project,
                                          const TeamDraft& d) {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
  {
    auto stmt = conn.Prepare("SELECT 1 FROM project_corps WHERE project_code = ? AND uscc = ?");
    stmt.Bind(1, project).Bind(2, d.uscc);
    if (!stmt.Step()) {
      ZZ_RETURN_IF_ERROR(StepError(stmt));
      return Status::Rule("corp_not_on_project", "uscc",
                          "corp " + d.uscc + " does not take part in project " + project);
    }
  }
  if (d.leader_person_id &&
      !ExistsId(conn, "SELECT 1 FROM persons WHERE id = ?", *d.leader_person_id)) {
    return Status::Rule("person_not_found", "leader_person_id",
                        "no person " + std::to_string(*d.leader_person_id));
  }
  auto stmt = conn.Prepare(
      "INSERT INTO teams(project_code, name, uscc, leader_person_id, created_at) "
      "VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING");
  stmt.Bind(1, project).Bind(2, d.name).Bind(3, d.uscc).Bind(4, d.leader_person_id);
  stmt.Bind(5, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    auto existing = FindTeamId(conn, project, d.name);
    Status status = Status::AlreadyExists(
        "name", "project " + project + " already has a team \"" + d.name + "\"");
    if (existing.ok() && *existing) status.With("id", **existing);
    return status;
  }
  return conn.LastInsertRowId();
}

Result<std::int64_t> Registry::CreatePerson(store::Connection& conn, const PersonDraft& d,
                                            std::int64_t registered_by) {
  const std::string key = LookupKey(d.id_type, d.id_number);
  auto stmt = conn.Prepare(
      "INSERT INTO persons(id_type, id_hash, id_cipher, id_masked, name, sex, birth_date, nation, "
      "phone, id_address, created_at, registered_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(id_hash) DO NOTHING");
  stmt.Bind(1, d.id_type).BindBlob(2, key).BindBlob(3, cipher_->Seal(d.id_number));
  stmt.Bind(4, security::MaskIdNumber(d.id_number)).Bind(5, d.name).Bind(6, d.sex);
  stmt.Bind(7, d.birth_date ? std::optional(d.birth_date->ToString()) : std::nullopt);
  stmt.Bind(8, d.nation).Bind(9, d.phone).Bind(10, d.id_address).Bind(11, NowUnixMs());
  if (registered_by != 0) {
    stmt.Bind(12, registered_by);
  } else {
    stmt.BindNull(12);
  }
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    auto existing = conn.Prepare("SELECT id FROM persons WHERE id_hash = ?");
    existing.BindBlob(1, key);
    Status status =
        Status::AlreadyExists("id_number", "a person with this ID number is already registered");
    if (existing.Step()) status.With("id", existing.Int(0));
    return status;
  }
  return conn.LastInsertRowId();
}

Result<std::optional<std::int64_t>> Registry::FindPersonId(store::Connection& conn,
                                                           const std::string& id_type,
                                                           const std::string& id_number) const {
  auto stmt = conn.Prepare("SELECT id FROM persons WHERE id_hash = ?");
  stmt.BindBlob(1, LookupKey(id_type, id_number));
  if (stmt.Step()) return std::optional<std::int64_t>(stmt.Int(0));
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return std::optional<std::int64_t>();
}

Result<std::optional<std::int64_t>> Registry::FindTeamId(store::Connection& conn,
                                                         const std::string& project,
                                                         const std::string& name) const {
  auto stmt = conn.Prepare("SELECT id FROM teams WHERE project_code = ? AND name = ?");
  stmt.Bind(1, project).Bind(2, name);
  if (stmt.Step()) return std::optional<std::int64_t>(stmt.Int(0));
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return std::optional<std::int64_t>();
}

Result<std::int64_t> Registry::AddCertificate(store::Connection& conn, std::int64_t person_id,
                                              const CertificateDraft& d) {
  if (!ExistsId(conn, "SELECT 1 FROM persons WHERE id = ?", person_id)) {
    return Status::NotFound("no person " + std::to_string(person_id));
  }
  auto stmt = conn.Prepare(
      "INSERT INTO certificates(person_id, kind, type_code, number, issuer, valid_from, valid_to, "
      "created_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
  stmt.Bind(1, person_id).Bind(2, d.kind).Bind(3, d.type_code).Bind(4, d.number);
  stmt.Bind(5, d.issuer).Bind(6, d.valid_from.ToString()).Bind(7, d.valid_to.ToString());
  stmt.Bind(8, NowUnixMs());
  ZZ_RETURN_IF_ERROR(stmt.Run());
  if (conn.Changes() == 0) {
    auto existing = conn.Prepare(
        "SELECT id, person_id FROM certificates WHERE kind = ? AND type_code = ? AND number = ?");
    existing.Bind(1, d.kind).Bind(2, d.type_code).Bind(3, d.number);
    Status status =
        Status::AlreadyExists("number", "certificate " + d.number + " is already registered");
    if (existing.Step()) {
      status.With("id", existing.Int(0));
      if (existing.Int(1) != person_id) {
        status = Status::Conflict(
                     "certificate_held_by_other", "number",
                     "certificate " + d.number + " is registered to another person (possible 挂证)")
                     .With("id", existing.Int(0));
      }
    }
    return status;
  }
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(PersonChanged(conn, person_id));
  return id;
}

Status Registry::RevokeCertificate(store::Connection& conn, std::int64_t id, const RevokeDraft& d) {
  auto stmt = conn.Prepare("SELECT revoked_at, person_id FROM certificates WHERE id = ?");
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no certificate " + std::to_string(id));
  }
  if (!stmt.IsNull(0)) {
    return Status::Conflict("already_revoked", "",
                            "certificate " + std::to_string(id) + " is already revoked");
  }
  const std::int64_t person_id = stmt.Int(1);
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE certificates SET revoked_at = ?, revoke_reason = ? WHERE id = ?")
          .Bind(1, NowUnixMs())
          .Bind(2, d.reason)
          .Bind(3, id)
          .Run());
  return PersonChanged(conn, person_id);
}

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
  if (!ExistsId(conn, "SELECT 1 FROM persons WHERE id = ?", d.person_id)) {
    return Status::Rule("person_not_found", "person_id",
                        "no person " + std::to_string(d.person_id));
  }
  {
    auto stmt = conn.Prepare("SELECT 1 FROM project_corps WHERE project_code = ? AND uscc = ?");
    stmt.Bind(1, project).Bind(2, d.uscc);
    if (!stmt.Step()) {
      ZZ_RETURN_IF_ERROR(StepError(stmt));
      return Status::Rule("corp_not_on_project", "uscc",
                          "corp " + d.uscc + " does not take part in project " + project);
    }
  }
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
  ZZ_RETURN_IF_ERROR(PersonChanged(conn, d.person_id));
  return id;
}

Status Registry::Exit(store::Connection& conn, const std::string& project, std::int64_t person_id,
                      const ExitDraft& d) {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
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

Result<bool> Registry::PersonVisible(store::Connection& conn, std::int64_t id,
                                     const security::Principal& viewer) const {
  auto stmt = conn.Prepare(
      "SELECT p.registered_by, "
      "EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id AND e.project_code IN "
      "(SELECT value FROM json_each(?2))), "
      "EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = p.id) "
      "FROM persons p WHERE p.id = ?1");
  stmt.Bind(1, id).Bind(2, ScopeProjects(&viewer));
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no person " + std::to_string(id));
  }
  if (viewer.all_projects) return true;
  if (stmt.Int(1) != 0) return true;
  return viewer.user_id != 0 && stmt.OptInt(0) == viewer.user_id && stmt.Int(2) == 0;
}

Result<std::int64_t> Registry::CertificatePerson(store::Connection& conn,
                                                 std::int64_t certificate_id) const {
  auto stmt = conn.Prepare("SELECT person_id FROM certificates WHERE id = ?");
  stmt.Bind(1, certificate_id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no certificate " + std::to_string(certificate_id));
  }
  return stmt.Int(0);
}

Status Registry::UpdatePerson(store::Connection& conn, std::int64_t person_id,
                              const PersonUpdate& d) {
  auto stmt = conn.Prepare("SELECT id_type FROM persons WHERE id = ?");
  stmt.Bind(1, person_id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no person " + std::to_string(person_id));
  }
  if (stmt.Text(0) == kResidentIdType && (d.sex || d.birth_date)) {
    return Status::InvalidArgument(d.sex ? "sex" : "birth_date",
                                   "sex and birth_date of a resident ID come from the number");
  }
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE persons SET name = COALESCE(?, name), sex = COALESCE(?, sex), "
                   "birth_date = COALESCE(?, birth_date), nation = COALESCE(?, nation), "
                   "phone = COALESCE(?, phone), id_address = COALESCE(?, id_address) WHERE id = ?")
          .Bind(1, d.name)
          .Bind(2, d.sex)
          .Bind(3, d.birth_date ? std::optional(d.birth_date->ToString()) : std::nullopt)
          .Bind(4, d.nation)
          .Bind(5, d.phone)
          .Bind(6, d.id_address)
          .Bind(7, person_id)
          .Run());
  return PersonChanged(conn, person_id);
}

Status Registry::MoveDormitory(store::Connection& conn, const std::string& project,
                               std::int64_t person_id, const DormMove& d) {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
  auto stmt = conn.Prepare(
      "SELECT id, entry_date, dorm_address FROM enrolments WHERE project_code = ? AND "
      "person_id = ? AND exit_date IS NULL");
  stmt.Bind(1, project).Bind(2, person_id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("person " + std::to_string(person_id) + " is not enrolled on " +
                            project);
  }
  const std::int64_t enrolment_id = stmt.Int(0);
  const std::string entry = stmt.Text(1);
  if (stmt.OptText(2) == d.dorm_address) return Status::Ok();
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
  return PersonChanged(conn, person_id);
}

// ---------------------------------------------------------------------------------- reads

Result<json> Registry::GetCorp(store::Connection& conn, const std::string& uscc,
                               const security::Principal* scope) const {
  auto stmt = conn.Prepare(
      "SELECT uscc, name, legal_person, address, created_at FROM corps WHERE uscc = ?");
  stmt.Bind(1, uscc);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no corp " + uscc);
  }
  json corp = {{"uscc", stmt.Text(0)},
               {"name", stmt.Text(1)},
               {"legal_person", OptJson(stmt.OptText(2))},
               {"address", OptJson(stmt.OptText(3))},
               {"created_at", Time(stmt.Int(4))}};
  auto projects = conn.Prepare(
      "SELECT pc.project_code, p.name, pc.corp_type FROM project_corps pc "
      "JOIN projects p ON p.code = pc.project_code WHERE pc.uscc = ? ORDER BY pc.project_code");
  projects.Bind(1, uscc);
  json list = json::array();
  while (projects.Step()) {
    if (Limited(scope) && !scope->MaySeeProject(projects.Text(0))) continue;
    list.push_back({{"code", projects.Text(0)},
                    {"name", projects.Text(1)},
                    {"corp_type", projects.Text(2)},
                    {"corp_type_name", NameOf(CorpTypes(), projects.Text(2))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(projects));
  corp["projects"] = std::move(list);
  return corp;
}

Result<json> Registry::ListCorps(store::Connection& conn, const Page& page) const {
  auto stmt = conn.Prepare(
      "SELECT uscc, name, legal_person, address, created_at FROM corps WHERE uscc > ? "
      "ORDER BY uscc LIMIT ?");
  stmt.Bind(1, page.after).Bind(2, page.limit);
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    last = stmt.Text(0);
    items.push_back({{"uscc", last},
                     {"name", stmt.Text(1)},
                     {"legal_person", OptJson(stmt.OptText(2))},
                     {"address", OptJson(stmt.OptText(3))},
                     {"created_at", Time(stmt.Int(4))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return ListPage(std::move(items), page, last);
}

Result<json> Registry::GetProject(store::Connection& conn, const std::string& code) const {
  static const std::string sql =
      std::string("SELECT ") + kProjectColumns + " FROM projects WHERE code = ?";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, code);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no project " + code);
  }
  return ProjectJson(stmt);
}

Result<json> Registry::ListProjects(store::Connection& conn, const Page& page,
                                    const std::optional<std::string>& status,
                                    const security::Principal* scope) const {
  static const std::string sql =
      std::string("SELECT ") + kProjectColumns +
      " FROM projects WHERE code > ? AND (?2 IS NULL OR status = ?2) AND (?4 = 0 OR code IN "
      "(SELECT value FROM json_each(?5))) ORDER BY code LIMIT ?3";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, page.after).Bind(2, status).Bind(3, page.limit);
  stmt.Bind(4, Limited(scope) ? 1 : 0).Bind(5, ScopeProjects(scope));
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    items.push_back(ProjectJson(stmt));
    last = stmt.Text(0);
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  // Counts of open enrolments per listed project, in one query.
  if (!items.empty()) {
    auto counts = conn.Prepare(
        "SELECT project_code, SUM(work_role = '10'), SUM(work_role = '20') FROM enrolments "
        "WHERE exit_date IS NULL AND project_code > ? AND project_code <= ? GROUP BY project_code");
    counts.Bind(1, page.after).Bind(2, last);
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> by_project;
    while (counts.Step())
      by_project[counts.Text(0)] = {counts.Int(1), counts.Int(2)};
    ZZ_RETURN_IF_ERROR(StepError(counts));
    for (json& item : items) {
      auto it = by_project.find(item["code"].get<std::string>());
      item["managers"] = it == by_project.end() ? 0 : it->second.first;
      item["workers"] = it == by_project.end() ? 0 : it->second.second;
    }
  }
  return ListPage(std::move(items), page, last);
}

Result<json> Registry::CertificatesOf(store::Connection& conn, std::int64_t person_id,
                                      const Date& today) const {
  auto stmt = conn.Prepare(
      "SELECT id, kind, type_code, number, issuer, valid_from, valid_to, revoked_at, "
      "revoke_reason, created_at FROM certificates WHERE person_id = ? ORDER BY id");
  stmt.Bind(1, person_id);
  json list = json::array();
  while (stmt.Step()) {
    const std::string kind = stmt.Text(1);
    const std::string type = stmt.Text(2);
    auto from = Date::Parse(stmt.Text(5), "valid_from");
    auto to = Date::Parse(stmt.Text(6), "valid_to");
    if (!from.ok() || !to.ok()) return Status::Internal("corrupt certificate dates");
    json cert = {{"id", stmt.Int(0)},
                 {"person_id", person_id},
                 {"kind", kind},
                 {"type_code", type},
                 {"type_name", NameOf(CertificateTypes(kind), type)},
                 {"number", stmt.Text(3)},
                 {"issuer", OptJson(stmt.OptText(4))},
                 {"valid_from", stmt.Text(5)},
                 {"valid_to", stmt.Text(6)},
                 {"status", CertificateStatus(*from, *to, !stmt.IsNull(7), today)},
                 {"created_at", Time(stmt.Int(9))}};
    if (!stmt.IsNull(7)) {
      cert["revoked_at"] = Time(stmt.Int(7));
      cert["revoke_reason"] = OptJson(stmt.OptText(8));
    }
    list.push_back(std::move(cert));
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return list;
}

Result<json> Registry::GetCertificate(store::Connection& conn, std::int64_t id) const {
  auto stmt = conn.Prepare("SELECT person_id FROM certificates WHERE id = ?");
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no certificate " + std::to_string(id));
  }
  const std::int64_t person = stmt.Int(0);
  ZZ_ASSIGN_OR_RETURN(json all, CertificatesOf(conn, person, TodayInChina()));
  for (json& cert : all) {
    if (cert["id"] == id) return cert;
  }
  return Status::Internal("certificate vanished during read");
}

namespace {

constexpr const char* kPersonSelect =
    "SELECT id, id_type, id_cipher, id_masked, name, sex, birth_date, nation, phone, id_address, "
    "created_at FROM persons";

}  // namespace

Result<json> Registry::GetPerson(store::Connection& conn, std::int64_t id, bool full_ids,
                                 const security::Principal* scope) const {
  static const std::string sql = std::string(kPersonSelect) + " WHERE id = ?";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no person " + std::to_string(id));
  }
  const auto nation = stmt.OptText(7);
  const auto phone = stmt.OptText(8);
  json person = {
      {"id", stmt.Int(0)},
      {"id_type", stmt.Text(1)},
      {"id_type_name", NameOf(IdTypes(), stmt.Text(1))},
      {"id_number", ShownIdNumber(stmt.Blob(2), stmt.Text(3), full_ids)},
      {"name", stmt.Text(4)},
      {"sex", OptJson(stmt.IsNull(5) ? std::nullopt : std::optional(SexName(stmt.OptText(5))))},
      {"birth_date", OptJson(stmt.OptText(6))},
      {"nation", OptJson(nation)},
      {"nation_name", nation ? json(NameOf(Nations(), *nation)) : json()},
      {"phone", phone ? json(MaskPhone(*phone, full_ids)) : json()},
      {"id_address", OptJson(stmt.OptText(9))},
      {"created_at", Time(stmt.Int(10))}};
  const Date today = TodayInChina();
  ZZ_ASSIGN_OR_RETURN(person["certificates"], CertificatesOf(conn, id, today));

  auto enrolments = conn.Prepare(
      "SELECT e.id, e.project_code, p.name, e.work_role, e.work_type, e.post, e.team_id, t.name, "
      "e.uscc, e.entry_date, e.exit_date, e.dorm_address FROM enrolments e "
      "JOIN projects p ON p.code = e.project_code LEFT JOIN teams t ON t.id = e.team_id "
      "WHERE e.person_id = ? ORDER BY e.id");
  enrolments.Bind(1, id);
  json list = json::array();
  while (enrolments.Step()) {
    // Enrolments on other projects are other projects' rows.
    if (Limited(scope) && !scope->MaySeeProject(enrolments.Text(1))) continue;
    list.push_back({{"id", enrolments.Int(0)},
                    {"project_code", enrolments.Text(1)},
                    {"project_name", enrolments.Text(2)},
                    {"work_role", enrolments.Text(3)},
                    {"work_type", enrolments.Text(4)},
                    {"work_type_name", NameOf(WorkTypes(), enrolments.Text(4))},
                    {"post", OptJson(enrolments.OptText(5))},
                    {"team_id", OptJson(enrolments.OptInt(6))},
                    {"team_name", OptJson(enrolments.OptText(7))},
                    {"uscc", enrolments.Text(8)},
                    {"entry_date", enrolments.Text(9)},
                    {"exit_date", OptJson(enrolments.OptText(10))},
                    {"dorm_address", OptJson(enrolments.OptText(11))},
                    {"status", enrolments.IsNull(10) ? "active" : "exited"}});
  }
  ZZ_RETURN_IF_ERROR(StepError(enrolments));
  person["enrolments"] = std::move(list);
  person["face"] = {{"enrolled", false}, {"count", 0}};  // the face module fills this in
  for (const auto& extend : person_view_extenders_) {
    ZZ_RETURN_IF_ERROR(extend(conn, id, person));
  }
  return person;
}

Result<json> Registry::ListPersons(store::Connection& conn, const Page& page, bool full_ids,
                                   const security::Principal* scope) const {
  std::int64_t after = 0;
  if (!page.after.empty()) after = std::strtoll(page.after.c_str(), nullptr, 10);
  // The same rule as PersonVisible, for a whole page.
  static const std::string sql =
      std::string(kPersonSelect) +
      " WHERE id > ?1 AND (?3 = 0 OR EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = "
      "persons.id AND e.project_code IN (SELECT value FROM json_each(?4))) OR (?5 != 0 AND "
      "registered_by = ?5 AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = "
      "persons.id))) ORDER BY id LIMIT ?2";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, after).Bind(2, page.limit);
  stmt.Bind(3, Limited(scope) ? 1 : 0).Bind(4, ScopeProjects(scope));
  stmt.Bind(5, Limited(scope) ? scope->user_id : std::int64_t{0});
  json items = json::array();
  std::string last;
  while (stmt.Step()) {
    const auto phone = stmt.OptText(8);
    items.push_back({{"id", stmt.Int(0)},
                     {"id_type", stmt.Text(1)},
                     {"id_number", ShownIdNumber(stmt.Blob(2), stmt.Text(3), full_ids)},
                     {"name", stmt.Text(4)},
                     {"sex", stmt.IsNull(5) ? json() : json(SexName(stmt.OptText(5)))},
                     {"birth_date", OptJson(stmt.OptText(6))},
                     {"phone", phone ? json(MaskPhone(*phone, full_ids)) : json()}});
    last = std::to_string(stmt.Int(0));
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return ListPage(std::move(items), page, last);
}

namespace {

constexpr const char* kWorkerSelect =
    "SELECT e.id, e.person_id, pe.name, pe.id_masked, pe.id_cipher, e.work_role, e.work_type, "
    "e.post, e.team_id, t.name, e.uscc, c.name, e.entry_date, e.exit_date, e.dorm_address, "
    "e.project_code, e.card_no, e.exit_reason FROM enrolments e "
    "JOIN persons pe ON pe.id = e.person_id "
    "LEFT JOIN teams t ON t.id = e.team_id LEFT JOIN corps c ON c.uscc = e.uscc";

}  // namespace

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
          {"status", s.IsNull(13) ? "active" : "exited"}};
}

Result<json> Registry::ListWorkers(store::Connection& conn, const std::string& project,
                                   const std::string& status, const Page& page,
                                   bool full_ids) const {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
  std::int64_t after = 0;
  if (!page.after.empty()) after = std::strtoll(page.after.c_str(), nullptr, 10);
  static const std::string sql =
      std::string(kWorkerSelect) +
      " WHERE e.project_code = ?1 AND e.id > ?2 AND (?3 = 'all' OR (?3 = 'active' AND "
      "e.exit_date IS NULL) OR (?3 = 'exited' AND e.exit_date IS NOT NULL)) ORDER BY e.id LIMIT ?4";
  auto stmt = conn.Prepare(sql.c_str());
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
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no enrolment " + std::to_string(id));
  }
  return WorkerJson(stmt, full_ids);
}

namespace {

constexpr const char* kTeamSelect =
    "SELECT t.id, t.project_code, t.name, t.uscc, c.name, t.leader_person_id, p.name, "
    "(SELECT COUNT(*) FROM enrolments e WHERE e.team_id = t.id AND e.exit_date IS NULL), "
    "t.created_at FROM teams t LEFT JOIN corps c ON c.uscc = t.uscc "
    "LEFT JOIN persons p ON p.id = t.leader_person_id";

json TeamJson(const store::Statement& s) {
  return {{"id", s.Int(0)},
          {"project_code", s.Text(1)},
          {"name", s.Text(2)},
          {"uscc", s.Text(3)},
          {"corp_name", OptJson(s.OptText(4))},
          {"leader_person_id", OptJson(s.OptInt(5))},
          {"leader_name", OptJson(s.OptText(6))},
          {"member_count", s.Int(7)},
          {"created_at", Time(s.Int(8))}};
}

}  // namespace

Result<json> Registry::ListTeams(store::Connection& conn, const std::string& project) const {
  if (!Exists(conn, "SELECT 1 FROM projects WHERE code = ?", project)) {
    return Status::NotFound("no project " + project);
  }
  static const std::string sql =
      std::string(kTeamSelect) + " WHERE t.project_code = ? ORDER BY t.id";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, project);
  json items = json::array();
  while (stmt.Step())
    items.push_back(TeamJson(stmt));
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return json{{"items", std::move(items)}, {"next_cursor", nullptr}};
}

Result<json> Registry::GetTeam(store::Connection& conn, std::int64_t id) const {
  static const std::string sql = std::string(kTeamSelect) + " WHERE t.id = ?";
  auto stmt = conn.Prepare(sql.c_str());
  stmt.Bind(1, id);
  if (!stmt.Step()) {
    ZZ_RETURN_IF_ERROR(StepError(stmt));
    return Status::NotFound("no team " + std::to_string(id));
  }
  return TeamJson(stmt);
}

Result<json> Registry::GetProjectView(store::Connection& conn, const std::string& code,
                                      bool full_ids) const {
  ZZ_ASSIGN_OR_RETURN(json view, GetProject(conn, code));
  const Date today = TodayInChina();

  auto corps = conn.Prepare(
      "SELECT pc.uscc, c.name, pc.corp_type FROM project_corps pc JOIN corps c ON c.uscc = pc.uscc "
      "WHERE pc.project_code = ? ORDER BY pc.corp_type, pc.uscc");
  corps.Bind(1, code);
  json corp_list = json::array();
  while (corps.Step()) {
    corp_list.push_back({{"uscc", corps.Text(0)},
                         {"name", corps.Text(1)},
                         {"corp_type", corps.Text(2)},
                         {"corp_type_name", NameOf(CorpTypes(), corps.Text(2))}});
  }
  ZZ_RETURN_IF_ERROR(StepError(corps));
  view["corps"] = std::move(corp_list);

  ZZ_ASSIGN_OR_RETURN(json teams, ListTeams(conn, code));
  view["teams"] = std::move(teams["items"]);

  // Managers by post, each with their certificates and whether the post's rule is met.
  auto managers = conn.Prepare(
      "SELECT e.post, e.person_id, p.name, p.id_masked, p.id_cipher, e.entry_date, e.uscc "
      "FROM enrolments e JOIN persons p ON p.id = e.person_id "
      "WHERE e.project_code = ? AND e.work_role = '10' AND e.exit_date IS NULL "
      "ORDER BY e.post, e.id");
  managers.Bind(1, code);
  std::map<std::string, json> by_post;
  while (managers.Step()) {
    const std::string post = managers.Text(0);
    const std::int64_t person_id = managers.Int(1);
    ZZ_ASSIGN_OR_RETURN(json certificates, CertificatesOf(conn, person_id, today));
    by_post[post].push_back(
        {{"person_id", person_id},
         {"name", managers.Text(2)},
         {"id_number", ShownIdNumber(managers.Blob(4), managers.Text(3), full_ids)},
         {"entry_date", managers.Text(5)},
         {"uscc", managers.Text(6)},
         {"certificates", std::move(certificates)}});
  }
  ZZ_RETURN_IF_ERROR(StepError(managers));
  json posts = json::array();
  for (const PostRule& rule : PostRules()) {
    auto it = by_post.find(std::string(rule.code));
    if (it == by_post.end() && !rule.key) continue;
    json holders = it == by_post.end() ? json::array() : std::move(it->second);
    json required = json::array();
    for (const auto& any_of : rule.required) {
      json group = json::array();
      for (const auto& [kind, type] : any_of) {
        group.push_back({{"kind", kind},
                         {"type_code", type},
                         {"type_name", NameOf(CertificateTypes(kind), type)}});
      }
      required.push_back(std::move(group));
    }
    posts.push_back({{"post", rule.code},
                     {"post_name", rule.name},
                     {"key", rule.key},
                     {"required_certificates", std::move(required)},
                     {"holders", std::move(holders)}});
  }
  view["posts"] = std::move(posts);

  auto counts = conn.Prepare(
      "SELECT work_type, work_role, SUM(exit_date IS NULL), SUM(exit_date IS NOT NULL) "
      "FROM enrolments WHERE project_code = ? GROUP BY work_type, work_role ORDER BY work_type");
  counts.Bind(1, code);
  json by_work_type = json::array();
  std::int64_t active_workers = 0, active_managers = 0, exited = 0;
  while (counts.Step()) {
    const std::int64_t active = counts.Int(2);
    exited += counts.Int(3);
    if (counts.Text(1) == kManagerRole) {
      active_managers += active;
      continue;
    }
    active_workers += active;
    if (active > 0) {
      by_work_type.push_back({{"work_type", counts.Text(0)},
                              {"work_type_name", NameOf(WorkTypes(), counts.Text(0))},
                              {"count", active}});
    }
  }
  ZZ_RETURN_IF_ERROR(StepError(counts));
  view["enrolled"] = {{"managers", active_managers},
                      {"workers", active_workers},
                      {"exited", exited},
                      {"by_work_type", std::move(by_work_type)}};
  for (const auto& extend : view_extenders_)
    extend(code, view);
  return view;
}

}  // namespace zhizhi::registry
