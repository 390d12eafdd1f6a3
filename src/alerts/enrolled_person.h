// EnrolledPerson: what every person-scoped detector reads first — the person's name and each of
// their enrolments with its project's name and status. The post, certificate and presence
// detectors (detectors.cc) and the residence detectors (residence_detectors.cc) load it the one
// way, LoadEnrolledPerson.
//
// Thread-safety: plain values; LoadEnrolledPerson reads only the connection it is given.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

struct EnrolledPerson {
  struct Enrolment {
    std::int64_t id = 0;
    std::string project, project_name, project_status, work_role, work_type, uscc;
    std::optional<std::string> post;
    Date entry;
    std::optional<Date> exit;
    bool open() const { return !exit; }
  };
  std::string name;                   // empty when the person does not exist
  std::vector<Enrolment> enrolments;  // on every project, oldest first
};

Result<EnrolledPerson> LoadEnrolledPerson(store::Connection& conn, std::int64_t person);

// A date column as stored (YYYY-MM-DD); one that does not parse reads as Date{} (1970-01-01).
Date StoredDate(const std::string& text);

}  // namespace zhizhi::alerts
