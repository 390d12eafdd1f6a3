// End-to-end tests of the smart gate against the real server: deny reasons, rosters, idempotent
// events, batches, anti-passback and duplicates, policies, attendance, trajectories, head-count
// correctness (also across a restart and a crash), heartbeats and the WebSocket live feed.
//
// Every test builds its own small district through the API on a fresh server. Event times are in
// the past: EventClock keeps them after today's 04:00 automatic clock-out cutoff when it has
// passed; PastDay picks a whole day (today after 18:10, else yesterday) for wall-clock times. The
// housekeeping tick first runs 15 s after a start, later than any check that it could disturb.
// The whole file runs in well under 10 s.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include "api_district.h"
#include "app/platform.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Ids = std::vector<std::int64_t>;
using Strings = std::vector<std::string>;

constexpr std::int64_t kSecond = 1000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kChinaOffset = 8 * kHour;

// ------------------------------------------------------------------------------------ times

// Today's automatic clock-out cutoff (04:00 China time) as a Unix instant.
std::int64_t TodayCutoff() {
  const std::int64_t local = NowUnixMs() + kChinaOffset;
  return local / kDay * kDay + 4 * kHour - kChinaOffset;
}

// Strictly increasing event times in the recent past: `count` events `step_ms` apart, ending a
// minute ago, after today's clock-out cutoff when that has passed (steps shrink to fit: in the
// first hour after 04:00 they can fall under the 60 s duplicate window, so a test whose repeats
// must not count as double scans sets duplicate_window_s to 0).
class EventClock {
 public:
  EventClock(std::int64_t count, std::int64_t step_ms) {
    const std::int64_t now = NowUnixMs();
    const std::int64_t hi = now - kMinute;
    const std::int64_t cutoff = TodayCutoff();
    const std::int64_t lo = now > cutoff + 2 * kMinute ? cutoff + kSecond : now - 20 * kHour;
    if (count * step_ms > hi - lo) step_ms = std::max<std::int64_t>(1, (hi - lo) / count);
    step_ = step_ms;
    next_ = hi - count * step_ms;
  }
  std::int64_t Next() { return next_.fetch_add(step_) + step_; }

 private:
  std::int64_t step_ = 1;
  std::atomic<std::int64_t> next_{0};
};

// A China calendar day that is wholly in the past by 18:10 (today when it is late enough,
// otherwise yesterday), for tests that write explicit wall-clock times.
struct PastDay {
  Date date;
  PastDay() {
    const std::int64_t local = NowUnixMs() + kChinaOffset;
    const std::int64_t today = local / kDay;
    const bool late = local - today * kDay >= 18 * kHour + 10 * kMinute;
    date = Date::FromDays(late ? today : today - 1);
  }
  std::int64_t At(int h, int m, int s = 0) const {
    return date.DaysSinceEpoch() * kDay + h * kHour + m * kMinute + s * kSecond - kChinaOffset;
  }
  std::string Text(int h, int m, int s = 0) const { return FormatRfc3339(At(h, m, s)); }
};

// ------------------------------------------------------------------------------------ district

json Event(const std::string& event_id, std::int64_t time_ms, std::int64_t person,
           json extra = json::object()) {
  json e = {{"event_id", event_id}, {"time", FormatRfc3339(time_ms)}, {"person_id", person}};
  for (auto& [k, v] : extra.items())
    e[k] = v;
  return e;
}

Ids IdsOf(const json& list, const char* key = "person_id") {
  Ids out;
  for (const json& item : list)
    out.push_back(item.value(key, std::int64_t{0}));
  std::sort(out.begin(), out.end());
  return out;
}

Strings StringsOf(const json& list) {
  Strings out;
  for (const json& item : list)
    out.push_back(item.get<std::string>());
  return out;
}

