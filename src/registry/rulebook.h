// The post and presence rules of one province as data: which certificates each post and work
// type needs, which posts are key posts, which posts each participating corp must fill, presence
// targets, alert thresholds and severities, and the working-day calendar.
//
// A rulebook is a versioned JSON file (rules/zhejiang.json is the default, compiled into the
// binary; `--rules FILE` loads another). One rulebook is active per process; it is set before
// serving and never replaced, so the string_views handed out stay valid for the program's life.
//
// Thread-safety: immutable after Load(); ActiveRules() is safe from any thread once set.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/civil_time.h"
#include "base/status.h"

namespace zhizhi::registry {

// Certificate requirements: every group must be met by any one of its (kind, type_code) pairs.
using CertificateRequirements =
    std::vector<std::vector<std::pair<std::string_view, std::string_view>>>;

// A manager post (work role 10) and the certificates it needs (any one of each group).
struct PostRule {
  std::string_view code;
  std::string_view name;
  bool key = false;  // 关键岗位: project manager, technical lead, safety officer, chief supervisor
  CertificateRequirements required;
};

struct PresenceRule {
  double target_rate = 0.8;  // share of working days with a pass
  int window_days = 30;      // "the last working month", ending yesterday
  int min_working_days = 5;  // fewer working days on the project: no rate yet
  int max_working_days_without_pass = 5;
  int leave_days_per_month = 6;
  int leave_days_per_year = 20;
};

// Residence registration (流动人口居住登记) deadlines and the trajectory checks.
struct ResidenceRule {
  int register_days = 3;    // Zhejiang: register within 3 days of arrival (first pass)
  int change_days = 10;     // changes (dormitory, project) within 10 days
  int deregister_days = 3;  // deregistration accepted within this many days of leaving
  int unseen_days = 30;     // registered but at no gate this long: residence_not_deregistered
  int presence_days = 7;    // unregistered_presence: a pass within this window counts as present
  std::vector<std::string> required_roles = {"20"};  // work roles that must be registered
  bool auto_submit = true;                           // submit a draft as soon as it is complete
  std::string reason = "务工";                       // reason of residence on the application
  double travel_max_speed_kmh = 80;   // impossible_travel: faster than this between two sites
  double travel_min_distance_km = 3;  // ... and at least this far apart
  int travel_lookback_days = 7;       // pairs of passes considered (and how long the alert lasts)
};

class Rulebook {
 public:
  Rulebook() = default;
  Rulebook(const Rulebook&) = delete;
  Rulebook& operator=(const Rulebook&) = delete;

  // Parses and checks a rulebook (every certificate kind/type and work type must be a known code).
  // Heap-allocated because the string_views it hands out point into its own storage.
  static Result<std::unique_ptr<Rulebook>> Parse(std::string_view json_text,
                                                 const std::string& origin);
  // The compiled-in Zhejiang defaults.
  static const Rulebook& Default();

  const std::string& name() const { return name_; }
  const std::string& version() const { return version_; }

  const std::vector<PostRule>& posts() const { return posts_; }
  const PostRule* FindPost(std::string_view code) const;
  // Empty when the work type needs no certificate.
  const CertificateRequirements& WorkTypeRequirements(std::string_view work_type) const;
  const CertificateRequirements& WorkerTraining() const { return worker_training_; }
  // Posts a participating corp of this type must fill on a live project.
  const std::vector<std::string>& RequiredPosts(std::string_view corp_type) const;
  const std::map<std::string, std::vector<std::string>>& required_posts() const {
    return required_posts_;
  }

  const std::set<std::string>& conflict_live_statuses() const { return conflict_live_statuses_; }
  // Legal exceptions to post_conflict: reason code -> description.
  const std::map<std::string, std::string>& exemption_reasons() const { return exemptions_; }
  // How long a project must have stopped before its posts may be exempted (stopped_120_days).
  int stopped_days() const { return stopped_days_; }
  int vacant_grace_days() const { return vacant_grace_days_; }
  // Descending, e.g. {90, 60, 30}: a certificate is "expiring" within the first stage.
  const std::vector<int>& expiry_stages() const { return expiry_stages_; }
  const PresenceRule& presence() const { return presence_; }
  int worker_unseen_days() const { return worker_unseen_days_; }
  int exited_seen_days() const { return exited_seen_days_; }
  int device_offline_minutes() const { return device_offline_minutes_; }
  int clock_skew_seconds() const { return clock_skew_seconds_; }
  const ResidenceRule& residence() const { return residence_; }
  // red, orange, yellow or blue for an alert type; "yellow" when unlisted.
  std::string_view Severity(std::string_view alert_type) const;

  // Working days: Monday–Friday and listed make-up workdays, minus listed public holidays.
  bool IsWorkingDay(const Date& date) const;

 private:
  std::string_view Keep(std::string text);

  std::deque<std::string> strings_;  // owns the text the string_views point at (stable addresses)
  std::string name_, version_;
  std::vector<PostRule> posts_;
  std::vector<std::pair<std::string, CertificateRequirements>> work_types_;
  CertificateRequirements worker_training_;
  std::map<std::string, std::vector<std::string>> required_posts_;
  std::set<std::string> conflict_live_statuses_;
  int stopped_days_ = 120;
  std::map<std::string, std::string> exemptions_;
  int vacant_grace_days_ = 7;
  std::vector<int> expiry_stages_;
  PresenceRule presence_;
  int worker_unseen_days_ = 7;
  int exited_seen_days_ = 30;
  int device_offline_minutes_ = 10;
  int clock_skew_seconds_ = 300;
  ResidenceRule residence_;
  std::map<std::string, std::string, std::less<>> severity_;
  std::set<std::int64_t> holidays_, workdays_;  // days since 1970
};

// The rulebook in force. Default() until SetActiveRules() is called (once, before serving).
const Rulebook& ActiveRules();
// Loads a rulebook file and makes it active. Fails if one was already set.
Status LoadActiveRules(const std::string& path);

}  // namespace zhizhi::registry
