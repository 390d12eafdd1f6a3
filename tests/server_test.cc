// End-to-end tests of the server process that the case files cannot express: restarts and
// crashes, what lands in files on disk, HTTP details on raw sockets, concurrency and shutdown.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "api_case.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A plain TCP connection to the server for exchanges a well-behaved client would not make.
// Every receive waits at most 5 s.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool connected() const { return connected_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // Reads until `marker` has arrived (true), or the peer closed or 5 s passed (false).
  bool ReadUntil(std::string_view marker) {
    while (data_.find(marker) == std::string::npos) {
      if (!ReadSome()) return false;
    }
    return true;
  }

  // Reads one response with a Content-Length body; returns it and removes it from the buffer.
  std::string ReadResponse() {
    if (!ReadUntil("\r\n\r\n")) return std::exchange(data_, {});
    const size_t header_end = data_.find("\r\n\r\n") + 4;
    size_t length = 0;
    std::smatch match;
    const std::string head = data_.substr(0, header_end);
    if (std::regex_search(head, match, std::regex("[Cc]ontent-[Ll]ength: *([0-9]+)"))) {
      length = std::stoul(match[1]);
    }
    while (data_.size() < header_end + length) {
      if (!ReadSome()) break;
    }
    std::string response = data_.substr(0, header_end + length);
    data_.erase(0, response.size());
    return response;
  }

  // True when the peer closed the connection (within 5 s).
  bool PeerClosed() {
    char buf[4096];
    for (int i = 0; i < 100; ++i) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      data_.append(buf, static_cast<size_t>(n));
    }
    return false;
  }

  const std::string& data() const { return data_; }

 private:
  bool ReadSome() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    data_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string data_;
};

std::string StatusLine(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

bool Contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// The registry as a client sees it: used to compare before and after a restart.
json Snapshot(TestServer& server, const std::vector<std::string>& targets) {
  json all = json::object();
  for (const std::string& target : targets) {
    const HttpResponse r = server.Api("GET", target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.Describe();
    all[target] = r.json;
  }
  return all;
}

// Creates a small but complete registry: corps, a project with corps and a team, persons with
// certificates (one revoked) and enrolments (one exited). Returns the ids by name.
std::map<std::string, std::int64_t> Populate(TestServer& server) {
  std::map<std::string, std::int64_t> ids;
  auto post = [&](const std::string& target, const std::string& body, int status = 201) {
    const HttpResponse r = server.Api("POST", target, body);
    EXPECT_EQ(r.status, status) << "POST " << target << " " << body << "\n" << r.Describe();
    return r.json;
  };
  post("/api/v1/corps", R"({"uscc":"91350100M000100Y43","name":"钱塘建设","address":"钱塘区"})");
  post("/api/v1/corps", R"({"uscc":"91331122MA2A0M9B7N","name":"丽水劳务"})");
  post(
      "/api/v1/projects",
      R"({"code":"P1","name":"一号工地","region_code":"330114","status":"active","lat":30.5,"lng":120.25,"start_date":"2026-01-01"})");
  post("/api/v1/projects/P1/corps", R"({"uscc":"91350100M000100Y43","corp_type":"009"})");
  post("/api/v1/projects/P1/corps", R"({"uscc":"91331122MA2A0M9B7N","corp_type":"006"})");
  ids["zhang"] =
      post(
          "/api/v1/persons",
          R"({"id_type":"01","id_number":"11010519491231002x","name":"张三","phone":"13812345678","nation":"汉族"})")
          .value("id", 0);
  ids["li"] =
      post("/api/v1/persons", R"({"id_type":"01","id_number":"440524188001010014","name":"李四"})")
          .value("id", 0);
  ids["team"] = post("/api/v1/projects/P1/teams",
                     R"({"name":"钢筋一班","uscc":"91331122MA2A0M9B7N","leader_person_id":)" +
                         std::to_string(ids["li"]) + "}")
                    .value("id", 0);
  const std::string zhang = std::to_string(ids["zhang"]);
  const std::string li = std::to_string(ids["li"]);
  ids["cert"] =
      post("/api/v1/persons/" + zhang + "/certificates",
           R"({"kind":"registered","type_code":"constructor_1","number":"R-1","valid_from":")" +
               ChinaDate(-10) + R"(","valid_to":")" + ChinaDate(500) + R"("})")
          .value("id", 0);
  ids["revoked"] = post("/api/v1/persons/" + zhang + "/certificates",
                        R"({"kind":"safety_post","type_code":"B","number":"B-1","valid_from":")" +
                            ChinaDate(-10) + R"(","valid_to":")" + ChinaDate(5) + R"("})")
                       .value("id", 0);
  post("/api/v1/certificates/" + std::to_string(ids["revoked"]) + "/revoke", R"({"reason":"r"})",
       200);
  post(
      "/api/v1/projects/P1/workers",
      R"({"person_id":)" + zhang +
          R"(,"uscc":"91350100M000100Y43","work_role":"10","post":"project_manager","entry_date":"2026-01-01"})");
  post("/api/v1/projects/P1/workers",
       R"({"person_id":)" + li + R"(,"team_id":)" + std::to_string(ids["team"]) +
           R"(,"uscc":"91331122MA2A0M9B7N","work_role":"20","work_type":"020","entry_date":")" +
           ChinaDate(-3) + R"("})");
  post("/api/v1/projects/P1/workers/" + li + "/exit", R"({"exit_date":")" + ChinaDate() + R"("})",
       200);
  return ids;
}

