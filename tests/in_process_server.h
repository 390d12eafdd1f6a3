// InProcessServer: a zhizhi server inside the test process — the Platform and the HttpServer
// wired as `zhizhi serve` wires them (gate, residence, alerts, faces without models) — for tests
// that must reach inside it: the fault-injection tests give its database a VFS that fails on
// purpose and compare each module's memory with a fresh load from the database.
//
// Thread-safety: Start and the destructor on one thread; Api() from any thread (one client per
// thread, see Client()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "app/platform.h"
#include "http/router.h"
#include "http/server.h"
#include "test_server.h"

namespace zhizhi::e2e {

class InProcessServer {
 public:
  // Opens DATA_DIR (created), starts every module and serves on a free loopback port; faces
  // are recognised with the models in `models_dir` (empty: stored, not recognised).
  static Result<std::unique_ptr<InProcessServer>> Start(const std::string& data_dir,
                                                        app::PlatformOptions options = {},
                                                        const std::string& models_dir = "");
  ~InProcessServer();  // stops serving, then closes the platform (the writer drains first)

  app::Platform& platform() { return *platform_; }
  std::uint16_t port() const { return port_; }
  const std::string& token() const { return token_; }
  // A client of this server for the calling thread, with the administrator token.
  HttpResponse Api(HttpClient& client, std::string_view method, std::string_view target,
                   std::string body = {}) const;

 private:
  InProcessServer() = default;

  std::unique_ptr<app::Platform> platform_;
  std::unique_ptr<http::Router> router_;
  std::unique_ptr<http::HttpServer> server_;
  std::thread serving_;
  std::uint16_t port_ = 0;
  std::string token_;
};

}  // namespace zhizhi::e2e
