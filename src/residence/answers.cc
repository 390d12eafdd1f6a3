// Residence: what comes back — delivery outcomes, answers recorded by hand, exported rows.
#include "residence/residence.h"

#include "residence/residence_internal.h"

namespace zhizhi::residence {

using nlohmann::json;

Status Residence::ApplyAnswer(store::Connection& conn, const Record& record, const Delivery& answer,
                              const std::string& actor) {
  const std::int64_t now = options_.clock();
  const bool accepted = answer.kind == Delivery::Kind::kAccepted;
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE residence_registrations SET status = ?, receipt_no = ?, "
                   "reject_reason = ?, answered_at = ?, updated_at = ? WHERE id = ?")
          .Bind(1, accepted ? status::kAccepted : status::kRejected)
          .Bind(2, accepted ? std::optional<std::string>(answer.receipt_no) : record.receipt_no)
          .Bind(3, accepted ? std::nullopt : std::optional<std::string>(answer.reason))
          .Bind(4, now)
          .Bind(5, now)
          .Bind(6, record.id)
          .Run());
  ZZ_RETURN_IF_ERROR(History(conn, record.id, now, accepted ? "accepted" : "rejected", actor,
                             accepted ? answer.receipt_no : answer.reason));
  if (record.registration_id && accepted) {
    const std::int64_t root = *record.registration_id;
    if (record.kind == kind::kChange) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE residence_registrations SET enrolment_id = ?, "
                                      "project_code = ?, residence_address = ?, updated_at = ? "
                                      "WHERE id = ?")
                             .Bind(1, record.enrolment_id)
                             .Bind(2, record.project)
                             .Bind(3, record.address)
                             .Bind(4, now)
                             .Bind(5, root)
                             .Run());
      ZZ_RETURN_IF_ERROR(History(conn, root, now, "changed", actor,
                                 "change " + std::to_string(record.id) + " accepted"));
    } else {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE residence_registrations SET status = "
                                      "'deregistered', closed_at = ?, updated_at = ? WHERE id = ?")
                             .Bind(1, now)
                             .Bind(2, now)
                             .Bind(3, root)
                             .Run());
      ZZ_RETURN_IF_ERROR(History(conn, root, now, "deregistered", actor,
                                 "deregistration " + std::to_string(record.id) + " accepted"));
    }
  }
  if (!record.registration_id && !accepted) {
    // A rejected registration is fixed and resubmitted as a whole: what hung off it goes.
    auto c = conn.Prepare(
        "SELECT id FROM residence_registrations WHERE registration_id = ? AND status IN "
        "('draft','submitted','rejected')");
    c.Bind(1, record.id);
    std::vector<std::int64_t> children;
    while (c.Step())
      children.push_back(c.Int(0));
    ZZ_RETURN_IF_ERROR(c.status());
    for (std::int64_t child : children) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET state = 'failed', last_error = "
                                      "'the registration was rejected' WHERE subject_id = ? AND "
                                      "state = 'pending'")
                             .Bind(1, child)
                             .Run());
      ZZ_ASSIGN_OR_RETURN(Record r, LoadRecord<Record>(conn, child));
      ZZ_RETURN_IF_ERROR(Close(conn, r, status::kCancelled, "the registration was rejected"));
    }
  }
  bool changed = false;
  ZZ_RETURN_IF_ERROR(Reconcile(conn, record.person_id, &changed));
  return Notify(conn, record.person_id);
}

Status Residence::ApplyDelivery(store::Connection& conn, std::int64_t outbox_id, const Delivery& d,
                                std::int64_t next_attempt_at, bool give_up) {
  auto s = conn.Prepare("SELECT state, subject_id, target FROM sync_outbox WHERE id = ?");
  s.Bind(1, outbox_id);
  if (!s.Step()) return s.status();
  if (s.Text(0) != "pending") return Status::Ok();  // answered already: exactly once
  const std::int64_t subject = s.Int(1);
  const std::string target = s.Text(2);
  const std::int64_t now = options_.clock();
  const std::optional<int> http = d.http_status ? std::optional<int>(d.http_status) : std::nullopt;
  const bool answered = d.kind == Delivery::Kind::kAccepted || d.kind == Delivery::Kind::kRejected;
  if (answered) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET state = 'sent', attempts = attempts "
                                    "+ 1, last_attempt_at = ?, last_http_status = ?, response = "
                                    "?, sent_at = ? WHERE id = ?")
                           .Bind(1, now)
                           .Bind(2, http)
                           .Bind(3, d.response.is_null() ? std::string("{}") : d.response.dump())
                           .Bind(4, now)
                           .Bind(5, outbox_id)
                           .Run());
    ZZ_ASSIGN_OR_RETURN(Record record, LoadRecord<Record>(conn, subject));
    if (record.status != status::kSubmitted) {
      return History(conn, record.id, now, "answer_ignored", target,
                     "answer for a " + record.status + " record");
    }
    return ApplyAnswer(conn, record, d, target);
  }
  const bool fail = d.kind == Delivery::Kind::kFailed || give_up;
  ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET attempts = attempts + 1, "
                                  "last_attempt_at = ?, last_error = ?, last_http_status = ?, "
                                  "state = ?, next_attempt_at = ? WHERE id = ?")
                         .Bind(1, now)
                         .Bind(2, d.reason)
                         .Bind(3, http)
                         .Bind(4, fail ? "failed" : "pending")
                         .Bind(5, fail ? now : next_attempt_at)
                         .Bind(6, outbox_id)
                         .Run());
  if (!fail) return Status::Ok();
  return History(conn, subject, now, "delivery_failed", target, d.reason);
}

Result<json> Residence::RecordAnswer(store::Connection& conn, std::int64_t id,
                                     const Delivery& answer, const std::string& actor) {
  ZZ_ASSIGN_OR_RETURN(Record record, LoadRecord<Record>(conn, id));
  if (record.status != status::kSubmitted) {
    return Status::Conflict(
        "invalid_transition", "status",
        "only a submitted registration takes an answer; this one is " + record.status);
  }
  const std::int64_t now = options_.clock();
  // Whatever is still being delivered for it stops: the answer is in.
  ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET state = 'sent', sent_at = ?, response "
                                  "= ? WHERE subject_id = ? AND state != 'sent'")
                         .Bind(1, now)
                         .Bind(2, json{{"recorded_by", actor}}.dump())
                         .Bind(3, id)
                         .Run());
  ZZ_RETURN_IF_ERROR(ApplyAnswer(conn, record, answer, actor));
  return json{{"id", id}};
}

Status Residence::MarkExported(store::Connection& conn, const std::vector<std::int64_t>& ids,
                               const std::string& file) {
  const std::int64_t now = options_.clock();
  for (std::int64_t id : ids) {
    auto s = conn.Prepare("SELECT subject_id FROM sync_outbox WHERE id = ? AND state = 'pending'");
    s.Bind(1, id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      continue;
    }
    const std::int64_t subject = s.Int(0);
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET state = 'sent', sent_at = ?, "
                                    "attempts = attempts + 1, last_attempt_at = ?, export_file = "
                                    "? WHERE id = ?")
                           .Bind(1, now)
                           .Bind(2, now)
                           .Bind(3, file)
                           .Bind(4, id)
                           .Run());
    ZZ_RETURN_IF_ERROR(History(conn, subject, now, "exported", kExportTarget, file));
  }
  return Status::Ok();
}

}  // namespace zhizhi::residence