// The harness's "nothing was written" check must see inserts and updates alike.
TEST(HarnessTest, DatabaseFingerprintSeesEveryChange) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::string empty = DatabaseFingerprint(server.db_path());
  EXPECT_EQ(DatabaseFingerprint(server.db_path()), empty);
  ASSERT_EQ(server
                .Api("POST", "/api/v1/persons",
                     R"({"id_type":"01","id_number":"11010519491231002X","name":"张三"})")
                .status,
            201);
  const std::string one = DatabaseFingerprint(server.db_path());
  EXPECT_NE(one, empty);
  const HttpResponse cert = server.Api(
      "POST", "/api/v1/persons/1/certificates",
      R"({"kind":"post","type_code":"constructor","number":"N1","valid_from":"2025-01-01","valid_to":"2030-01-01"})");
  ASSERT_EQ(cert.status, 201) << cert.Describe();
  const std::string two = DatabaseFingerprint(server.db_path());
  EXPECT_NE(two, one);
  ASSERT_EQ(server.Api("POST", "/api/v1/certificates/1/revoke", R"({"reason":"x"})").status, 200);
  EXPECT_NE(DatabaseFingerprint(server.db_path()), two) << "an UPDATE went unnoticed";
  EXPECT_EQ(server.Stop(), 0);
  // Readable after shutdown too (no WAL left).
  EXPECT_EQ(DatabaseFingerprint(server.db_path()).find("error"), std::string::npos);
}

// ------------------------------------------------------------------------------- persistence

TEST(ServerTest, EverythingSurvivesRestart) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const auto ids = Populate(server);
  const std::vector<std::string> views = {
      "/api/v1/corps",
      "/api/v1/corps/91350100M000100Y43",
      "/api/v1/projects",
      "/api/v1/projects/P1",
      "/api/v1/projects/P1/teams",
      "/api/v1/projects/P1/workers?status=all",
      "/api/v1/persons",
      "/api/v1/persons/" + std::to_string(ids.at("zhang")),
      "/api/v1/persons/" + std::to_string(ids.at("li")),
      "/api/v1/persons?id_number=11010519491231002X",
      "/api/v1/certificates/" + std::to_string(ids.at("cert")),
      "/api/v1/certificates/" + std::to_string(ids.at("revoked")),
  };
  const json before = Snapshot(server, views);
  const std::string token = server.token();

  ASSERT_TRUE(server.Restart());
  EXPECT_EQ(server.token(), token) << "the admin token must not change on restart";
  EXPECT_EQ(Snapshot(server, views), before);

  // A crash (no checkpoint, WAL left behind) loses nothing that was acknowledged either.
  server.Kill();
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(Snapshot(server, views), before);
  EXPECT_EQ(server.Stop(), 0);
}