// Who is inside each project according to the event log alone: the last allowed pass per
// (project, person) that was neither a duplicate nor a stale replay decides (flags 1 and 8).
std::string RecountWhere(const std::string& project) {
  return "FROM gate_events g WHERE g.project_code = '" + project +
         "' AND g.person_id IS NOT NULL AND g.decision = 'allow' AND (g.flags & 9) = 0 "
         "AND g.seq = (SELECT MAX(h.seq) FROM gate_events h WHERE h.project_code = g.project_code "
         "AND h.person_id = g.person_id AND h.decision = 'allow' AND (h.flags & 9) = 0) "
         "AND g.direction = 'in'";
}
Ids RecountInside(TestServer& server, const std::string& project) {
  const auto text =
      server.Query("SELECT IFNULL(GROUP_CONCAT(g.person_id), '') " + RecountWhere(project));
  Ids out;
  if (!text) return out;
  std::stringstream in(*text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(std::stoll(item));
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<std::string> kNoHousekeeping = {"--gate-tick-seconds", "86400"};

class GateTest : public ::testing::Test {
 protected:
  // No housekeeping during a test: passes of past days must not be clocked out mid-test.
  void SetUp() override { ASSERT_TRUE(server_.Start(kNoHousekeeping)); }

  HttpResponse Pass(const Device& d, const json& event) {
    return server_.Request("POST", "/api/v1/gate/events", event.dump(), d.token);
  }
  // Posts one event that must be answered 200; returns the answer.
  json Answer(const Device& d, const json& event) {
    const HttpResponse r = Pass(d, event);
    EXPECT_EQ(r.status, 200) << event.dump() << "\n" << r.Describe();
    return r.json;
  }
  // The reasons of a denied pass (expects a deny).
  Strings Denied(const Device& d, const json& event) {
    const json a = Answer(d, event);
    EXPECT_EQ(a.value("decision", ""), "deny") << event.dump() << "\n" << a.dump();
    return a.contains("reasons") ? StringsOf(a["reasons"]) : Strings{"<no reasons>"};
  }
  void Allowed(const Device& d, const json& event) {
    const json a = Answer(d, event);
    EXPECT_EQ(a.value("decision", ""), "allow") << event.dump() << "\n" << a.dump();
  }
  json Get(const std::string& target) {
    const HttpResponse r = server_.Api("GET", target);
    EXPECT_EQ(r.status, 200) << target << "\n" << r.Describe();
    return r.json;
  }
  json Roster(const Device& d, std::optional<std::int64_t> since = std::nullopt) {
    const std::string target =
        "/api/v1/gate/roster" + (since ? "?since=" + std::to_string(*since) : std::string());
    const HttpResponse r = server_.Request("GET", target, "", d.token);
    EXPECT_EQ(r.status, 200) << target << "\n" << r.Describe();
    return r.json;
  }
  std::int64_t Events() { return server_.Count("SELECT COUNT(*) FROM gate_events"); }
  // Waits (10 s at most) until `count` live feeds have been subscribed. The server writes each
  // subscription's audit row, durably, and subscribes the feed right after: a pass sent once the
  // row is there is decided and committed (another fsync) before it is published.
  bool WaitForLiveSubscriptions(std::int64_t count) {
    return WaitUntil(
        [&] {
          return server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'live.subscribe'") ==
                 count;
        },
        10s);
  }
  // zhizhi_gate_events_total{outcome=…} from /metrics (-1 when the line is missing).
  std::int64_t Answered(const std::string& outcome) {
    const HttpResponse r = server_.Request("GET", "/metrics", "", std::nullopt);
    const std::string line = "zhizhi_gate_events_total{outcome=\"" + outcome + "\"} ";
    const size_t at = r.body.find(line);
    return at == std::string::npos ? -1 : std::stoll(r.body.substr(at + line.size()));
  }

  TestServer server_;
};

// ------------------------------------------------------------------------------------ decisions

TEST_F(GateTest, EveryDenyReasonEndToEnd) {
  District d(server_);
  d.Project("GA");
  d.Project("GB");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device out = d.AddDevice("GA", "GA-OUT", "out");
  const Device broken = d.AddDevice("GA", "GA-BROKEN", "in");
  EventClock clock(100, 5 * kMinute);
  int n = 0;
  auto ev = [&](std::int64_t person, json extra = json::object()) {
    return Event("e" + std::to_string(++n), clock.Next(), person, extra);
  };

  // An electrician (130) needs special operation 01 and safety training.
  const std::int64_t electrician = d.Person("电工甲");
  d.Training(electrician);
  d.Cert(electrician, "special_operation", "01");
  d.Worker("GA", electrician, "130");
  const std::int64_t no_cert = d.Person("电工乙");
  d.Training(no_cert);
  d.Worker("GA", no_cert, "130");
  const std::int64_t expired = d.Person("电工丙");
  d.Training(expired);
  d.Cert(expired, "special_operation", "01", -800, -1);
  d.Worker("GA", expired, "130");
  const std::int64_t untrained = d.Person("钢筋工甲");
  d.Worker("GA", untrained, "020");
  const std::int64_t worker = d.GoodWorker("钢筋工乙", {"GA"});
  const std::int64_t manager = d.Person("项目经理甲");  // managers need no training
  d.Cert(manager, "registered", "constructor_2");
  d.Cert(manager, "safety_post", "B");
  d.Manager("GA", manager, "project_manager");
  const std::int64_t manager_no_b = d.Person("项目经理乙");
  d.Cert(manager_no_b, "registered", "constructor_1");
  d.Manager("GA", manager_no_b, "project_manager");
  const std::int64_t manager_stale = d.Person("项目经理丙");  // no constructor, B expired
  d.Cert(manager_stale, "safety_post", "B", -900, -3);
  d.Manager("GA", manager_stale, "project_manager");
  const std::int64_t elsewhere = d.GoodWorker("外地工", {"GB"});
  const std::int64_t leaver = d.GoodWorker("离场工", {"GA"});
  d.Exit("GA", leaver);
  const std::int64_t banned = d.GoodWorker("黑名单工", {"GA"});
  d.Post("/api/v1/persons/" + std::to_string(banned) + "/blacklist", {{"reason", "打架"}}, 200);
  d.Post("/api/v1/devices/" + std::to_string(broken.id) + "/disable", json::object(), 200);

  // Allowed: the complete answer.
  const json ok = Answer(in, ev(electrician, {{"score", 0.91}, {"liveness", true}}));
  EXPECT_EQ(ok["decision"], "allow") << ok.dump();
  EXPECT_EQ(ok["reasons"], json::array());
  EXPECT_EQ(ok["warnings"], json::array());
  EXPECT_EQ(ok["person_id"], electrician);
  EXPECT_EQ(ok["direction"], "in");
  EXPECT_EQ(ok["duplicate"], false);
  EXPECT_EQ(ok["event_id"], "e1");
  EXPECT_GT(ok.value("seq", 0), 0);
  EXPECT_FALSE(ok.contains("replayed"));
  Allowed(in, ev(manager));

  // Each reason alone.
  const json unknown = Answer(in, ev(987654));
  EXPECT_EQ(unknown["decision"], "deny");
  EXPECT_EQ(unknown["reasons"], json({"unknown_person"}));
  EXPECT_TRUE(unknown["person_id"].is_null());
  const json unknown_card = Answer(in, json{{"event_id", "card-1"},
                                            {"time", FormatRfc3339(clock.Next())},
                                            {"id_number", d.IdNumber(999)}});
  EXPECT_EQ(unknown_card["reasons"], json({"unknown_person"})) << unknown_card.dump();
  EXPECT_EQ(Denied(in, ev(elsewhere)), Strings{"not_enrolled"});
  EXPECT_EQ(Denied(in, ev(leaver)), Strings{"exited"});
  EXPECT_EQ(Denied(in, ev(no_cert)), Strings{"certificate_missing"});
  EXPECT_EQ(Denied(in, ev(expired)), Strings{"certificate_expired"});
  EXPECT_EQ(Denied(in, ev(manager_no_b)), Strings{"certificate_missing"});
  EXPECT_EQ(Denied(in, ev(manager_stale)), (Strings{"certificate_missing", "certificate_expired"}));
  EXPECT_EQ(Denied(in, ev(untrained)), Strings{"training_missing"});
  EXPECT_EQ(Denied(in, ev(banned)), Strings{"blacklisted"});
  EXPECT_EQ(Denied(in, ev(worker, {{"score", 0.3}})), Strings{"face_mismatch"});
  EXPECT_EQ(Denied(in, ev(worker, {{"score", 0.9}, {"liveness", false}})),
            Strings{"liveness_failed"});
  EXPECT_EQ(Denied(broken, ev(worker)), Strings{"device_unknown"});
  EXPECT_EQ(Denied(in, ev(electrician)), Strings{"anti_passback"});  // 5 minutes after the in

  // Everything at once, in the stable order.
  const std::int64_t mess = d.Person("问题工");
  d.Worker("GA", mess, "130");
  d.Post("/api/v1/persons/" + std::to_string(mess) + "/blacklist", {{"reason", "冒用"}}, 200);
  d.Exit("GA", mess);
  EXPECT_EQ(Denied(broken, ev(mess, {{"score", 0.1}, {"liveness", false}})),
            (Strings{"device_unknown", "exited", "certificate_missing", "training_missing",
                     "blacklisted", "face_mismatch", "liveness_failed"}));
  EXPECT_EQ(Denied(broken, ev(987654, {{"score", 0.1}})),
            (Strings{"device_unknown", "unknown_person", "face_mismatch"}));

  // The ID card reader identifies by ID number, with a default pass mode 5.
  const json card = Answer(out, json{{"event_id", "card-2"},
                                     {"time", FormatRfc3339(clock.Next())},
                                     {"id_number", d.IdNumberOf(electrician)}});
  EXPECT_EQ(card["decision"], "allow") << card.dump();
  EXPECT_EQ(card["person_id"], electrician);
  EXPECT_EQ(card["direction"], "out");
  EXPECT_EQ(server_.Count("SELECT pass_mode FROM gate_events WHERE event_id = 'card-2'"), 5);
  EXPECT_EQ(*server_.Query("SELECT identified_by FROM gate_events WHERE event_id = 'card-2'"),
            "id_card");

  // Everything is logged with its reasons; only the allowed are inside.
  EXPECT_EQ(Events(), n + 2);
  EXPECT_EQ(*server_.Query("SELECT reasons FROM gate_events WHERE event_id = 'e1'"), "[]");
  EXPECT_EQ(*server_.Query("SELECT reasons FROM gate_events WHERE person_id = " +
                           std::to_string(manager_stale)),
            R"(["certificate_missing","certificate_expired"])");
  const json onsite = Get("/api/v1/projects/GA/onsite");
  EXPECT_EQ(onsite["count"], 1);
  EXPECT_EQ(IdsOf(onsite["persons"]), Ids{manager});
}

TEST_F(GateTest, CertificatesChangeDecisionsAndTheRoster) {
  District d(server_);
  d.Project("GA");
  d.Project("GB");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device other = d.AddDevice("GB", "GB-IN", "in");
  EventClock clock(50, 5 * kMinute);
  // Just after the 04:00 cutoff the clock's steps shrink below a minute; no repeat here is meant
  // as a double scan, so none may be taken for one.
  ASSERT_EQ(
      server_.Api("PUT", "/api/v1/projects/GA/gate-policy", R"({"duplicate_window_s":0})").status,
      200);
  int n = 0;
  auto ev = [&](std::int64_t person) {
    return Event("e" + std::to_string(++n), clock.Next(), person);
  };
  const std::int64_t electrician = d.Person("电工");
  d.Training(electrician);
  d.Worker("GA", electrician, "130");
  const std::int64_t worker = d.GoodWorker("钢筋工", {"GA"});
  const std::int64_t stayer = d.GoodWorker("木工", {"GA"});
  const std::int64_t manager = d.Person("项目经理");
  d.Cert(manager, "registered", "constructor_1");
  d.Cert(manager, "safety_post", "B");
  d.Manager("GA", manager, "project_manager");
  const std::int64_t b_only = d.GoodWorker("乙地工", {"GB"});

  // The full roster: who may pass now.
  const json full = Roster(in);
  EXPECT_EQ(full["full"], true);
  EXPECT_EQ(full["project_code"], "GA");
  EXPECT_EQ(IdsOf(full["allowed"]), (Ids{worker, stayer, manager}));
  EXPECT_EQ(full["revoked"], json::array());
  const std::int64_t v0 = full.value("version", std::int64_t{0});
  EXPECT_GT(v0, 0);
  EXPECT_EQ(Roster(in, 0), full);  // since=0 is the full roster too
  for (const json& item : full["allowed"]) {
    EXPECT_TRUE(item.contains("name")) << item.dump();
    const std::string id = item.value("id_number", "");
    EXPECT_NE(id.find("********"), std::string::npos) << "masked: " << id;
  }
  EXPECT_EQ(IdsOf(Roster(other)["allowed"]), Ids{b_only});  // scoped to the device's project

  // Nothing changed since v0.
  json inc = Roster(in, v0);
  EXPECT_EQ(inc["full"], false);
  EXPECT_EQ(inc["allowed"], json::array());
  EXPECT_EQ(inc["revoked"], json::array());
  EXPECT_GE(inc.value("version", std::int64_t{0}), v0);

  // A certificate added later turns the deny into an allow and is granted on the roster.
  EXPECT_EQ(Denied(in, ev(electrician)), Strings{"certificate_missing"});
  const std::int64_t cert = d.Cert(electrician, "special_operation", "01");
  Allowed(in, ev(electrician));
  inc = Roster(in, v0);
  ASSERT_EQ(inc["allowed"].size(), 1u) << inc.dump();
  EXPECT_EQ(inc["allowed"][0]["person_id"], electrician);
  EXPECT_EQ(inc["allowed"][0]["name"], "电工");
  EXPECT_EQ(inc["allowed"][0]["work_type"], "130");
  EXPECT_EQ(inc["revoked"], json::array());
  const std::int64_t v1 = inc.value("version", std::int64_t{0});
  EXPECT_GT(v1, v0);
  EXPECT_EQ(Roster(in, v1)["allowed"], json::array());
  EXPECT_EQ(Roster(other, v0)["allowed"], json::array());  // GA's change is not GB's

  // Exit, blacklist and revocation each revoke with their reason.
  d.Exit("GA", worker);
  d.Post("/api/v1/persons/" + std::to_string(manager) + "/blacklist", {{"reason", "违规"}}, 200);
  d.Revoke(cert);
  inc = Roster(in, v1);
  EXPECT_EQ(inc["allowed"], json::array()) << inc.dump();
  std::map<std::int64_t, std::string> revoked;
  for (const json& r : inc["revoked"])
    revoked[r.value("person_id", std::int64_t{0})] = r.value("reason", "");
  EXPECT_EQ(revoked, (std::map<std::int64_t, std::string>{{electrician, "certificate_expired"},
                                                          {worker, "exited"},
                                                          {manager, "blacklisted"}}))
      << inc.dump();
  const std::int64_t v2 = inc.value("version", std::int64_t{0});
  EXPECT_GE(v2, v1 + 3);
  EXPECT_EQ(Denied(in, ev(electrician)),
            (Strings{"certificate_expired", "anti_passback"}));  // and still inside
  EXPECT_EQ(Denied(in, ev(worker)), Strings{"exited"});
  EXPECT_EQ(Denied(in, ev(manager)), Strings{"blacklisted"});

  // Lifting the blacklist grants again; the full roster is the current standing.
  EXPECT_EQ(
      server_.Api("DELETE", "/api/v1/persons/" + std::to_string(manager) + "/blacklist").status,
      200);
  inc = Roster(in, v2);
  EXPECT_EQ(IdsOf(inc["allowed"]), Ids{manager});
  EXPECT_EQ(inc["revoked"], json::array());
  const json now_full = Roster(in);
  EXPECT_EQ(IdsOf(now_full["allowed"]), (Ids{stayer, manager}));
  EXPECT_EQ(now_full["version"], Roster(in, v2)["version"]);

  // The roster survives a restart unchanged, versions included.
  ASSERT_TRUE(server_.Restart());
  EXPECT_EQ(Roster(in), now_full);
  EXPECT_EQ(Roster(in, v2)["allowed"], inc["allowed"]);

  // Bad versions, and the roster is for devices only.
  EXPECT_EQ(server_.Request("GET", "/api/v1/gate/roster?since=-1", "", in.token).status, 400);
  EXPECT_EQ(server_.Request("GET", "/api/v1/gate/roster?since=abc", "", in.token).status, 400);
  EXPECT_EQ(server_.Api("GET", "/api/v1/gate/roster").status, 403);
}

TEST_F(GateTest, SameEventIdIsAnsweredOnceAndStoredOnce) {
  District d(server_);
  d.Project("GA");
  const Device a = d.AddDevice("GA", "GA-A", "both");
  const Device b = d.AddDevice("GA", "GA-B", "both");
  const std::int64_t worker = d.GoodWorker("钢筋工", {"GA"});
  EventClock clock(10, kMinute);
  const json event = Event("evt-1", clock.Next(), worker, {{"direction", "in"}});

  const json first = Answer(a, event);
  ASSERT_EQ(first["decision"], "allow") << first.dump();
  EXPECT_FALSE(first.contains("replayed"));
  EXPECT_EQ(Events(), 1);

  for (int i = 0; i < 3; ++i) {
    json again = Answer(a, event);
    EXPECT_EQ(again["replayed"], true) << again.dump();
    again.erase("replayed");
    EXPECT_EQ(again, first);
  }
  // A different body under the same event_id still gets the first answer.
  json changed = Answer(a, Event("evt-1", clock.Next(), worker, {{"direction", "out"}}));
  EXPECT_EQ(changed["replayed"], true);
  changed.erase("replayed");
  EXPECT_EQ(changed, first);
  // ... also when the repeat itself would be refused now (no direction on a `both` device).
  json refusable = Answer(a, Event("evt-1", clock.Next(), worker));
  EXPECT_EQ(refusable["replayed"], true) << refusable.dump();
  refusable.erase("replayed");
  EXPECT_EQ(refusable, first);
  EXPECT_EQ(Events(), 1);
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 1);

  // The same event_id from another device is another event.
  const json other = Answer(b, Event("evt-1", clock.Next(), worker, {{"direction", "out"}}));
  EXPECT_FALSE(other.contains("replayed"));
  EXPECT_EQ(other["decision"], "allow");
  EXPECT_GT(other.value("seq", 0), first.value("seq", 0));
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 0);

  // ... also when replayed in a batch, and after a restart.
  const HttpResponse batch = server_.Request(
      "POST", "/api/v1/gate/events:batch", json{{"events", json::array({event})}}.dump(), a.token);
  ASSERT_EQ(batch.status, 200) << batch.Describe();
  EXPECT_EQ(batch.json["results"][0]["replayed"], true);
  EXPECT_EQ(batch.json["results"][0]["seq"], first["seq"]);

  // A single event's answer is written as text directly, a batch's through a json value: the
  // same bytes (sorted keys, compact), also for an event_id that needs escaping and for a deny
  // of nobody (reasons, a null person_id).
  for (const json& odd :
       {Event("evt \"引号\" \\ / é\u00e9", clock.Next(), worker, {{"direction", "in"}}),
        Event("evt-stranger", clock.Next(), 987654, {{"direction", "in"}})}) {
    const HttpResponse fresh = Pass(a, odd);
    ASSERT_EQ(fresh.status, 200) << fresh.Describe();
    EXPECT_EQ(fresh.body, fresh.json.dump());
    EXPECT_EQ(fresh.json["event_id"], odd["event_id"]);
    const HttpResponse replay = Pass(a, odd);
    const HttpResponse in_batch = server_.Request(
        "POST", "/api/v1/gate/events:batch", json{{"events", json::array({odd})}}.dump(), a.token);
    ASSERT_EQ(in_batch.status, 200) << in_batch.Describe();
    EXPECT_EQ(replay.body, in_batch.json["results"][0].dump());
    EXPECT_EQ(replay.json["replayed"], true);
  }
  EXPECT_EQ(Events(), 4);
  // /metrics counts the answers: three allowed, the stranger denied, ten replays (three, the
  // changed body, the refusable one, the first batch, then a single and a batch replay of each
  // odd event).
  EXPECT_EQ(Answered("allow"), 3);
  EXPECT_EQ(Answered("deny"), 1);
  EXPECT_EQ(Answered("replayed"), 10);
  EXPECT_EQ(Answered("refused"), 0);
  ASSERT_TRUE(server_.Restart());
  json after = Answer(a, event);
  EXPECT_EQ(after["replayed"], true);
  after.erase("replayed");
  EXPECT_EQ(after, first);
  EXPECT_EQ(Events(), 4);
}

