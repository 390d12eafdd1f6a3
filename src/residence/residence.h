// Residence: temporary residence registration (流动人口居住登记) with zero trips for the worker.
//
// The platform keeps one live registration per person and drafts it itself, inside the writer
// job of whatever made it due, following domain.md ("Residence registration"):
//   - an enrolment with a dormitory address (the employer provides the housing) drafts a
//     registration; the first allowed pass at that site after the entry date is the arrival, and
//     the due date is arrival + 3 days (rulebook `residence.register_days`);
//   - the draft holds every field of the application and lists what is missing, including
//     `face_verified` until the face module shows a face matched to the ID photo
//     (face_verification.h); a complete draft is submitted at once (`residence.auto_submit`);
//   - a move to another dormitory or project of a registered person drafts a change record
//     (due 10 days after the move); leaving (no housing enrolment left) drafts a deregistration;
//     a registration the police never saw is updated in place, or cancelled when the worker left.
//
// Submission writes the state change and an outbox row (sync_outbox) in the same transaction:
// the message is built, the ID number encrypted for the police and the body signed right there
// (police_adapter.h), so a committed submission is never lost and never sent twice under two
// keys. The OutboxSender delivers it later and applies the answer through ApplyDelivery():
// draft → submitted → accepted (receipt number) / rejected (reason) → deregistered.
//
// Every method that writes takes the writer's connection and runs inside a job; a non-OK status
// rolls the caller's savepoint back. Listeners added with AddChangeListener (the alerts engine)
// hear about every person whose records changed, in the same job.
//
// The methods are implemented in one file per concern: residence.cc (the person hook: a
// person's registration follows the registry; ReconcileAll), arrivals.cc (the pass hook),
// registration_chain.cc (changes and deregistration), drafts.cc (writing records), submission.cc
// (the outbox), answers.cc (delivery outcomes and answers), registration_views.cc and
// sync_status.cc (reads); residence_internal.h holds what they share.
//
// Thread-safety: immutable after the listeners are added; safe from any thread given a
// connection owned by that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "gate/gate.h"
#include "registry/rulebook.h"
#include "residence/application.h"
#include "residence/police_adapter.h"
#include "security/field_cipher.h"
#include "security/principal.h"
#include "store/database.h"
#include "store/page.h"

namespace zhizhi::residence {

struct ResidenceOptions {
  std::function<std::int64_t()> clock = [] { return NowUnixMs(); };
  // Where submissions go: the police adapter when configured, else the daily export file.
  const PoliceAdapter* adapter = nullptr;
  // Prefix of idempotency keys and registration references (the adapter's client id, or this).
  std::string client_id = "zhizhi";
  // Keep complete drafts as drafts (processes without the police configuration, e.g. import);
  // `serve` submits them when it starts.
  bool defer_submission = false;
  // Dormitory addresses are standardised (the platform has an address service): a registration
  // also needs the dormitory's community, listed as missing residence_community until settled.
  bool require_community = false;
};

struct RegistrationFilter {
  std::optional<std::string> status, project, kind;
  std::optional<std::int64_t> person_id;
};

class Residence {
 public:
  Residence(store::Database* db, const security::FieldCipher* cipher,
            const registry::Rulebook& rules, ResidenceOptions options = {});

  // Told (inside the job) about every person whose residence records changed. Add before use.
  using ChangeListener = std::function<Status(store::Connection&, std::int64_t person_id)>;
  void AddChangeListener(ChangeListener listener) { listeners_.push_back(std::move(listener)); }
  // Called inside a job that queued a message; wakes the sender (which reads after the commit).
  void SetQueuedListener(std::function<void()> listener) { queued_ = std::move(listener); }

  // --- hooks (writer connection, inside the job of the change) ---
  // Registry person listener (enrolment, exit, move, person data) and face changes: brings the
  // person's registration, changes and deregistration up to date, submitting complete drafts.
  Status OnPersonChanged(store::Connection& conn, std::int64_t person_id);
  // Gate pass listener: the first allowed pass at the site of a draft (or an earlier one replayed
  // late) is the arrival. Otherwise one indexed lookup for a person's first pass, and none after
  // (the memo `live_`).
  Status OnPass(store::Connection& conn, const gate::Gate::PassNotice& pass);

