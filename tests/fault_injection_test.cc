// Faults on purpose (LevelDB's fault_injection_test is the model). A server runs in this process
// on a database whose files go through testkit::FaultVfs, or whose SQLite allocations go through
// testkit::FaultyAllocator; gate terminals and registry clerks work on it concurrently while the
// n-th write, the n-th fsync or the n-th allocation fails, or the disk is full. Afterwards:
//   - every acknowledged write (2xx) is in the database, and nothing unacknowledged is;
//   - every failure was answered 500 or 503 with its code — never a 404, 409 or 422;
//   - the gate's and the faces' memory equals a fresh load from the database.
// MemoryFollowsDatabaseTest shows the last check failing when the undo log is switched off: a
// listener changes memory, then the audit write of the same job fails (a planted trigger).
#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "base/base64.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "in_process_server.h"
#include "testkit/fault_vfs.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kGeneral = "91350100M000100Y43";
constexpr const char* kLabour = "91331122MA2A0M9B7N";

std::string FreshDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "zhizhi-fault-" + name + "-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << dir;
  return dir;
}

std::string IdNumber(int n) {
  return MakeResidentIdNumber("330102", Date{1970 + n % 40, 1 + n % 12, 1 + n % 28}, n % 1000);
}

// The gate's and the faces' memory against a fresh load, as text for a readable failure.
struct MemoryCheck {
  bool gate_equal = false;
  bool faces_equal = false;
  std::string detail;
};
MemoryCheck CompareMemory(app::Platform& p) {
  MemoryCheck check;
  auto gate_loaded = p.gate()->LoadSnapshot();
  if (!gate_loaded.ok()) {
    check.detail = "gate load: " + gate_loaded.status().ToString();
    return check;
  }
  const gate::GateData gate_memory = p.gate()->MemorySnapshot();
  check.gate_equal = gate_memory == *gate_loaded;
  if (!check.gate_equal) {
    for (const auto& [code, project] : gate_memory.projects) {
      auto other = gate_loaded->projects.find(code);
      if (other == gate_loaded->projects.end()) {
        check.detail += "project " + code + " only in memory\n";
      } else if (!(other->second == project)) {
        check.detail += "project " + code + " differs (enrolments " +
                        std::to_string(project.enrolments.size()) + " vs " +
                        std::to_string(other->second.enrolments.size()) + ", inside " +
                        std::to_string(project.inside_count) + " vs " +
                        std::to_string(other->second.inside_count) + ")\n";
      }
    }
    if (gate_memory.persons != gate_loaded->persons) check.detail += "persons differ\n";
    if (gate_memory.devices != gate_loaded->devices) check.detail += "devices differ\n";
    if (gate_memory.roster_version != gate_loaded->roster_version) {
      check.detail += "roster_version " + std::to_string(gate_memory.roster_version) + " vs " +
                      std::to_string(gate_loaded->roster_version) + "\n";
    }
  }
  auto faces_loaded = p.faces()->LoadSnapshot();
  if (!faces_loaded.ok()) {
    check.detail += "faces load: " + faces_loaded.status().ToString();
    return check;
  }
  const json faces_memory = p.faces()->MemorySnapshot();
  check.faces_equal = faces_memory == *faces_loaded;
  if (!check.faces_equal) {
    check.detail += "faces in memory: " + faces_memory.dump() + "\nloaded: " + faces_loaded->dump();
  }
  return check;
}

// A small district built through the API: two corps, project P1 with a team, `persons` trained
// workers enrolled on it, and a terminal passing both ways.
struct District {
  std::vector<std::int64_t> persons;
  std::string device_token;
  std::int64_t team = 0;
};

json Post(InProcessServer& s, HttpClient& c, const std::string& target, const json& body,
          int expected = 201) {
  const HttpResponse r = s.Api(c, "POST", target, body.dump());
  EXPECT_EQ(r.status, expected) << target << " " << body.dump() << "\n" << r.Describe();
  return r.json;
}

