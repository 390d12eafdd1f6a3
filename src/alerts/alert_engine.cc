#include "alerts/alert_engine.h"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "alerts/residence_detectors.h"

namespace zhizhi::alerts {

AlertEngine::AlertEngine(store::Database* db, const registry::Rulebook& rules,
                         AlertEngineOptions options)
    : db_(db), detectors_(rules), options_(std::move(options)) {}

AlertEngine::~AlertEngine() {
  Stop();
}

void AlertEngine::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_ = true;
  cv_.notify_all();
  if (schedule_.joinable()) schedule_.join();
}

void AlertEngine::Attach(registry::Registry* registry, gate::Gate* gate) {
  if (registry) {
    registry->AddPersonListener([this](store::Connection& conn, std::int64_t person) {
      return OnPersonChanged(conn, person);
    });
    // A project's own change (created, joined, its status) decides whether its posts are live:
    // its post holders are detected again too.
    registry->AddProjectListener([this](store::Connection& conn, const std::string& project) {
      return OnProjectChanged(conn, project, /*post_holders=*/true);
    });
  }
  if (gate) {
    gate->AddPassListener([this](store::Connection& conn, const gate::Gate::PassNotice& pass) {
      return OnPass(conn, pass);
    });
    // A device's heartbeat or state touches only the project's own detectors.
    gate->AddDeviceListener([this](store::Connection& conn, const std::string& project) {
      return OnProjectChanged(conn, project, /*post_holders=*/false);
    });
  }
}

Status AlertEngine::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  memo_.Forget(person_id);  // enrolments or residence records changed
  const DetectionClock clock = DetectionClock::At(options_.clock());
  Scope scope;
  scope.persons.insert(person_id);
  // The person's projects: an enrolment or exit can fill or empty a required post.
  auto s = conn.Prepare("SELECT DISTINCT project_code FROM enrolments WHERE person_id = ?");
  s.Bind(1, person_id);
  while (s.Step())
    scope.projects.insert(s.Text(0));
  ZZ_RETURN_IF_ERROR(s.status());

  std::vector<AlertDraft> drafts;
  ZZ_RETURN_IF_ERROR(detectors_.DetectPerson(conn, person_id, clock, drafts));
  for (const std::string& project : scope.projects) {
    ZZ_RETURN_IF_ERROR(detectors_.DetectProject(conn, project, clock, drafts));
  }
  return AlertBook::Reconcile(conn, scope, std::move(drafts), clock.now_ms).status();
}