// Each create acknowledged with 201 is durable: 4 threads create persons, the server gets
// SIGKILL while requests are still in flight, and after a restart every acknowledged person is
// there with its ID number.
TEST(ServerTest, AcknowledgedWritesSurviveKill9) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::uint16_t port = server.port();
  const std::string token = server.token();

  struct Acked {
    std::int64_t id;
    std::string number;
    std::string name;
  };
  std::mutex mu;
  std::vector<Acked> acked;
  std::atomic<int> acked_count{0};
  std::atomic<int> other_statuses{0};
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(port, 5s);
      for (int i = 0; i < kPerThread; ++i) {
        const int n = t * kPerThread + i;
        const std::string number =
            MakeResidentIdNumber("330114", Date{1980, 1, 1}.AddDays(n), 100 + t);
        const std::string name = "工人" + std::to_string(n);
        const HttpResponse r = client.Request(
            "POST", "/api/v1/persons",
            json{{"id_type", "01"}, {"id_number", number}, {"name", name}}.dump(), token);
        if (r.status == 0) return;  // the server is gone
        if (r.status != 201) {
          ++other_statuses;
          continue;
        }
        std::lock_guard lock(mu);
        acked.push_back({r.json.value("id", std::int64_t{0}), number, name});
        ++acked_count;
      }
    });
  }
  // Kill once half are acknowledged (30 s at most), while the rest are in flight; whether half
  // were is asserted below.
  WaitUntil([&] { return acked_count >= kThreads * kPerThread / 2; }, 30s, 1ms);
  server.Kill();
  for (auto& thread : threads)
    thread.join();
  std::printf("[ info ] %zu of %d creates acknowledged before SIGKILL\n", acked.size(),
              kThreads * kPerThread);
  EXPECT_EQ(other_statuses, 0);
  ASSERT_GE(acked.size(), static_cast<size_t>(kThreads * kPerThread / 2));

  ASSERT_TRUE(server.Start());
  std::set<std::int64_t> seen;
  for (const Acked& a : acked) {
    EXPECT_TRUE(seen.insert(a.id).second) << "id " << a.id << " acknowledged twice";
    const HttpResponse r = server.Api("GET", "/api/v1/persons/" + std::to_string(a.id));
    ASSERT_EQ(r.status, 200) << "acknowledged person " << a.id << " lost: " << r.Describe();
    EXPECT_EQ(r.json.value("id_number", ""), a.number);
    EXPECT_EQ(r.json.value("name", ""), a.name);
  }
  EXPECT_GE(server.Count("SELECT COUNT(*) FROM persons"), static_cast<std::int64_t>(acked.size()));
  EXPECT_EQ(server.Stop(), 0);
}

// ------------------------------------------------------------------------- personal data at rest

TEST(ServerTest, IdNumbersAreNotStoredInClear) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::vector<std::string> numbers = {"11010519491231002X", "440524188001010014",
                                            "330114198503120116"};
  std::vector<std::int64_t> ids;
  for (size_t i = 0; i < numbers.size(); ++i) {
    // The first one arrives with a lowercase x.
    std::string sent = numbers[i];
    if (i == 0) sent.back() = 'x';
    const HttpResponse r = server.Api(
        "POST", "/api/v1/persons",
        json{{"id_type", "01"}, {"id_number", sent}, {"name", "明文检查" + std::to_string(i)}}
            .dump());
    ASSERT_EQ(r.status, 201) << r.Describe();
    ids.push_back(r.json.value("id", std::int64_t{0}));
  }
  // Look-ups by number do not store or log it either.
  EXPECT_EQ(server.Api("GET", "/api/v1/persons?id_number=" + numbers[1]).status, 200);

  const std::vector<std::string> files = {server.db_path(), server.db_path() + "-wal",
                                          server.db_path() + "-shm"};
  auto check_files = [&](const char* when) {
    std::string all;
    for (const std::string& file : files)
      all += ReadFileBytes(file);
    // Control: the names written with the numbers are found in the same bytes, so a number
    // stored in clear would be found too.
    EXPECT_TRUE(Contains(all, "明文检查0")) << when << ": the files do not hold the names?";
    EXPECT_TRUE(Contains(all, "110105********002X")) << when << ": no masked form stored?";
    for (const std::string& number : numbers) {
      for (const std::string& file : files) {
        EXPECT_FALSE(Contains(ReadFileBytes(file), number))
            << when << ": " << number << " in " << file;
      }
      std::string lower = number;
      lower.back() = static_cast<char>(std::tolower(static_cast<unsigned char>(lower.back())));
      EXPECT_FALSE(Contains(all, lower)) << when << ": " << lower;
      EXPECT_FALSE(Contains(server.Log(), number)) << when << ": " << number << " in the log";
    }
  };
  check_files("while running");

  // The admin (pii right) reads them in full.
  for (size_t i = 0; i < numbers.size(); ++i) {
    const HttpResponse r = server.Api("GET", "/api/v1/persons/" + std::to_string(ids[i]));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json.value("id_number", ""), numbers[i]);
  }
  EXPECT_EQ(server.Stop(), 0);
  check_files("after shutdown");
  EXPECT_FALSE(std::filesystem::exists(server.db_path() + "-wal") &&
               std::filesystem::file_size(server.db_path() + "-wal") > 0)
      << "the WAL should be checkpointed into the database on shutdown";
}

