#include "test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "base/civil_time.h"

#ifndef ZHIZHI_BINARY
#error "ZHIZHI_BINARY must name the zhizhi binary (set by CMakeLists.txt)"
#endif

namespace zhizhi::e2e {

namespace {

using namespace std::chrono_literals;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string TrimWhitespace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start])))
    ++start;
  return s.substr(start);
}

// The last `lines` lines of `text`, for failure messages.
std::string Tail(const std::string& text, int lines = 30) {
  size_t pos = text.size();
  for (int n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// Ignored once per process: a write to a closed socket must be an error, not a death.
void IgnoreSigpipe() {
  static const bool done = [] {
    ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

// fork + exec of `args` with stdout/stderr on the given descriptors and stdin on /dev/null. The
// child gets no other descriptor of ours (a leaked client socket would keep connections open) and
// is killed when the test process dies.
pid_t Spawn(const std::vector<std::string>& args, int out_fd, int err_fd,
            const std::string& stdin_path = "/dev/null") {
  std::vector<char*> argv;
  for (const std::string& arg : args)
    argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const int null_fd = ::open(stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(err_fd, STDERR_FILENO);
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
      for (int fd = 3; fd < 4096; ++fd)
        ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (null_fd >= 0) ::close(null_fd);
  return pid;
}

// Waits for `pid` to exit; its exit code (128 + signal when killed), nullopt after `timeout`.
std::optional<int> WaitExit(pid_t pid, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (done < 0 && errno != EINTR) return -1;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

std::string TempFile(const char* prefix) {
  std::string path = std::string("/tmp/") + prefix + "-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd >= 0) ::close(fd);
  return path;
}

}  // namespace

// ------------------------------------------------------------------------------- HttpResponse

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return {};
}

bool HttpResponse::HasHeader(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return true;
  }
  return false;
}

std::string HttpResponse::Describe() const {
  if (status == 0) return "no response: " + error;
  std::string shown = body.size() > 2000 ? body.substr(0, 2000) + "…" : body;
  return std::to_string(status) + " " + shown;
}

// --------------------------------------------------------------------------------- HttpClient

HttpClient::HttpClient(std::uint16_t port, std::chrono::milliseconds timeout)
    : client_({.host = "127.0.0.1", .port = port, .timeout = timeout, .user_agent = "zhizhi-e2e"}) {
  IgnoreSigpipe();
}

HttpResponse HttpClient::Request(std::string_view method, std::string_view target, std::string body,
                                 const std::optional<std::string>& token, const Headers& headers) {
  bool has_content_type = false;
  bool has_authorization = false;
  for (const auto& [name, value] : headers) {
    has_content_type = has_content_type || IEquals(name, "Content-Type");
    has_authorization = has_authorization || IEquals(name, "Authorization");
  }
  Headers sent;
  if (token && !has_authorization) sent.emplace_back("Authorization", "Bearer " + *token);
  if (!body.empty() && !has_content_type) sent.emplace_back("Content-Type", "application/json");
  sent.insert(sent.end(), headers.begin(), headers.end());
  http::ClientResponse answer = client_.Send(method, target, sent, std::move(body));
  HttpResponse out;
  out.status = answer.status;
  out.error = std::move(answer.error);
  if (out.status == 0) return out;
  out.headers = std::move(answer.headers);
  out.body = std::move(answer.body);
  out.json = out.body.empty()
                 ? nlohmann::json(nlohmann::json::value_t::discarded)
                 : nlohmann::json::parse(out.body, nullptr, /*allow_exceptions=*/false);
  return out;
}

// ------------------------------------------------------------------------------ free helpers

ProcessResult RunZhizhi(const std::vector<std::string>& args, std::chrono::seconds timeout,
                        const std::string& stdin_path) {
  ProcessResult result;
  const std::string out_path = TempFile("zhizhi-e2e-out");
  const std::string err_path = TempFile("zhizhi-e2e-err");
  const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  std::vector<std::string> argv = {ZHIZHI_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  const pid_t pid = Spawn(argv, out_fd, err_fd, stdin_path.empty() ? "/dev/null" : stdin_path);
  ::close(out_fd);
  ::close(err_fd);
  if (pid < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
  } else if (auto code = WaitExit(pid, timeout)) {
    result.exit_code = *code;
  } else {
    ::kill(pid, SIGKILL);
    WaitExit(pid, 5s);
    ADD_FAILURE() << "zhizhi did not finish within " << timeout.count() << " s";
  }
  result.out = ReadFileBytes(out_path);
  result.err = ReadFileBytes(err_path);
  ::unlink(out_path.c_str());
  ::unlink(err_path.c_str());
  return result;
}

std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFileBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

namespace {

// A connection to the SQLite file at `path` with a 5 s busy timeout (the server may be writing),
// or null with `error` set.
std::unique_ptr<sqlite3, int (*)(sqlite3*)> OpenSqlite(const std::string& path, int flags,
                                                       std::string& error) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
  if (rc != SQLITE_OK) {
    error = "open " + path + ": " + (raw ? sqlite3_errmsg(raw) : "no memory");
    db.reset();
    return db;
  }
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

}  // namespace

std::string ExecSql(const std::string& db_path, const std::string& sql) {
  std::string error;
  auto db = OpenSqlite(db_path, SQLITE_OPEN_READWRITE, error);
  if (!db) return error;
  char* message = nullptr;
  if (sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    error = message ? message : "failed";
  }
  sqlite3_free(message);
  return error;
}

std::optional<std::string> QueryScalar(const std::string& db_path, const std::string& sql) {
  std::string error;
  auto handle = OpenSqlite(db_path, SQLITE_OPEN_READONLY, error);
  if (!handle) return "error: " + error;
  sqlite3* db = handle.get();
  sqlite3_stmt* stmt = nullptr;
  std::optional<std::string> result;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    result = std::string("error: ") + sqlite3_errmsg(db);
  } else {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      if (sqlite3_column_type(stmt, 0) == SQLITE_NULL) {
        result = "NULL";
      } else {
        const auto* text = sqlite3_column_text(stmt, 0);
        result = std::string(reinterpret_cast<const char*>(text), sqlite3_column_bytes(stmt, 0));
      }
    } else if (rc != SQLITE_DONE) {
      result = std::string("error: ") + sqlite3_errmsg(db);
    }
  }
  sqlite3_finalize(stmt);
  return result;
}

std::string DatabaseFingerprint(const std::string& db_path) {
  std::string error;
  auto handle = OpenSqlite(db_path, SQLITE_OPEN_READONLY, error);
  if (!handle) return "error: cannot open " + db_path;
  sqlite3* db = handle.get();
  std::string out;
  // One read transaction, so the tables are seen at one instant.
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  std::vector<std::string> tables;
  sqlite3_stmt* list = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
                     &list, nullptr);
  while (list != nullptr && sqlite3_step(list) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
  }
  sqlite3_finalize(list);
  for (const std::string& table : tables) {
    // The audit trail records failures too (a wrong password, a look-up that found nobody):
    // it is the one thing a rejected request may add to — with the alert a burst of refused
    // calls raises (security/refusal_log.h), a security record as well.
    if (table == "audit_log" || table == "audit_subjects") continue;
    // The five-colour warning's colours are derived state its own thread writes after any change
    // (warning/warning.h), never a request's write.
    if (table == "area_colours" || table == "area_colour_history") continue;
    out += "[" + table + "]\n";
    sqlite3_stmt* rows = nullptr;
    std::string sql = "SELECT * FROM \"" + table + "\"";
    if (table == "alerts") sql += " WHERE type != 'access_refusal_burst'";
    if (table == "alert_history")
      sql += " WHERE alert_id NOT IN (SELECT id FROM alerts WHERE type = 'access_refusal_burst')";
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &rows, nullptr) != SQLITE_OK) {
      out += std::string("error: ") + sqlite3_errmsg(db) + "\n";
      continue;
    }
    while (sqlite3_step(rows) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(rows); ++c) {
        // The type first: reading the value may convert it.
        if (sqlite3_column_type(rows, c) == SQLITE_NULL) {
          out += "NULL|";
          continue;
        }
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(rows, c));
        out += std::string(bytes == nullptr ? "" : bytes, sqlite3_column_bytes(rows, c)) + "|";
      }
      out += '\n';
    }
    sqlite3_finalize(rows);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  return out;
}

