// Registry: certificates — their status, adding and revoking, a person's certificates.
#include "registry/registry.h"

#include "registry/code_lists.h"
#include "registry/registry_internal.h"

namespace zhizhi::registry {

using nlohmann::json;

std::string CertificateStatus(const Date& valid_from, const Date& valid_to, bool revoked,
                              const Date& today) {
  if (revoked) return "revoked";
  if (today < valid_from) return "not_yet_valid";
  if (valid_to < today) return "expired";
  if (valid_to.DaysSinceEpoch() - today.DaysSinceEpoch() <= kExpiringWithinDays) return "expiring";
  return "valid";
}

Result<std::int64_t> Registry::AddCertificate(store::Connection& conn, std::int64_t person_id,
                                              const CertificateDraft& d) {
  ZZ_ASSIGN_OR_RETURN(const bool person_known,
                      RowExists(conn, "SELECT 1 FROM persons WHERE id = ?", person_id));
  if (!person_known) {
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
    ZZ_RETURN_IF_ERROR(StepError(existing));
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
                 {"created_at", FormatRfc3339(stmt.Int(9))}};
    if (!stmt.IsNull(7)) {
      cert["revoked_at"] = FormatRfc3339(stmt.Int(7));
      cert["revoke_reason"] = OptJson(stmt.OptText(8));
    }
    list.push_back(std::move(cert));
  }
  ZZ_RETURN_IF_ERROR(StepError(stmt));
  return list;
}

Result<json> Registry::GetCertificate(store::Connection& conn, std::int64_t id) const {
  ZZ_ASSIGN_OR_RETURN(const std::int64_t person, CertificatePerson(conn, id));
  ZZ_ASSIGN_OR_RETURN(json all, CertificatesOf(conn, person, TodayInChina()));
  for (json& cert : all) {
    if (cert["id"] == id) return cert;
  }
  return Status::Internal("certificate vanished during read");
}

}  // namespace zhizhi::registry
