// End-to-end test harness: runs the real `zhizhi` binary on a loopback port with a fresh data
// directory, talks HTTP/1.1 to it, runs other subcommands (import) and looks at the SQLite file
// directly.
//
//   TestServer server;                 // makes /tmp/zhizhi-e2e-XXXXXX (removed by the destructor)
//   ASSERT_TRUE(server.Start());       // fork/exec `zhizhi serve --data DIR --port 0`
//   HttpResponse r = server.Api("POST", "/api/v1/corps", R"({"uscc":…})");   // admin token
//   EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 1);
//   EXPECT_EQ(server.Stop(), 0);       // SIGTERM, waits, exit status
//
// Every wait is bounded; a server that does not come up or does not stop fails the test instead
// of hanging it. Servers die with the test process (PR_SET_PDEATHSIG).
//
// Thread-safety: a TestServer and an HttpClient belong to one thread; use one HttpClient per
// thread to talk to one server from several threads.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"

namespace zhizhi::e2e {

using Headers = http::HeaderList;

struct HttpResponse {
  int status = 0;     // 0 when the exchange failed (see error)
  std::string error;  // transport error, empty on success
  Headers headers;
  std::string body;
  nlohmann::json json;  // parsed body; discarded() when the body is not JSON

  // Value of a header (case-insensitive name), empty when absent.
  std::string Header(std::string_view name) const;
  bool HasHeader(std::string_view name) const;
  // "STATUS body" (or the transport error) for failure messages.
  std::string Describe() const;
};

// The tests' side of http::Client (http/client.h) for 127.0.0.1:port: keeps the connection
// alive between requests and reconnects when the server closed it. Every exchange has a deadline.
class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // `token`: sends `Authorization: Bearer TOKEN`; nullopt sends no Authorization header (an
  // explicit Authorization in `headers` wins). A non-empty body is sent as application/json
  // unless `headers` names a Content-Type.
  HttpResponse Request(std::string_view method, std::string_view target, std::string body = {},
                       const std::optional<std::string>& token = std::nullopt,
                       const Headers& headers = {});

  // TCP connections opened so far (1 after several requests on one kept-alive connection).
  int connections_opened() const { return client_.connections_opened(); }
  bool connected() const { return client_.connected(); }
  void Close() { client_.Close(); }

 private:
  http::Client client_;
};

// The result of running a subcommand of the binary.
struct ProcessResult {
  int exit_code = -1;  // exit status, or 128 + signal when killed
  std::string out;
  std::string err;
};

// Runs ZHIZHI_BINARY with `args` (stdout and stderr captured through files, so no pipe can fill
// up; stdin from `stdin_path`, else /dev/null), waiting at most `timeout`; on timeout the process
// is killed and the test fails.
ProcessResult RunZhizhi(const std::vector<std::string>& args,
                        std::chrono::seconds timeout = std::chrono::seconds(60),
                        const std::string& stdin_path = "");

// The whole file as bytes ("" when it does not exist).
std::string ReadFileBytes(const std::string& path);
void WriteFileBytes(const std::string& path, std::string_view bytes);

// Runs `sql` on a read-only connection to the SQLite file at `db_path` and returns the first
// column of the first row as text ("NULL" for NULL, nullopt when there is no row); on a SQL error
// returns "error: <message>".
std::optional<std::string> QueryScalar(const std::string& db_path, const std::string& sql);

// Runs `sql` (one or more statements) on a read-write connection to the SQLite file at
// `db_path` — for faults planted under a running server (a trigger that aborts). Returns the
// error message, or an empty string.
std::string ExecSql(const std::string& db_path, const std::string& sql);

// Every row of every table of the SQLite file except the append-only audit trail, as text: equal
// fingerprints mean equal content.
std::string DatabaseFingerprint(const std::string& db_path);

// China's date (UTC+8) plus `days`, as YYYY-MM-DD.
std::string ChinaDate(int days = 0);

// Whether `text` contains `part`.
inline bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// A self-signed certificate for 127.0.0.1 and its key, DIR/NAME.crt and DIR/NAME.key (made with
// `openssl req`).
inline bool MakeCertificate(const std::string& dir, const std::string& name) {
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "
      "/CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout " +
      dir + "/" + name + ".key -out " + dir + "/" + name + ".crt >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

class TestServer {
 public:
  TestServer();   // creates the temporary root directory; the server is not started
  ~TestServer();  // kills the server if still running and removes the directory
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  // Starts `zhizhi serve --data DIR --port 0 --log-level info` plus `extra_args` (and `--web ""`,
  // no command screen, unless `extra_args` has a --web), waits for the
  // listening line and /healthz, then reads DIR/admin.token. False (with a test failure that
  // shows the log) when the server did not come up within the deadline.
  bool Start(const std::vector<std::string>& extra_args = {});
  // SIGTERM, then waits (bounded); returns the exit code (128 + signal if killed). Adds a test
  // failure unless the server exited with 0.
  int Stop();
  // Waits (bounded) for a server that was told to stop some other way; like Stop() otherwise.
  int WaitForExit(std::chrono::seconds timeout = std::chrono::seconds(20));
  // SIGKILL and reap: a crash.
  void Kill();
  // Stop() (expecting exit 0) and Start() again on the same data directory.
  // Stops (SIGTERM) and starts again on the same data directory with the same extra flags.
  bool Restart();
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  std::uint16_t port() const { return port_; }
  bool tls() const { return tls_; }  // started with --tls-cert/--tls-key (Api() does not work)
  const std::string& token() const { return token_; }
  const std::string& root() const { return root_; }          // temporary directory
  const std::string& data_dir() const { return data_dir_; }  // root/data
  std::string db_path() const { return data_dir_ + "/zhizhi.db"; }
  std::string log_path() const { return root_ + "/server.log"; }
  std::string Log() const;  // everything the server wrote to stdout and stderr so far

  // A request with the admin token, on the server's kept-alive connection.
  HttpResponse Api(std::string_view method, std::string_view target, std::string body = {},
                   const Headers& headers = {});
  // A request with an explicit token (nullopt: none).
  HttpResponse Request(std::string_view method, std::string_view target, std::string body,
                       const std::optional<std::string>& token, const Headers& headers = {});

  // QueryScalar on the server's database; Count() returns -1 when the query gave no integer.
  std::optional<std::string> Query(const std::string& sql) const;
  std::int64_t Count(const std::string& sql) const;
  // ExecSql on the server's database.
  std::string Exec(const std::string& sql) const { return ExecSql(db_path(), sql); }

 private:
  std::string root_;
  std::string data_dir_;
  pid_t pid_ = -1;
  std::vector<std::string> extra_args_;  // of the last Start()
  std::uint16_t port_ = 0;
  bool tls_ = false;
  std::string token_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace zhizhi::e2e
