#include "app/platform.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "accounts/accounts_api.h"
#include "address/address_api.h"
#include "alerts/alerts_api.h"
#include "alerts/security_alerts.h"
#include "base/civil_time.h"
#include "base/thread_name.h"
#include "basedata/basedata_api.h"
#include "dispatch/dispatch_api.h"
#include "dispatch/work_calendar.h"
#include "face/faces_api.h"
#include "gate/gate_api.h"
#include "iot/iot_api.h"
#include "lottery/lottery_api.h"
#include "registry/registry_api.h"
#include "security/key_rotation.h"
#include "terminals/terminals_api.h"
#include "warning/warning_api.h"

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

Result<std::unique_ptr<Platform>> Platform::Open(const std::string& data_dir,
                                                 PlatformOptions options) {
  if (data_dir.empty()) return Status::InvalidArgument("data", "--data is required");
  std::unique_ptr<Platform> p(new Platform());
  p->data_dir_ = data_dir;
  p->region_ = options.region;
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
  ZZ_ASSIGN_OR_RETURN(p->db_, store::Database::Open(data_dir + "/zhizhi.db", options.database));
  ZZ_RETURN_IF_ERROR(security::EnsureFieldKey(*p->db_, p->cipher_.get(), data_dir));
  p->auth_ = std::make_unique<security::TokenAuthenticator>(p->db_.get());
  p->audit_ = std::make_unique<security::AuditLog>(p->cipher_.get());
  p->refusals_ = std::make_unique<security::RefusalLog>(p->db_.get(), p->audit_.get());
  p->refusals_->SetBurstListener(
      [](store::Connection& conn, const security::Actor& actor, int refusals, std::int64_t now_ms) {
        return alerts::AlertBook::Raise(conn, alerts::RefusalBurstAlert(actor, refusals, now_ms),
                                        now_ms);
      });
  p->accounts_ = std::make_unique<accounts::Accounts>(p->db_.get(), p->auth_.get(), p->audit_.get(),
                                                      options.accounts);
  p->login_limiter_ =
      std::make_unique<http::RateLimiter>(options.logins_per_minute / 60.0, options.login_burst);
  p->addresses_ =
      std::make_unique<address::AddressService>(p->db_.get(), options.gazetteer, options.region);
  p->base_data_ = std::make_unique<basedata::BaseData>(
      p->db_.get(), p->cipher_.get(), p->audit_.get(), p->addresses_.get(), options.base_data);
  p->lotteries_ =
      std::make_unique<lottery::LotteryService>(p->db_.get(), p->cipher_.get(), p->audit_.get());
  p->registry_ = std::make_unique<registry::Registry>(p->cipher_.get());
  p->registry_->SetAddresses(p->addresses_.get());
  return p;
}