Status AlertEngine::OnProjectChanged(store::Connection& conn, const std::string& project,
                                     bool post_holders) {
  memo_.ForgetProject(project);
  const DetectionClock clock = DetectionClock::At(options_.clock());
  Scope scope;
  scope.projects.insert(project);
  // Whether a project is live decides whether its posts conflict with posts elsewhere (挂证),
  // and whether its people's certificates matter: its post holders are detected again too.
  if (post_holders) {
    auto s = conn.Prepare(
        "SELECT DISTINCT person_id FROM enrolments WHERE project_code = ? AND exit_date IS NULL "
        "AND post IS NOT NULL");
    s.Bind(1, project);
    while (s.Step())
      scope.persons.insert(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  std::vector<AlertDraft> drafts;
  for (std::int64_t person : scope.persons) {
    memo_.Forget(person);
    ZZ_RETURN_IF_ERROR(detectors_.DetectPerson(conn, person, clock, drafts));
  }
  ZZ_RETURN_IF_ERROR(detectors_.DetectProject(conn, project, clock, drafts));
  return AlertBook::Reconcile(conn, scope, std::move(drafts), clock.now_ms).status();
}

Status AlertEngine::OnPass(store::Connection& conn, const gate::Gate::PassNotice& pass) {
  // The memo learns rows of this job and its group: if they are rolled back, it forgets all
  // (a cache: what it no longer holds it reads again).
  conn.OnRollback([this] { memo_.Clear(); });
  // The person's active alerts (one indexed lookup; usually none).
  std::vector<ActiveAlert> active;
  auto s = conn.Prepare(
      "SELECT type, project_code FROM alerts WHERE person_id = ? AND status != 'resolved'");
  s.Bind(1, pass.person_id);
  while (s.Step())
    active.emplace_back(s.Text(0), s.OptText(1));
  ZZ_RETURN_IF_ERROR(s.status());
  // A pass can clear "not seen", "absent" and "not deregistered" alerts, and a pass after an exit
  // raises one.
  bool affects = pass.exited;
  if (!affects && pass.allowed) {
    affects = std::any_of(active.begin(), active.end(), [](const ActiveAlert& a) {
      return a.first == type::kWorkerUnseen || a.first == type::kKeyPersonAbsent ||
             a.first == type::kResidenceNotDeregistered;
    });
  }
  if (!affects) {
    const DetectionClock clock = DetectionClock::At(options_.clock());
    ZZ_ASSIGN_OR_RETURN(
        affects, PassAffectsResidence(detectors_.rules(), conn, pass, clock, active, &memo_));
  }
  if (affects) ZZ_RETURN_IF_ERROR(OnPersonChanged(conn, pass.person_id));
  memo_.Saw(pass);
  return Status::Ok();
}

Result<ScanReport> AlertEngine::ScanAll(bool persons) {
  const auto started = std::chrono::steady_clock::now();
  // One clock for the whole scan, so every chunk judges the same "today".
  const DetectionClock clock = DetectionClock::At(options_.clock());
  ScanReport report;

  std::vector<std::int64_t> person_ids;
  std::vector<std::string> projects;
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    if (persons) {
      auto s = conn.Prepare(
          "SELECT person_id FROM enrolments UNION SELECT person_id FROM alerts "
          "WHERE status != 'resolved' AND person_id IS NOT NULL UNION SELECT person_id FROM faces "
          "WHERE status = 'duplicate' ORDER BY 1");
      while (s.Step())
        person_ids.push_back(s.Int(0));
      ZZ_RETURN_IF_ERROR(s.status());
    }
    auto p = conn.Prepare(
        "SELECT code FROM projects UNION SELECT project_code FROM alerts "
        "WHERE status != 'resolved' AND project_code IS NOT NULL ORDER BY 1");
    while (p.Step())
      projects.push_back(p.Text(0));
    return p.status();
  }));

  auto add = [&](const ReconcileCounts& c) {
    report.counts.opened += c.opened;
    report.counts.refreshed += c.refreshed;
    report.counts.resolved += c.resolved;
  };
  // Small writer jobs: detection reads what the writer sees, and gate events queue behind one
  // chunk at most.
  const size_t chunk = static_cast<size_t>(std::max(1, options_.chunk));
  const Status stopping = Status::Unavailable("the alert scan stopped: the server is stopping");
  for (size_t i = 0; i < person_ids.size(); i += chunk) {
    if (stop_) return stopping;
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      Scope scope;
      std::vector<AlertDraft> drafts;
      for (size_t j = i; j < std::min(i + chunk, person_ids.size()); ++j) {
        scope.persons.insert(person_ids[j]);
        ZZ_RETURN_IF_ERROR(detectors_.DetectPerson(conn, person_ids[j], clock, drafts));
      }
      ZZ_ASSIGN_OR_RETURN(auto counts,
                          AlertBook::Reconcile(conn, scope, std::move(drafts), clock.now_ms));
      add(counts);
      return Status::Ok();
    }));
  }
  const size_t project_chunk = std::max<size_t>(1, chunk / 4);
  for (size_t i = 0; i < projects.size(); i += project_chunk) {
    if (stop_) return stopping;
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      Scope scope;
      std::vector<AlertDraft> drafts;
      for (size_t j = i; j < std::min(i + project_chunk, projects.size()); ++j) {
        scope.projects.insert(projects[j]);
        ZZ_RETURN_IF_ERROR(detectors_.DetectProject(conn, projects[j], clock, drafts));
      }
      ZZ_ASSIGN_OR_RETURN(auto counts,
                          AlertBook::Reconcile(conn, scope, std::move(drafts), clock.now_ms));
      add(counts);
      return Status::Ok();
    }));
  }
  report.persons = static_cast<std::int64_t>(person_ids.size());
  report.projects = static_cast<std::int64_t>(projects.size());
  ZZ_ASSIGN_OR_RETURN(report.active, db_->Read([](store::Connection& conn) {
    return store::QueryInt(conn, "SELECT COUNT(*) FROM alerts WHERE status != 'resolved'");
  }));
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

void AlertEngine::Start() {
  schedule_ = std::thread([this] { ScheduleLoop(); });
}

void AlertEngine::ScheduleLoop() {
  using Clock = std::chrono::steady_clock;
  auto next_full = Clock::now();
  auto next_projects = Clock::now() + std::chrono::seconds(options_.project_interval_s);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto wake = std::min(next_full, next_projects);
    if (cv_.wait_until(lock, wake, [this] { return stopping_; })) break;
    const bool full = Clock::now() >= next_full;
    lock.unlock();
    auto report = ScanAll(/*persons=*/full);
    if (!report.ok()) {
      spdlog::error("event=alert_scan_failed error=\"{}\"", report.status().message());
    } else if (full || report->counts.opened || report->counts.resolved) {
      spdlog::info(
          "event=alert_scan full={} persons={} projects={} opened={} changed={} resolved={} "
          "active={} seconds={:.2f}",
          full, report->persons, report->projects, report->counts.opened, report->counts.refreshed,
          report->counts.resolved, report->active, report->seconds);
    }
    lock.lock();
    if (full) next_full = Clock::now() + std::chrono::seconds(options_.scan_interval_s);
    next_projects = Clock::now() + std::chrono::seconds(options_.project_interval_s);
  }
}

}  // namespace zhizhi::alerts
