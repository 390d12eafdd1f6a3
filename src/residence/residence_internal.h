// What the Residence's own files (residence.cc, arrivals.cc, registration_chain.cc, drafts.cc,
// submission.cc, answers.cc, registration_views.cc) share and nobody else needs: the rows it
// reads (a record of residence_registrations, an enrolment), reading them, and the history line
// every state change writes. Not part of the module's interface: include it only from those
// files.
//
// The helpers that take a Residence::Record are templates because Record is private to
// Residence: only its member functions may name it, and they instantiate them.
//
// Thread-safety: plain structs and stateless functions; the connection belongs to the caller.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"
#include "residence/application.h"
#include "residence/residence.h"
#include "store/sqlite.h"

namespace zhizhi::residence {

// A row of residence_registrations: a registration, a change or a deregistration.
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

// An enrolment of the person, as far as housing goes.
struct Residence::EnrolmentRow {
  std::int64_t id = 0;
  std::string project, role;
  Date entry;
  std::optional<Date> exit;
  std::optional<std::string> dorm;
  std::optional<Date> dorm_since;

  bool housed() const { return !exit && dorm && !dorm->empty(); }
};

// The columns ReadRecord reads, in its order.
inline constexpr const char* kRecordColumns =
    "id, kind, registration_id, person_id, enrolment_id, project_code, status, "
    "residence_address, event_date, due_date, receipt_no, application, missing, submissions";

// A stored date (always well formed: the registry checked it); the epoch if not.
inline Date ParseDate(const std::string& text) {
  auto d = Date::Parse(text, "date");
  return d.ok() ? *d : Date{};
}

// "complete", or "missing: a, b" — the note of a draft's history line.
inline std::string MissingText(const std::vector<std::string>& missing) {
  if (missing.empty()) return "complete";
  std::string s = "missing: ";
  for (size_t i = 0; i < missing.size(); ++i)
    s += (i ? ", " : "") + missing[i];
  return s;
}

// One line of a record's history (residence_history).
inline Status History(store::Connection& conn, std::int64_t id, std::int64_t at, const char* action,
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

// The name of a record's event date: arrival, move or leave.
inline const char* EventName(const std::string& kind) {
  if (kind == kind::kChange) return "move_date";
  if (kind == kind::kDeregistration) return "leave_date";
  return "arrival_date";
}

// The record of a row selected with kRecordColumns.
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

// Record `id`; 404 when there is none.
template <typename RecordT>
Result<RecordT> LoadRecord(store::Connection& conn, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kRecordColumns + " FROM residence_registrations WHERE id = ?";
  auto s = conn.Prepare(sql);
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no residence registration " + std::to_string(id), "id");
  }
  return ReadRecord<RecordT>(s);
}

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

}  // namespace zhizhi::residence