Platform::~Platform() {
  // First every thread that queues write jobs stops: retention, the police sender, the alert
  // scans, the gate's housekeeping, and the face workers (each photo being analysed finishes
  // and queues its job). Then the database runs what is queued — jobs that hold pointers to the
  // modules — and stops its writer. Only then do the modules go, and the lock last.
  {
    std::lock_guard lock(retention_mu_);
    closing_ = true;
  }
  retention_cv_.notify_all();
  if (retention_.joinable()) retention_.join();
  if (sender_) sender_->Stop();
  if (seed_areas_.joinable()) seed_areas_.join();
  if (iot_) iot_->Stop();
  if (work_orders_) work_orders_->Stop();
  if (warning_) warning_->Stop();
  if (notification_sender_) notification_sender_->Stop();
  if (alerts_) alerts_->Stop();
  if (downlink_) downlink_->Stop();
  if (gate_) gate_->Stop();
  if (face_engine_) face_engine_->Stop();
  if (base_data_) base_data_->Stop();
  if (lotteries_) lotteries_->Stop();
  if (warm_stats_.joinable()) warm_stats_.join();
  if (settle_dormitories_.joinable()) settle_dormitories_.join();
  if (db_) db_->Close();
  if (alert_listener_set_) alerts::AlertBook::SetOpenedListener(nullptr);
  sender_.reset();
  notification_sender_.reset();
  notifier_.reset();
  iot_.reset();
  work_orders_.reset();
  warning_.reset();
  areas_.reset();
  alerts_.reset();
  faces_.reset();
  face_engine_.reset();
  stats_.reset();
  downlink_.reset();
  terminals_.reset();
  residence_.reset();
  gate_.reset();
  registry_.reset();
  base_data_.reset();
  lotteries_.reset();
  addresses_.reset();
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Platform::StartGate(gate::GateOptions options) {
  gate_ = std::make_unique<gate::Gate>(db_.get(), registry_.get(), cipher_.get(), options);
  gate::Gate* gate = gate_.get();
  registry_->AddPersonListener([gate](store::Connection& conn, std::int64_t person) {
    return gate->OnPersonChanged(conn, person);
  });
  registry_->AddProjectListener([gate](store::Connection& conn, const std::string& project) {
    return gate->OnProjectChanged(conn, project);
  });
  registry_->AddViewExtender([gate](const std::string& code, nlohmann::json& view) {
    auto onsite = gate->Onsite(code, /*with_persons=*/false);
    view["onsite"] = {{"count", onsite.ok() ? (*onsite)["count"] : nlohmann::json(0)},
                      {"by_team", onsite.ok() ? (*onsite)["by_team"] : nlohmann::json::array()}};
  });
  ZZ_RETURN_IF_ERROR(gate_->Start());
  terminals_ = std::make_unique<terminals::Terminals>(db_.get(), gate);
  downlink_ = std::make_unique<terminals::Downlink>(db_.get(), gate, cipher_.get());
  downlink_->SetTerminals(terminals_.get());
  terminals_->SetImpersonationListener([](store::Connection& conn,
                                          const terminals::Impersonation& seen) {
    if (seen.unregistered) {
      return alerts::AlertBook::Raise(
          conn,
          alerts::TerminalUnregisteredAlert(seen.vendor, seen.serial, seen.from_address,
                                            seen.time_ms),
          seen.time_ms);
    }
    const alerts::TerminalMisuse misuse{seen.device_id,     seen.project,       seen.vendor,
                                        seen.serial,        seen.bound_address, seen.from_address,
                                        seen.claimed_serial};
    return alerts::AlertBook::Raise(conn, alerts::TerminalImpersonationAlert(misuse, seen.time_ms),
                                    seen.time_ms);
  });
  stats_ = std::make_unique<gate::GateStats>(db_.get(), gate_.get(), options.offline_after_ms);
  // The screen asks for the last 30 days on its first load: have them ready.
  warm_stats_ = std::thread([stats = stats_.get()] {
    NameThisThread("zz-stats-warm");
    stats->Warm(30);
  });
  return Status::Ok();
}

Status Platform::StartResidence(ResidenceSetup setup) {
  residence::ResidenceOptions options;
  if (!setup.police_config.empty()) {
    ZZ_ASSIGN_OR_RETURN(auto config, residence::PoliceConfig::Load(setup.police_config));
    police_ = std::make_unique<residence::PoliceAdapter>(std::move(config));
    options.adapter = police_.get();
  }
  options.defer_submission = setup.defer_submission;
  options.require_community = true;  // dormitories are standardised (AddressService)
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
    Status read = db->Read([&](store::Connection& conn) {
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
    // The view is still worth showing without its alert counts; the log says why they are null.
    if (!read.ok()) {
      spdlog::warn("event=view_alerts_failed project={} error=\"{}\"", code, read.ToString());
      open = nullptr;
    }
    view["alerts"] = std::move(open);
  });
  if (schedule) alerts_->Start();
}

Status Platform::StartFaces(const face::FaceEngineOptions& engine_options,
                            const face::FacesOptions& options) {
  if (!engine_options.models_dir.empty()) {
    ZZ_ASSIGN_OR_RETURN(face_engine_, face::FaceEngine::Start(engine_options));
  }
  faces_ = std::make_unique<face::Faces>(db_.get(), cipher_.get(), face_engine_.get(), options);
  face::Faces* faces = faces_.get();
  registry_->AddPersonListener([faces](store::Connection& conn, std::int64_t person) {
    return faces->OnPersonChanged(conn, person);
  });
  registry_->AddPersonViewExtender(
      [faces](store::Connection& conn, std::int64_t person, nlohmann::json& view) {
        return faces->ExtendPersonView(conn, person, view);
      });
  if (gate_ && face_engine_) gate_->SetFaceMatcher(faces);
  if (gate::Gate* gate = gate_.get()) {
    // Terminal rosters carry each person's face_version: a new or removed face moves it.
    faces->AddFaceListener([gate](store::Connection& conn, std::int64_t person) {
      return gate->OnPersonChanged(conn, person);
    });
  }
  if (residence::Residence* r = residence_.get()) {
    // A verified face (ID-card photo and a live face matched to it) completes a registration;
    // before the alerts engine's listener, which then judges the registration as it now is.
    faces->AddFaceListener([r](store::Connection& conn, std::int64_t person) {
      return r->OnPersonChanged(conn, person);
    });
  }
  if (alerts::AlertEngine* engine = alerts_.get()) {
    // A face enrolled under another person's identity is a duplicate_identity alert, and so is
    // an identity attempt (a borrowed ID card).
    auto redetect = [engine](store::Connection& conn, std::int64_t person) {
      return engine->OnPersonChanged(conn, person);
    };
    faces->AddFaceListener(redetect);
    faces->AddAttemptListener(redetect);
  }
  return faces_->Start();
}

void Platform::StartDownlink(terminals::DownlinkOptions options) {
  if (!downlink_) return;
  downlink_->SetOptions(options);
  if (face::Faces* faces = faces_.get()) {
    downlink_->SetPhotoSource([faces](std::int64_t person) { return faces->Photo(person); });
  }
  downlink_->Start();
}

Status Platform::StartDispatch(DispatchSetup setup) {
  areas_ = std::make_unique<warning::Areas>(db_.get(), addresses_.get(), region_);
  ZZ_RETURN_IF_ERROR(areas_->Load());
  warning_ = std::make_unique<warning::Warning>(db_.get(), areas_.get(),
                                                &warning::Rulebook::Default(), setup.warning);
  ZZ_RETURN_IF_ERROR(warning_->Start());
  work_orders_ = std::make_unique<dispatch::WorkOrders>(
      db_.get(), audit_.get(), areas_.get(), warning_.get(), &dispatch::DispatchRules::Default(),
      &dispatch::WorkCalendar::Default(), setup.orders);
  if (!setup.webhook_url.empty()) {
    ZZ_ASSIGN_OR_RETURN(auto webhook,
                        dispatch::WebhookNotifier::Create(setup.webhook_url, setup.webhook_secret));
    notifier_ = std::move(webhook);
    notification_sender_ =
        std::make_unique<dispatch::NotificationSender>(db_.get(), notifier_.get());
    notification_sender_->Start();
  }
  // From now on an alert and the order a rule makes of it commit together; a duplicate of an
  // order the catch-up below makes is refused by (source, source_id).
  dispatch::WorkOrders* orders = work_orders_.get();
  alerts::AlertBook::SetOpenedListener(
      [orders](store::Connection& conn, std::int64_t id, const alerts::AlertDraft&) {
        return orders->OnAlertOpened(conn, id);
      });
  alert_listener_set_ = true;
  // A fresh data directory gets the region's streets and communities before the first request
  // (the gazetteer loads in about a second); later starts add what a newer gazetteer has on a
  // thread of their own.
  const auto seed = [this] {
    if (auto seeded = areas_->SeedFromGazetteer(); !seeded.ok()) {
      spdlog::warn("event=areas_not_seeded error=\"{}\"", seeded.status().ToString());
    } else {
      warning_->Wake();
    }
  };
  if (areas_->tree()->OfLevel(warning::Level::kStreet).empty()) {
    seed();
  } else {
    seed_areas_ = std::thread([seed] {
      NameThisThread("zz-areas");
      seed();
    });
  }
  // The catch-up places alerts by their projects' addresses: with the gazetteer, not before.
  if (auto loaded = addresses_->Get(); !loaded.ok()) {
    spdlog::warn("event=orders_catch_up_without_gazetteer error=\"{}\"",
                 loaded.status().ToString());
  }
  ZZ_RETURN_IF_ERROR(work_orders_->Start());
  return Status::Ok();
}

Status Platform::StartIot(IotSetup setup) {
  iot::IotOptions options;
  options.dir = data_dir_ + "/mqtt";
  options.mqtt_url = setup.mqtt_url;
  options.broker_port = setup.broker_port;
  options.offline_after_ms = setup.offline_after_ms;
  options.advertised_host = setup.advertised_host;
  options.tls_port = setup.tls_port;
  options.tls_bind = setup.tls_bind;
  options.tls_cert = setup.tls_cert;
  options.tls_key = setup.tls_key;
  iot_ = std::make_unique<iot::Iot>(db_.get(), audit_.get(), gate_.get(), areas_.get(), options);
  if (gate_) iot_->set_live_feed(&gate_->live());
  return iot_->Start();
}

void Platform::StartSettlingDormitories() {
  settle_dormitories_ = std::thread([this] {
    NameThisThread("zz-settle");
    if (Status s = registry_->SettleDormitories(*db_); !s.ok()) {
      spdlog::warn("event=dormitories_unsettled error=\"{}\"", s.ToString());
    }
  });
}

void Platform::StartRetention(RetentionDays days, std::chrono::milliseconds interval) {
  retention_ = std::thread([this, days = std::move(days), interval] {
    NameThisThread("zz-retention");
    std::unique_lock lock(retention_mu_);
    while (!closing_) {
      lock.unlock();
      auto report =
          RunRetention(*db_, *audit_, security::Actor::Command("retention"), days, NowUnixMs());
      if (!report.ok()) {
        spdlog::warn("event=retention_failed error=\"{}\"", report.status().ToString());
      } else if (report->total > 0) {
        spdlog::info("event=retention deleted={}", report->total);
      }
      lock.lock();
      retention_cv_.wait_for(lock, interval, [this] { return closing_; });
    }
  });
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

  accounts::AddAccountRoutes(router, *accounts_, *db_, *audit_, *login_limiter_);
  registry::AddRegistryRoutes(router, *db_, *registry_, *audit_);
  address::AddAddressRoutes(router, *addresses_, *db_, *audit_);
  basedata::AddBaseDataRoutes(router, *base_data_, *db_, *audit_);
  lottery::AddLotteryRoutes(router, *lotteries_);
  if (gate_) gate::AddGateRoutes(router, *gate_, *db_, *audit_);
  if (terminals_) terminals::AddTerminalRoutes(router, *terminals_, *downlink_);
  if (alerts_) alerts::AddAlertRoutes(router, *db_, *alerts_, *audit_, *registry_);
  if (faces_) face::AddFaceRoutes(router, *faces_, *db_, *registry_, *audit_);
  if (stats_) gate::AddStatsRoutes(router, *stats_);
  if (residence_) {
    residence::AddResidenceRoutes(router, *db_, *residence_, sender_.get(), sync_, *audit_);
  }
  if (warning_) warning::AddWarningRoutes(router, *warning_, *areas_);
  if (work_orders_) dispatch::AddDispatchRoutes(router, *work_orders_);
  if (iot_) iot::AddIotRoutes(router, *iot_);

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
           std::to_string(db_->jobs()) +
           "\n# HELP zhizhi_db_groups_rolled_back_total Groups rolled back whole: a failed "
           "commit, or a pass that failed after its first write (its neighbours answered 503).\n"
           "# TYPE zhizhi_db_groups_rolled_back_total counter\n"
           "zhizhi_db_groups_rolled_back_total " +
           std::to_string(db_->groups_rolled_back()) +
           "\n# HELP zhizhi_db_wal_frames Pages in the write-ahead log after the last commit.\n"
           "# TYPE zhizhi_db_wal_frames gauge\n"
           "zhizhi_db_wal_frames " +
           std::to_string(db_->wal_frames()) + "\n";
  });
  if (gate_) {
    metrics_->AddCollector([this] {
      const gate::Gate::EventCounts n = gate_->event_counts();
      std::string out =
          "# HELP zhizhi_gate_events_total Gate events answered to terminals, by outcome.\n"
          "# TYPE zhizhi_gate_events_total counter\n";
      for (const auto& [outcome, count] : {std::pair{"allow", n.allowed},
                                           {"deny", n.denied},
                                           {"replayed", n.replayed},
                                           {"refused", n.refused}}) {
        out += "zhizhi_gate_events_total{outcome=\"" + std::string(outcome) + "\"} " +
               std::to_string(count) + "\n";
      }
      return out;
    });
  }
  if (terminals_) {
    metrics_->AddCollector([this] {
      const terminals::Terminals::Counts n = terminals_->counts();
      std::string out =
          "# HELP zhizhi_terminal_uplink_total Messages of other vendors' terminals: Uface "
          "recognitions, ZKTeco punch lines, refused requests (unknown or misused identity) and "
          "impersonations among them.\n"
          "# TYPE zhizhi_terminal_uplink_total counter\n";
      for (const auto& [kind, count] : {std::pair{"uface_event", n.uface_events},
                                        {"zkteco_line", n.zkteco_lines},
                                        {"hikvision_event", n.hikvision_events},
                                        {"refused", n.refused},
                                        {"impersonation", n.impersonations}}) {
        out += "zhizhi_terminal_uplink_total{kind=\"" + std::string(kind) + "\"} " +
               std::to_string(count) + "\n";
      }
      return out;
    });
  }
}

}  // namespace zhizhi::app
