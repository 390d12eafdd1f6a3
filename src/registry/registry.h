// Registry: the system of record for corps, projects, participating corps, teams, persons,
// certificates and enrolments.
//
// Write methods take the writer's Connection and run inside a job of store::Database (so one
// API call is one savepoint, and an import can run many of them in one transaction). They check
// every rule that needs stored state and return a Status; on error the caller's savepoint rolls
// back, so nothing is half-written. Read methods take a read connection and return JSON views.
// A failed query is returned as the database error it is, never as "not found".
//
// ID numbers are stored only sealed (FieldCipher) plus a keyed lookup hash; views show the
// masked form unless `full_ids` (the caller holds the pii right).
//
// Scope: reads that take a `scope` principal show a caller limited to some projects only the
// rows of those projects (nullptr, or a principal with all_projects, shows everything). A person
// belongs to a caller's scope when enrolled (now or before) on one of their projects, or when the
// caller registered them and nobody has enrolled them anywhere yet (PersonVisible).
//
// Methods: one file per record kind (corps.cc, projects.cc, teams.cc, persons.cc, certificates.cc,
// enrolments.cc), project_view.cc, registry.cc (ID numbers); shared helpers: registry_internal.h.
//
// Thread-safety: stateless apart from the cipher (immutable); safe from any thread given a
// connection owned by that thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "address/address_service.h"
#include "base/civil_time.h"
#include "base/status.h"
#include "registry/registry_input.h"
#include "security/field_cipher.h"
#include "security/principal.h"
#include "store/page.h"
#include "store/sqlite.h"

namespace zhizhi::registry {

using store::Page;

// Certificate status on `today`: valid, expiring (≤ 30 days left), expired, revoked, or
// not_yet_valid.
std::string CertificateStatus(const Date& valid_from, const Date& valid_to, bool revoked,
                              const Date& today);
inline constexpr int kExpiringWithinDays = 30;

class Registry {
 public:
  explicit Registry(const security::FieldCipher* cipher) : cipher_(cipher) {}

  // Dormitory addresses are standardised on entry with `addresses` (the community code and the
  // canonical form are kept beside the text, for the residence registration); none: kept as text.
  void SetAddresses(const address::AddressService* addresses) { addresses_ = addresses; }
  // Settles the dormitories of active enrolments that were never standardised (written before the
  // gazetteer was ready, or before this version), in jobs of a few hundred, each telling the
  // person listeners (the residence registration then sees its community). Waits for the
  // gazetteer on the caller's thread; call it from a thread of its own.
  Status SettleDormitories(store::Database& db);
  // Waits (on the caller's thread, never the writer's) until dormitories can be settled: the
  // handlers of enrolments and moves call it before queuing their job.
  void WaitForAddresses() const {
    if (addresses_ != nullptr) addresses_->Get().status().IgnoreError();
  }

  // Called inside the same write job after a change to a person's enrolments or certificates,
  // so that other modules (the gate, the face galleries, the alerts) update their state in the
  // same transaction. Add before serving; called in order; a non-OK status rolls the change back.
  using PersonListener = std::function<Status(store::Connection&, std::int64_t person_id)>;
  void AddPersonListener(PersonListener listener) {
    person_listeners_.push_back(std::move(listener));
  }
  // The same after a project is created or a corp joins it.
  using ProjectListener = std::function<Status(store::Connection&, const std::string& project)>;
  void AddProjectListener(ProjectListener listener) {
    project_listeners_.push_back(std::move(listener));
  }

  // Adds module facts to GET /api/v1/persons/{id} (e.g. the face status), in its read snapshot.
  using PersonViewExtender =
      std::function<Status(store::Connection&, std::int64_t person_id, nlohmann::json& view)>;
  void AddPersonViewExtender(PersonViewExtender extender) {
    person_view_extenders_.push_back(std::move(extender));
  }

  // Adds module facts to the one-click project view (e.g. the gate's head-count).
  using ViewExtender = std::function<void(const std::string& project, nlohmann::json& view)>;
  void AddViewExtender(ViewExtender extender) { view_extenders_.push_back(std::move(extender)); }