// A pass has no savepoint of its own (store::Undo::kGroup). When it fails after its first write
// — here a trigger planted under the running server aborts the on-site upsert, after the
// gate_events insert — its group is rolled back: the pass is answered with its own error (500,
// the database's), its neighbours in the group would be 503 unavailable (store's GroupTest),
// nothing of the pass stays, and a retry with the same event_id once the fault is gone is a
// first pass, not a replay of something half-written.
TEST_F(GateTest, APassFailingAfterItsFirstWriteLeavesNothing) {
  District d(server_);
  d.Project("GF");
  const Device gate = d.AddDevice("GF", "GF-A", "both");
  const std::int64_t worker = d.GoodWorker("钢筋工", {"GF"});
  const std::int64_t other = d.GoodWorker("钢筋工", {"GF"});
  EventClock clock(10, kMinute);
  const std::string when = " ON onsite WHEN NEW.person_id = " + std::to_string(worker);
  const std::string fault = " BEGIN SELECT RAISE(ABORT, 'planted'); END; ";
  ASSERT_EQ(server_.Exec("CREATE TRIGGER test_fault_insert BEFORE INSERT" + when + fault +
                         "CREATE TRIGGER test_fault_update BEFORE UPDATE" + when + fault),
            "");

  const json event = Event("fault-1", clock.Next(), worker, {{"direction", "in"}});
  const HttpResponse failed = Pass(gate, event);
  EXPECT_EQ(failed.status, 500) << failed.Describe();
  EXPECT_EQ(failed.json["error"]["code"], "internal") << failed.Describe();
  EXPECT_EQ(Events(), 0);
  EXPECT_EQ(Get("/api/v1/projects/GF/onsite")["count"], 0);
  EXPECT_EQ(Answered("refused"), 1);
  const HttpResponse metrics = server_.Request("GET", "/metrics", "", std::nullopt);
  EXPECT_NE(metrics.body.find("zhizhi_db_groups_rolled_back_total 1\n"), std::string::npos);
  // The next group is untouched by the failed one.
  Allowed(gate, Event("fault-2", clock.Next(), other, {{"direction", "in"}}));
  EXPECT_EQ(Events(), 1);

  ASSERT_EQ(server_.Exec("DROP TRIGGER test_fault_insert; DROP TRIGGER test_fault_update;"), "");
  const json retried = Answer(gate, event);
  EXPECT_EQ(retried["decision"], "allow") << retried.dump();
  EXPECT_FALSE(retried.contains("replayed")) << retried.dump();
  EXPECT_EQ(Events(), 2);
  EXPECT_EQ(Get("/api/v1/projects/GF/onsite")["count"], 2);
  EXPECT_EQ(RecountInside(server_, "GF"), (Ids{std::min(worker, other), std::max(worker, other)}));
}

TEST_F(GateTest, MalformedEventsAndWrongTokensAreRejectedWithoutWriting) {
  District d(server_);
  d.Project("GA");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device both = d.AddDevice("GA", "GA-BOTH", "both");
  const std::int64_t worker = d.GoodWorker("钢筋工", {"GA"});
  const std::int64_t early = d.GoodWorker("早到工", {"GA"});
  EventClock clock(10, kMinute);
  const std::int64_t now = NowUnixMs();

  auto expect_error = [&](const Device& dev, const json& event, int status, const char* code,
                          const char* field) {
    const HttpResponse r = Pass(dev, event);
    EXPECT_EQ(r.status, status) << event.dump() << "\n" << r.Describe();
    EXPECT_EQ(r.json["error"]["code"], code) << r.Describe();
    if (field) {
      EXPECT_EQ(r.json["error"]["field"], field) << r.Describe();
    }
  };
  json no_offset = Event("x1", clock.Next(), worker);
  no_offset["time"] = "2026-03-02T07:31:05";
  expect_error(in, no_offset, 400, "invalid_argument", "time");
  expect_error(in, Event("x2", now + 6 * kMinute, worker), 422, "time_in_future", "time");
  expect_error(in, Event("x3", now - 36 * kDay, worker), 422, "time_too_old", "time");
  expect_error(both, Event("x4", clock.Next(), worker), 400, "invalid_argument", "direction");
  expect_error(in, Event("x5", clock.Next(), worker, {{"direction", "out"}}), 400,
               "invalid_argument", "direction");
  expect_error(in, Event("x6", clock.Next(), worker, {{"pass_mode", 8}}), 400, "invalid_argument",
               "operator");
  expect_error(in, Event("x7", clock.Next(), worker, {{"deviceKey", "k"}}), 400, "invalid_argument",
               "deviceKey");
  {
    const HttpResponse r = server_.Request("POST", "/api/v1/gate/events", "{not json", in.token);
    EXPECT_EQ(r.status, 400) << r.Describe();
  }
  EXPECT_EQ(Events(), 0);
  // A rejected event_id is free to be used by a good event afterwards.
  const std::int64_t t4 = clock.Next();
  EXPECT_EQ(Answer(both, Event("x4", t4, worker, {{"direction", "in"}}))["decision"], "allow");
  EXPECT_EQ(Answer(in, Event("x5", t4 + 5 * kSecond, worker, {{"direction", "in"}}))["duplicate"],
            true);
  // Up to 5 minutes ahead is tolerated (clock drift).
  EXPECT_EQ(Answer(in, Event("x8", now + 4 * kMinute, early))["decision"], "allow");
  EXPECT_EQ(Events(), 3);

  // A face photo that is no readable JPEG: malformed, nothing stored (server-side recognition
  // itself is tested in tests/faces_test.cc).
  const HttpResponse face = Pass(in, json{{"event_id", "f1"},
                                          {"time", FormatRfc3339(clock.Next())},
                                          {"face_image", "/9j/4AAQSkZJRgABAQ=="}});
  EXPECT_EQ(face.status, 400) << face.Describe();
  EXPECT_EQ(face.json["error"]["field"], "face_image") << face.Describe();
  EXPECT_EQ(Events(), 3);

  // Device tokens are for terminals only; the admin token is not a terminal.
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/api/v1/projects/GA/devices"},
           {"GET", "/api/v1/projects/GA/devices"},
           {"GET", "/api/v1/projects/GA/onsite"},
           {"GET", "/api/v1/onsite"},
           {"GET", "/api/v1/projects/GA/attendance"},
           {"GET", "/api/v1/persons/" + std::to_string(worker) + "/trajectory"},
           {"PUT", "/api/v1/projects/GA/gate-policy"},
           {"POST", "/api/v1/persons/" + std::to_string(worker) + "/blacklist"},
           {"POST", "/api/v1/devices/" + std::to_string(in.id) + "/disable"},
           {"GET", "/api/v1/persons/" + std::to_string(worker)},
           {"POST", "/api/v1/corps"}}) {
    const HttpResponse r = server_.Request(method, target, "{}", in.token);
    EXPECT_EQ(r.status, 403) << method << " " << target << "\n" << r.Describe();
  }
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"POST", "/api/v1/gate/events"},
                                                        {"POST", "/api/v1/gate/events:batch"},
                                                        {"GET", "/api/v1/gate/roster"},
                                                        {"POST", "/api/v1/gate/heartbeat"}}) {
    const std::string body = target.find("batch") != std::string::npos
                                 ? json{{"events", {Event("adm", clock.Next(), worker)}}}.dump()
                                 : Event("adm", clock.Next(), worker).dump();
    HttpResponse r = server_.Api(method, target, method == "GET" ? "" : body);
    EXPECT_EQ(r.status, 403) << method << " " << target << "\n" << r.Describe();
    r = server_.Request(method, target, method == "GET" ? "" : body, std::nullopt);
    EXPECT_EQ(r.status, 401) << method << " " << target << "\n" << r.Describe();
    r = server_.Request(method, target, method == "GET" ? "" : body, std::string(64, 'a'));
    EXPECT_EQ(r.status, 401) << method << " " << target << "\n" << r.Describe();
  }
  EXPECT_EQ(Events(), 3);
  // Refused: the seven field errors and the unreadable face; the body that was no JSON and the
  // wrong tokens never reached the gate.
  EXPECT_EQ(Answered("refused"), 8);
  EXPECT_EQ(Answered("allow"), 3);
  EXPECT_EQ(Answered("replayed"), 0);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM blacklist"), 0);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM devices"), 2);
}

