// Residence: submission — a record and its signed outbox message written in one transaction.
#include "residence/residence.h"

#include "residence/residence_internal.h"

namespace zhizhi::residence {

using nlohmann::json;

Status Residence::SubmitRecord(store::Connection& conn, const Record& record,
                               const std::string& actor, const Application* built) {
  const std::int64_t now = options_.clock();
  const int n = record.submissions + 1;
  const std::string& client =
      options_.adapter ? options_.adapter->config().client_id : options_.client_id;
  const std::string key = client + ":" + std::to_string(record.id) + ":" + std::to_string(n);

  MessageContext context;
  context.created_at_ms = now;
  const std::int64_t root_id = record.registration_id.value_or(record.id);
  context.registration_ref = client + ":R" + std::to_string(root_id);
  if (record.registration_id) {
    auto r = conn.Prepare("SELECT receipt_no FROM residence_registrations WHERE id = ?");
    r.Bind(1, root_id);
    if (r.Step()) context.previous_receipt_no = r.OptText(0);
    ZZ_RETURN_IF_ERROR(r.status());
  }
  ZZ_ASSIGN_OR_RETURN(Application app, LoadApplication(conn, record.person_id, record.enrolment_id,
                                                       rules_.residence().reason));
  app.kind = record.kind;
  if (record.event_date) app.event_date = ParseDate(*record.event_date);
  SetAddress(app, record.address, options_.require_community);

  OutboxMessage m;
  if (options_.adapter) {
    auto p = conn.Prepare("SELECT id_cipher FROM persons WHERE id = ?");
    p.Bind(1, record.person_id);
    if (!p.Step()) {
      ZZ_RETURN_IF_ERROR(p.status());
      return Status::Internal("person of registration vanished");
    }
    ZZ_ASSIGN_OR_RETURN(std::string id_number, cipher_->Unseal(p.Blob(0)));
    m = options_.adapter->Build(app, id_number, key, context, now);
  } else {
    // The daily export: the number stays sealed in persons.id_cipher (so key rotation re-seals
    // it) until the file is written; the row holds only the masked form.
    m.target = kExportTarget;
    m.message_type = record.kind;
    m.idempotency_key = key;
    m.payload = MessageBody(app, key, context, {{"id_number_masked", app.id_masked}}).dump();
  }
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO sync_outbox(target, subject_id, person_id, message_type, "
                   "idempotency_key, payload, signature, key_id, signed_at, state, "
                   "next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,'pending',?,?)")
          .Bind(1, m.target)
          .Bind(2, record.id)
          .Bind(3, record.person_id)
          .Bind(4, m.message_type)
          .Bind(5, m.idempotency_key)
          .Bind(6, m.payload)
          .Bind(7, m.signature)
          .Bind(8, m.key_id)
          .Bind(9, m.signed_at)
          .Bind(10, now)
          .Bind(11, now)
          .Run());
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("UPDATE residence_registrations SET status = 'submitted', submissions = ?, "
                   "submitted_at = ?, reject_reason = NULL, answered_at = NULL, updated_at = ? "
                   "WHERE id = ?")
          .Bind(1, n)
          .Bind(2, now)
          .Bind(3, now)
          .Bind(4, record.id)
          .Run());
  ZZ_RETURN_IF_ERROR(History(conn, record.id, now, "submitted", actor, m.target + " " + key));
  if (queued_) queued_();
  return Status::Ok();
}

Status Residence::Submit(store::Connection& conn, std::int64_t id, const std::string& actor) {
  ZZ_ASSIGN_OR_RETURN(Record record, LoadRecord<Record>(conn, id));
  const std::int64_t now = options_.clock();
  if (record.status == status::kSubmitted) {
    // Already on its way; a delivery that failed for good is queued again under its key.
    auto s = conn.Prepare(
        "SELECT id, state FROM sync_outbox WHERE subject_id = ? ORDER BY id DESC LIMIT 1");
    s.Bind(1, id);
    if (s.Step() && s.Text(1) == "failed") {
      const std::int64_t row = s.Int(0);
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE sync_outbox SET state = 'pending', attempts = 0, "
                                      "next_attempt_at = ? WHERE id = ?")
                             .Bind(1, now)
                             .Bind(2, row)
                             .Run());
      ZZ_RETURN_IF_ERROR(History(conn, id, now, "requeued", actor, "delivery retried"));
      if (queued_) queued_();
    }
    return s.status();
  }
  if (!record.open()) {
    return Status::Conflict("invalid_transition", "status",
                            "a " + record.status + " registration cannot be submitted");
  }
  // Bring it up to date first (the registry or the face status may have changed).
  ZZ_RETURN_IF_ERROR(OnPersonChanged(conn, record.person_id));
  ZZ_ASSIGN_OR_RETURN(record, LoadRecord<Record>(conn, id));
  if (record.status == status::kSubmitted) return Status::Ok();  // submitted automatically
  if (!record.open()) {
    return Status::Conflict("invalid_transition", "status",
                            "the registration is now " + record.status);
  }
  const json missing = json::parse(record.missing, nullptr, false);
  if (!missing.empty()) {
    return Status::Rule("registration_incomplete", "missing",
                        "the application is incomplete: " +
                            MissingText(missing.get<std::vector<std::string>>()))
        .With("missing", missing);
  }
  ZZ_RETURN_IF_ERROR(SubmitRecord(conn, record, actor));
  return Notify(conn, record.person_id);
}

}  // namespace zhizhi::residence
