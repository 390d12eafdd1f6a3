// A small district on a fresh database for the alerts tests: registry, residence registration
// (daily-export mode) and alerts engine with a fixed clock, and helpers that make corps,
// projects, persons, certificates, enrolments, moves and passes through the same code paths as
// the API (so the incremental hooks fire), plus the face module's verification and the police's
// answers as the residence module sees them.
//
// Test support only (used by *_test.cc and the alert benchmark).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert_engine.h"
#include "alerts/records.h"
#include "registry/registry.h"
#include "residence/residence.h"
#include "security/field_cipher.h"
#include "store/database.h"
#include "testkit/scratch_database.h"

namespace zhizhi::testkit {

// Records a pass at `time_ms` the way the gate stores one (no device, a terminal identification,
// direction in); returns its seq. Shared by the test district and the planted district, so both
// write passes of one shape.
Result<std::int64_t> RecordTestPassAt(store::Connection& conn, const std::string& event_id,
                                      const std::string& project, std::int64_t person,
                                      std::int64_t time_ms, bool allowed);

class TestDistrict {
 public:
  // Creates a fresh directory under `parent`, removed again on destruction. `now` is the
  // engine's clock; change it with set_now().
  // With `incremental` false the engine is not hooked to the registry (a bulk load, as an
  // import does: only a scan makes alerts).
  // `police`: submissions go to this adapter instead of the daily export.
  TestDistrict(const std::string& parent, const std::string& now_rfc3339, bool incremental = true,
               const residence::PoliceAdapter* police = nullptr);
  ~TestDistrict();

  void set_now(const std::string& rfc3339);
  void Advance(std::int64_t ms) { now_ms_ += ms; }
  const alerts::DetectionClock clock() const { return alerts::DetectionClock::At(now_ms_); }
  Date today() const { return clock().today; }
  Date Day(int offset_from_today) const { return today().AddDays(offset_from_today); }

  store::Database& db() { return *db_; }
  const security::FieldCipher& cipher() const { return *cipher_; }
  registry::Registry& registry() { return *registry_; }
  alerts::AlertEngine& engine() { return *engine_; }
  residence::Residence& residence() { return *residence_; }
  alerts::Records& records() { return *records_; }

  // Each helper runs one writer job; errors are returned (rule violations are expected in
  // randomised tests).
  Result<std::string> Corp(const std::string& name);  // returns the USCC
  Status Project(const std::string& code, const std::string& status, Date start,
                 std::optional<double> lat = std::nullopt,
                 std::optional<double> lng = std::nullopt);
  Status ProjectCorp(const std::string& project, const std::string& uscc, const std::string& type);
  Result<std::int64_t> Person(const std::string& name);
  Result<std::int64_t> Certificate(std::int64_t person, const std::string& kind,
                                   const std::string& type, Date from, Date to);
  Status Revoke(std::int64_t certificate);
  Result<std::int64_t> Enrol(const std::string& project, std::int64_t person,
                             const std::string& uscc, const std::string& role,
                             const std::string& work_type, std::optional<std::string> post,
                             Date entry, std::optional<std::string> dorm = std::nullopt);
  Status MoveDorm(const std::string& project, std::int64_t person, const std::string& dorm,
                  Date moved_on);
  Status Exit(const std::string& project, std::int64_t person, Date exit);
  // A recorded pass at local noon of `day`, told to the engine as the gate does.
  Status Pass(const std::string& project, std::int64_t person, Date day, bool allowed = true);
  // A pass at an exact instant; returns its seq.
  Result<std::int64_t> PassAt(const std::string& project, std::int64_t person, std::int64_t time_ms,
                              bool allowed = true);
  // The face module's verification (an ID-card photo and a matched live face), told to the
  // residence module as the face module's hook does.
  Status VerifyFace(std::int64_t person);
  // A person named `name`, with the record a residence registration needs when `complete` and
  // a verified face when `face`.
  Result<std::int64_t> Worker(const std::string& name, bool complete, bool face);
  // Answers every pending police message: accepted (receipt numbers) or rejected.
  Result<int> AnswerPolice(bool accept, const std::string& reason = "退回");
  // Complete phone, nation and household address of a person (what a registration needs).
  Status CompletePerson(std::int64_t person);
  Status Leave(std::int64_t person, Date from, Date to);
  Status Exempt(std::int64_t person, const std::string& project, const std::string& reason);

  // A manager with every certificate a project manager needs, valid around today.
  Status GiveManagerCertificates(std::int64_t person);

  // Active alerts as "type|key|severity|message|detail|evidence" lines, sorted.
  std::vector<std::string> ActiveAlerts();
  // Active alert keys, sorted.
  std::vector<std::string> ActiveKeys();

 private:
  std::int64_t now_ms_ = 0;
  int next_person_ = 0, next_corp_ = 0, next_certificate_ = 0, next_event_ = 0;
  std::unique_ptr<ScratchDatabase> scratch_;  // a fresh directory: tests run in parallel
  store::Database* db_ = nullptr;
  std::unique_ptr<security::FieldCipher> cipher_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<residence::Residence> residence_;
  std::unique_ptr<alerts::AlertEngine> engine_;
  std::unique_ptr<alerts::Records> records_;
};

}  // namespace zhizhi::testkit