std::string ChinaDate(int days) {
  return TodayInChina().AddDays(days).ToString();
}

// --------------------------------------------------------------------------------- TestServer

TestServer::TestServer() {
  IgnoreSigpipe();
  std::string pattern = "/tmp/zhizhi-e2e-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
  }
  root_ = pattern;
  data_dir_ = root_ + "/data";
}

TestServer::~TestServer() {
  client_.reset();
  if (running()) Kill();
  if (std::getenv("ZHIZHI_E2E_KEEP") != nullptr) {
    std::fprintf(stderr, "[e2e] kept %s\n", root_.c_str());
    return;
  }
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

std::string TestServer::Log() const {
  return ReadFileBytes(log_path());
}

bool TestServer::Start(const std::vector<std::string>& extra_args) {
  extra_args_ = extra_args;
  if (running()) {
    ADD_FAILURE() << "Start(): the server is already running";
    return false;
  }
  const size_t log_offset = Log().size();
  const int log_fd = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) {
    ADD_FAILURE() << "cannot open " << log_path() << ": " << std::strerror(errno);
    return false;
  }
  std::vector<std::string> args = {ZHIZHI_BINARY, "serve", "--data",      data_dir_,
                                   "--port",      "0",     "--log-level", "info"};
  // The API tests see the API alone, whether or not web/dist was built: no command screen
  // unless a test asks for one with --web.
  if (std::find(extra_args.begin(), extra_args.end(), "--web") == extra_args.end()) {
    args.insert(args.end(), {"--web", ""});
  }
  // Nor does base data take the workforce registry in by itself (a write of its own, at any
  // moment): tests ask for it (POST /api/v1/sources/workforce/sync).
  if (std::find(extra_args.begin(), extra_args.end(), "--workforce-sync") == extra_args.end()) {
    args.insert(args.end(), {"--workforce-sync", "0"});
  }
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  pid_ = Spawn(args, log_fd, log_fd);
  ::close(log_fd);
  if (pid_ < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return false;
  }

  // The listening line: `event=listening address=http://127.0.0.1:PORT ...` (https with TLS).
  constexpr std::string_view kListening = "event=listening address=http://127.0.0.1:";
  constexpr std::string_view kListeningTls = "event=listening address=https://127.0.0.1:";
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  port_ = 0;
  tls_ = false;
  while (port_ == 0) {
    const std::string log = Log().substr(log_offset);
    size_t at = log.find(kListening);
    size_t prefix = kListening.size();
    if (at == std::string::npos && (at = log.find(kListeningTls)) != std::string::npos) {
      prefix = kListeningTls.size();
      tls_ = true;
    }
    if (at != std::string::npos) {
      const size_t begin = at + prefix;
      size_t end = begin;
      while (end < log.size() && std::isdigit(static_cast<unsigned char>(log[end])))
        ++end;
      if (end < log.size() && end > begin)
        port_ = static_cast<std::uint16_t>(std::stoi(log.substr(begin, end - begin)));
      if (port_ != 0) break;
    }
    if (auto code = WaitExit(pid_, 0ms)) {
      pid_ = -1;
      ADD_FAILURE() << "zhizhi serve exited with " << *code << " before listening; log:\n" << log;
      return false;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      Kill();
      ADD_FAILURE() << "zhizhi serve did not log its listening address within 15 s; log:\n" << log;
      return false;
    }
    std::this_thread::sleep_for(10ms);
  }

  token_ = TrimWhitespace(ReadFileBytes(data_dir_ + "/admin.token"));
  client_ = std::make_unique<HttpClient>(port_);
  if (tls_) return true;  // the plain client cannot speak to it: the test talks TLS itself
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (client_->Request("GET", "/healthz").status == 200) return true;
    std::this_thread::sleep_for(25ms);
  }
  ADD_FAILURE() << "GET /healthz did not answer 200 within 5 s; log:\n" << Tail(Log());
  return false;
}

