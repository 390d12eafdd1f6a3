// The residence registration application (流动人口居住登记申请) and its completeness.
//
// An Application holds every field domain.md lists — name, ID type and number, sex, nation,
// birth date, household address (户籍地址), phone, residence address (the dormitory), arrival
// date, reason (务工), employer (USCC and name) and project — read from the registry for one
// person and enrolment. The ID number itself never sits in an Application: it stays sealed in
// the persons table and is only unsealed (and re-encrypted for the police) when a message is
// built. Missing() names what a record still lacks, as stable codes, so a draft says what is
// missing and a submission of an incomplete record is refused with the same list.
//
// Change records carry the new residence address and project with the date of the move;
// deregistrations the day the worker left.
//
// Thread-safety: plain values and functions taking a connection owned by the calling thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::residence {

// Record kinds and statuses (stable codes; api-v1.md lists the first five statuses).
namespace kind {
inline constexpr const char* kRegistration = "registration";
inline constexpr const char* kChange = "change";
inline constexpr const char* kDeregistration = "deregistration";
}  // namespace kind

namespace status {
inline constexpr const char* kDraft = "draft";
inline constexpr const char* kSubmitted = "submitted";
inline constexpr const char* kAccepted = "accepted";
inline constexpr const char* kRejected = "rejected";
inline constexpr const char* kDeregistered = "deregistered";
inline constexpr const char* kCancelled = "cancelled";  // a draft the police never saw, withdrawn
}  // namespace status

bool IsKnownStatus(std::string_view status);

struct Application {
  std::string kind = kind::kRegistration;
  // Applicant (from the person record).
  std::int64_t person_id = 0;
  std::string name;
  std::string id_type;
  std::string id_masked;
  std::optional<std::string> sex;  // "1" male / "2" female (GB/T 2261.1)
  std::optional<std::string> nation;
  std::optional<std::string> birth_date;
  std::optional<std::string> id_address;
  std::optional<std::string> phone;
  // Residence.
  std::optional<std::string> residence_address;
  // The dormitory's community (12-digit code) and standard address, as the registry settled its
  // text (address/address_service.h); absent when the text does not name its community.
  std::optional<std::string> residence_community;
  std::optional<std::string> residence_standard_address;
  std::optional<std::int64_t> residence_address_id;
  bool community_required = false;  // the platform standardises addresses
  std::optional<Date> event_date;   // arrival, move, or leaving
  std::string reason;               // 务工
  // Employer and project (from the enrolment).
  std::int64_t enrolment_id = 0;
  std::string employer_uscc, employer_name;
  std::string project_code, project_name, project_region;
  std::optional<std::string> project_address;

  nlohmann::json ToJson() const;  // no ID number: see the header comment
};

// The record's own residence address: the settled community and standard address are the
// enrolment's only while the record is about the dormitory the enrolment has now.
void SetAddress(Application& a, const std::optional<std::string>& address, bool require_community);

// Reads the application of `person_id` living through `enrolment_id` (registry data only; the
// caller sets kind, event_date and, for a change, the residence address of the move).
Result<Application> LoadApplication(store::Connection& conn, std::int64_t person_id,
                                    std::int64_t enrolment_id, const std::string& reason);

// What `a` lacks, as codes: name, sex, nation, birth_date, id_address, phone, residence_address,
// residence_community (when community_required: the address does not settle to a community),
// arrival_date / move_date / leave_date, employer, project, and face_verified (registrations of a
// person whose identity is not verified, see face_verification.h).
std::vector<std::string> Missing(const Application& a, bool face_verified);

}  // namespace zhizhi::residence
