// GateState: what a pass decision needs, held in memory — per project its policy, enrolments,
// who is inside, the roster standing published to terminals and each person's last pass; per
// person the certificates, blacklist and face version; the devices.
//
// It follows the database. It changes only on the writer thread, inside the write job that
// changes the rows behind it, and only through the mutators below, each of which registers on
// the job's connection how to put memory back (store::Connection::OnRollback). When the job's
// writes are rolled back — its savepoint, or its whole group — the undos run, newest first, and
// memory is again what the database holds. While a group is being written, readers may see its
// changes before its COMMIT (as the writer's own connection does); they never see a change that
// is rolled back once the undos have run.
//
// Thread-safety: readers on any thread hold ReadLock() while they look and copy what they need;
// the writer thread reads without it (nothing else writes) and each mutator takes the lock
// exclusively for the moment it changes memory.
#pragma once

#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "gate/gate_decision.h"
#include "store/sqlite.h"

namespace zhizhi::gate {

struct EnrolmentFact {
  std::int64_t enrolment_id = 0;
  std::string work_role;
  std::string work_type;
  std::optional<std::string> post;
  std::optional<std::int64_t> team_id;
  std::string team_name;
  std::optional<std::string> card_no;
  bool exited = false;

  bool operator==(const EnrolmentFact&) const = default;
};

struct PersonFact {
  std::string name;
  std::string masked_id;
  std::vector<CertificateFact> certificates;
  bool blacklisted = false;
  // When the person's face templates last changed (unix ms; 0: none): terminals that recognise
  // on the device fetch the templates again when it moves.
  std::int64_t face_version = 0;

  bool operator==(const PersonFact&) const = default;
};

struct OnsiteFact {
  bool inside = false;
  std::int64_t since_ms = 0;
  std::int64_t device_id = 0;
  bool auto_clocked_out = false;

  bool operator==(const OnsiteFact&) const = default;
};

struct LastPass {
  std::int64_t time_ms = LLONG_MIN;
  bool entering = false;

  bool operator==(const LastPass&) const = default;
};

struct ProjectFact {
  std::string name;
  std::string status;
  GatePolicy policy;
  std::unordered_map<std::int64_t, EnrolmentFact> enrolments;  // latest per person
  std::unordered_map<std::int64_t, OnsiteFact> onsite;
  std::int64_t inside_count = 0;
  std::unordered_map<std::int64_t, bool> roster;  // published standing per person
  std::unordered_map<std::int64_t, LastPass> last;

  bool operator==(const ProjectFact&) const = default;
};

struct DeviceFact {
  std::string project;
  std::string serial;
  std::string direction;
  std::string zone;
  bool disabled = false;

  bool operator==(const DeviceFact&) const = default;
};

// Everything the state holds; a fresh load from the database compares equal to the state of a
// server that ran (what the fault tests check).
struct GateData {
  std::unordered_map<std::string, ProjectFact> projects;
  std::unordered_map<std::int64_t, PersonFact> persons;
  std::unordered_map<std::int64_t, DeviceFact> devices;
  std::int64_t roster_version = 0;
  std::int64_t today = 0;  // days since 1970 of the China date the standings were computed for

  bool operator==(const GateData&) const = default;
};

// One person as the database has it now, for GateState::SetPersonAndEnrolments.
struct PersonRecord {
  PersonFact person;
  std::map<std::string, EnrolmentFact> enrolments;  // latest per project
  // Name and status of each of those projects (for a project the state does not hold yet).
  std::map<std::string, std::pair<std::string, std::string>> projects;
};

class GateState {
 public:
  // Everything from the database, as of `today`; standings are not recomputed here.
  static Result<GateData> ReadAll(store::Connection& conn, std::int64_t today);
  // One person, or nullopt when there is no such person.
  static Result<std::optional<PersonRecord>> ReadPerson(store::Connection& conn,
                                                        std::int64_t person_id);

  // --- readers ---
  std::shared_lock<std::shared_mutex> ReadLock() const { return std::shared_lock(mu_); }
  const GateData& data() const { return data_; }
  const ProjectFact* project(const std::string& code) const;
  const PersonFact* person(std::int64_t id) const;
  const DeviceFact* device(std::int64_t id) const;
  // A person's standing on a project today: everything but the per-event facts.
  PassFacts Standing(const ProjectFact& project, std::int64_t person_id) const;

  // --- mutators: the writer thread, inside a write job; each registers its undo on `conn` ---
  void Replace(store::Connection& conn, GateData fresh);
  // Adds the project (with its name and status) unless the state holds it.
  void EnsureProject(store::Connection& conn, const std::string& code, const std::string& name,
                     const std::string& status);
  // A held project's new name and status (undone with the job); true when the status changed.
  bool UpdateProject(store::Connection& conn, const std::string& code, const std::string& name,
                     const std::string& status);
  void SetPerson(store::Connection& conn, std::int64_t person_id, PersonFact person);
  // The project must be held (EnsureProject).
  void SetEnrolment(store::Connection& conn, const std::string& code, std::int64_t person_id,
                    EnrolmentFact enrolment);
  void SetPolicy(store::Connection& conn, const std::string& code, GatePolicy policy);
  // Records the roster standing published in roster_changes row `version`.
  void SetStanding(store::Connection& conn, const std::string& code, std::int64_t person_id,
                   bool allowed, std::int64_t version);
  void RaiseRosterVersion(store::Connection& conn, std::int64_t version);
  void SetDevice(store::Connection& conn, std::int64_t device_id, DeviceFact device);
  void SetDeviceDisabled(store::Connection& conn, std::int64_t device_id, bool disabled);
  // A recorded pass: where the person now is (`onsite`, when the pass moved them) and their last
  // pass (`last`, when it counts as one); the head-count follows `onsite`.
  void RecordPass(store::Connection& conn, const std::string& code, std::int64_t person_id,
                  const std::optional<OnsiteFact>& onsite, const std::optional<LastPass>& last);
  void SetToday(store::Connection& conn, std::int64_t today);

 private:
  // Puts `value` (or nothing) at `key` of `map`; the caller holds the lock.
  template <typename Map, typename Value>
  static void Restore(Map& map, const typename Map::key_type& key,
                      const std::optional<Value>& value) {
    if (value) {
      map[key] = *value;
    } else {
      map.erase(key);
    }
  }
  ProjectFact& MutableProject(const std::string& code);

  mutable std::shared_mutex mu_;
  GateData data_;
};

}  // namespace zhizhi::gate