int TestServer::Stop() {
  if (!running()) {
    ADD_FAILURE() << "Stop(): no server is running";
    return -1;
  }
  // The kept-alive connection stays open on purpose: an idle connection must not delay shutdown.
  ::kill(pid_, SIGTERM);
  return WaitForExit();
}

int TestServer::WaitForExit(std::chrono::seconds timeout) {
  if (!running()) {
    ADD_FAILURE() << "WaitForExit(): no server is running";
    return -1;
  }
  std::optional<int> code = WaitExit(pid_, timeout);
  if (!code) {
    ::kill(pid_, SIGKILL);
    WaitExit(pid_, 5s);
    ADD_FAILURE() << "zhizhi did not exit within " << timeout.count() << " s; log:\n"
                  << Tail(Log());
    code = -1;
  } else if (*code != 0) {
    ADD_FAILURE() << "zhizhi exited with " << *code << " (expected 0); log:\n" << Tail(Log());
  }
  pid_ = -1;
  client_.reset();
  return *code;
}

void TestServer::Kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  if (!WaitExit(pid_, 10s)) ADD_FAILURE() << "zhizhi did not die after SIGKILL";
  pid_ = -1;
  client_.reset();
}

bool TestServer::Restart() {
  if (Stop() != 0) return false;
  return Start(std::vector<std::string>(extra_args_));  // the same flags as the last start
}

HttpResponse TestServer::Api(std::string_view method, std::string_view target, std::string body,
                             const Headers& headers) {
  return Request(method, target, std::move(body), token_, headers);
}

HttpResponse TestServer::Request(std::string_view method, std::string_view target, std::string body,
                                 const std::optional<std::string>& token, const Headers& headers) {
  if (!client_) {
    HttpResponse response;
    response.error = "the server is not running";
    return response;
  }
  return client_->Request(method, target, std::move(body), token, headers);
}

std::optional<std::string> TestServer::Query(const std::string& sql) const {
  return QueryScalar(db_path(), sql);
}

std::int64_t TestServer::Count(const std::string& sql) const {
  const auto value = Query(sql);
  if (!value) return -1;
  char* end = nullptr;
  const long long n = std::strtoll(value->c_str(), &end, 10);
  if (end == value->c_str() || *end != '\0') return -1;
  return n;
}

}  // namespace zhizhi::e2e