// ------------------------------------------------------------------------------------ batches

TEST_F(GateTest, BatchOfAThousandInDeviceOrder) {
  District d(server_);
  d.Project("GA");
  const Device gate = d.AddDevice("GA", "GA-BOTH", "both");
  Ids workers;
  for (int i = 0; i < 20; ++i)
    workers.push_back(d.GoodWorker("工人" + std::to_string(i), {"GA"}));
  EventClock clock(1100, 2 * kSecond);

  // 998 good events: each worker alternates in, out, in, … 40 s apart (never duplicates),
  // plus two bad ones in the middle.
  json events = json::array();
  std::map<std::int64_t, int> seen;
  for (int i = 0; i < 998; ++i) {
    if (i == 500) {
      json bad = Event("bad-format", clock.Next(), workers[0], {{"direction", "in"}});
      bad["time"] = "2026-03-02 07:31:05";
      events.push_back(bad);
    }
    if (i == 700) {
      events.push_back(Event("bad-future", NowUnixMs() + kHour, workers[1], {{"direction", "in"}}));
    }
    const std::int64_t person = workers[i % 20];
    const bool entering = seen[person]++ % 2 == 0;
    events.push_back(Event("b" + std::to_string(i), clock.Next(), person,
                           {{"direction", entering ? "in" : "out"}}));
  }
  ASSERT_EQ(events.size(), 1000u);
  const std::string body = json{{"events", events}}.dump();
  const HttpResponse r = server_.Request("POST", "/api/v1/gate/events:batch", body, gate.token);
  ASSERT_EQ(r.status, 200) << r.Describe().substr(0, 2000);
  const json& results = r.json["results"];
  ASSERT_EQ(results.size(), 1000u);
  EXPECT_EQ(r.json["allowed"], 998);
  EXPECT_EQ(r.json["denied"], 0);
  EXPECT_EQ(r.json["failed"], 2);
  std::int64_t last_seq = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const json& res = results[i];
    if (i == 500) {
      EXPECT_EQ(res["error"]["code"], "invalid_argument") << res.dump();
      EXPECT_EQ(res["error"]["field"], "time") << res.dump();
      continue;
    }
    if (i == 701) {
      EXPECT_EQ(res["event_id"], "bad-future") << res.dump();
      EXPECT_EQ(res["error"]["code"], "time_in_future") << res.dump();
      continue;
    }
    ASSERT_FALSE(res.contains("error")) << i << ": " << res.dump();
    EXPECT_EQ(res["event_id"], events[i]["event_id"]) << i;
    EXPECT_EQ(res["decision"], "allow") << i << ": " << res.dump();
    EXPECT_EQ(res["direction"], events[i]["direction"]) << i;
    EXPECT_EQ(res["duplicate"], false) << i;
    const std::int64_t seq = res.value("seq", std::int64_t{0});
    EXPECT_GT(seq, last_seq) << i;  // stored in device order
    last_seq = seq;
  }
  EXPECT_EQ(Events(), 998);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events WHERE event_id LIKE 'bad%'"), 0);
  // 998 = 49 × 20 + 18: workers 0–17 passed 50 times (last out), 18 and 19 49 times (last in).
  const json onsite = Get("/api/v1/projects/GA/onsite");
  EXPECT_EQ(onsite["count"], 2);
  EXPECT_EQ(IdsOf(onsite["persons"]), (Ids{workers[18], workers[19]}));
  EXPECT_EQ(RecountInside(server_, "GA"), (Ids{workers[18], workers[19]}));

  // The same batch again: every good event is a replay, nothing new is stored.
  const HttpResponse again = server_.Request("POST", "/api/v1/gate/events:batch", body, gate.token);
  ASSERT_EQ(again.status, 200);
  EXPECT_EQ(again.json["allowed"], 998);
  EXPECT_EQ(again.json["results"][0]["replayed"], true);
  EXPECT_EQ(again.json["results"][999]["replayed"], true);
  EXPECT_EQ(again.json["results"][999]["seq"], results[999]["seq"]);
  EXPECT_EQ(Events(), 998);

  // Limits: 1 to 1000 events, and only the events field.
  json too_many = json::array();
  for (int i = 0; i < 1001; ++i)
    too_many.push_back(Event("m" + std::to_string(i), NowUnixMs() - kDay + i, workers[2],
                             {{"direction", i % 2 ? "out" : "in"}}));
  HttpResponse big = server_.Request("POST", "/api/v1/gate/events:batch",
                                     json{{"events", too_many}}.dump(), gate.token);
  EXPECT_EQ(big.status, 400) << big.Describe().substr(0, 500);
  EXPECT_EQ(big.json["error"]["field"], "events");
  EXPECT_EQ(
      server_.Request("POST", "/api/v1/gate/events:batch", R"({"events":[]})", gate.token).status,
      400);
  EXPECT_EQ(server_
                .Request("POST", "/api/v1/gate/events:batch",
                         R"({"events":[{"event_id":"z"}],"device":"x"})", gate.token)
                .status,
            400);
  EXPECT_EQ(Events(), 998);

  // Order matters: in then out leaves the person outside, out then in inside.
  const std::int64_t p = workers[0];  // outside now
  const std::int64_t q = workers[1];  // outside now
  json order = json::array({Event("o1", clock.Next(), p, {{"direction", "in"}}),
                            Event("o2", clock.Next(), q, {{"direction", "out"}}),
                            Event("o3", clock.Next(), p, {{"direction", "out"}}),
                            Event("o4", clock.Next(), q, {{"direction", "in"}}), "not an object"});
  const HttpResponse ordered = server_.Request("POST", "/api/v1/gate/events:batch",
                                               json{{"events", order}}.dump(), gate.token);
  ASSERT_EQ(ordered.status, 200) << ordered.Describe();
  EXPECT_EQ(ordered.json["allowed"], 4);
  EXPECT_EQ(ordered.json["failed"], 1);
  EXPECT_EQ(ordered.json["results"][4]["error"]["code"], "invalid_json");
  const Ids inside = IdsOf(Get("/api/v1/projects/GA/onsite")["persons"]);
  EXPECT_FALSE(std::binary_search(inside.begin(), inside.end(), p));
  EXPECT_TRUE(std::binary_search(inside.begin(), inside.end(), q));
  EXPECT_EQ(Events(), 1002);
}

// ------------------------------------------------------------------------------------ passback

