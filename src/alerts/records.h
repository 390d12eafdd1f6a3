// The facts officials record that the detectors take into account: approved leave (excluded
// from key-personnel presence) and post-conflict exemptions (the legal exceptions to "one key
// post at a time", e.g. adjacent sections of one project).
//
// Writes take the writer's connection inside a job and re-run the person's detection in the
// same job, so an alert the record explains is resolved in the same commit.
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/alert_engine.h"
#include "base/field_reader.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

struct LeaveDraft {
  Date from, to;
  std::optional<std::string> project_code;
  std::optional<std::string> reason;
};
Result<LeaveDraft> ParseLeave(FieldReader& in);

struct ExemptionDraft {
  std::int64_t person_id = 0;
  std::string project_code;
  std::string reason;  // a code of the rulebook's exemption_reasons
  std::optional<std::string> note;
  std::optional<Date> valid_to;
};
Result<ExemptionDraft> ParseExemption(FieldReader& in, const registry::Rulebook& rules);

class Records {
 public:
  explicit Records(AlertEngine* engine) : engine_(engine) {}

  // 422 leave_limit_exceeded when the working days of leave in a month or a year would pass the
  // rulebook's limits.
  Result<nlohmann::json> AddLeave(store::Connection& conn, std::int64_t person_id,
                                  const LeaveDraft& draft, const std::string& approved_by) const;
  Result<nlohmann::json> ListLeaves(store::Connection& conn, std::int64_t person_id) const;

  Result<nlohmann::json> AddExemption(store::Connection& conn, const ExemptionDraft& draft,
                                      const std::string& approved_by) const;
  Result<nlohmann::json> RevokeExemption(store::Connection& conn, std::int64_t id) const;
  // The project of an exemption (404 when there is none), for scope checks.
  Result<std::string> ExemptionProject(store::Connection& conn, std::int64_t id) const;
  Result<nlohmann::json> ListExemptions(store::Connection& conn,
                                        std::optional<std::int64_t> person_id) const;

 private:
  AlertEngine* engine_;
};

}  // namespace zhizhi::alerts