  // --- writes (writer connection, inside a job) ---
  Status CreateCorp(store::Connection& conn, const CorpDraft& draft);
  Status CreateProject(store::Connection& conn, const ProjectDraft& draft);
  // Changes a project's name, end date or status. Status moves only along planned → active ⇄
  // suspended → completed (active → completed too); suspending needs `suspended_on`, completing
  // `completed_on` (neither in the future nor before the start). Returns {"from","to"} of the
  // status for the audit; the project's listeners (gate, alerts) run on the change.
  Result<nlohmann::json> UpdateProject(store::Connection& conn, const std::string& code,
                                       const ProjectPatch& patch);
  Status AddProjectCorp(store::Connection& conn, const std::string& project,
                        const ProjectCorpDraft& draft);
  Result<std::int64_t> CreateTeam(store::Connection& conn, const std::string& project,
                                  const TeamDraft& draft);
  // `registered_by`: the user id of the caller (0 for tokens that are not a user's).
  Result<std::int64_t> CreatePerson(store::Connection& conn, const PersonDraft& draft,
                                    std::int64_t registered_by = 0);
  Result<std::int64_t> AddCertificate(store::Connection& conn, std::int64_t person_id,
                                      const CertificateDraft& draft);
  Status RevokeCertificate(store::Connection& conn, std::int64_t certificate_id,
                           const RevokeDraft& draft);
  Result<std::int64_t> Enrol(store::Connection& conn, const std::string& project,
                             const EnrolmentDraft& draft);
  Status Exit(store::Connection& conn, const std::string& project, std::int64_t person_id,
              const ExitDraft& draft);
  // Corrects or completes a person's record (sex and birth date only for non-resident IDs).
  Status UpdatePerson(store::Connection& conn, std::int64_t person_id, const PersonUpdate& update);
  // Records a move of an enrolled person to another dormitory; a no-op when the address is the
  // same. 422 move_before_entry when `moved_on` is before the entry date.
  Status MoveDormitory(store::Connection& conn, const std::string& project, std::int64_t person_id,
                       const DormMove& move);

  // Person id by ID type and number (normalised), if registered.
  Result<std::optional<std::int64_t>> FindPersonId(store::Connection& conn,
                                                   const std::string& id_type,
                                                   const std::string& id_number) const;
  // Team id by project and team name, if any.
  Result<std::optional<std::int64_t>> FindTeamId(store::Connection& conn,
                                                 const std::string& project,
                                                 const std::string& name) const;

  // Whether `viewer` may see person `id` (true for callers that see all projects). 404 when the
  // person does not exist.
  Result<bool> PersonVisible(store::Connection& conn, std::int64_t id,
                             const security::Principal& viewer) const;
  // The person a certificate belongs to (404 when there is no such certificate).
  Result<std::int64_t> CertificatePerson(store::Connection& conn,
                                         std::int64_t certificate_id) const;

  // --- reads (read connection) ---
  Result<nlohmann::json> GetCorp(store::Connection& conn, const std::string& uscc,
                                 const security::Principal* scope = nullptr) const;
  Result<nlohmann::json> ListCorps(store::Connection& conn, const Page& page) const;
  Result<nlohmann::json> GetProject(store::Connection& conn, const std::string& code) const;
  // The one-click view: project, corps, teams, posts with certificates, worker counts.
  Result<nlohmann::json> GetProjectView(store::Connection& conn, const std::string& code,
                                        bool full_ids) const;
  Result<nlohmann::json> ListProjects(store::Connection& conn, const Page& page,
                                      const std::optional<std::string>& status,
                                      const security::Principal* scope = nullptr) const;
  Result<nlohmann::json> ListTeams(store::Connection& conn, const std::string& project) const;
  Result<nlohmann::json> GetTeam(store::Connection& conn, std::int64_t id) const;
  Result<nlohmann::json> GetPerson(store::Connection& conn, std::int64_t id, bool full_ids,
                                   const security::Principal* scope = nullptr) const;
  Result<nlohmann::json> ListPersons(store::Connection& conn, const Page& page, bool full_ids,
                                     const security::Principal* scope = nullptr) const;
  Result<nlohmann::json> GetCertificate(store::Connection& conn, std::int64_t id) const;
  Result<nlohmann::json> GetEnrolment(store::Connection& conn, std::int64_t id,
                                      bool full_ids) const;
  // status: "active", "exited" or "all".
  Result<nlohmann::json> ListWorkers(store::Connection& conn, const std::string& project,
                                     const std::string& status, const Page& page,
                                     bool full_ids) const;

 private:
  std::string LookupKey(const std::string& id_type, const std::string& id_number) const;
  std::string ShownIdNumber(const std::string& sealed, const std::string& masked,
                            bool full_ids) const;
  nlohmann::json WorkerJson(const store::Statement& row, bool full_ids) const;
  Result<nlohmann::json> CertificatesOf(store::Connection& conn, std::int64_t person_id,
                                        const Date& today) const;

  Status PersonChanged(store::Connection& conn, std::int64_t person_id) {
    for (const auto& listener : person_listeners_) {
      ZZ_RETURN_IF_ERROR(listener(conn, person_id));
    }
    return Status::Ok();
  }
  Status ProjectChanged(store::Connection& conn, const std::string& project) {
    for (const auto& listener : project_listeners_) {
      ZZ_RETURN_IF_ERROR(listener(conn, project));
    }
    return Status::Ok();
  }

  // The dormitory's standardised form, written beside its text on `enrolment`.
  Status SettleDormitory(store::Connection& conn, std::int64_t enrolment,
                         const std::optional<std::string>& dorm_address) const;

  const security::FieldCipher* cipher_;
  const address::AddressService* addresses_ = nullptr;
  std::vector<PersonListener> person_listeners_;
  std::vector<ProjectListener> project_listeners_;
  std::vector<PersonViewExtender> person_view_extenders_;
  std::vector<ViewExtender> view_extenders_;
};

}  // namespace zhizhi::registry