TEST_F(GateTest, AntiPassbackDuplicatesAndPolicy) {
  District d(server_);
  d.Project("GA");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device out = d.AddDevice("GA", "GA-OUT", "out");
  const std::int64_t w = d.GoodWorker("钢筋工", {"GA"});
  const std::int64_t untrained = d.Person("新工");
  d.Worker("GA", untrained, "020");
  const PastDay day;
  auto at = [&](const std::string& id, int h, int m, int s, std::int64_t person = 0) {
    return json{{"event_id", id}, {"time", day.Text(h, m, s)}, {"person_id", person ? person : w}};
  };

  json a = Answer(in, at("p1", 7, 0, 0));
  EXPECT_EQ(a["decision"], "allow");
  EXPECT_EQ(a["duplicate"], false);
  a = Answer(in, at("p2", 7, 0, 20));  // a double scan within the 60 s window
  EXPECT_EQ(a["decision"], "allow") << a.dump();
  EXPECT_EQ(a["duplicate"], true);
  EXPECT_EQ(a["reasons"], json::array());
  a = Answer(in, at("p3", 7, 0, 59));  // the window counts from the first pass, not the double
  EXPECT_EQ(a["duplicate"], true) << a.dump();
  EXPECT_EQ(Denied(in, at("p4", 7, 2, 0)), Strings{"anti_passback"});
  a = Answer(out, at("p5", 11, 30, 0));
  EXPECT_EQ(a["decision"], "allow");
  EXPECT_EQ(a["duplicate"], false);
  a = Answer(out, at("p6", 11, 30, 30));
  EXPECT_EQ(a["duplicate"], true) << a.dump();
  Allowed(in, at("p7", 13, 0, 0));
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 1);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events WHERE flags & 1"), 3);

  // Attendance counts passes without duplicates, and the duplicates apart.
  json sheet = Get("/api/v1/projects/GA/attendance?date=" + day.date.ToString());
  ASSERT_EQ(sheet["items"].size(), 1u) << sheet.dump();
  EXPECT_EQ(sheet["items"][0]["passes"], 3);
  EXPECT_EQ(sheet["items"][0]["duplicates"], 3);
  EXPECT_EQ(sheet["items"][0]["missing_out"], true);

  // Policy: anti-passback only warns; training only warns; invalid policies are refused.
  const HttpResponse bad =
      server_.Api("PUT", "/api/v1/projects/GA/gate-policy", R"({"checks":{"exited":"off"}})");
  EXPECT_EQ(bad.status, 400) << bad.Describe();
  EXPECT_EQ(bad.json["error"]["field"], "checks.exited");
  EXPECT_EQ(server_.Api("PUT", "/api/v1/projects/GA/gate-policy", R"({"face_threshold":2})").status,
            400);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_policies"), 0);
  EXPECT_EQ(Get("/api/v1/projects/GA/gate-policy")["checks"]["anti_passback"], "deny");

  const std::int64_t v0 = Roster(in).value("version", std::int64_t{0});
  EXPECT_EQ(Denied(in, at("u1", 13, 5, 0, untrained)), Strings{"training_missing"});
  const HttpResponse put =
      server_.Api("PUT", "/api/v1/projects/GA/gate-policy",
                  R"({"checks":{"anti_passback":"warn","training_missing":"warn"}})");
  ASSERT_EQ(put.status, 200) << put.Describe();
  EXPECT_EQ(put.json["checks"]["anti_passback"], "warn");
  EXPECT_EQ(put.json["checks"]["training_missing"], "warn");
  EXPECT_EQ(put.json["checks"]["blacklisted"], "deny");
  EXPECT_EQ(put.json["project_code"], "GA");

  a = Answer(in, at("p8", 14, 0, 0));
  EXPECT_EQ(a["decision"], "allow") << a.dump();
  EXPECT_EQ(a["reasons"], json::array());
  EXPECT_EQ(a["warnings"], json({"anti_passback"}));
  a = Answer(in, at("u2", 14, 1, 0, untrained));
  EXPECT_EQ(a["decision"], "allow") << a.dump();
  EXPECT_EQ(a["warnings"], json({"training_missing"}));
  // The roster follows the policy: the untrained worker may now pass.
  EXPECT_EQ(IdsOf(Roster(in, v0)["allowed"]), Ids{untrained});

  // Off: not even a warning. A zero window: every repeat is a passback.
  ASSERT_EQ(server_
                .Api("PUT", "/api/v1/projects/GA/gate-policy",
                     R"({"checks":{"anti_passback":"deny"},"duplicate_window_s":0})")
                .status,
            200);
  EXPECT_EQ(Denied(in, at("p9", 14, 0, 1)), Strings{"anti_passback"});
  const json revoked = Roster(in, v0);
  ASSERT_EQ(revoked["revoked"].size(), 1u) << revoked.dump();
  EXPECT_EQ(revoked["revoked"][0]["reason"], "training_missing");
  Allowed(out, at("p10", 17, 0, 0));
  EXPECT_EQ(Get("/api/v1/projects/GA/gate-policy")["duplicate_window_s"], 0);

  // The policy is stored: it survives a restart.
  ASSERT_TRUE(server_.Restart());
  const json policy = Get("/api/v1/projects/GA/gate-policy");
  EXPECT_EQ(policy["duplicate_window_s"], 0);
  EXPECT_EQ(policy["checks"]["training_missing"], "deny");
  EXPECT_EQ(Denied(in, at("u4", 17, 30, 0, untrained)),
            (Strings{"training_missing", "anti_passback"}));  // still inside since u2
}

// ------------------------------------------------------------------------------------ readers

TEST_F(GateTest, AttendanceFromTheDaysPasses) {
  District d(server_);
  d.Project("GA");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device out = d.AddDevice("GA", "GA-OUT", "out");
  const std::int64_t a = d.GoodWorker("甲", {"GA"});
  const std::int64_t b = d.GoodWorker("乙", {"GA"});
  const std::int64_t untrained = d.Person("丙");
  d.Worker("GA", untrained, "020");
  d.GoodWorker("丁", {"GA"});  // enrolled, never came
  const PastDay day;
  int n = 0;
  auto at = [&](std::int64_t person, int h, int m, int s = 0, json extra = json::object()) {
    json e = {{"event_id", "a" + std::to_string(++n)}, {"time", day.Text(h, m, s)}};
    if (person) e["person_id"] = person;
    for (auto& [k, v] : extra.items())
      e[k] = v;
    return e;
  };

  // 甲: 07:00 in (and a double scan), 11:30 out, 13:00 in, 17:30 out — 9 hours inside.
  Allowed(in, at(a, 7, 0));
  EXPECT_EQ(Answer(in, at(a, 7, 0, 20))["duplicate"], true);
  Allowed(out, at(a, 11, 30));
  Allowed(in, at(a, 13, 0));
  Allowed(out, at(a, 17, 30));
  // 乙 by ID card: 08:00 in, 12:00 out, 12:30 in, 17:00 out by the emergency channel (mode 9).
  Allowed(in, at(0, 8, 0, 0, {{"id_number", d.IdNumberOf(b)}}));
  Allowed(out, at(b, 12, 0));
  Allowed(in, at(b, 12, 30));
  const json emergency = Answer(
      out,
      at(b, 17, 0, 0, {{"pass_mode", 9}, {"operator", "王保安"}, {"operator_reason", "消防演练"}}));
  EXPECT_EQ(emergency["decision"], "allow") << emergency.dump();
  // 丙 is turned away: denied passes are no attendance.
  EXPECT_EQ(Denied(in, at(untrained, 8, 10)), Strings{"training_missing"});

  const json sheet = Get("/api/v1/projects/GA/attendance?date=" + day.date.ToString());
  EXPECT_EQ(sheet["project_code"], "GA");
  EXPECT_EQ(sheet["date"], day.date.ToString());
  EXPECT_EQ(sheet["present"], 2);
  EXPECT_EQ(sheet["enrolled"], 4);
  EXPECT_DOUBLE_EQ(sheet.value("hours", 0.0), 17.5);
  ASSERT_EQ(sheet["items"].size(), 2u) << sheet.dump();
  const json& ja = sheet["items"][0];
  EXPECT_EQ(ja["person_id"], a);
  EXPECT_EQ(ja["name"], "甲");
  EXPECT_NE(ja.value("id_number", "").find("****"), std::string::npos);
  EXPECT_EQ(ja["first_in"], day.Text(7, 0));
  EXPECT_EQ(ja["last_out"], day.Text(17, 30));
  EXPECT_DOUBLE_EQ(ja.value("hours", 0.0), 9.0);
  EXPECT_EQ(ja["passes"], 4);
  EXPECT_EQ(ja["duplicates"], 1);
  EXPECT_EQ(ja["exceptional"], 0);
  EXPECT_EQ(ja["missing_out"], false);
  EXPECT_EQ(ja["auto_clocked_out"], false);
  EXPECT_EQ(ja["work_type"], "020");
  EXPECT_EQ(ja["team"], "班组GA");
  const json& jb = sheet["items"][1];
  EXPECT_EQ(jb["person_id"], b);
  EXPECT_EQ(jb["first_in"], day.Text(8, 0));
  EXPECT_EQ(jb["last_out"], day.Text(17, 0));
  EXPECT_DOUBLE_EQ(jb.value("hours", 0.0), 8.5);
  EXPECT_EQ(jb["passes"], 4);
  EXPECT_EQ(jb["duplicates"], 0);
  EXPECT_EQ(jb["exceptional"], 1);

  // Another day is empty; bad input is refused.
  const json before = Get("/api/v1/projects/GA/attendance?date=" + day.date.AddDays(-1).ToString());
  EXPECT_EQ(before["present"], 0);
  EXPECT_EQ(before["items"], json::array());
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/GA/attendance?date=2026-13-01").status, 400);
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/NOPE/attendance").status, 404);
  EXPECT_EQ(server_.Api("GET", "/api/v1/projects/GA/attendance").status, 200);  // today
}

std::string QueryTime(std::int64_t ms) {
  std::string text = FormatRfc3339(ms);
  const size_t plus = text.find('+');
  if (plus != std::string::npos) text.replace(plus, 1, "%2B");
  return text;
}

