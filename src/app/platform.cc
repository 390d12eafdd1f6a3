#include "app/platform.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "alerts/alerts_api.h"
#include "gate/gate_api.h"
#include "registry/registry_api.h"

namespace zhizhi::app {

namespace {

Status EnsureDirectory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::Internal(dir + " exists and is not a directory");
    return Status::Ok();
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Internal("cannot create data directory " + dir + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Platform>> Platform::Open(const std::string& data_dir) {
  if (data_dir.empty()) return Status::InvalidArgument("data", "--data is required");
  std::unique_ptr<Platform> p(new Platform());
  p->data_dir_ = data_dir;
  ZZ_RETURN_IF_ERROR(EnsureDirectory(data_dir));

  const std::string lock_path = data_dir + "/LOCK";
  p->lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (p->lock_fd_ < 0)
    return Status::Internal("cannot open " + lock_path + ": " + std::strerror(errno));
  if (::flock(p->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("data directory " + data_dir +
                               " is in use by another zhizhi process (a running server?)");
  }

  ZZ_ASSIGN_OR_RETURN(auto cipher, security::FieldCipher::ForDataDir(data_dir));
  p->cipher_ = std::make_unique<security::FieldCipher>(std::move(cipher));
  ZZ_ASSIGN_OR_RETURN(p->db_, store::Database::Open(data_dir + "/zhizhi.db"));
  p->auth_ = std::make_unique<security::TokenAuthenticator>(p->db_.get());
  p->registry_ = std::make_unique<registry::Registry>(p->cipher_.get());
  return p;
}

Platform::~Platform() {
  // Stop housekeeping and scans, then the writer (draining queued jobs), before the lock goes.
  sender_.reset();
  alerts_.reset();
  residence_.reset();
  gate_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Platform::StartGate(gate::GateOptions options) {
  gate_ = std::make_unique<gate::Gate>(db_.get(), registry_.get(), cipher_.get(), options);
  gate::Gate* gate = gate_.get();
  registry_->AddPersonListener([gate](store::Connection& conn, std::int64_t person) {
    return gate->OnPersonChanged(conn, person);
  });
  registry_->AddViewExtender([gate](const std::string& code, nlohmann::json& view) {
    auto onsite = gate->Onsite(code, /*with_persons=*/false);
    view["onsite"] = {{"count", onsite.ok() ? (*onsite)["count"] : nlohmann::json(0)},
                      {"by_team", onsite.ok() ? (*onsite)["by_team"] : nlohmann::json::array()}};
  });
  return gate_->Start();
}

Status Platform::StartResidence(ResidenceSetup setup) {
  residence::ResidenceOptions options;
  if (!setup.police_config.empty()) {
    ZZ_ASSIGN_OR_RETURN(auto config, residence::PoliceConfig::Load(setup.police_config));
    police_ = std::make_unique<residence::PoliceAdapter>(std::move(config));
    options.adapter = police_.get();
  }
  options.defer_submission = setup.defer_submission;
  residence_ = std::make_unique<residence::Residence>(db_.get(), cipher_.get(),
                                                      registry::ActiveRules(), options);
  residence::Residence* r = residence_.get();
  registry_->AddPersonListener([r](store::Connection& conn, std::int64_t person) {
    return r->OnPersonChanged(conn, person);
  });
  if (gate_) {
    gate_->AddPassListener([r](store::Connection& conn, const gate::Gate::PassNotice& pass) {
      return r->OnPass(conn, pass);
    });
  }
  sync_.adapter = police_.get();
  sync_.export_options.dir = setup.export_dir.empty() ? data_dir_ + "/exports" : setup.export_dir;
  sync_.export_options.encoding = setup.export_encoding;
  sync_.export_hour = setup.export_hour;
  if (setup.sender) {
    residence::SenderOptions sender_options;
    sender_options.poll_ms = setup.poll_ms;
    sender_options.export_hour = setup.export_hour;
    sender_options.export_options = sync_.export_options;
    sender_options.reconcile_first = true;
    sender_ =
        std::make_unique<residence::OutboxSender>(db_.get(), r, cipher_.get(), sender_options);
    residence::OutboxSender* sender = sender_.get();
    r->SetQueuedListener([sender] { sender->Wake(); });
  }
  return Status::Ok();
}

void Platform::StartAlerts(alerts::AlertEngineOptions options, bool schedule) {
  alerts_ =
      std::make_unique<alerts::AlertEngine>(db_.get(), registry::ActiveRules(), std::move(options));
  alerts_->Attach(registry_.get(), gate_.get());
  if (residence_) {
    alerts::AlertEngine* engine = alerts_.get();
    residence_->AddChangeListener([engine](store::Connection& conn, std::int64_t person) {
      return engine->OnPersonChanged(conn, person);
    });
  }

  store::Database* db = db_.get();
  registry_->AddViewExtender([db](const std::string& code, nlohmann::json& view) {
    // The one-click view's "open alerts": counts by severity and type of the active ones.
    nlohmann::json open = {{"count", 0},
                           {"by_severity", nlohmann::json::object()},
                           {"by_type", nlohmann::json::object()}};
    db->Read([&](store::Connection& conn) {
      auto s = conn.Prepare(
          "SELECT severity, type, COUNT(*) FROM alerts WHERE project_code = ? AND status != "
          "'resolved' GROUP BY 1, 2");
      s.Bind(1, code);
      std::int64_t total = 0;
      while (s.Step()) {
        const std::int64_t n = s.Int(2);
        total += n;
        open["by_severity"][s.Text(0)] = open["by_severity"].value(s.Text(0), 0LL) + n;
        open["by_type"][s.Text(1)] = open["by_type"].value(s.Text(1), 0LL) + n;
      }
      open["count"] = total;
      return s.status();
    });
    view["alerts"] = std::move(open);
  });
  if (schedule) alerts_->Start();
}

void Platform::StartSync() {
  if (sender_) sender_->Start();
}

Result<bool> Platform::EnsureAdminToken() {
  return auth_->EnsureAdminToken(data_dir_ + "/admin.token");
}

void Platform::AddRoutes(http::Router& router) {
  using http::Operation;
  using http::Request;
  using http::Response;
  using http::Route;
  using http::Verb;

  router.Add(Route{Verb::get, "/healthz", std::nullopt, "Liveness and database check (no auth)",
                   Operation({}, {503}), [this](Request&) {
                     auto ok = db_->Read(
                         [](store::Connection& conn) { return store::QueryInt(conn, "SELECT 1"); });
                     if (!ok.ok()) {
                       return Response::Error(Status::Unavailable("database unavailable"));
                     }
                     return Response::Json(200, {{"status", "ok"}});
                   }});
  router.Add(Route{
      Verb::get, "/metrics", std::nullopt, "Prometheus metrics (no auth)", {}, [this](Request&) {
        return Response::Text(200, metrics_->Render(), "text/plain; version=0.0.4; charset=utf-8");
      }});
  router.Add(
      Route{Verb::get,
            "/api/v1/openapi.json",
            security::Right::kAuthenticated,
            "This document: OpenAPI 3 for every endpoint that exists",
            {},
            [&router](Request&) { return Response::Json(200, router.OpenApi(ZHIZHI_VERSION)); }});

  registry::AddRegistryRoutes(router, *db_, *registry_);
  if (gate_) gate::AddGateRoutes(router, *gate_);
  if (alerts_) alerts::AddAlertRoutes(router, *db_, *alerts_);
  if (residence_) residence::AddResidenceRoutes(router, *db_, *residence_, sender_.get(), sync_);

  std::vector<std::pair<std::string, std::string>> labels;
  for (const auto& route : router.routes()) {
    labels.emplace_back(std::string(boost::beast::http::to_string(route.method)), route.pattern);
  }
  metrics_ = std::make_unique<http::Metrics>(std::move(labels));
  metrics_->AddCollector([this] {
    return "# HELP zhizhi_db_group_commits_total Group commits of the writer.\n"
           "# TYPE zhizhi_db_group_commits_total counter\n"
           "zhizhi_db_group_commits_total " +
           std::to_string(db_->commits()) +
           "\n# HELP zhizhi_db_write_jobs_total Write jobs committed or rolled back.\n"
           "# TYPE zhizhi_db_write_jobs_total counter\n"
           "zhizhi_db_write_jobs_total " +
           std::to_string(db_->jobs()) + "\n";
  });
}

}  // namespace zhizhi::app