District BuildDistrict(InProcessServer& s, int persons) {
  HttpClient c(s.port());
  District d;
  Post(s, c, "/api/v1/corps", {{"uscc", kGeneral}, {"name", "钱塘建设"}});
  Post(s, c, "/api/v1/corps", {{"uscc", kLabour}, {"name", "丽水劳务"}});
  Post(s, c, "/api/v1/projects",
       {{"code", "P1"}, {"name", "一号工地"}, {"region_code", "330114"}, {"status", "active"}});
  Post(s, c, "/api/v1/projects/P1/corps", {{"uscc", kGeneral}, {"corp_type", "009"}});
  Post(s, c, "/api/v1/projects/P1/corps", {{"uscc", kLabour}, {"corp_type", "006"}});
  d.team = Post(s, c, "/api/v1/projects/P1/teams", {{"name", "木工班"}, {"uscc", kLabour}})
               .value("id", std::int64_t{0});
  for (int i = 0; i < persons; ++i) {
    const std::int64_t id = Post(s, c, "/api/v1/persons",
                                 {{"id_type", "01"}, {"id_number", IdNumber(i)}, {"name", "工人"}})
                                .value("id", std::int64_t{0});
    Post(s, c, "/api/v1/persons/" + std::to_string(id) + "/certificates",
         {{"kind", "post"},
          {"type_code", "safety_training"},
          {"number", "T-" + std::to_string(i)},
          {"valid_from", ChinaDate(-30)},
          {"valid_to", ChinaDate(700)}});
    Post(s, c, "/api/v1/projects/P1/workers",
         {{"person_id", id},
          {"team_id", d.team},
          {"uscc", kLabour},
          {"work_role", "20"},
          {"work_type", "020"},
          {"entry_date", ChinaDate(-20)}});
    d.persons.push_back(id);
  }
  d.device_token =
      Post(s, c, "/api/v1/projects/P1/devices", {{"serial", "GATE-1"}, {"direction", "both"}})
          .value("token", std::string());
  return d;
}

// ------------------------------------------------------------------------------------ load

enum class Fault { kWrite, kSync, kDiskFull, kAllocation };

const char* NameOf(Fault f) {
  switch (f) {
    case Fault::kWrite:
      return "write";
    case Fault::kSync:
      return "sync";
    case Fault::kDiskFull:
      return "disk_full";
    case Fault::kAllocation:
      return "allocation";
  }
  return "?";
}

// What one worker thread asked for and what it was answered.
struct Outcome {
  std::string key;  // what to look for in the database
  int status = 0;
  std::string code;  // the error's code
  std::string target;
  std::string message;  // the error's message, to explain an unexpected answer
};