TEST_F(GateTest, TrajectoryAcrossProjectsInTimeOrder) {
  District d(server_);
  d.Project("GA");
  d.Project("GB");
  const Device ga = d.AddDevice("GA", "GA-BOTH", "both");
  const Device gb = d.AddDevice("GB", "GB-BOTH", "both");
  const std::int64_t t = d.GoodWorker("流动工", {"GA", "GB"});
  const std::int64_t other = d.GoodWorker("别人", {"GA"});
  const PastDay day;
  int n = 0;
  auto at = [&](std::int64_t person, int h, int m, const char* dir) {
    return json{{"event_id", "t" + std::to_string(++n)},
                {"time", day.Text(h, m)},
                {"person_id", person},
                {"direction", dir}};
  };
  // Posted out of time order: GB's passes arrive before GA's earlier ones.
  Allowed(gb, at(t, 10, 0, "in"));
  Allowed(gb, at(t, 12, 0, "out"));
  Allowed(ga, at(t, 8, 0, "in"));
  Allowed(ga, at(other, 8, 30, "in"));
  Allowed(ga, at(t, 9, 0, "out"));
  Allowed(ga, at(t, 13, 0, "in"));
  EXPECT_EQ(Denied(ga, at(t, 13, 30, "in")), Strings{"anti_passback"});

  const std::string base = "/api/v1/persons/" + std::to_string(t) + "/trajectory";
  const json all = Get(base + "?from=" + day.date.ToString() + "&to=" + day.date.ToString());
  EXPECT_EQ(all["person_id"], t);
  const json& items = all["items"];
  ASSERT_EQ(items.size(), 6u) << all.dump();
  const std::vector<std::tuple<int, int, const char*, const char*, const char*>> expected = {
      {8, 0, "GA", "in", "allow"},   {9, 0, "GA", "out", "allow"}, {10, 0, "GB", "in", "allow"},
      {12, 0, "GB", "out", "allow"}, {13, 0, "GA", "in", "allow"}, {13, 30, "GA", "in", "deny"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [h, m, project, direction, decision] = expected[i];
    EXPECT_EQ(items[i]["time"], day.Text(h, m)) << i;
    EXPECT_EQ(items[i]["project_code"], project) << i;
    EXPECT_EQ(items[i]["project_name"], std::string("工地") + project) << i;
    EXPECT_EQ(items[i]["direction"], direction) << i;
    EXPECT_EQ(items[i]["decision"], decision) << i;
    EXPECT_EQ(items[i]["device_serial"], std::string(project) + "-BOTH") << i;
    EXPECT_EQ(items[i]["identified_by"], "terminal") << i;
  }
  EXPECT_EQ(items[5]["reasons"], json({"anti_passback"}));
  EXPECT_DOUBLE_EQ(items[0].value("lat", 0.0), 30.5);

  // from/to as instants: from is inclusive, and so is to (as documented for the parameter).
  json part = Get(base + "?from=" + QueryTime(day.At(9, 30)) + "&to=" + QueryTime(day.At(12, 30)));
  ASSERT_EQ(part["items"].size(), 2u) << part.dump();
  EXPECT_EQ(part["items"][0]["time"], day.Text(10, 0));
  EXPECT_EQ(part["items"][1]["time"], day.Text(12, 0));
  part = Get(base + "?from=" + QueryTime(day.At(10, 0)) + "&to=" + QueryTime(day.At(12, 0)));
  EXPECT_EQ(part["items"].size(), 2u) << part.dump();
  part = Get(base + "?from=" + QueryTime(day.At(13, 0)));
  EXPECT_EQ(part["items"].size(), 2u) << part.dump();
  part = Get(base + "?to=" + QueryTime(day.At(8, 59)));
  EXPECT_EQ(part["items"].size(), 1u) << part.dump();
  EXPECT_EQ(Get(base)["items"].size(), 6u);  // default: the last 30 days
  const std::string next_day = day.date.AddDays(1).ToString();
  EXPECT_EQ(Get(base + "?from=" + next_day + "&to=" + next_day)["items"], json::array());
  EXPECT_EQ(Get("/api/v1/persons/" + std::to_string(other) + "/trajectory")["items"].size(), 1u);

  EXPECT_EQ(server_
                .Api("GET", base + "?from=" + day.date.AddDays(2).ToString() +
                                "&to=" + day.date.ToString())
                .status,
            400);
  EXPECT_EQ(server_.Api("GET", base + "?from=2026-03-02T07:31:05").status, 400);  // no offset
  EXPECT_EQ(server_.Api("GET", "/api/v1/persons/999999/trajectory").status, 404);
}

// ------------------------------------------------------------------------------------ head-count

struct GateDevice {
  std::string project;
  std::string direction;  // in, out, both
  Device device;
};

// The expected gate state of one (project, person): inside, and the last pass that counted.
struct Standing {
  bool inside = false;
  bool has_last = false;
  std::int64_t last_ms = 0;
  bool last_in = false;
};

TEST_F(GateTest, HeadCountMatchesTheEventLogAndSurvivesRestart) {
  District d(server_);
  const Strings projects = {"GA", "GB"};
  for (const auto& p : projects)
    d.Project(p);
  std::vector<GateDevice> gates;
  for (const auto& p : projects) {
    for (const char* dir : {"in", "out", "both"})
      gates.push_back({p, dir, d.AddDevice(p, p + "-" + dir, dir)});
  }
  constexpr int kPersons = 50;
  constexpr int kTrained = 45;  // the other five are turned away (training_missing)
  Ids persons;
  for (int i = 0; i < kPersons; ++i) {
    if (i < kTrained) {
      persons.push_back(d.GoodWorker("工" + std::to_string(i), projects));
    } else {
      persons.push_back(d.Person("新" + std::to_string(i)));
      for (const auto& p : projects)
        d.Worker(p, persons.back(), "020");
    }
  }
  ASSERT_FALSE(HasFailure());

  constexpr int kEvents = 3000;
  EventClock clock(kEvents + 10, 900);
  std::mt19937 rng(20260302);
  std::map<std::pair<std::string, std::int64_t>, Standing> expected;
  int allowed = 0, duplicates = 0, passbacks = 0, mismatches = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < kEvents; ++i) {
    const GateDevice& g = gates[rng() % gates.size()];
    const int who = static_cast<int>(rng() % kPersons);
    const std::int64_t person = persons[who];
    const std::string direction = g.direction != "both" ? g.direction : (rng() % 2 ? "in" : "out");
    const std::int64_t time = clock.Next();
    json event = Event("h" + std::to_string(i), time, person);
    if (g.direction == "both") event["direction"] = direction;

    // The oracle: the rules of api-v1.md with the default policy (60 s duplicate window).
    Standing& s = expected[{g.project, person}];
    const bool entering = direction == "in";
    const bool duplicate = s.has_last && s.last_in == entering && time - s.last_ms < 60'000;
    // Nobody is locked in: on the way out every failing check is only a warning.
    Strings failing;
    if (who >= kTrained) failing.push_back("training_missing");
    if (entering && s.inside && !duplicate) failing.push_back("anti_passback");
    const bool allow = !entering || failing.empty();
    const Strings reasons = allow ? Strings{} : failing;
    const Strings warnings = allow ? failing : Strings{};
    if (allow && !duplicate) s = Standing{entering, true, time, entering};

    const HttpResponse r = Pass(g.device, event);
    ASSERT_EQ(r.status, 200) << i << " " << event.dump() << "\n" << r.Describe();
    const bool ok = r.json["decision"] == (allow ? "allow" : "deny") &&
                    r.json["reasons"] == json(reasons) && r.json["warnings"] == json(warnings) &&
                    r.json["duplicate"] == (allow && duplicate);
    if (!ok && ++mismatches <= 5) {
      ADD_FAILURE() << "event " << i << " " << event.dump() << " on " << g.project << "/"
                    << g.direction << ": expected " << (allow ? "allow" : "deny") << " "
                    << json(reasons).dump() << " duplicate=" << (allow && duplicate) << ", got "
                    << r.json.dump();
    }
    allowed += allow;
    duplicates += allow && duplicate;
    passbacks += !reasons.empty() && reasons.back() == "anti_passback";
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("[gate] %d passes in %.1f s: %d allowed, %d duplicates, %d anti-passback\n", kEvents,
              seconds, allowed, duplicates, passbacks);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(Events(), kEvents);
  // The mix exercised every path.
  EXPECT_GT(duplicates, 10);
  EXPECT_GT(passbacks, 10);

  auto expected_inside = [&](const std::string& project) {
    Ids out;
    for (const auto& [key, s] : expected)
      if (key.first == project && s.inside) out.push_back(key.second);
    std::sort(out.begin(), out.end());
    return out;
  };
  auto check = [&](const char* when) {
    std::int64_t total = 0;
    for (const auto& p : projects) {
      const Ids want = expected_inside(p);
      const json onsite = Get("/api/v1/projects/" + p + "/onsite");
      EXPECT_EQ(onsite["count"], want.size()) << when << " " << p;
      EXPECT_EQ(IdsOf(onsite["persons"]), want) << when << " " << p;
      EXPECT_EQ(RecountInside(server_, p), want) << when << " " << p;
      std::int64_t by_team = 0;
      for (const json& t : onsite["by_team"])
        by_team += t.value("count", std::int64_t{0});
      EXPECT_EQ(by_team, static_cast<std::int64_t>(want.size())) << when << " " << p;
      total += static_cast<std::int64_t>(want.size());
    }
    const json district = Get("/api/v1/onsite");
    EXPECT_EQ(district["total"], total) << when;
  };
  check("after the passes");
  ASSERT_TRUE(server_.Restart());
  check("after a restart");

  // The reloaded state decides like the old one: someone inside cannot enter again.
  for (const auto& p : projects) {
    const Ids inside = expected_inside(p);
    if (inside.empty()) continue;
    const GateDevice& in = p == "GA" ? gates[0] : gates[3];
    EXPECT_EQ(Denied(in.device, Event("after-" + p, clock.Next() + 2 * kMinute, inside.front())),
              Strings{"anti_passback"});
  }
}

// ------------------------------------------------------------------------------------ crash

TEST_F(GateTest, EveryAnsweredEventSurvivesAKill) {
  District d(server_);
  d.Project("GA");
  constexpr int kThreads = 4;
  constexpr int kPersonsPerThread = 6;
  std::vector<Device> devices;
  std::vector<Ids> persons(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    devices.push_back(d.AddDevice("GA", "GA-T" + std::to_string(t), "both"));
    for (int i = 0; i < kPersonsPerThread; ++i)
      persons[t].push_back(
          d.GoodWorker("工" + std::to_string(t) + "-" + std::to_string(i), {"GA"}));
  }
  ASSERT_FALSE(HasFailure());

  struct Answered {
    std::int64_t device;
    std::string event_id;
    std::int64_t seq;
    std::string decision;
  };
  std::mutex mu;
  std::vector<Answered> answered;
  std::vector<std::string> unexpected;
  std::atomic<int> answered_so_far{0};
  EventClock clock(200'000, 1);
  const std::uint16_t port = server_.port();
  const auto deadline = std::chrono::steady_clock::now() + 2500ms;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(port, 3s);
      std::mt19937 rng(t + 1);
      std::vector<Answered> mine;
      for (int i = 0; i < 100'000 && std::chrono::steady_clock::now() < deadline; ++i) {
        const json event =
            Event("c" + std::to_string(t) + "-" + std::to_string(i), clock.Next(),
                  persons[t][rng() % kPersonsPerThread], {{"direction", rng() % 2 ? "in" : "out"}});
        const HttpResponse r =
            client.Request("POST", "/api/v1/gate/events", event.dump(), devices[t].token);
        if (r.status == 0) break;  // the server is gone
        if (r.status != 200) {
          std::lock_guard lock(mu);
          unexpected.push_back(r.Describe());
          continue;
        }
        mine.push_back({devices[t].id, event["event_id"], r.json.value("seq", std::int64_t{0}),
                        r.json.value("decision", "")});
        ++answered_so_far;
      }
      std::lock_guard lock(mu);
      answered.insert(answered.end(), mine.begin(), mine.end());
    });
  }
  // Kill mid-load: once 300 events are answered (or after 2 s at the latest) while the threads go
  // on sending until their deadline. Whether enough were answered is asserted below.
  WaitUntil([&] { return answered_so_far >= 300; }, 2s);
  server_.Kill();
  for (auto& thread : threads)
    thread.join();
  EXPECT_TRUE(unexpected.empty()) << unexpected.size() << " unexpected answers, first: "
                                  << (unexpected.empty() ? "" : unexpected.front());
  std::printf("[gate] %zu events answered before the kill\n", answered.size());
  ASSERT_GT(answered.size(), 20u);

  ASSERT_TRUE(server_.Start(kNoHousekeeping));
  const auto stored = server_.Query(
      "SELECT GROUP_CONCAT(device_id || ':' || event_id || '=' || seq || ':' || decision, ';') "
      "FROM gate_events");
  ASSERT_TRUE(stored.has_value());
  std::map<std::string, std::string> by_key;
  {
    std::stringstream in(*stored);
    std::string item;
    while (std::getline(in, item, ';')) {
      const size_t eq = item.find('=');
      if (eq != std::string::npos) by_key[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  EXPECT_GE(by_key.size(), answered.size());
  int lost = 0;
  for (const Answered& a : answered) {
    const std::string key = std::to_string(a.device) + ":" + a.event_id;
    const std::string want = std::to_string(a.seq) + ":" + a.decision;
    auto it = by_key.find(key);
    if (it == by_key.end() || it->second != want) {
      if (++lost <= 5) {
        ADD_FAILURE() << "answered " << key << " = " << want << " but stored "
                      << (it == by_key.end() ? std::string("nothing") : it->second);
      }
    }
  }
  EXPECT_EQ(lost, 0);

  // The on-site state reloaded from the database agrees with the event log.
  const json onsite = Get("/api/v1/projects/GA/onsite");
  const Ids recount = RecountInside(server_, "GA");
  EXPECT_EQ(onsite["count"], recount.size());
  EXPECT_EQ(IdsOf(onsite["persons"]), recount);
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM onsite WHERE inside = 1"),
            static_cast<std::int64_t>(recount.size()));
}

// ------------------------------------------------------------------------------------ clock-out

// The automatic clock-out runs from the server's housekeeping tick (every 15 s, after 04:00), so
// it cannot be triggered through HTTP in a short test. Instead the stopped server's data
// directory is opened in-process, with the clock-out hour at midnight, and Gate::Tick() is called
// directly; then the server is started again to see the result through the API.
TEST_F(GateTest, AutoClockOutClosesOpenDays) {
  District d(server_);
  d.Project("GA");
  const Device in = d.AddDevice("GA", "GA-IN", "in");
  const Device out = d.AddDevice("GA", "GA-OUT", "out");
  const std::int64_t forgot = d.GoodWorker("忘刷卡", {"GA"});
  const std::int64_t today = d.GoodWorker("今天来", {"GA"});
  const std::int64_t left = d.GoodWorker("已离开", {"GA"});
  const std::int64_t now = NowUnixMs();
  const std::int64_t midnight = (now + kChinaOffset) / kDay * kDay - kChinaOffset;
  const std::string yesterday = TodayInChina().AddDays(-1).ToString();

  Allowed(in, Event("f1", midnight - 14 * kHour, forgot));  // yesterday 10:00, never left
  Allowed(in, Event("l1", midnight - 13 * kHour, left));
  Allowed(out, Event("l2", midnight - 12 * kHour, left));
  Allowed(in, Event("t1", std::max(midnight + kSecond, now - kMinute), today));
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 2);
  ASSERT_EQ(server_.Stop(), 0);

  {
    spdlog::set_level(spdlog::level::warn);
    auto platform = app::Platform::Open(server_.data_dir());
    ASSERT_TRUE(platform.ok()) << platform.status().ToString();
    gate::GateOptions options;
    options.auto_clockout_hour = 0;  // the cutoff is today's midnight: already past
    options.tick_seconds = 3600;     // no housekeeping of its own during the test
    ASSERT_TRUE((*platform)->StartGate(options).ok());
    gate::Gate& gate = *(*platform)->gate();
    auto onsite = gate.Onsite("GA", /*with_persons=*/true);
    ASSERT_TRUE(onsite.ok());
    EXPECT_EQ((*onsite)["count"], 2);
    ASSERT_TRUE(gate.Tick().ok());
    onsite = gate.Onsite("GA", /*with_persons=*/true);
    EXPECT_EQ((*onsite)["count"], 1);
    EXPECT_EQ(IdsOf((*onsite)["persons"]), Ids{today});
    ASSERT_TRUE(gate.Tick().ok());  // once a day
    EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM gate_events WHERE flags & 4"), 1);
  }

  ASSERT_TRUE(server_.Start(kNoHousekeeping));
  const json onsite = Get("/api/v1/projects/GA/onsite");
  EXPECT_EQ(onsite["count"], 1);
  EXPECT_EQ(IdsOf(onsite["persons"]), Ids{today});
  EXPECT_EQ(RecountInside(server_, "GA"), Ids{today});
  const std::string auto_row = "FROM gate_events WHERE flags & 4";
  EXPECT_EQ(server_.Count("SELECT person_id " + auto_row), forgot);
  EXPECT_EQ(server_.Count("SELECT time_ms " + auto_row), midnight);
  EXPECT_EQ(*server_.Query("SELECT local_date " + auto_row), yesterday);  // closes the day in
  EXPECT_EQ(*server_.Query("SELECT direction || ',' || decision || ',' || identified_by || ',' || "
                           "IFNULL(device_id, 'NULL') " +
                           auto_row),
            "out,allow,auto,NULL");
  EXPECT_EQ(server_.Count("SELECT auto_clocked_out FROM onsite WHERE person_id = " +
                          std::to_string(forgot)),
            1);

  const json sheet = Get("/api/v1/projects/GA/attendance?date=" + yesterday);
  ASSERT_EQ(sheet["items"].size(), 2u) << sheet.dump();
  const json& item =
      sheet["items"][0]["person_id"] == forgot ? sheet["items"][0] : sheet["items"][1];
  EXPECT_EQ(item["auto_clocked_out"], true) << item.dump();
  EXPECT_EQ(item["missing_out"], true);
  EXPECT_EQ(item["passes"], 1);
  EXPECT_EQ(item["first_in"], FormatRfc3339(midnight - 14 * kHour));
  const json trajectory =
      Get("/api/v1/persons/" + std::to_string(forgot) + "/trajectory?from=" + yesterday);
  ASSERT_EQ(trajectory["items"].size(), 2u) << trajectory.dump();
  EXPECT_EQ(trajectory["items"][1]["auto_clock_out"], true);
  EXPECT_EQ(trajectory["items"][1]["direction"], "out");
  EXPECT_EQ(trajectory["items"][1]["identified_by"], "auto");
  EXPECT_TRUE(trajectory["items"][1]["device_id"].is_null());

  // An offline terminal's late replay from before the clock-out is history: allowed, flagged,
  // and it moves nobody. The next real pass is an ordinary in, not a passback.
  const json late = Answer(in, Event("f2", midnight - 13 * kHour, forgot));
  EXPECT_EQ(late["decision"], "allow") << late.dump();
  EXPECT_EQ(server_.Count("SELECT flags & 8 FROM gate_events WHERE event_id = 'f2'"), 8);
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 1);
  Allowed(in, Event("f3", now - 30 * kSecond, forgot));
  EXPECT_EQ(Get("/api/v1/projects/GA/onsite")["count"], 2);
  EXPECT_EQ(RecountInside(server_, "GA"), (Ids{forgot, today}));
}