  // --- writes (writer connection) ---
  // Sends a draft or rejected record (422 registration_incomplete with `missing` when it lacks
  // something); a submitted one whose delivery failed is queued again under its key.
  Status Submit(store::Connection& conn, std::int64_t id, const std::string& actor);
  // An answer received outside the adapter (the daily export was uploaded by hand): accepted
  // with a receipt number, or rejected with a reason. 409 invalid_transition unless submitted.
  Result<nlohmann::json> RecordAnswer(store::Connection& conn, std::int64_t id,
                                      const Delivery& answer, const std::string& actor);
  // The outcome of one delivery attempt of outbox row `outbox_id` (stale answers are ignored):
  // an answer changes the record; a retry sets `next_attempt_at`, or fails the row for good when
  // `give_up`.
  Status ApplyDelivery(store::Connection& conn, std::int64_t outbox_id, const Delivery& delivery,
                       std::int64_t next_attempt_at, bool give_up);
  // Rows written to an export file are out of our hands until an answer is recorded.
  Status MarkExported(store::Connection& conn, const std::vector<std::int64_t>& outbox_ids,
                      const std::string& file);

  // --- reads (read connection) ---
  Result<nlohmann::json> List(store::Connection& conn, const RegistrationFilter& filter,
                              const store::Page& page, const security::Principal& who) const;
  Result<nlohmann::json> Get(store::Connection& conn, std::int64_t id,
                             const security::Principal& who) const;
  // Outbox counts per target: pending, sent, failed, last error, last success.
  Result<nlohmann::json> SyncCounts(store::Connection& conn) const;
  // Project code of a record (scope checks); 404 when there is none.
  Result<std::string> ProjectOf(store::Connection& conn, std::int64_t id) const;

  // Every person with an enrolment or a live record, in writer jobs of `chunk` persons: what
  // the hooks would have done (after an import, at start). Returns the persons whose records
  // changed.
  Result<std::int64_t> ReconcileAll(int chunk = 500);

  const registry::Rulebook& rules() const { return rules_; }
  const ResidenceOptions& options() const { return options_; }

 private:
  struct Record;
  struct EnrolmentRow;
  // Applications built during one reconciliation, by record id (a submission right after a
  // draft reuses its application instead of reading the registry again).
  using Built = std::vector<std::pair<std::int64_t, Application>>;

  Status Reconcile(store::Connection& conn, std::int64_t person, bool* changed);
  Status ReconcileChain(store::Connection& conn, std::int64_t person, const Record& root,
                        const std::vector<EnrolmentRow>& enrolments, bool* changed, Built* built);
  // Recomputes a draft/rejected record from the registry; true when something changed.
  Result<bool> Refresh(store::Connection& conn, const Record& record, const EnrolmentRow& housing,
                       std::optional<Date> event_date, const std::string& address, Built* built);
  Result<std::int64_t> Create(store::Connection& conn, const char* kind, std::int64_t person,
                              std::optional<std::int64_t> registration_id,
                              const EnrolmentRow& housing, std::optional<Date> event_date,
                              const std::string& address, Built* built);
  Status Close(store::Connection& conn, const Record& record, const char* status,
               const std::string& note);
  Status SubmitRecord(store::Connection& conn, const Record& record, const std::string& actor,
                      const Application* built = nullptr);
  Status ApplyAnswer(store::Connection& conn, const Record& record, const Delivery& answer,
                     const std::string& actor);
  Result<std::optional<Date>> Arrival(store::Connection& conn, std::int64_t person,
                                      const EnrolmentRow& housing) const;
  Status Notify(store::Connection& conn, std::int64_t person);
  nlohmann::json RecordJson(const store::Statement& row, const security::Principal& who) const;

  // The person's live registration as the pass hook needs it, read once and kept until the
  // person's records or enrolments change (OnPersonChanged, Notify) or a group commit is rolled
  // back; none when the person has no live registration.
  struct Live {
    std::string status, project;
    std::optional<std::string> event_date;
    std::string entry_date;  // of the enrolment it is registered through
  };
  std::unordered_map<std::int64_t, std::optional<Live>> live_;  // writer thread only

  store::Database* db_;
  const security::FieldCipher* cipher_;
  const registry::Rulebook& rules_;
  const ResidenceOptions options_;
  std::vector<ChangeListener> listeners_;
  std::function<void()> queued_;
};

}  // namespace zhizhi::residence
