// The detectors of abnormal post assignments, certificates, presence and devices.
//
// Each detector looks at one person or one project and describes every condition it sees as
// AlertDrafts; AlertBook::Reconcile turns those into the alert life cycle. The full scan and the
// incremental path call the same functions with the same clock, so they cannot disagree: the
// scan is "every person and every project", the incremental path is "the persons and projects a
// change touched".
//
// Person-scoped: post_conflict, post_uncertified, certificate_expiring, certificate_expired,
// key_person_absent, worker_unseen, exited_but_seen, and the residence and trajectory warnings
// (residence_detectors.h). Project-scoped: post_vacant,
// device_offline, clock_skew. Rules, thresholds and severities come from the rulebook.
//
// Thread-safety: immutable; safe from any thread given a connection owned by that thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerts/alert_book.h"
#include "base/civil_time.h"
#include "registry/rulebook.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

// The instant a detection runs at; "today" is its China Standard Time date.
struct DetectionClock {
  std::int64_t now_ms = 0;
  Date today;
  static DetectionClock At(std::int64_t now_ms);
};

class Detectors {
 public:
  explicit Detectors(const registry::Rulebook& rules) : rules_(rules) {}

  Status DetectPerson(store::Connection& conn, std::int64_t person_id, const DetectionClock& clock,
                      std::vector<AlertDraft>& out) const;
  Status DetectProject(store::Connection& conn, const std::string& project,
                       const DetectionClock& clock, std::vector<AlertDraft>& out) const;

  const registry::Rulebook& rules() const { return rules_; }

 private:
  const registry::Rulebook& rules_;
};

// Milliseconds at 00:00 China Standard Time of `date`.
std::int64_t StartOfChinaDay(const Date& date);

}  // namespace zhizhi::alerts
