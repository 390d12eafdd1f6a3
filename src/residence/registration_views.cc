// Residence: reading records — a record as JSON, the filtered list with counts, one record.
#include "residence/residence.h"

#include "residence/face_verification.h"
#include "residence/residence_internal.h"

namespace zhizhi::residence {

using nlohmann::json;

namespace {

json Opt(const std::optional<std::string>& v) {
  return v ? json(*v) : json();
}

json OptTime(const store::Statement& s, int column) {
  auto v = s.OptInt(column);
  return v ? json(FormatRfc3339(*v)) : json();
}

std::string MaskPhone(const std::string& phone) {
  if (phone.size() < 7) return phone;
  return phone.substr(0, 3) + std::string(phone.size() - 7, '*') + phone.substr(phone.size() - 4);
}

constexpr const char* kViewColumns =
    "r.id, r.kind, r.registration_id, r.person_id, r.enrolment_id, r.project_code, r.status, "
    "r.residence_address, r.event_date, r.due_date, r.receipt_no, r.application, r.missing, "
    "r.submissions, r.reject_reason, r.submitted_at, r.answered_at, r.closed_at, r.created_at, "
    "r.updated_at, p.name, p.id_type, p.id_masked, p.id_cipher";

}  // namespace

json Residence::RecordJson(const store::Statement& s, const security::Principal& who) const {
  const bool pii = who.Has(security::Right::kPii);
  const std::string kind = s.Text(1);
  const std::string state = s.Text(6);
  const auto due = s.OptText(9);
  const Date today = DateInChina(options_.clock());
  const bool pending =
      state == status::kDraft || state == status::kSubmitted || state == status::kRejected;
  json application = json::parse(s.Text(11), nullptr, false);
  std::string id_number = s.Text(22);
  if (pii) {
    if (auto full = cipher_->Unseal(s.Blob(23)); full.ok()) id_number = *full;
  } else if (application.is_object() && application["applicant"]["phone"].is_string()) {
    application["applicant"]["phone"] =
        MaskPhone(application["applicant"]["phone"].get<std::string>());
  }
  if (application.is_object()) application["applicant"]["id_number"] = id_number;
  const json missing = json::parse(s.Text(12), nullptr, false);
  json r = {{"id", s.Int(0)},
            {"kind", kind},
            {"registration_id", s.IsNull(2) ? json() : json(s.Int(2))},
            {"status", state},
            {"person_id", s.Int(3)},
            {"name", s.Text(20)},
            {"id_type", s.Text(21)},
            {"id_number", id_number},
            {"project_code", s.Text(5)},
            {"enrolment_id", s.Int(4)},
            {"residence_address", Opt(s.OptText(7))},
            {EventName(kind), Opt(s.OptText(8))},
            {"due_date", Opt(due)},
            {"overdue", pending && due && *due < today.ToString()},
            {"complete", missing.empty()},
            {"missing", missing},
            {"application", std::move(application)},
            {"receipt_no", Opt(s.OptText(10))},
            {"reject_reason", Opt(s.OptText(14))},
            {"submissions", s.Int(13)},
            {"submitted_at", OptTime(s, 15)},
            {"answered_at", OptTime(s, 16)},
            {"closed_at", OptTime(s, 17)},
            {"created_at", FormatRfc3339(s.Int(18))},
            {"updated_at", FormatRfc3339(s.Int(19))}};
  return r;
}

Result<json> Residence::List(store::Connection& conn, const RegistrationFilter& f,
                             const store::Page& page, const security::Principal& who) const {
  std::string where = " WHERE r.id > ?";
  if (f.status) where += " AND r.status = ?";
  if (f.project) where += " AND r.project_code = ?";
  if (f.kind) where += " AND r.kind = ?";
  if (f.person_id) where += " AND r.person_id = ?";
  if (!who.all_projects) where += " AND r.project_code IN (SELECT value FROM json_each(?))";
  const json scope = who.projects;
  auto bind = [&](store::Statement& s, std::int64_t after) {
    int i = 1;
    s.Bind(i++, after);
    if (f.status) s.Bind(i++, *f.status);
    if (f.project) s.Bind(i++, *f.project);
    if (f.kind) s.Bind(i++, *f.kind);
    if (f.person_id) s.Bind(i++, *f.person_id);
    if (!who.all_projects) s.Bind(i++, scope.dump());
    return i;
  };
  const std::int64_t after = page.after_id;  // checked where the cursor was read (http::PageOf)
  auto s = conn.Prepare(std::string("SELECT ") + kViewColumns +
                        " FROM residence_registrations r JOIN persons p ON p.id = r.person_id" +
                        where + " ORDER BY r.id LIMIT ?");
  s.Bind(bind(s, after), page.limit);
  json items = json::array();
  std::int64_t last = 0;
  while (s.Step()) {
    last = s.Int(0);
    items.push_back(RecordJson(s, who));
  }
  ZZ_RETURN_IF_ERROR(s.status());
  if (who.Has(security::Right::kResidenceWrite)) {
    for (json& item : items) {
      auto o = conn.Prepare(
          "SELECT target, state, attempts, last_error, next_attempt_at, idempotency_key, "
          "export_file FROM sync_outbox WHERE subject_id = ? ORDER BY id DESC LIMIT 1");
      o.Bind(1, item["id"].get<std::int64_t>());
      if (o.Step()) {
        item["sync"] = {
            {"target", o.Text(0)},
            {"state", o.Text(1)},
            {"attempts", o.Int(2)},
            {"last_error", Opt(o.OptText(3))},
            {"next_attempt_at", o.Text(1) == "pending" ? json(FormatRfc3339(o.Int(4))) : json()},
            {"idempotency_key", o.Text(5)},
            {"export_file", Opt(o.OptText(6))}};
      } else {
        item["sync"] = nullptr;
      }
      ZZ_RETURN_IF_ERROR(o.status());
    }
  }
  // Counts over the whole filter, not just the page; `overdue` as the items' flag (still with us
  // or the police, past the due date). Today is ours (YYYY-MM-DD), not the caller's.
  const std::string today = DateInChina(options_.clock()).ToString();
  auto c = conn.Prepare(
      std::string("SELECT r.status, COUNT(*), COALESCE(SUM(r.due_date < '") + today +
      "' AND r.status IN ('draft','submitted','rejected')), 0) FROM residence_registrations r" +
      where + " GROUP BY 1");
  bind(c, 0);
  json by_status = json::object();
  std::int64_t total = 0, overdue = 0;
  while (c.Step()) {
    by_status[c.Text(0)] = c.Int(1);
    total += c.Int(1);
    overdue += c.Int(2);
  }
  ZZ_RETURN_IF_ERROR(c.status());
  json out = {
      {"items", std::move(items)},
      {"next_cursor", nullptr},
      {"counts", {{"total", total}, {"by_status", std::move(by_status)}, {"overdue", overdue}}}};
  if (out["items"].size() == static_cast<size_t>(page.limit)) {
    out["next_cursor"] = page.NextCursor(std::to_string(last));
  }
  return out;
}

Result<json> Residence::Get(store::Connection& conn, std::int64_t id,
                            const security::Principal& who) const {
  auto s = conn.Prepare(std::string("SELECT ") + kViewColumns +
                        " FROM residence_registrations r JOIN persons p ON p.id = r.person_id "
                        "WHERE r.id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no residence registration " + std::to_string(id), "id");
  }
  json r = RecordJson(s, who);
  if (!who.MaySeeProject(r["project_code"].get<std::string>())) {
    return Status::NotFound("no residence registration " + std::to_string(id), "id");
  }
  if (r["kind"] == kind::kRegistration) {
    ZZ_ASSIGN_OR_RETURN(auto face, CheckFaceVerification(conn, r["person_id"].get<std::int64_t>()));
    r["face_verification"] = face.state;
  }
  // The chain: the registration and its changes and deregistrations.
  auto chain = conn.Prepare(
      "SELECT id, kind, status, due_date FROM residence_registrations WHERE id = ? OR "
      "registration_id = ? ORDER BY id");
  const std::int64_t root =
      r["registration_id"].is_null() ? id : r["registration_id"].get<std::int64_t>();
  chain.Bind(1, root).Bind(2, root);
  json records = json::array();
  while (chain.Step()) {
    records.push_back({{"id", chain.Int(0)},
                       {"kind", chain.Text(1)},
                       {"status", chain.Text(2)},
                       {"due_date", Opt(chain.OptText(3))}});
  }
  ZZ_RETURN_IF_ERROR(chain.status());
  r["chain"] = std::move(records);
  auto h = conn.Prepare(
      "SELECT at, action, actor, note FROM residence_history WHERE registration_id = ? ORDER BY "
      "id");
  h.Bind(1, id);
  json history = json::array();
  while (h.Step()) {
    history.push_back({{"at", FormatRfc3339(h.Int(0))},
                       {"action", h.Text(1)},
                       {"actor", h.Text(2)},
                       {"note", Opt(h.OptText(3))}});
  }
  ZZ_RETURN_IF_ERROR(h.status());
  r["history"] = std::move(history);
  if (who.Has(security::Right::kResidenceWrite)) {
    auto o = conn.Prepare(
        "SELECT id, target, idempotency_key, state, attempts, last_error, last_http_status, "
        "next_attempt_at, created_at, sent_at, export_file FROM sync_outbox WHERE subject_id = ? "
        "ORDER BY id");
    o.Bind(1, id);
    json deliveries = json::array();
    while (o.Step()) {
      deliveries.push_back(
          {{"outbox_id", o.Int(0)},
           {"target", o.Text(1)},
           {"idempotency_key", o.Text(2)},
           {"state", o.Text(3)},
           {"attempts", o.Int(4)},
           {"last_error", Opt(o.OptText(5))},
           {"last_http_status", o.IsNull(6) ? json() : json(o.Int(6))},
           {"next_attempt_at", o.Text(3) == "pending" ? json(FormatRfc3339(o.Int(7))) : json()},
           {"created_at", FormatRfc3339(o.Int(8))},
           {"sent_at", OptTime(o, 9)},
           {"export_file", Opt(o.OptText(10))}});
    }
    ZZ_RETURN_IF_ERROR(o.status());
    r["deliveries"] = std::move(deliveries);
  }
  return r;
}

Result<std::string> Residence::ProjectOf(store::Connection& conn, std::int64_t id) const {
  auto s = conn.Prepare("SELECT project_code FROM residence_registrations WHERE id = ?");
  s.Bind(1, id);
  if (s.Step()) return s.Text(0);
  ZZ_RETURN_IF_ERROR(s.status());
  return Status::NotFound("no residence registration " + std::to_string(id), "id");
}

}  // namespace zhizhi::residence