class FaultInjectionTest : public ::testing::TestWithParam<Fault> {
 protected:
  void SetUp() override {
    if (GetParam() == Fault::kAllocation) {
      ASSERT_TRUE(testkit::FaultyAllocator::Install().ok());
    }
    dir_ = FreshDir(NameOf(GetParam()));
    app::PlatformOptions options;
    options.database.base_vfs = testkit::FaultVfs::Instance().name();
    auto started = InProcessServer::Start(dir_, options);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    server_ = std::move(started).value();
  }
  void TearDown() override {
    testkit::FaultVfs::Instance().Clear();
    testkit::FaultyAllocator::Clear();
    server_.reset();
    if (GetParam() == Fault::kAllocation) EXPECT_TRUE(testkit::FaultyAllocator::Uninstall().ok());
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Arms the fault under test, a little after `step` operations of the database.
  void Arm(std::mt19937& rng) {
    auto& vfs = testkit::FaultVfs::Instance();
    switch (GetParam()) {
      case Fault::kWrite:
        vfs.FailWriteAfter(rng() % 40);
        break;
      case Fault::kSync:
        vfs.FailSyncAfter(rng() % 6);
        break;
      case Fault::kDiskFull:
        vfs.SetDiskFull(true);
        break;
      case Fault::kAllocation:
        testkit::FaultyAllocator::FailAfter(rng() % 3000);
        break;
    }
  }
  void Disarm() {
    testkit::FaultVfs::Instance().Clear();
    testkit::FaultyAllocator::Clear();
  }
  std::int64_t FaultsInjected() const {
    return testkit::FaultVfs::Instance().faults() + testkit::FaultyAllocator::faults();
  }

  std::string dir_;
  std::unique_ptr<InProcessServer> server_;
};

TEST_P(FaultInjectionTest, AcknowledgedWritesStayAndMemoryFollowsTheDatabase) {
  const District district = BuildDistrict(*server_, 12);
  ASSERT_EQ(district.persons.size(), 12u);
  const std::int64_t faults_before = FaultsInjected();

  std::mutex mu;
  std::vector<Outcome> passes, persons, certificates, enrolments;
  std::vector<std::string> bad_answers;  // failures that were not 500/503
  std::atomic<bool> stop{false};
  auto record = [&](std::vector<Outcome>& into, Outcome o) {
    std::lock_guard lock(mu);
    if (o.status >= 300 && o.status != 500 && o.status != 503) {
      bad_answers.push_back(o.target + " → " + std::to_string(o.status) + " " + o.code + ": " +
                            o.message);
    }
    if (o.status >= 300 && o.code.empty()) bad_answers.push_back(o.target + " → no error code");
    into.push_back(std::move(o));
  };
  auto outcome = [](std::string key, const HttpResponse& r, std::string target) {
    Outcome o{std::move(key), r.status, "", std::move(target), ""};
    if (r.status >= 300 && r.json.is_object() && r.json.contains("error")) {
      o.code = r.json["error"].value("code", "");
      o.message = r.json["error"].value("message", "");
    }
    return o;
  };

  // Two terminals' worth of passes, in and out by turns, each with its own event_id.
  auto terminal = [&](int lane) {
    HttpClient c(server_->port());
    std::mt19937 rng(lane);
    std::map<std::int64_t, bool> inside;
    for (int i = 0; !stop && i < 400; ++i) {
      const std::int64_t person = district.persons[rng() % district.persons.size()];
      const std::string event_id = "ev-" + std::to_string(lane) + "-" + std::to_string(i);
      const bool in = !inside[person];
      const json body = {{"event_id", event_id},
                         {"time", FormatRfc3339(NowUnixMs() - 1000)},
                         {"person_id", person},
                         {"direction", in ? "in" : "out"}};
      const HttpResponse r =
          c.Request("POST", "/api/v1/gate/events", body.dump(), district.device_token);
      if (r.status == 200 || r.status == 201) inside[person] = in;
      record(passes, outcome(event_id, r, "gate/events"));
    }
  };
  // A registry clerk: a person, their training, their enrolment — each step only after the
  // step before it was acknowledged.
  auto clerk = [&](int lane) {
    HttpClient c(server_->port());
    for (int i = 0; !stop && i < 200; ++i) {
      const int n = 1000 + lane * 1000 + i;
      const std::string name = "新工人" + std::to_string(n);
      HttpResponse r =
          server_->Api(c, "POST", "/api/v1/persons",
                       json{{"id_type", "01"}, {"id_number", IdNumber(n)}, {"name", name}}.dump());
      record(persons, outcome(name, r, "persons"));
      if (r.status != 201) continue;
      const std::string id = std::to_string(r.json.value("id", std::int64_t{0}));
      const std::string number = "C-" + std::to_string(n);
      r = server_->Api(c, "POST", "/api/v1/persons/" + id + "/certificates",
                       json{{"kind", "post"},
                            {"type_code", "safety_training"},
                            {"number", number},
                            {"valid_from", ChinaDate(-30)},
                            {"valid_to", ChinaDate(700)}}
                           .dump());
      record(certificates, outcome(number, r, "certificates"));
      r = server_->Api(c, "POST", "/api/v1/projects/P1/workers",
                       json{{"person_id", std::stoll(id)},
                            {"team_id", district.team},
                            {"uscc", kLabour},
                            {"work_role", "20"},
                            {"work_type", "020"},
                            {"entry_date", ChinaDate(-20)}}
                           .dump());
      record(enrolments, outcome(id, r, "workers"));
      // Reading what was acknowledged must find it: a failed read is 500/503, never 404.
      r = server_->Api(c, "GET", "/api/v1/persons/" + id);
      if (r.status != 200) record(persons, outcome("read:" + name, r, "persons/" + id));
    }
  };
  // The faults: armed, given time to strike, disarmed, again.
  auto chaos = [&] {
    std::mt19937 rng(7);
    while (!stop) {
      Arm(rng);
      std::this_thread::sleep_for(GetParam() == Fault::kDiskFull ? 30ms : 80ms);
      Disarm();
      std::this_thread::sleep_for(40ms);
    }
    Disarm();
  };

  std::vector<std::thread> threads;
  threads.emplace_back(terminal, 1);
  threads.emplace_back(terminal, 2);
  threads.emplace_back(clerk, 1);
  threads.emplace_back(clerk, 2);
  std::thread faults(chaos);
  // Bounded: each worker stops after its own count; the faults stop with the last of them.
  for (auto& t : threads)
    t.join();
  stop = true;
  faults.join();
  Disarm();

  const std::int64_t injected = FaultsInjected() - faults_before;
  int failed = 0;
  for (const auto* list : {&passes, &persons, &certificates, &enrolments}) {
    for (const Outcome& o : *list)
      failed += o.status >= 300 ? 1 : 0;
  }
  EXPECT_GT(injected, 0) << "no fault struck: the test proved nothing";
  EXPECT_GT(failed, 0) << "faults struck but no request failed";
  EXPECT_TRUE(bad_answers.empty()) << bad_answers.size() << " answers that are neither 500 nor "
                                   << "503 with a code, the first: " << bad_answers.front();
  std::printf("fault %s: %lld injected, %d of %zu requests failed\n", NameOf(GetParam()),
              static_cast<long long>(injected), failed,
              passes.size() + persons.size() + certificates.size() + enrolments.size());

  // Acknowledged and only acknowledged, row by row.
  const std::string db = dir_ + "/zhizhi.db";
  auto count = [&](const std::string& sql) {
    const auto text = QueryScalar(db, sql);
    return text ? std::stoll(*text) : -1LL;
  };
  for (const Outcome& o : passes) {
    const bool acked = o.status == 200 || o.status == 201;
    EXPECT_EQ(count("SELECT COUNT(*) FROM gate_events WHERE event_id = '" + o.key + "'"),
              acked ? 1 : 0)
        << "pass " << o.key << " answered " << o.status << " " << o.code;
  }
  for (const Outcome& o : persons) {
    if (o.key.rfind("read:", 0) == 0) continue;
    EXPECT_EQ(count("SELECT COUNT(*) FROM persons WHERE name = '" + o.key + "'"),
              o.status == 201 ? 1 : 0)
        << "person " << o.key << " answered " << o.status << " " << o.code;
  }
  for (const Outcome& o : certificates) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM certificates WHERE number = '" + o.key + "'"),
              o.status == 201 ? 1 : 0)
        << "certificate " << o.key << " answered " << o.status << " " << o.code;
  }
  for (const Outcome& o : enrolments) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM enrolments WHERE person_id = " + o.key),
              o.status == 201 ? 1 : 0)
        << "enrolment of " << o.key << " answered " << o.status << " " << o.code;
  }

  // Memory equals a fresh load: no write is in flight (every client has its answer).
  const MemoryCheck memory = CompareMemory(server_->platform());
  EXPECT_TRUE(memory.gate_equal) << memory.detail;
  EXPECT_TRUE(memory.faces_equal) << memory.detail;

  // And the server carries on.
  HttpClient c(server_->port());
  const HttpResponse after = c.Request("POST", "/api/v1/gate/events",
                                       json{{"event_id", "after"},
                                            {"time", FormatRfc3339(NowUnixMs())},
                                            {"person_id", district.persons[0]},
                                            {"direction", "in"}}
                                           .dump(),
                                       district.device_token);
  EXPECT_EQ(after.status, 200) << after.Describe();
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultInjectionTest,
                         ::testing::Values(Fault::kWrite, Fault::kSync, Fault::kDiskFull,
                                           Fault::kAllocation),
                         [](const auto& info) { return std::string(NameOf(info.param)); });

