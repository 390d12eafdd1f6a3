// AlertBook: the one alerts table every detector writes through, and its life cycle.
//
// A detector describes the conditions it sees as AlertDrafts, each with a stable key (type plus
// what it is about, e.g. "post_conflict:QT2025001:42"). Reconcile() compares the drafts of one
// scope (some persons, some projects) with the active alerts of that scope: a new key opens an
// alert, a known key refreshes it (last_seen, evidence, severity) without duplicating it, and an
// active alert whose key is no longer drafted is resolved automatically. A resolved alert is
// history; if its condition comes back, a new alert opens.
//
// Status: open → acknowledged → resolved (by a person with a note, or by the system when the
// condition clears). Every transition is written to alert_history.
//
// Thread-safety: stateless; writes take the writer's connection inside a job, reads a read
// connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "security/principal.h"
#include "store/page.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

// Alert types (stable codes; api-v1.md lists them, the last two are additions).
namespace type {
inline constexpr const char* kPostConflict = "post_conflict";
inline constexpr const char* kPostUncertified = "post_uncertified";
inline constexpr const char* kPostVacant = "post_vacant";
inline constexpr const char* kCertificateExpiring = "certificate_expiring";
inline constexpr const char* kCertificateExpired = "certificate_expired";
inline constexpr const char* kKeyPersonAbsent = "key_person_absent";
inline constexpr const char* kWorkerUnseen = "worker_unseen";
inline constexpr const char* kExitedButSeen = "exited_but_seen";
inline constexpr const char* kDeviceOffline = "device_offline";
inline constexpr const char* kClockSkew = "clock_skew";
inline constexpr const char* kDuplicateIdentity = "duplicate_identity";
inline constexpr const char* kResidenceOverdue = "residence_overdue";
inline constexpr const char* kUnregisteredPresence = "unregistered_presence";
inline constexpr const char* kResidenceNotDeregistered = "residence_not_deregistered";
inline constexpr const char* kImpossibleTravel = "impossible_travel";
// Base-data checks (basedata/checks.h).
inline constexpr const char* kHouseOvercrowded = "house_overcrowded";
inline constexpr const char* kWorkerNotInPopulation = "worker_not_in_population";
inline constexpr const char* kUnitAddressNotStandard = "unit_address_not_standard";
inline constexpr const char* kPersonTwoResidences = "person_two_residences";
// Security (security/refusal_log.h): one principal refused again and again in a minute.
inline constexpr const char* kAccessRefusalBurst = "access_refusal_burst";
// A terminal identity used from where it does not belong (terminals/terminals.h).
inline constexpr const char* kTerminalImpersonation = "terminal_impersonation";
// A terminal that nobody registered knocking (a ZKTeco SN unknown to the district).
inline constexpr const char* kTerminalUnregistered = "terminal_unregistered";
// IoT (iot/iot.h): raised and cleared by the devices' messages.
inline constexpr const char* kFireAlarm = "fire_alarm";
inline constexpr const char* kFireFault = "fire_fault";
inline constexpr const char* kElectricalFire = "electrical_fire";
inline constexpr const char* kWaterPressureLow = "water_pressure_low";
inline constexpr const char* kCraneOverload = "crane_overload";
inline constexpr const char* kCraneWind = "crane_wind";
inline constexpr const char* kCraneTilt = "crane_tilt";
inline constexpr const char* kCraneUnauthorisedOperator = "crane_unauthorised_operator";
inline constexpr const char* kIotOffline = "iot_offline";
}  // namespace type

// Types owned by the person scope (reconciled per person) and by the project scope.
const std::vector<std::string>& PersonScopedTypes();
const std::vector<std::string>& ProjectScopedTypes();
// Types owned by base data's checks (reconciled as a whole after each linking run).
const std::vector<std::string>& BaseDataTypes();
// Types raised by events rather than found by a detector: no reconciliation resolves them, a
// person does (acknowledge, resolve).
const std::vector<std::string>& EventTypes();
// Types the IoT module raises and clears from its devices' messages.
const std::vector<std::string>& IotTypes();
// Every type this server can raise (for validating ?type=), including later modules' codes.
bool IsKnownType(std::string_view type);

struct AlertDraft {
  std::string type;
  std::string key;
  std::string severity;
  std::string subject_kind;  // person, project, device, base_person, house, unit, user, token
  std::string subject_id;
  std::optional<std::string> project_code;
  std::optional<std::int64_t> person_id;
  std::optional<std::int64_t> device_id;
  std::string message;
  nlohmann::json evidence = nlohmann::json::array();  // [{"kind","id","href"}]
  nlohmann::json detail = nlohmann::json::object();
};

// Which active alerts a reconciliation owns: person-scoped types of these persons,
// project-scoped types of these projects, and every active alert of `types`. `all` owns every
// active alert.
struct Scope {
  bool all = false;
  std::set<std::int64_t> persons;
  std::set<std::string> projects;
  std::set<std::string> types;
};

struct ReconcileCounts {
  int opened = 0, refreshed = 0, resolved = 0;
};

struct AlertFilter {
  std::optional<std::string> type, severity, project, status = "active";
  std::optional<std::int64_t> person_id;
};

class AlertBook {
 public:
  // Applies the drafts of `scope` (writer connection, inside a job).
  static Result<ReconcileCounts> Reconcile(store::Connection& conn, const Scope& scope,
                                           std::vector<AlertDraft> drafts, std::int64_t now_ms);

  // Raises an event's alert (EventTypes): a new one, or the active one of the same key
  // refreshed; never resolves anything.
  static Status Raise(store::Connection& conn, const AlertDraft& draft, std::int64_t now_ms);
  // Resolves the active alert of `key` automatically (its condition cleared), if there is one.
  static Status Clear(store::Connection& conn, const std::string& key, std::int64_t now_ms,
                      const std::string& why);
  // The id of the active alert of `key`, if any.
  static Result<std::optional<std::int64_t>> ActiveId(store::Connection& conn,
                                                      const std::string& key);

  // Manual transitions; 404 for an unknown id, 409 invalid_transition when already resolved.
  static Result<nlohmann::json> Acknowledge(store::Connection& conn, std::int64_t id,
                                            const std::string& actor, const std::string& note,
                                            std::int64_t now_ms);
  static Result<nlohmann::json> Resolve(store::Connection& conn, std::int64_t id,
                                        const std::string& actor, const std::string& note,
                                        std::int64_t now_ms);

  static Result<nlohmann::json> Get(store::Connection& conn, std::int64_t id, bool with_history);
  // {"items":[…],"next_cursor":…,"counts":{"total","by_type","by_severity","by_project"}}, only
  // rows the principal may see (project scope).
  static Result<nlohmann::json> List(store::Connection& conn, const AlertFilter& filter,
                                     const store::Page& page, const security::Principal& principal);
  // Project code of an alert (for scope checks), or 404.
  static Result<std::optional<std::string>> ProjectOf(store::Connection& conn, std::int64_t id);

  // Called in the write job that opens an alert (a new row), with its id: the work orders make
  // an order of it by rule in the same transaction (dispatch/work_orders.h), so an alert and its
  // order commit together. One listener per process, set before serving (the server's
  // Platform::StartDispatch) and cleared (nullptr) when it closes; none by default.
  using OpenedListener =
      std::function<Status(store::Connection& conn, std::int64_t id, const AlertDraft& draft)>;
  static void SetOpenedListener(OpenedListener listener);
};

}  // namespace zhizhi::alerts
