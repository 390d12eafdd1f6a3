// A small district on a fresh database for the alerts tests: registry, alerts engine with a
// fixed clock, and helpers that make corps, projects, persons, certificates, enrolments and
// passes through the same code paths as the API (so the incremental hooks fire).
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
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::alerts {

// Records a pass at `hour`:00 local time of `day` the way the gate stores one (no device, a
// terminal identification, direction in); returns its time. Shared by the test district and the
// planted district, so both write passes of one shape.
Result<std::int64_t> RecordTestPass(store::Connection& conn, const std::string& event_id,
                                    const std::string& project, std::int64_t person, Date day,
                                    int hour, bool allowed);

class TestDistrict {
 public:
  // Creates a fresh directory under `parent`, removed again on destruction. `now` is the
  // engine's clock; change it with set_now().
  // With `incremental` false the engine is not hooked to the registry (a bulk load, as an
  // import does: only a scan makes alerts).
  TestDistrict(const std::string& parent, const std::string& now_rfc3339, bool incremental = true);
  ~TestDistrict();

  void set_now(const std::string& rfc3339);
  const DetectionClock clock() const { return DetectionClock::At(now_ms_); }
  Date today() const { return clock().today; }
  Date Day(int offset_from_today) const { return today().AddDays(offset_from_today); }

  store::Database& db() { return *db_; }
  registry::Registry& registry() { return *registry_; }
  AlertEngine& engine() { return *engine_; }
  Records& records() { return *records_; }

  // Each helper runs one writer job; errors are returned (rule violations are expected in
  // randomised tests).
  Result<std::string> Corp(const std::string& name);  // returns the USCC
  Status Project(const std::string& code, const std::string& status, Date start);
  Status ProjectCorp(const std::string& project, const std::string& uscc, const std::string& type);
  Result<std::int64_t> Person(const std::string& name);
  Result<std::int64_t> Certificate(std::int64_t person, const std::string& kind,
                                   const std::string& type, Date from, Date to);
  Status Revoke(std::int64_t certificate);
  Result<std::int64_t> Enrol(const std::string& project, std::int64_t person,
                             const std::string& uscc, const std::string& role,
                             const std::string& work_type, std::optional<std::string> post,
                             Date entry);
  Status Exit(const std::string& project, std::int64_t person, Date exit);
  // A recorded pass at local noon of `day`, told to the engine as the gate does.
  Status Pass(const std::string& project, std::int64_t person, Date day, bool allowed = true);
  Status Leave(std::int64_t person, Date from, Date to);
  Status Exempt(std::int64_t person, const std::string& project, const std::string& reason);

  // A manager with every certificate a project manager needs, valid around today.
  Status GiveManagerCertificates(std::int64_t person);

  // Active alerts as "type|key|severity|message|detail|evidence" lines, sorted.
  std::vector<std::string> ActiveAlerts();
  // Active alert keys, sorted.
  std::vector<std::string> ActiveKeys();

 private:
  std::string dir_;
  std::int64_t now_ms_ = 0;
  int next_person_ = 0, next_corp_ = 0, next_certificate_ = 0, next_event_ = 0;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<security::FieldCipher> cipher_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<AlertEngine> engine_;
  std::unique_ptr<Records> records_;
};

}  // namespace zhizhi::alerts
