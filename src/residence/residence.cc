#include "residence/residence.h"

#include <algorithm>

#include "residence/face_verification.h"

namespace zhizhi::residence {

using nlohmann::json;

struct Residence::Record {
  std::int64_t id = 0;
  std::string kind;
  std::optional<std::int64_t> registration_id;
  std::int64_t person_id = 0, enrolment_id = 0;
  std::string project, status;
  std::optional<std::string> address, event_date, due_date, receipt_no;
  std::string application, missing;
  int submissions = 0;

  bool open() const { return status == status::kDraft || status == status::kRejected; }
};

struct Residence::EnrolmentRow {
  std::int64_t id = 0;
  std::string project, role;
  Date entry;
  std::optional<Date> exit;
  std::optional<std::string> dorm;
  std::optional<Date> dorm_since;

  bool housed() const { return !exit && dorm && !dorm->empty(); }
};

namespace {

constexpr const char* kRecordColumns =
    "id, kind, registration_id, person_id, enrolment_id, project_code, status, "
    "residence_address, event_date, due_date, receipt_no, application, missing, submissions";

Date ParseDate(const std::string& text) {
  auto d = Date::Parse(text, "date");
  return d.ok() ? *d : Date{};
}

std::optional<std::string> DateText(const std::optional<Date>& d) {
  return d ? std::optional<std::string>(d->ToString()) : std::nullopt;
}

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

std::string MissingText(const std::vector<std::string>& missing) {
  if (missing.empty()) return "complete";
  std::string s = "missing: ";
  for (size_t i = 0; i < missing.size(); ++i)
    s += (i ? ", " : "") + missing[i];
  return s;
}

Status History(store::Connection& conn, std::int64_t id, std::int64_t at, const char* action,
               const std::string& actor, const std::string& note) {
  return conn
      .Prepare(
          "INSERT INTO residence_history(registration_id, at, action, actor, note) "
          "VALUES (?,?,?,?,?)")
      .Bind(1, id)
      .Bind(2, at)
      .Bind(3, action)
      .Bind(4, actor)
      .Bind(5, note.empty() ? std::nullopt : std::optional<std::string>(note))
      .Run();
}

const char* EventName(const std::string& kind) {
  if (kind == kind::kChange) return "move_date";
  if (kind == kind::kDeregistration) return "leave_date";
  return "arrival_date";
}

}  // namespace

Residence::Residence(store::Database* db, const security::FieldCipher* cipher,
                     const registry::Rulebook& rules, ResidenceOptions options)
    : db_(db), cipher_(cipher), rules_(rules), options_(std::move(options)) {
  // The pass hook's memo holds rows of the group; a group that does not commit takes them along.
  if (db_) db_->AddRollbackListener([this](store::Connection&) { live_.clear(); });
}

// ------------------------------------------------------------------------------ loading

namespace {

template <typename RecordT>
RecordT ReadRecord(const store::Statement& s) {
  RecordT r;
  r.id = s.Int(0);
  r.kind = s.Text(1);
  r.registration_id = s.OptInt(2);
  r.person_id = s.Int(3);
  r.enrolment_id = s.Int(4);
  r.project = s.Text(5);
  r.status = s.Text(6);
  r.address = s.OptText(7);
  r.event_date = s.OptText(8);
  r.due_date = s.OptText(9);
  r.receipt_no = s.OptText(10);
  r.application = s.Text(11);
  r.missing = s.Text(12);
  r.submissions = static_cast<int>(s.Int(13));
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------- reconcile

Status Residence::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  live_.erase(person_id);
  bool changed = false;
  ZZ_RETURN_IF_ERROR(Reconcile(conn, person_id, &changed));
  return changed ? Notify(conn, person_id) : Status::Ok();
}

Status Residence::OnPass(store::Connection& conn, const gate::Gate::PassNotice& pass) {
  if (!pass.allowed) return Status::Ok();
  // The person's live registration (one indexed lookup, then from memory): does this pass date
  // an arrival?
  auto it = live_.find(pass.person_id);
  if (it == live_.end()) {
    auto s = conn.Prepare(
        "SELECT r.status, r.project_code, r.event_date, e.entry_date FROM "
        "residence_registrations r JOIN enrolments e ON e.id = r.enrolment_id WHERE "
        "r.person_id = ? AND r.kind = 'registration' AND "
        "r.status IN ('draft','submitted','accepted','rejected')");
    s.Bind(1, pass.person_id);
    std::optional<Live> live;
    if (s.Step()) {
      live = Live{s.Text(0), s.Text(1), s.OptText(2), s.Text(3)};
    } else {
      ZZ_RETURN_IF_ERROR(s.status());
    }
    it = live_.emplace(pass.person_id, std::move(live)).first;
  }
  if (!it->second) return Status::Ok();
  const Live& live = *it->second;
  if (live.status != status::kDraft && live.status != status::kRejected) return Status::Ok();
  if (live.project != pass.project) return Status::Ok();
  if (pass.time_ms < StartOfDayInChina(ParseDate(live.entry_date))) return Status::Ok();
  const auto& arrival = live.event_date;
  if (arrival && DateInChina(pass.time_ms).ToString() >= *arrival) return Status::Ok();
  // The first pass (or an earlier one replayed late): the draft's arrival and due date move.
  return OnPersonChanged(conn, pass.person_id);
}

Result<std::optional<Date>> Residence::Arrival(store::Connection& conn, std::int64_t person,
                                               const EnrolmentRow& housing) const {
  auto s = conn.Prepare(
      "SELECT time_ms FROM gate_events WHERE person_id = ? AND time_ms >= ? AND "
      "project_code = ? AND decision = 'allow' AND identified_by != 'auto' "
      "ORDER BY time_ms LIMIT 1");
  s.Bind(1, person).Bind(2, StartOfDayInChina(housing.entry)).Bind(3, housing.project);
  if (s.Step()) return std::optional<Date>(DateInChina(s.Int(0)));
  ZZ_RETURN_IF_ERROR(s.status());
  return std::optional<Date>();
}

namespace {

// The enrolment the person lives through: `preferred` (the registered one) while it is open with
// a dormitory, else the newest open enrolment with a dormitory address.
template <typename Row>
const Row* Housing(const std::vector<Row>& enrolments, std::optional<std::int64_t> preferred) {
  if (preferred) {
    for (const Row& e : enrolments) {
      if (e.id == *preferred && e.housed()) return &e;
    }
  }
  const Row* best = nullptr;
  for (const Row& e : enrolments) {
    if (!e.housed()) continue;
    if (!best || std::tie(e.entry, e.id) > std::tie(best->entry, best->id)) best = &e;
  }
  return best;
}

}  // namespace

Status Residence::Reconcile(store::Connection& conn, std::int64_t person, bool* changed) {
  std::vector<EnrolmentRow> enrolments;
  {
    auto s = conn.Prepare(
        "SELECT id, project_code, work_role, entry_date, exit_date, dorm_address, dorm_since "
        "FROM enrolments WHERE person_id = ? ORDER BY id");
    s.Bind(1, person);
    while (s.Step()) {
      EnrolmentRow e;
      e.id = s.Int(0);
      e.project = s.Text(1);
      e.role = s.Text(2);
      e.entry = ParseDate(s.Text(3));
      if (auto exit = s.OptText(4)) e.exit = ParseDate(*exit);
      e.dorm = s.OptText(5);
      if (auto since = s.OptText(6)) e.dorm_since = ParseDate(*since);
      enrolments.push_back(std::move(e));
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  std::optional<Record> root;
  {
    auto s = conn.Prepare(
        "SELECT id, kind, registration_id, person_id, enrolment_id, project_code, status, "
        "residence_address, event_date, due_date, receipt_no, application, missing, submissions "
        "FROM residence_registrations WHERE person_id = ? AND kind = 'registration' AND "
        "status IN ('draft','submitted','accepted','rejected')");
    s.Bind(1, person);
    if (s.Step()) root = ReadRecord<Record>(s);
    ZZ_RETURN_IF_ERROR(s.status());
  }

  Built built;
  if (!root) {
    const EnrolmentRow* housing = Housing(enrolments, std::nullopt);
    if (housing) {
      ZZ_ASSIGN_OR_RETURN(auto arrival, Arrival(conn, person, *housing));
      ZZ_RETURN_IF_ERROR(Create(conn, kind::kRegistration, person, std::nullopt, *housing, arrival,
                                *housing->dorm, &built)
                             .status());
      *changed = true;
    }
  } else if (root->open()) {
    // The police never accepted it: follow the registry in place.
    const EnrolmentRow* housing = Housing(enrolments, root->enrolment_id);
    if (!housing) {
      ZZ_RETURN_IF_ERROR(
          Close(conn, *root, status::kCancelled, "the worker left before it was accepted"));
      *changed = true;
    } else {
      ZZ_ASSIGN_OR_RETURN(auto arrival, Arrival(conn, person, *housing));
      ZZ_ASSIGN_OR_RETURN(bool refreshed,
                          Refresh(conn, *root, *housing, arrival, *housing->dorm, &built));
      *changed |= refreshed;
    }
  } else {
    ZZ_RETURN_IF_ERROR(ReconcileChain(conn, person, *root, enrolments, changed, &built));
  }

  // Zero trips: a complete draft goes out at once.
  if (!rules_.residence().auto_submit || options_.defer_submission) return Status::Ok();
  std::vector<Record> ready;
  {
    auto s = conn.Prepare(
        "SELECT id, kind, registration_id, person_id, enrolment_id, project_code, status, "
        "residence_address, event_date, due_date, receipt_no, application, missing, submissions "
        "FROM residence_registrations WHERE person_id = ? AND status = 'draft' AND missing = '[]' "
        "ORDER BY kind != 'registration', id");
    s.Bind(1, person);
    while (s.Step())
      ready.push_back(ReadRecord<Record>(s));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  for (const Record& r : ready) {
    const Application* app = nullptr;
    for (const auto& [id, a] : built) {
      if (id == r.id) app = &a;
    }
    ZZ_RETURN_IF_ERROR(SubmitRecord(conn, r, "system", app));
    *changed = true;
  }
  return Status::Ok();
}

Status Residence::ReconcileChain(store::Connection& conn, std::int64_t person, const Record& root,
                                 const std::vector<EnrolmentRow>& enrolments, bool* changed,
                                 Built* built) {
  std::vector<Record> children;
  {
    auto s = conn.Prepare(
        "SELECT id, kind, registration_id, person_id, enrolment_id, project_code, status, "
        "residence_address, event_date, due_date, receipt_no, application, missing, submissions "
        "FROM residence_registrations WHERE registration_id = ? ORDER BY id");
    s.Bind(1, root.id);
    while (s.Step())
      children.push_back(ReadRecord<Record>(s));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  // What the police hold (or will, once the messages in flight are answered).
  std::int64_t held_enrolment = root.enrolment_id;
  std::string held_address = root.address.value_or("");
  const Record* dereg = nullptr;
  std::vector<const Record*> open_changes;
  for (const Record& c : children) {
    if (c.kind == kind::kChange) {
      if (c.status == status::kSubmitted || c.status == status::kAccepted) {
        held_enrolment = c.enrolment_id;
        held_address = c.address.value_or("");
      } else if (c.open()) {
        open_changes.push_back(&c);
      }
    } else if (c.kind == kind::kDeregistration && (c.open() || c.status == status::kSubmitted)) {
      dereg = &c;
    }
  }
  const EnrolmentRow* held = nullptr;
  for (const EnrolmentRow& e : enrolments) {
    if (e.id == held_enrolment) held = &e;
  }
  if (!held)
    return Status::Internal("registration " + std::to_string(root.id) +
                            " names an enrolment of another person");
  const Date today = DateInChina(options_.clock());
  const EnrolmentRow* housing = Housing(enrolments, held_enrolment);

  if (!housing) {
    // Left: deregister (Zhejiang: when the worker leaves).
    for (const Record* c : open_changes) {
      ZZ_RETURN_IF_ERROR(Close(conn, *c, status::kCancelled, "the worker left"));
      *changed = true;
    }
    const Date leave = held->exit.value_or(today);
    if (!dereg) {
      ZZ_RETURN_IF_ERROR(
          Create(conn, kind::kDeregistration, person, root.id, *held, leave, held_address, built)
              .status());
      *changed = true;
    } else if (dereg->open()) {
      ZZ_ASSIGN_OR_RETURN(bool refreshed, Refresh(conn, *dereg, *held, leave, held_address, built));
      *changed |= refreshed;
    }
    return Status::Ok();
  }

  if (dereg) {
    if (dereg->status == status::kSubmitted) return Status::Ok();  // its answer decides
    ZZ_RETURN_IF_ERROR(Close(conn, *dereg, status::kCancelled, "housed again before it was sent"));
    *changed = true;
  }
  if (housing->id == held_enrolment && housing->dorm == held_address) {
    for (const Record* c : open_changes) {
      ZZ_RETURN_IF_ERROR(Close(conn, *c, status::kCancelled, "back at the registered address"));
      *changed = true;
    }
    return Status::Ok();
  }
  // A move (same enrolment, new dormitory) or a new project: a change, due within 10 days.
  Date moved = housing->dorm_since.value_or(today);
  if (housing->id != held_enrolment) {
    moved = std::max(housing->entry, held->exit.value_or(housing->entry));
  }
  if (open_changes.empty()) {
    ZZ_RETURN_IF_ERROR(
        Create(conn, kind::kChange, person, root.id, *housing, moved, *housing->dorm, built)
            .status());
    *changed = true;
    return Status::Ok();
  }
  for (size_t i = 0; i + 1 < open_changes.size(); ++i) {
    ZZ_RETURN_IF_ERROR(Close(conn, *open_changes[i], status::kCancelled, "superseded"));
    *changed = true;
  }
  ZZ_ASSIGN_OR_RETURN(bool refreshed,
                      Refresh(conn, *open_changes.back(), *housing, moved, *housing->dorm, built));
  *changed |= refreshed;
  return Status::Ok();
}

namespace {

std::optional<Date> DueOf(const registry::ResidenceRule& rule, const std::string& kind,
                          const std::optional<Date>& event) {
  if (!event) return std::nullopt;
  if (kind == kind::kChange) return event->AddDays(rule.change_days);
  if (kind == kind::kDeregistration) return event->AddDays(rule.deregister_days);
  return event->AddDays(rule.register_days);
}

}  // namespace

Result<bool> Residence::Refresh(store::Connection& conn, const Record& record,
                                const EnrolmentRow& housing, std::optional<Date> event_date,
                                const std::string& address, Built* built) {
  ZZ_ASSIGN_OR_RETURN(Application app, LoadApplication(conn, record.person_id, housing.id,
                                                       rules_.residence().reason));
  app.kind = record.kind;
  app.event_date = event_date;
  app.residence_address = address;
  bool verified = true;
  if (record.kind == kind::kRegistration) {
    ZZ_ASSIGN_OR_RETURN(auto face, CheckFaceVerification(conn, record.person_id));
    verified = face.verified;
  }
  const auto missing = Missing(app, verified);
  const std::string application = app.ToJson().dump();
  const std::string missing_json = json(missing).dump();
  const auto event = DateText(event_date);
  const auto due = DateText(DueOf(rules_.residence(), record.kind, event_date));
  built->emplace_back(record.id, app);
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
  ZZ_ASSIGN_OR_RETURN(Application app,
                      LoadApplication(conn, person, housing.id, rules_.residence().reason));
  app.kind = kind;
  app.event_date = event_date;
  app.residence_address = address;
  bool verified = true;
  if (app.kind == kind::kRegistration) {
    ZZ_ASSIGN_OR_RETURN(auto face, CheckFaceVerification(conn, person));
    verified = face.verified;
  }
  const auto missing = Missing(app, verified);
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
          .Bind(9, app.ToJson().dump())
          .Bind(10, json(missing).dump())
          .Bind(11, now)
          .Bind(12, now)
          .Run());
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(History(conn, id, now, "drafted", "system", MissingText(missing)));
  built->emplace_back(id, std::move(app));
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

Status Residence::Notify(store::Connection& conn, std::int64_t person) {
  live_.erase(person);  // its records changed
  for (const auto& listener : listeners_)
    ZZ_RETURN_IF_ERROR(listener(conn, person));
  return Status::Ok();
}

Result<std::int64_t> Residence::ReconcileAll(int chunk) {
  std::vector<std::int64_t> persons;
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT person_id FROM enrolments UNION SELECT person_id FROM residence_registrations "
        "WHERE status IN ('draft','submitted','accepted','rejected') ORDER BY 1");
    while (s.Step())
      persons.push_back(s.Int(0));
    return s.status();
  }));
  std::int64_t changed_persons = 0;
  const size_t step = static_cast<size_t>(std::max(1, chunk));
  for (size_t i = 0; i < persons.size(); i += step) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      for (size_t j = i; j < std::min(i + step, persons.size()); ++j) {
        bool changed = false;
        ZZ_RETURN_IF_ERROR(Reconcile(conn, persons[j], &changed));
        if (changed) {
          ++changed_persons;
          ZZ_RETURN_IF_ERROR(Notify(conn, persons[j]));
        }
      }
      return Status::Ok();
    }));
  }
  return changed_persons;
}

