// Residence: writing records — drafting, refreshing a draft from the registry, closing.
#include "residence/residence.h"

#include "residence/face_verification.h"
#include "residence/residence_internal.h"

namespace zhizhi::residence {

using nlohmann::json;

namespace {

std::optional<std::string> DateText(const std::optional<Date>& d) {
  return d ? std::optional<std::string>(d->ToString()) : std::nullopt;
}

std::optional<Date> DueOf(const registry::ResidenceRule& rule, const std::string& kind,
                          const std::optional<Date>& event) {
  if (!event) return std::nullopt;
  if (kind == kind::kChange) return event->AddDays(rule.change_days);
  if (kind == kind::kDeregistration) return event->AddDays(rule.deregister_days);
  return event->AddDays(rule.register_days);
}

// A record's application as the registry has it now, and what it still lacks.
struct Drafted {
  Application app;
  std::vector<std::string> missing;
};

Result<Drafted> Draft(store::Connection& conn, const std::string& reason,
                      const std::string& record_kind, std::int64_t person,
                      std::int64_t enrolment_id, std::optional<Date> event_date,
                      const std::string& address, bool require_community) {
  ZZ_ASSIGN_OR_RETURN(Application app, LoadApplication(conn, person, enrolment_id, reason));
  app.kind = record_kind;
  app.event_date = event_date;
  SetAddress(app, address, require_community);
  bool verified = true;
  if (record_kind == kind::kRegistration) {
    ZZ_ASSIGN_OR_RETURN(auto face, CheckFaceVerification(conn, person));
    verified = face.verified;
  }
  std::vector<std::string> missing = Missing(app, verified);
  return Drafted{std::move(app), std::move(missing)};
}

}  // namespace

Result<bool> Residence::Refresh(store::Connection& conn, const Record& record,
                                const EnrolmentRow& housing, std::optional<Date> event_date,
                                const std::string& address, Built* built) {
  ZZ_ASSIGN_OR_RETURN(Drafted draft,
                      Draft(conn, rules_.residence().reason, record.kind, record.person_id,
                            housing.id, event_date, address, options_.require_community));
  const auto& missing = draft.missing;
  const std::string application = draft.app.ToJson().dump();
  const std::string missing_json = json(missing).dump();
  const auto event = DateText(event_date);
  const auto due = DateText(DueOf(rules_.residence(), record.kind, event_date));
  built->emplace_back(record.id, draft.app);
  if (record.enrolment_id == housing.id && record.project == housing.project &&
      record.address == address && record.event_date == event && record.due_date == due &&
      record.application == application && record.missing == missing_json) {
    return false;
  }
  const std::int64_t now = options_.clock();
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE residence_registrations SET enrolment_id = ?, project_code = ?, "
                   "residence_address = ?, event_date = ?, due_date = ?, application = ?, "
                   "missing = ?, updated_at = ? WHERE id = ?")
          .Bind(1, housing.id)
          .Bind(2, housing.project)
          .Bind(3, address)
          .Bind(4, event)
          .Bind(5, due)
          .Bind(6, application)
          .Bind(7, missing_json)
          .Bind(8, now)
          .Bind(9, record.id)
          .Run());
  std::string note = MissingText(missing);
  if (event != record.event_date && event)
    note = std::string(EventName(record.kind)) + " " + *event + "; " + note;
  ZZ_RETURN_IF_ERROR(History(conn, record.id, now, "updated", "system", note));
  return true;
}

Result<std::int64_t> Residence::Create(store::Connection& conn, const char* kind,
                                       std::int64_t person,
                                       std::optional<std::int64_t> registration_id,
                                       const EnrolmentRow& housing, std::optional<Date> event_date,
                                       const std::string& address, Built* built) {
  ZZ_ASSIGN_OR_RETURN(Drafted draft,
                      Draft(conn, rules_.residence().reason, kind, person, housing.id, event_date,
                            address, options_.require_community));
  const auto& missing = draft.missing;
  const std::int64_t now = options_.clock();
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO residence_registrations(kind, registration_id, person_id, "
                   "enrolment_id, project_code, status, residence_address, event_date, due_date, "
                   "application, missing, created_at, updated_at) "
                   "VALUES (?,?,?,?,?,'draft',?,?,?,?,?,?,?)")
          .Bind(1, kind)
          .Bind(2, registration_id)
          .Bind(3, person)
          .Bind(4, housing.id)
          .Bind(5, housing.project)
          .Bind(6, address)
          .Bind(7, DateText(event_date))
          .Bind(8, DateText(DueOf(rules_.residence(), kind, event_date)))
          .Bind(9, draft.app.ToJson().dump())
          .Bind(10, json(missing).dump())
          .Bind(11, now)
          .Bind(12, now)
          .Run());
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(History(conn, id, now, "drafted", "system", MissingText(missing)));
  built->emplace_back(id, std::move(draft.app));
  return id;
}

Status Residence::Close(store::Connection& conn, const Record& record, const char* status,
                        const std::string& note) {
  const std::int64_t now = options_.clock();
  ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE residence_registrations SET status = ?, closed_at = ?, "
                                  "updated_at = ? WHERE id = ?")
                         .Bind(1, status)
                         .Bind(2, now)
                         .Bind(3, now)
                         .Bind(4, record.id)
                         .Run());
  return History(conn, record.id, now, status, "system", note);
}

}  // namespace zhizhi::residence