// ------------------------------------------------------------------------------------ undo

std::string Jpeg(const cv::Mat& img) {
  std::vector<unsigned char> buf;
  cv::imencode(".jpg", img, buf, {cv::IMWRITE_JPEG_QUALITY, 90});
  return std::string(buf.begin(), buf.end());
}

// A listener changes memory inside the job, then the job's audit write fails: with the undo log
// memory goes back with the rows; without it, memory keeps an enrolment and a face the database
// never committed — and the comparison says so.
class MemoryFollowsDatabaseTest : public ::testing::TestWithParam<bool> {};

TEST_P(MemoryFollowsDatabaseTest, AFailedAuditWriteTakesTheListenersChangesWithIt) {
  const bool undo = GetParam();
  const std::string dir = FreshDir(undo ? "undo" : "no-undo");
  app::PlatformOptions options;
  options.database.undo_memory = undo;
  // Faces with the models, so that an enrolled face enters the galleries.
  auto started = InProcessServer::Start(dir, options, std::string(ZHIZHI_FACE_DATA) + "/models");
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  InProcessServer& s = **started;
  const District district = BuildDistrict(s, 2);
  HttpClient c(s.port());
  const std::int64_t newcomer =
      Post(s, c, "/api/v1/persons",
           {{"id_type", "01"}, {"id_number", IdNumber(99)}, {"name", "新人"}})
          .value("id", std::int64_t{0});
  const MemoryCheck before = CompareMemory(s.platform());
  ASSERT_TRUE(before.gate_equal && before.faces_equal) << before.detail;

  // Planted under the running server: the audit row of an enrolment or a face enrolment fails.
  const std::string db = dir + "/zhizhi.db";
  ASSERT_EQ(ExecSql(db,
                    "CREATE TRIGGER planted BEFORE INSERT ON audit_log "
                    "WHEN NEW.action IN ('enrolment.create', 'face.enrol') "
                    "BEGIN SELECT RAISE(ABORT, 'planted fault'); END"),
            "");
  const HttpResponse r = s.Api(c, "POST", "/api/v1/projects/P1/workers",
                               json{{"person_id", newcomer},
                                    {"team_id", district.team},
                                    {"uscc", kLabour},
                                    {"work_role", "20"},
                                    {"work_type", "020"},
                                    {"entry_date", ChinaDate(-20)}}
                                   .dump());
  EXPECT_EQ(r.status, 500) << r.Describe();
  EXPECT_EQ(QueryScalar(db, "SELECT COUNT(*) FROM enrolments WHERE person_id = " +
                                std::to_string(newcomer)),
            "0");
  // An ID-card photo of an enrolled worker: analysed, stored, indexed — then the audit fails.
  cv::Mat sample = cv::imread(std::string(ZHIZHI_FACE_DATA) + "/samples/sample3.jpg");
  ASSERT_FALSE(sample.empty());
  cv::Mat card;
  cv::resize(sample(cv::Rect(560, 300, 280, 350)), card, cv::Size(102, 126), 0, 0, cv::INTER_AREA);
  const HttpResponse face =
      s.Api(c, "POST", "/api/v1/persons/" + std::to_string(district.persons[0]) + "/faces",
            json{{"source", "id_card"}, {"image", EncodeBase64(Jpeg(card))}}.dump());
  EXPECT_EQ(face.status, 500) << face.Describe();
  EXPECT_EQ(QueryScalar(db, "SELECT COUNT(*) FROM faces"), "0");

  const MemoryCheck after = CompareMemory(s.platform());
  if (undo) {
    EXPECT_TRUE(after.gate_equal) << after.detail;
    EXPECT_TRUE(after.faces_equal) << after.detail;
  } else {
    // The check can fail: without the undo log the gate holds the enrolment and the galleries
    // the face.
    EXPECT_FALSE(after.gate_equal) << "the comparison missed the gate ahead of the database";
    EXPECT_FALSE(after.faces_equal) << "the comparison missed the faces ahead of the database";
  }
  std::error_code ignored;
  started->reset();
  std::filesystem::remove_all(dir, ignored);
}

INSTANTIATE_TEST_SUITE_P(Undo, MemoryFollowsDatabaseTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "on" : "off"; });

}  // namespace
}  // namespace zhizhi::e2e