// ---------------------------------------------------------------------------- submission

namespace {

template <typename RecordT>
Result<RecordT> LoadRecord(store::Connection& conn, std::int64_t id) {
  auto s = conn.Prepare(
      "SELECT id, kind, registration_id, person_id, enrolment_id, project_code, status, "
      "residence_address, event_date, due_date, receipt_no, application, missing, submissions "
      "FROM residence_registrations WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no residence registration " + std::to_string(id), "id");
  }
  return ReadRecord<RecordT>(s);
}

}  // namespace

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
  app.residence_address = record.address;

  OutboxMessage m;
  if (options_.adapter) {
    auto p = conn.Prepare("SELECT id_cipher FROM persons WHERE id = ?");
    p.Bind(1, record.person_id);
    if (!p.Step()) return Status::Internal("person of registration vanished");
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

// ---------------------------------------------------------------------------------- reads

namespace {

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
  std::int64_t after = 0;
  if (!page.after.empty()) {
    try {
      after = std::stoll(page.after);
    } catch (...) {
      return Status::InvalidArgument("cursor", "bad cursor");
    }
  }
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
  // Counts over the whole filter, not just the page.
  auto c = conn.Prepare(std::string("SELECT r.status, COUNT(*) FROM residence_registrations r") +
                        where + " GROUP BY 1");
  bind(c, 0);
  json by_status = json::object();
  std::int64_t total = 0;
  while (c.Step()) {
    by_status[c.Text(0)] = c.Int(1);
    total += c.Int(1);
  }
  ZZ_RETURN_IF_ERROR(c.status());
  json out = {{"items", std::move(items)},
              {"next_cursor", nullptr},
              {"counts", {{"total", total}, {"by_status", std::move(by_status)}}}};
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

Result<json> Residence::SyncCounts(store::Connection& conn) const {
  json targets = json::object();
  auto s = conn.Prepare(
      "SELECT target, state, COUNT(*), MIN(next_attempt_at), MIN(created_at), MAX(sent_at) "
      "FROM sync_outbox GROUP BY target, state");
  while (s.Step()) {
    json& t = targets[s.Text(0)];
    if (t.is_null()) {
      t = {{"pending", 0},
           {"sent", 0},
           {"failed", 0},
           {"last_error", nullptr},
           {"last_error_at", nullptr},
           {"last_sent_at", nullptr},
           {"next_attempt_at", nullptr},
           {"oldest_pending_since", nullptr}};
    }
    const std::string state = s.Text(1);
    t[state] = s.Int(2);
    if (state == "pending") {
      t["next_attempt_at"] = FormatRfc3339(s.Int(3));
      t["oldest_pending_since"] = FormatRfc3339(s.Int(4));
    }
    if (state == "sent" && !s.IsNull(5)) t["last_sent_at"] = FormatRfc3339(s.Int(5));
  }
  ZZ_RETURN_IF_ERROR(s.status());
  for (auto& [target, t] : targets.items()) {
    auto e = conn.Prepare(
        "SELECT last_error, last_attempt_at FROM sync_outbox WHERE target = ? AND last_error IS "
        "NOT NULL ORDER BY last_attempt_at DESC LIMIT 1");
    e.Bind(1, target);
    if (e.Step()) {
      t["last_error"] = e.Text(0);
      t["last_error_at"] = FormatRfc3339(e.Int(1));
    }
    ZZ_RETURN_IF_ERROR(e.status());
  }
  return targets;
}

}  // namespace zhizhi::residence
