// Registry: persons — registration, corrections, look-up by ID, visibility, a person, the list.
#include "registry/registry.h"

#include "registry/code_lists.h"
#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

namespace {

std::string SexName(const std::optional<std::string>& sex) {
  if (!sex) return {};
  return *sex == "M" ? "male" : "female";
}

// Phone numbers are personal data too: 138****5678 unless the caller has the pii right.
std::string MaskPhone(const std::string& phone, bool full) {
  if (full || phone.size() < 7) return phone;
  return phone.substr(0, 3) + std::string(phone.size() - 7, '*') + phone.substr(phone.size() - 4);
}

constexpr const char* kPersonSelect =
    "SELECT id, id_type, id_cipher, id_masked, name, sex, birth_date, nation, phone, id_address, "
    "created_at FROM persons";

}  // namespace

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
    ZZ_RETURN_IF_ERROR(StepError(existing));
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

Result<json> Registry::GetPerson(store::Connection& conn, std::int64_t id, bool full_ids,
                                 const security::Principal* scope) const {
  static const std::string sql = std::string(kPersonSelect) + " WHERE id = ?";
  auto stmt = conn.Prepare(sql);
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
      {"created_at", FormatRfc3339(stmt.Int(10))}};
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
  const std::int64_t after = AfterId(page);
  // The same rule as PersonVisible, for a whole page.
  static const std::string sql =
      std::string(kPersonSelect) +
      " WHERE id > ?1 AND (?3 = 0 OR EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = "
      "persons.id AND e.project_code IN (SELECT value FROM json_each(?4))) OR (?5 != 0 AND "
      "registered_by = ?5 AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.person_id = "
      "persons.id))) ORDER BY id LIMIT ?2";
  auto stmt = conn.Prepare(sql);
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

}  // namespace zhizhi::registry