TEST(ServerTest, AdminTokenIsPrivateAndNeverLogged) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::string path = server.data_dir() + "/admin.token";
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((server.data_dir() + "/field.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "field.key";

  const std::string token = server.token();
  EXPECT_TRUE(std::regex_match(token, std::regex("[0-9a-f]{64}"))) << token;
  EXPECT_EQ(server.Api("GET", "/api/v1/corps").status, 200);
  EXPECT_EQ(server.Request("GET", "/api/v1/corps", "", std::string(64, 'b')).status, 401);
  ASSERT_TRUE(server.Restart());
  EXPECT_EQ(server.token(), token);
  EXPECT_EQ(server.Api("GET", "/api/v1/corps").status, 200);
  EXPECT_EQ(server.Stop(), 0);

  const std::string log = server.Log();
  EXPECT_TRUE(Contains(log, "event=admin_token_created")) << log;
  EXPECT_FALSE(Contains(log, token)) << "the admin token appears in the server log";
  EXPECT_FALSE(Contains(log, token.substr(0, 16))) << "a part of the admin token is logged";
  // Created once: the second start found the token in the database.
  EXPECT_EQ(log.find("event=admin_token_created"), log.rfind("event=admin_token_created"));
}

TEST(ServerTest, SecondServerOnSameDataDirIsRefused) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const ProcessResult second =
      RunZhizhi({"serve", "--data", server.data_dir(), "--port", "0"}, 20s);
  EXPECT_EQ(second.exit_code, 1) << second.err;
  EXPECT_TRUE(Contains(second.err, "in use by another zhizhi process")) << second.err;
  EXPECT_FALSE(Contains(second.err, "event=listening")) << second.err;
  // The first server is unharmed.
  EXPECT_EQ(server.Api("GET", "/api/v1/corps").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

// ----------------------------------------------------------------------------------- HTTP

TEST(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  HttpClient client(server.port());
  for (int i = 0; i < 5; ++i) {
    const HttpResponse r = client.Request("GET", "/api/v1/corps", "", server.token());
    ASSERT_EQ(r.status, 200) << r.Describe();
    EXPECT_NE(r.Header("Connection"), "close");
  }
  // Errors keep the connection too.
  EXPECT_EQ(client.Request("GET", "/api/v1/persons/999", "", server.token()).status, 404);
  EXPECT_EQ(client.Request("POST", "/api/v1/corps", "{", server.token()).status, 400);
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(client.connections_opened(), 1);

  // Pipelined on a raw connection: two requests in one write, two answers in order.
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(
      raw.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
               "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n"));
  const std::string first = raw.ReadResponse();
  const std::string second = raw.ReadResponse();
  EXPECT_EQ(StatusLine(first), "HTTP/1.1 200 OK");
  EXPECT_TRUE(Contains(first, "X-Request-Id: first")) << first;
  EXPECT_EQ(StatusLine(second), "HTTP/1.1 200 OK");
  EXPECT_TRUE(Contains(second, "X-Request-Id: second")) << second;
  EXPECT_EQ(server.Stop(), 0);
}

// The connection deadlines (one timer per connection, moved by every request): a request that
// never completes and a keep-alive connection left idle are closed; a connection that keeps
// asking is served well past both timeouts, so an early firing of the timer must wait again.
TEST(ServerTest, StalledAndIdleConnectionsAreClosedBusyOnesAreNot) {
  TestServer server;
  ASSERT_TRUE(server.Start({"--request-timeout", "1", "--idle-timeout", "2"}));

  RawConnection stalled(server.port());  // half a request head, then nothing
  ASSERT_TRUE(stalled.connected());
  ASSERT_TRUE(stalled.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  RawConnection silent(server.port());  // connected, never sent a byte
  ASSERT_TRUE(silent.connected());
  RawConnection idle(server.port());  // one request, then nothing
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(idle.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  EXPECT_EQ(StatusLine(idle.ReadResponse()), "HTTP/1.1 200 OK");

  RawConnection busy(server.port());
  ASSERT_TRUE(busy.connected());
  const auto start = std::chrono::steady_clock::now();
  int answered = 0;
  while (std::chrono::steady_clock::now() - start < 3500ms) {
    ASSERT_TRUE(busy.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const std::string response = busy.ReadResponse();
    ASSERT_EQ(StatusLine(response), "HTTP/1.1 200 OK") << "after " << answered << " answers";
    ++answered;
    // The scenario, not a wait for something: a client that asks every 300 ms, within both
    // timeouts, for longer than either.
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_GE(answered, 8);

  EXPECT_TRUE(stalled.PeerClosed());
  EXPECT_TRUE(silent.PeerClosed());
  EXPECT_TRUE(idle.PeerClosed());
  // A request head that arrives after its deadline is not answered.
  EXPECT_EQ(stalled.data(), "");
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerTest, MalformedRequestLineGets400AndTheConnectionCloses) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send("this is not http\r\n\r\n"));
  const std::string response = raw.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 400 Bad Request") << response;
  EXPECT_TRUE(Contains(response, R"("code":"invalid_argument")")) << response;
  EXPECT_TRUE(raw.PeerClosed()) << "the connection should close after a malformed request";

  // A bad header line, and a bad HTTP version, likewise.
  RawConnection bad_header(server.port());
  ASSERT_TRUE(bad_header.Send("GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n"));
  EXPECT_EQ(StatusLine(bad_header.ReadResponse()), "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(bad_header.PeerClosed());
  RawConnection bad_version(server.port());
  ASSERT_TRUE(bad_version.Send("GET /healthz HTTP/9.x\r\n\r\n"));
  EXPECT_EQ(StatusLine(bad_version.ReadResponse()), "HTTP/1.1 400 Bad Request");
  EXPECT_TRUE(bad_version.PeerClosed());

  // The server is fine afterwards.
  EXPECT_EQ(server.Api("GET", "/healthz").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerTest, HeadersOverTheLimitGet413) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const HttpResponse r =
      server.Api("GET", "/api/v1/corps", "", {{"X-Padding", std::string(20000, 'p')}});
  EXPECT_EQ(r.status, 413) << r.Describe();
  EXPECT_EQ(server.Api("GET", "/api/v1/corps").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerTest, HostileBodiesAreRejectedSafely) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  // Invalid UTF-8 inside a JSON string.
  HttpResponse r = server.Api("POST", "/api/v1/corps",
                              "{\"uscc\":\"91350100M000100Y43\",\"name\":\"\xff\xfe\"}");
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(r.json["error"]["code"], "invalid_json") << r.Describe();
  // Deep nesting, balanced and not, within the body limit.
  r = server.Api("POST", "/api/v1/corps", std::string(500000, '[') + std::string(500000, ']'));
  EXPECT_EQ(r.status, 400) << r.Describe();
  r = server.Api("POST", "/api/v1/corps", std::string(1000000, '{'));
  EXPECT_EQ(r.status, 400) << r.Describe();
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 0);

  // Chunked bodies are read like any other ...
  const std::string body = R"({"uscc":"91350100M000100Y43","name":"钱塘建设"})";
  RawConnection chunked(server.port());
  std::ostringstream request;
  request << "POST /api/v1/corps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " << server.token()
          << "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
          << std::hex << 10 << "\r\n"
          << body.substr(0, 10) << "\r\n"
          << body.size() - 10 << "\r\n"
          << body.substr(10) << "\r\n0\r\n\r\n";
  ASSERT_TRUE(chunked.Send(request.str()));
  EXPECT_EQ(StatusLine(chunked.ReadResponse()), "HTTP/1.1 201 Created");
  // ... and held to the same limit when they grow past it.
  RawConnection huge(server.port());
  ASSERT_TRUE(huge.Send("POST /api/v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                        server.token() + "\r\nTransfer-Encoding: chunked\r\n\r\n"));
  const std::string chunk = "10000\r\n" + std::string(0x10000, 'x') + "\r\n";
  for (int i = 0; i < 17 && huge.Send(chunk); ++i) {
  }
  const std::string refused = huge.ReadResponse();
  EXPECT_EQ(StatusLine(refused), "HTTP/1.1 413 Payload Too Large") << refused.substr(0, 300);
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 1);
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM persons"), 0);
  EXPECT_EQ(server.Api("GET", "/healthz").status, 200);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerTest, Expect100ContinueIsHonoured) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::string body = R"({"uscc":"91350100M000100Y43","name":"钱塘建设"})";
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.connected());
  ASSERT_TRUE(raw.Send("POST /api/v1/corps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       server.token() +
                       "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                       "Content-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n"));
  // The interim answer comes before any of the body was sent.
  ASSERT_TRUE(raw.ReadUntil("\r\n\r\n")) << raw.data();
  EXPECT_EQ(raw.data(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(StatusLine(raw.ReadResponse()), "HTTP/1.1 100 Continue");
  ASSERT_TRUE(raw.Send(body));
  const std::string response = raw.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 201 Created") << response;
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 1);

  // Too large: refused at once with 413 and no 100 Continue; nothing written.
  RawConnection big(server.port());
  ASSERT_TRUE(big.Send("POST /api/v1/corps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       server.token() +
                       "\r\nExpect: 100-continue\r\nContent-Length: 5000000\r\n\r\n"));
  const std::string refused = big.ReadResponse();
  EXPECT_EQ(StatusLine(refused), "HTTP/1.1 413 Payload Too Large") << refused;
  EXPECT_TRUE(big.PeerClosed());
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 1);
  EXPECT_EQ(server.Stop(), 0);
}

TEST(ServerTest, RequestIdIsEchoedWhenSaneAndGeneratedOtherwise) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  EXPECT_EQ(
      server.Api("GET", "/healthz", "", {{"X-Request-Id", "trace-01.A_b"}}).Header("X-Request-Id"),
      "trace-01.A_b");
  const std::regex generated("[0-9a-f]{16}");
  const std::vector<std::string> insane = {std::string(65, 'a'), "has space", "quote\"d",
                                           "semi;colon", "中文"};
  std::set<std::string> ids;
  for (const std::string& bad : insane) {
    const std::string id =
        server.Api("GET", "/healthz", "", {{"X-Request-Id", bad}}).Header("X-Request-Id");
    EXPECT_TRUE(std::regex_match(id, generated)) << "for \"" << bad << "\": " << id;
    ids.insert(id);
  }
  const std::string none = server.Api("GET", "/healthz").Header("X-Request-Id");
  EXPECT_TRUE(std::regex_match(none, generated)) << none;
  ids.insert(none);
  EXPECT_EQ(ids.size(), insane.size() + 1) << "generated ids must differ";
  // Errors carry one too, and the log line names it.
  const HttpResponse error =
      server.Api("GET", "/api/v1/persons/999", "", {{"X-Request-Id", "find-me"}});
  EXPECT_EQ(error.Header("X-Request-Id"), "find-me");
  EXPECT_EQ(server.Stop(), 0);
  EXPECT_TRUE(Contains(server.Log(), "request_id=find-me")) << server.Log();
}

TEST(ServerTest, MetricsCountRequestsByRouteAndStatus) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  ASSERT_EQ(server
                .Api("POST", "/api/v1/persons",
                     R"({"id_type":"01","id_number":"11010519491231002X","name":"张三"})")
                .status,
            201);
  const HttpResponse metrics = server.Request("GET", "/metrics", "", std::nullopt);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(Contains(metrics.body,
                       "zhizhi_http_requests_total{method=\"POST\",route=\"/api/v1/persons\","
                       "status=\"201\"} 1\n"))
      << metrics.body;
  EXPECT_TRUE(
      Contains(metrics.body,
               "zhizhi_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/v1/"
               "persons\",le=\""))
      << metrics.body;
  // Every sample line is `name{labels} value` or `name value`.
  std::istringstream lines(metrics.body);
  const std::regex sample(R"([a-z_]+(\{[^}]*\})? [0-9.e+-]+)");
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
  EXPECT_EQ(server.Stop(), 0);
}

// ------------------------------------------------------------------------------- OpenAPI

// Every route registered today (src/app/platform.cc and src/registry/registry_api.cc).
const std::vector<std::pair<std::string, std::string>>& KnownRoutes() {
  static const std::vector<std::pair<std::string, std::string>> routes = {
      {"get", "/healthz"},
      {"get", "/metrics"},
      {"get", "/api/v1/openapi.json"},
      {"post", "/api/v1/corps"},
      {"get", "/api/v1/corps"},
      {"get", "/api/v1/corps/{uscc}"},
      {"post", "/api/v1/projects"},
      {"get", "/api/v1/projects"},
      {"get", "/api/v1/projects/{code}"},
      {"post", "/api/v1/projects/{code}/corps"},
      {"post", "/api/v1/projects/{code}/teams"},
      {"get", "/api/v1/projects/{code}/teams"},
      {"post", "/api/v1/persons"},
      {"get", "/api/v1/persons"},
      {"get", "/api/v1/persons/{id}"},
      {"post", "/api/v1/persons/{id}/certificates"},
      {"get", "/api/v1/certificates/{id}"},
      {"post", "/api/v1/certificates/{id}/revoke"},
      {"post", "/api/v1/projects/{code}/workers"},
      {"post", "/api/v1/projects/{code}/workers/{person_id}/exit"},
      {"get", "/api/v1/projects/{code}/workers"},
  };
  return routes;
}

std::string Lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The request lines of every case file, with variables replaced by a placeholder id.
struct CaseRequestLine {
  std::string where;
  std::string method;  // lower case
  std::string path;
  int status;
};
std::vector<CaseRequestLine> AllCaseRequests() {
  std::vector<CaseRequestLine> out;
  for (const std::string& file : ListCaseFiles(ZHIZHI_API_CASES)) {
    std::string error;
    const auto parsed = ParseCaseFile(file, &error);
    EXPECT_TRUE(parsed.has_value()) << error;
    if (!parsed) continue;
    for (const CaseStep& step : parsed->steps) {
      if (!step.request) continue;
      std::string path =
          std::regex_replace(step.request->target, std::regex(R"(\$\{[^}]*\})"), "1");
      path = path.substr(0, path.find('?'));
      out.push_back({file + ":" + std::to_string(step.request->line), Lower(step.request->method),
                     path, step.request->expect_status});
    }
  }
  return out;
}

TEST(ServerTest, OpenApiDescribesEveryRouteAndEveryRouteHasACase) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const HttpResponse r = server.Api("GET", "/api/v1/openapi.json");
  ASSERT_EQ(r.status, 200) << r.Describe();
  ASSERT_TRUE(r.json.contains("paths")) << r.Describe();
  const json& paths = r.json["paths"];

  // Every operation: an operationId and responses; /api/v1 ones name their right and bearer auth.
  std::vector<std::pair<std::string, std::string>> documented;
  std::set<std::pair<std::string, std::string>> websockets;  // covered by tests/gate_test.cc
  for (const auto& [path, operations] : paths.items()) {
    for (const auto& [method, op] : operations.items()) {
      documented.emplace_back(method, path);
      if (op.value("x-websocket", false)) websockets.emplace(method, path);
      EXPECT_TRUE(op.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(op.contains("responses") && !op["responses"].empty()) << method << " " << path;
      // Logging in is the one /api/v1 call without a token, besides what /api/v1/public/ holds
      // by design (a lottery's board and record) and the callbacks of other makers' terminals,
      // which cannot send a token and prove themselves by a secret in the path.
      const bool is_public =
          path.rfind("/api/v1/public/", 0) == 0 || path.rfind("/api/v1/terminals/", 0) == 0;
      if (is_public) {
        EXPECT_FALSE(op.contains("x-required-right")) << method << " " << path;
        EXPECT_TRUE(op.value("security", json::array()).empty()) << method << " " << path;
      }
      if (path.rfind("/api/v1/", 0) == 0 && !is_public &&
          !(path == "/api/v1/sessions" && method == "post")) {
        EXPECT_TRUE(op.contains("x-required-right") && op["x-required-right"].is_string())
            << method << " " << path << " has no x-required-right";
        EXPECT_EQ(op.value("security", json::array()).size(), 1u) << method << " " << path;
        EXPECT_TRUE(op["responses"].contains("401")) << method << " " << path;
      }
    }
  }
  auto op = [&](const char* path, const char* method) {
    const json* found = nullptr;
    if (paths.contains(path) && paths.at(path).contains(method)) found = &paths.at(path).at(method);
    return found != nullptr ? *found : json::object();
  };
  EXPECT_EQ(op("/healthz", "get").value("security", json()), json::array());
  EXPECT_FALSE(op("/healthz", "get").contains("x-required-right"));
  EXPECT_FALSE(op("/metrics", "get").contains("x-required-right"));
  EXPECT_EQ(op("/api/v1/persons", "post").value("x-required-right", ""), "registry.write");
  EXPECT_EQ(op("/api/v1/persons/{id}", "get").value("x-required-right", ""), "persons.read");
  EXPECT_EQ(op("/api/v1/users", "post").value("x-required-right", ""), "admin");
  EXPECT_EQ(op("/api/v1/audit", "get").value("x-required-right", ""), "admin");
  EXPECT_EQ(op("/api/v1/sessions", "post").value("security", json()), json::array());
  EXPECT_EQ(op("/api/v1/persons", "post")
                .value(json::json_pointer("/requestBody/content/application~1json/schema/required"),
                       json()),
            json::array({"id_type", "id_number", "name"}));

  // Every route the registry registers is documented ...
  for (const auto& [method, path] : KnownRoutes()) {
    EXPECT_TRUE(paths.contains(path) && paths.at(path).contains(method))
        << method << " " << path << " is missing from openapi.json";
  }
  // ... every request a case makes goes to a documented operation (or to a path it exists
  // for, when the case expects 405) ...
  std::set<std::pair<std::string, std::string>> hit_ok;
  for (const CaseRequestLine& req : AllCaseRequests()) {
    bool path_known = false;
    const std::pair<std::string, std::string>* match = nullptr;
    for (const auto& d : documented) {
      if (!PathMatchesPattern(req.path, d.second)) continue;
      path_known = true;
      if (d.first == req.method || (req.method == "head" && d.first == "get")) match = &d;
    }
    if (req.status == 404) continue;  // unknown paths and unknown resources alike
    if (req.status == 405) {
      EXPECT_TRUE(path_known && match == nullptr)
          << req.where << ": 405 expected for a documented operation?";
      continue;
    }
    EXPECT_NE(match, nullptr) << req.where << ": " << req.method << " " << req.path
                              << " is not in openapi.json";
    if (match != nullptr && req.status < 300) hit_ok.insert(*match);
  }
  // ... and every known route is exercised successfully by at least one case.
  for (const auto& route : KnownRoutes()) {
    EXPECT_TRUE(hit_ok.count(route))
        << route.first << " " << route.second << " has no case with a 2xx answer";
  }
  // Every documented HTTP route — not only the registry's — has a case with a 2xx answer.
  for (const auto& d : documented) {
    if (websockets.count(d)) continue;
    // An IoT alarm exists only once a device published through the broker: its 2xx is
    // tests/iot_test.cc's (AFireAlarmFrameBecomesAnAlert…), which speaks MQTT.
    if (d == std::pair<std::string, std::string>("post", "/api/v1/iot/alarms/{alarm}/verdict"))
      continue;
    EXPECT_TRUE(hit_ok.count(d)) << d.first << " " << d.second << " has no case with a 2xx answer";
  }
  EXPECT_EQ(server.Stop(), 0);
}

// ------------------------------------------------------------------------------- shutdown

TEST(ServerTest, SigtermWithAnIdleKeepAliveConnectionExitsPromptly) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  HttpClient idle(server.port());
  ASSERT_EQ(idle.Request("GET", "/api/v1/corps", "", server.token()).status, 200);
  RawConnection raw_idle(server.port());  // connected, never sent a byte
  ASSERT_TRUE(raw_idle.connected());
  ASSERT_TRUE(idle.connected());

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server.Stop(), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  // The drain deadline is 10 s; idle connections must not wait for it.
  EXPECT_LT(took, 5s) << std::chrono::duration<double>(took).count() << " s";
  EXPECT_TRUE(raw_idle.PeerClosed());
  EXPECT_TRUE(Contains(server.Log(), "event=stopped"));
}

TEST(ServerTest, RequestInFlightFinishesDuringShutdown) {
  TestServer server;
  ASSERT_TRUE(server.Start());
  const std::string body = R"({"uscc":"91350100M000100Y43","name":"钱塘建设"})";
  RawConnection raw(server.port());
  ASSERT_TRUE(raw.connected());
  // The server answers `100 Continue` only once it has read the header: from then on the
  // request is in flight, waiting for its body, when SIGTERM arrives.
  ASSERT_TRUE(raw.Send("POST /api/v1/corps HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                       server.token() +
                       "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                       "Content-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_EQ(StatusLine(raw.ReadResponse()), "HTTP/1.1 100 Continue");
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  ASSERT_TRUE(WaitUntil([&] { return Contains(server.Log(), "event=signal"); }, 5s))
      << "no event=signal within 5 s of SIGTERM; log:\n"
      << server.Log();
  // New connections are no longer accepted ...
  HttpClient late(server.port(), 2s);
  EXPECT_EQ(late.Request("GET", "/healthz").status, 0);
  // ... but the request in flight completes, and then the server exits cleanly.
  ASSERT_TRUE(raw.Send(body));
  const std::string response = raw.ReadResponse();
  EXPECT_EQ(StatusLine(response), "HTTP/1.1 201 Created") << response;
  EXPECT_TRUE(Contains(response, "Connection: close")) << response;
  EXPECT_EQ(server.WaitForExit(), 0);
  EXPECT_EQ(server.Count("SELECT COUNT(*) FROM corps"), 1);
}

}  // namespace
}  // namespace zhizhi::e2e