// ------------------------------------------------------------------------------------ devices

TEST_F(GateTest, HeartbeatRecordsLastSeenAndClockOffset) {
  District d(server_);
  d.Project("GA");
  const Device dev = d.AddDevice("GA", "GA-HB", "in");
  const Device idle = d.AddDevice("GA", "GA-IDLE", "out");
  auto device = [&](std::int64_t id) {
    const json list = Get("/api/v1/projects/GA/devices");
    for (const json& item : list["items"])
      if (item["id"] == id) return item;
    ADD_FAILURE() << "device " << id << " not listed: " << list.dump();
    return json::object();
  };
  json listed = device(dev.id);
  EXPECT_EQ(listed["serial"], "GA-HB");
  EXPECT_EQ(listed["direction"], "in");
  EXPECT_EQ(listed["zone"], "东门");
  EXPECT_EQ(listed["enabled"], true);
  EXPECT_EQ(listed["online"], false);
  EXPECT_TRUE(listed["last_seen_at"].is_null());
  EXPECT_EQ(listed["clock_skew"], false);
  EXPECT_FALSE(listed.contains("token"));

  auto beat = [&](const json& body) {
    return server_.Request("POST", "/api/v1/gate/heartbeat", body.dump(), dev.token);
  };
  // A device clock 10 minutes ahead.
  HttpResponse r = beat({{"person_count", 120},
                         {"face_count", 118},
                         {"firmware", "uface-2.4.1"},
                         {"device_time", FormatRfc3339(NowUnixMs() + 10 * kMinute)}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_NEAR(r.json.value("clock_offset_ms", 0.0), 10.0 * kMinute, 5000.0);
  EXPECT_EQ(r.json["clock_skew"], true);
  EXPECT_TRUE(r.json.contains("server_time"));
  listed = device(dev.id);
  EXPECT_EQ(listed["online"], true);
  EXPECT_FALSE(listed["last_seen_at"].is_null());
  EXPECT_EQ(listed["clock_skew"], true);
  EXPECT_NEAR(listed.value("clock_offset_ms", 0.0), 10.0 * kMinute, 5000.0);
  EXPECT_EQ(listed["firmware"], "uface-2.4.1");
  EXPECT_EQ(listed["person_count"], 120);
  EXPECT_EQ(listed["face_count"], 118);
  EXPECT_EQ(device(idle.id)["online"], false);

  // Without device_time the last known offset stays; a right clock clears the skew; a clock
  // behind (written in UTC) is a skew too.
  r = beat(json::object());
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_TRUE(r.json["clock_offset_ms"].is_null());
  EXPECT_EQ(device(dev.id)["clock_skew"], true);
  EXPECT_EQ(device(dev.id)["person_count"], 120);
  r = beat({{"device_time", FormatRfc3339(NowUnixMs())}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["clock_skew"], false);
  listed = device(dev.id);
  EXPECT_EQ(listed["clock_skew"], false);
  EXPECT_NEAR(listed.value("clock_offset_ms", 1e9), 0.0, 5000.0);
  r = beat({{"device_time", FormatRfc3339(NowUnixMs() - 7 * kMinute, 0)}});
  ASSERT_EQ(r.status, 200) << r.Describe();
  EXPECT_EQ(r.json["clock_skew"], true);
  EXPECT_NEAR(r.json.value("clock_offset_ms", 0.0), -7.0 * kMinute, 5000.0);

  // Malformed heartbeats change nothing.
  const std::string before =
      server_.Query("SELECT last_seen_at FROM devices WHERE id = " + std::to_string(dev.id))
          .value_or("");
  EXPECT_EQ(beat({{"device_time", "2026-03-02T07:31:05"}}).status, 400);
  EXPECT_EQ(beat({{"person_count", -1}}).status, 400);
  EXPECT_EQ(beat({{"personCount", 1}}).status, 400);
  EXPECT_EQ(server_.Query("SELECT last_seen_at FROM devices WHERE id = " + std::to_string(dev.id))
                .value_or(""),
            before);

  // Disabled devices are listed as such, and their passes are denied.
  d.Post("/api/v1/devices/" + std::to_string(idle.id) + "/disable", json::object(), 200);
  EXPECT_EQ(device(idle.id)["enabled"], false);
  d.Post("/api/v1/devices/" + std::to_string(idle.id) + "/enable", json::object(), 200);
  EXPECT_EQ(device(idle.id)["enabled"], true);
  EXPECT_EQ(server_.Api("POST", "/api/v1/devices/999999/disable").status, 404);
  // Serials are unique; directions are in, out or both.
  EXPECT_EQ(
      server_.Api("POST", "/api/v1/projects/GA/devices", R"({"serial":"GA-HB","direction":"in"})")
          .status,
      409);
  EXPECT_EQ(
      server_.Api("POST", "/api/v1/projects/GA/devices", R"({"serial":"X1","direction":"up"})")
          .status,
      400);
  EXPECT_EQ(
      server_.Api("POST", "/api/v1/projects/NOPE/devices", R"({"serial":"X2","direction":"in"})")
          .status,
      404);
}

// ------------------------------------------------------------------------------------ live feed

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;

// A WebSocket client for the live feed; every operation is bounded in time.
class LiveClient {
 public:
  bool Connect(std::uint16_t port, const std::string& target, std::string* error) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    beast::get_lowest_layer(ws_).async_connect(endpoint, [this](beast::error_code ec) {
      ec_ = ec;
      done_ = true;
    });
    if (!Await(5s)) return Fail(error, "connect timed out");
    if (ec_) return Fail(error, "connect: " + ec_.message());
    ws_.async_handshake("127.0.0.1:" + std::to_string(port), target, [this](beast::error_code ec) {
      ec_ = ec;
      done_ = true;
    });
    if (!Await(5s)) return Fail(error, "handshake timed out");
    if (ec_) return Fail(error, "handshake: " + ec_.message());
    open_ = true;
    return true;
  }

  // The next message as JSON, or nullopt after `timeout`.
  std::optional<json> Read(std::chrono::milliseconds timeout = 5000ms) {
    if (!open_) return std::nullopt;
    ws_.async_read(buffer_, [this](beast::error_code ec, std::size_t) {
      ec_ = ec;
      done_ = true;
    });
    if (!Await(timeout) || ec_) {
      open_ = false;
      return std::nullopt;
    }
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    return json::parse(text, nullptr, false);
  }

  void Close() {
    if (!open_) return;
    open_ = false;
    ws_.async_close(websocket::close_code::normal, [this](beast::error_code ec) {
      ec_ = ec;
      done_ = true;
    });
    Await(2s);
  }

 private:
  // Runs until the pending operation completed; on timeout cancels it and waits for the abort.
  bool Await(std::chrono::milliseconds timeout) {
    done_ = false;
    ioc_.restart();
    ioc_.run_for(timeout);
    if (done_) return true;
    beast::get_lowest_layer(ws_).socket().cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    ioc_.restart();
    ioc_.run_for(2s);
    return false;
  }
  bool Fail(std::string* error, std::string message) {
    *error = std::move(message);
    return false;
  }

  net::io_context ioc_;
  websocket::stream<beast::tcp_stream> ws_{ioc_};
  beast::flat_buffer buffer_;
  beast::error_code ec_;
  bool done_ = false;
  bool open_ = false;
};

TEST_F(GateTest, LiveFeedPublishesEachDecision) {
  District d(server_);
  d.Project("GA");
  d.Project("GB");
  const Device ga = d.AddDevice("GA", "GA-IN", "in");
  const Device gb = d.AddDevice("GB", "GB-IN", "in");
  const std::int64_t w = d.GoodWorker("钢筋工", {"GA"});
  const std::int64_t v = d.GoodWorker("木工", {"GB"});
  const std::string token = server_.token();

  std::string error;
  LiveClient feed_a, feed_b, district;
  ASSERT_TRUE(
      feed_a.Connect(server_.port(), "/api/v1/projects/GA/live?access_token=" + token, &error))
      << error;
  ASSERT_TRUE(
      feed_b.Connect(server_.port(), "/api/v1/projects/GB/live?access_token=" + token, &error))
      << error;
  ASSERT_TRUE(district.Connect(server_.port(), "/api/v1/live?access_token=" + token, &error))
      << error;
  LiveClient bad, device;
  EXPECT_FALSE(bad.Connect(
      server_.port(), "/api/v1/projects/GA/live?access_token=" + std::string(64, 'a'), &error));
  EXPECT_FALSE(
      device.Connect(server_.port(), "/api/v1/projects/GA/live?access_token=" + ga.token, &error));
  ASSERT_TRUE(WaitForLiveSubscriptions(3)) << "the three feeds were not subscribed within 10 s";

  EventClock clock(10, kMinute);
  const json first = Answer(ga, Event("l1", clock.Next(), w, {{"score", 0.88}}));
  ASSERT_EQ(first["decision"], "allow") << first.dump();
  auto message = feed_a.Read();
  ASSERT_TRUE(message.has_value()) << "no live message for GA";
  EXPECT_EQ((*message)["type"], "pass") << message->dump();
  EXPECT_EQ((*message)["person_id"], w);
  EXPECT_EQ((*message)["onsite_count"], 1);
  EXPECT_EQ((*message)["project_code"], "GA");
  EXPECT_EQ((*message)["decision"], "allow");
  EXPECT_EQ((*message)["seq"], first["seq"]);
  EXPECT_EQ((*message)["event_id"], "l1");
  EXPECT_EQ((*message)["name"], "钢筋工");

  // GB's feed gets GB's pass first: GA's did not go there.
  Allowed(gb, Event("l2", clock.Next(), v));
  message = feed_b.Read();
  ASSERT_TRUE(message.has_value()) << "no live message for GB";
  EXPECT_EQ((*message)["person_id"], v) << message->dump();
  EXPECT_EQ((*message)["project_code"], "GB");
  EXPECT_EQ((*message)["onsite_count"], 1);
  // The district feed gets both, in order.
  message = district.Read();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["event_id"], "l1") << message->dump();
  message = district.Read();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["event_id"], "l2") << message->dump();

  // A replay publishes nothing; a deny is published with its reasons.
  EXPECT_EQ(Answer(ga, Event("l1", clock.Next(), w))["replayed"], true);
  EXPECT_EQ(Denied(ga, Event("l3", clock.Next(), w)), Strings{"anti_passback"});
  message = feed_a.Read();
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ((*message)["event_id"], "l3") << message->dump();
  EXPECT_EQ((*message)["decision"], "deny");
  EXPECT_EQ((*message)["reasons"], json({"anti_passback"}));
  EXPECT_EQ((*message)["onsite_count"], 1);

  feed_a.Close();
  feed_b.Close();
  district.Close();
}

