#include "in_process_server.h"

#include <fstream>

namespace zhizhi::e2e {

Result<std::unique_ptr<InProcessServer>> InProcessServer::Start(const std::string& data_dir,
                                                                app::PlatformOptions options,
                                                                const std::string& models_dir) {
  std::unique_ptr<InProcessServer> s(new InProcessServer());
  ZZ_ASSIGN_OR_RETURN(s->platform_, app::Platform::Open(data_dir, std::move(options)));
  app::Platform& p = *s->platform_;
  ZZ_RETURN_IF_ERROR(p.EnsureAdminToken().status());
  gate::GateOptions gate;
  gate.tick_seconds = 86400;  // no housekeeping during a test
  ZZ_RETURN_IF_ERROR(p.StartGate(gate));
  app::Platform::ResidenceSetup residence;
  residence.sender = false;
  ZZ_RETURN_IF_ERROR(p.StartResidence(residence));
  p.StartAlerts({}, /*schedule=*/false);
  face::FaceEngineOptions engine;
  engine.models_dir = models_dir;
  engine.workers = 1;
  ZZ_RETURN_IF_ERROR(p.StartFaces(engine, {}));
  s->router_ = std::make_unique<http::Router>();
  p.AddRoutes(*s->router_);
  http::ServerOptions server;
  server.port = 0;
  server.threads = 4;
  server.session_rate = 0;
  s->server_ = std::make_unique<http::HttpServer>(server, *s->router_, p.auth(), p.metrics());
  ZZ_ASSIGN_OR_RETURN(s->port_, s->server_->Start());
  std::ifstream token(data_dir + "/admin.token");
  std::getline(token, s->token_);
  if (s->token_.empty()) return Status::Internal("no admin.token in " + data_dir);
  s->serving_ = std::thread([server = s->server_.get()] { server->Run(); });
  return s;
}

InProcessServer::~InProcessServer() {
  if (server_) server_->Stop();
  if (serving_.joinable()) serving_.join();
  server_.reset();
  platform_.reset();
}

HttpResponse InProcessServer::Api(HttpClient& client, std::string_view method,
                                  std::string_view target, std::string body) const {
  return client.Request(method, target, std::move(body), token_);
}

}  // namespace zhizhi::e2e