// A site manager's district feed carries their projects' passes only, and another project's
// feed is out of reach (404, no upgrade).
TEST_F(GateTest, LiveFeedOfASiteManagerCarriesOnlyTheirProjects) {
  District d(server_);
  d.Project("GA");
  d.Project("GB");
  const Device ga = d.AddDevice("GA", "GA-IN", "in");
  const Device gb = d.AddDevice("GB", "GB-IN", "in");
  const std::int64_t w = d.GoodWorker("钢筋工", {"GA"});
  const std::int64_t v = d.GoodWorker("木工", {"GB"});
  ASSERT_EQ(server_
                .Api("POST", "/api/v1/users",
                     json{{"name", "ga.site"},
                          {"password", "Live-Feed-2026"},
                          {"role", "site_manager"},
                          {"projects", {"GA"}}}
                         .dump())
                .status,
            201);
  const HttpResponse login = server_.Request(
      "POST", "/api/v1/sessions", json{{"name", "ga.site"}, {"password", "Live-Feed-2026"}}.dump(),
      std::nullopt);
  ASSERT_EQ(login.status, 201) << login.Describe();
  const std::string token = login.json.value("token", "");

  std::string error;
  LiveClient district, other;
  ASSERT_TRUE(district.Connect(server_.port(), "/api/v1/live?access_token=" + token, &error))
      << error;
  EXPECT_FALSE(
      other.Connect(server_.port(), "/api/v1/projects/GB/live?access_token=" + token, &error));
  ASSERT_TRUE(WaitForLiveSubscriptions(1)) << "the feed was not subscribed within 10 s";

  EventClock clock(10, kMinute);
  Allowed(gb, Event("m1", clock.Next(), v));
  Allowed(ga, Event("m2", clock.Next(), w));
  auto message = district.Read();
  ASSERT_TRUE(message.has_value()) << "no live message";
  EXPECT_EQ((*message)["event_id"], "m2") << "GB's pass reached GA's manager: " << message->dump();
  EXPECT_EQ((*message)["project_code"], "GA");
  district.Close();
  EXPECT_EQ(server_.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'live.subscribe' AND "
                          "actor = 'ga.site'"),
            1);
}

}  // namespace
}  // namespace zhizhi::e2e
