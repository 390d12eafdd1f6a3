// Work orders, their deadlines and the five-colour warning over a real database and the real
// gazetteer: the life cycle as a grid worker and a dispatcher live it, actions out of order and
// hostile photos, deadlines across holidays and a restart (escalation fires once), alerts
// becoming orders and closing them, and the warning going red and back to green.
#include <sodium.h>

#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "alerts/alert_book.h"
#include "base/base64.h"
#include "base/civil_time.h"
#include "dispatch/notifier.h"
#include "dispatch/work_calendar.h"
#include "dispatch/work_orders.h"
#include "registry/rulebook.h"
#include "security/field_cipher.h"
#include "testkit/scratch_database.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::dispatch {
namespace {

using nlohmann::json;

std::int64_t At(const char* rfc3339) {
  return Timestamp::ParseRfc3339(rfc3339, "t").value().unix_ms;
}

class DispatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto scratch = testkit::ScratchDatabase::Open("dispatch");
    ASSERT_TRUE(scratch.ok()) << scratch.status().ToString();
    scratch_ = std::move(*scratch);
    addresses_ = std::make_unique<address::AddressService>(&db(), "");
    areas_ = std::make_unique<warning::Areas>(&db(), addresses_.get(), "330114");
    ASSERT_TRUE(areas_->Load().ok());
    auto seeded = areas_->SeedFromGazetteer();
    ASSERT_TRUE(seeded.ok()) << seeded.status().ToString();
    ASSERT_GE(*seeded, 7 + 100);  // 7 streets and their communities
    street_ = areas_->tree()->OfLevel(warning::Level::kStreet).front()->code;
    community_ = areas_->tree()->Find(street_)->children.front();
    grid_ = community_ + "01";
    ASSERT_TRUE(areas_
                    ->CreateGrid({{"code", grid_},
                                  {"name", "第1网格"},
                                  {"parent", community_},
                                  {"lat", 30.31},
                                  {"lng", 120.34}},
                                 "test")
                    .ok());
    warning::WarningOptions wo;
    wo.clock = clock_.AsClock();
    warning_ =
        std::make_unique<warning::Warning>(&db(), areas_.get(), &warning::Rulebook::Default(), wo);
    worker_ = AddUser("g.one", "grid_worker", grid_, 30.3101, 120.3401);
    far_worker_ = AddUser("g.far", "grid_worker", grid_, 30.40, 120.60);
    Reopen();
  }

  void Reopen() {
    orders_.reset();
    WorkOrderOptions o;
    o.clock = clock_.AsClock();
    orders_ = std::make_unique<WorkOrders>(&db(), &audit_, areas_.get(), warning_.get(),
                                           &DispatchRules::Default(), &WorkCalendar::Default(), o);
  }

  store::Database& db() { return scratch_->db(); }

  security::Principal AddUser(const std::string& name, const std::string& role,
                              const std::string& area, double lat, double lng) {
    security::Principal p;
    p.name = name;
    p.role = role;
    p.rights = security::RightsOfRole(role);
    p.all_projects = security::RoleSeesAllProjects(role);
    EXPECT_TRUE(db().Write([&](store::Connection& conn) -> Status {
                      ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO users(name, password_hash, "
                                                      "role, created_at, password_changed_at) "
                                                      "VALUES (?, 'x', ?, 0, 0)")
                                             .Bind(1, name)
                                             .Bind(2, role)
                                             .Run());
                      p.user_id = conn.LastInsertRowId();
                      ZZ_RETURN_IF_ERROR(
                          conn.Prepare("INSERT INTO user_areas(user_id, area_code) VALUES (?,?)")
                              .Bind(1, p.user_id)
                              .Bind(2, area)
                              .Run());
                      return conn
                          .Prepare(
                              "INSERT INTO duty(user_id, on_duty, lat, lng, updated_at) "
                              "VALUES (?,1,?,?,0)")
                          .Bind(1, p.user_id)
                          .Bind(2, lat)
                          .Bind(3, lng)
                          .Run();
                    })
                    .ok());
    return p;
  }

  security::Actor ActorOf(const security::Principal& p) {
    security::Actor a;
    a.name = p.name;
    a.role = p.role;
    a.user_id = p.user_id;
    return a;
  }

  json Create(json body) {
    auto made = orders_->Create(body, security::Actor::Command("dispatcher"));
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    return made.ok() ? *made : json();
  }

  Result<json> Act(std::int64_t id, const char* action, json body, const security::Principal& who) {
    return orders_->Act(id, action, body, who, ActorOf(who));
  }

  std::int64_t Steps(std::int64_t id) {
    auto n = db().Read([&](store::Connection& conn) -> Result<std::int64_t> {
      auto s = conn.Prepare("SELECT COUNT(*) FROM work_order_steps WHERE order_id = ?");
      s.Bind(1, id);
      if (!s.Step()) return s.status();
      return s.Int(0);
    });
    return n.ok() ? *n : -1;
  }

  // An overcrowded rental in the community (a house entity and its orange alert), inside a write
  // job; returns the alert's id.
  Result<std::int64_t> RaiseOvercrowded(store::Connection& conn, const std::string& key) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO entities(kind, golden, village, records, "
                                    "members, updated_at) VALUES ('house', '{}', ?, 1, x'', 0)")
                           .Bind(1, community_)
                           .Run());
    alerts::AlertDraft d;
    d.type = alerts::type::kHouseOvercrowded;
    d.key = key;
    d.severity = "orange";
    d.subject_kind = "house";
    d.subject_id = std::to_string(conn.LastInsertRowId());
    d.message = "出租房人均面积不足";
    ZZ_RETURN_IF_ERROR(alerts::AlertBook::Raise(conn, d, clock_.now_ms()));
    auto id = conn.Prepare("SELECT id FROM alerts WHERE alert_key = ?");
    id.Bind(1, d.key);
    if (!id.Step()) return Status::Internal("the alert was not raised");
    return id.Int(0);
  }

  std::string Colour(const std::string& code) {
    auto done = warning_->Recompute();
    EXPECT_TRUE(done.ok()) << done.status().ToString();
    return warning_->ColourOf(code);
  }

  ManualClock clock_{At("2026-03-02T09:00:00+08:00")};
  security::FieldCipher cipher_ =
      security::FieldCipher::FromMasterKey(security::FieldCipher::GenerateKey());
  security::AuditLog audit_{&cipher_};
  std::unique_ptr<testkit::ScratchDatabase> scratch_;
  std::unique_ptr<address::AddressService> addresses_;
  std::unique_ptr<warning::Areas> areas_;
  std::unique_ptr<warning::Warning> warning_;
  std::unique_ptr<WorkOrders> orders_;
  std::string street_, community_, grid_;
  security::Principal worker_, far_worker_;
  security::Principal dispatcher_ = security::Principal::System("dispatcher");
};

const std::string kPng = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(64, 'x');

TEST_F(DispatchTest, AnOrderGoesToTheNearestWorkerAndTheAreaTurnsRedThenGreen) {
  EXPECT_EQ(Colour(community_), "green");
  const json order = Create({{"title", "群租房消防通道堵塞"},
                             {"category", "rental_safety"},
                             {"area_code", grid_},
                             {"source", "manual"},
                             {"priority", "red"},
                             {"lat", 30.3102},
                             {"lng", 120.3402}});
  ASSERT_EQ(order["status"], "assigned");
  EXPECT_EQ(order["assignee"], "g.one");  // the nearer of the two on duty
  // rental_safety: 3 working days from Monday 2026-03-02 → the end of Thursday.
  EXPECT_EQ(order["due_at"], "2026-03-06T00:00:00+08:00");
  const std::int64_t id = order["id"];

  EXPECT_EQ(Colour(grid_), "red");
  EXPECT_EQ(Colour(community_), "red");
  EXPECT_EQ(Colour(street_), "red");
  auto detail = warning_->Detail(community_);
  ASSERT_TRUE(detail.ok());
  ASSERT_FALSE((*detail)["reasons"].empty());
  EXPECT_EQ((*detail)["reasons"][0]["indicator"], "cases_red");
  EXPECT_EQ((*detail)["reasons"][0]["examples"][0]["id"], id);

  ASSERT_TRUE(Act(id, "accept", {{"client_id", "c1"}}, worker_).ok());
  auto reported =
      Act(id, "report",
          {{"note", "已清理通道"},
           {"photo", {{"media_type", "image/png"}, {"content_base64", EncodeBase64(kPng)}}}},
          worker_);
  ASSERT_TRUE(reported.ok()) << reported.status().ToString();
  EXPECT_EQ((*reported)["status"], "reported");
  ASSERT_TRUE(Act(id, "finish", {{"note", "整改完毕"}}, worker_).ok());
  EXPECT_EQ(Colour(community_), "red");  // finished, not yet closed by the command centre
  auto closed = Act(id, "close", json::object(), dispatcher_);
  ASSERT_TRUE(closed.ok()) << closed.status().ToString();
  EXPECT_EQ((*closed)["status"], "closed");
  EXPECT_EQ(Colour(community_), "green");

  auto full = orders_->Get(id);
  ASSERT_TRUE(full.ok());
  std::vector<std::string> actions;
  for (const json& step : (*full)["history"])
    actions.push_back(step["action"]);
  EXPECT_EQ(actions,
            (std::vector<std::string>{"create", "assign", "accept", "report", "finish", "close"}));
  ASSERT_EQ((*full)["photos"].size(), 1u);
  auto photo = orders_->Photo(id, (*full)["photos"][0]["id"]);
  ASSERT_TRUE(photo.ok());
  EXPECT_EQ(photo->first, "image/png");
  EXPECT_EQ(photo->second, kPng);

  auto history = warning_->Detail(community_);
  ASSERT_TRUE(history.ok());
  ASSERT_GE((*history)["history"].size(), 2u);
  EXPECT_EQ((*history)["history"][0]["colour"], "green");
  EXPECT_EQ((*history)["history"][0]["previous"], "red");
}

TEST_F(DispatchTest, ActionsOutOfOrderOrByOthersChangeNothing) {
  const json order = Create({{"title", "t"},
                             {"category", "other"},
                             {"area_code", grid_},
                             {"source", "manual"},
                             {"assignee", "g.one"}});
  const std::int64_t id = order["id"];
  const std::int64_t steps = Steps(id);

  auto early = Act(id, "finish", {{"note", "done"}}, worker_);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.status().code(), "invalid_transition");
  auto other = Act(id, "accept", json::object(), far_worker_);  // not theirs: as if absent
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().kind(), StatusKind::kNotFound);
  auto close_early = Act(id, "close", json::object(), dispatcher_);
  EXPECT_EQ(close_early.status().code(), "invalid_transition");
  EXPECT_EQ(Steps(id), steps);

  ASSERT_TRUE(Act(id, "accept", {{"client_id", "phone-1"}}, worker_).ok());
  auto again = Act(id, "accept", {{"client_id", "phone-1"}}, worker_);  // the queue resent it
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->value("replayed", false));
  EXPECT_EQ(Steps(id), steps + 1);

  const auto photo = [](const std::string& bytes, const char* type) {
    return json{{"photo", {{"media_type", type}, {"content_base64", EncodeBase64(bytes)}}}};
  };
  auto gif = Act(id, "report", photo("GIF89a" + std::string(40, 'x'), "image/gif"), worker_);
  EXPECT_EQ(gif.status().code(), "unsupported_image");
  auto lying = Act(id, "report", photo(kPng, "image/jpeg"), worker_);
  EXPECT_EQ(lying.status().code(), "unsupported_image");
  auto huge = Act(id, "report", photo(kPng + std::string(800 << 10, 'x'), "image/png"), worker_);
  EXPECT_EQ(huge.status().kind(), StatusKind::kTooLarge);
  auto empty = Act(id, "report", json::object(), worker_);
  EXPECT_FALSE(empty.ok());
  auto unknown = Act(id, "report", {{"note", "x"}, {"colour", "red"}}, worker_);
  EXPECT_EQ(unknown.status().field(), "colour");
  EXPECT_EQ(Steps(id), steps + 1);
  auto finish_bare = Act(id, "finish", json::object(), worker_);
  EXPECT_EQ(finish_bare.status().code(), "evidence_needed");
  EXPECT_EQ(Steps(id), steps + 1);
}

TEST_F(DispatchTest, DeadlinesCountWorkingDaysAndEscalateOnceAcrossARestart) {
  // residence: 5 working days from 2026-09-30 — Oct 1–7 are the National Day holiday, Oct 10
  // (Saturday) is worked: Oct 8, 9, 10, 12, 13.
  clock_.Set(At("2026-09-30T10:00:00+08:00"));
  const json order = Create({{"title", "居住登记逾期"},
                             {"category", "residence"},
                             {"area_code", community_},
                             {"source", "manual"}});
  EXPECT_EQ(order["due_at"], "2026-10-14T00:00:00+08:00");
  const std::int64_t id = order["id"];

  clock_.Set(At("2026-10-13T23:59:00+08:00"));
  auto before = orders_->Tick();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0);
  clock_.Set(At("2026-10-14T00:00:01+08:00"));
  auto due = orders_->Tick();
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, 1);
  EXPECT_EQ(Colour(community_), "orange");  // one overdue order
  Reopen();  // a restart: the deadline and the escalation are in the database
  clock_.Advance(86'400'000);
  auto after = orders_->Tick();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0);
  auto again = orders_->Get(id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["due_at"], "2026-10-14T00:00:00+08:00");
  int escalations = 0;
  for (const json& step : (*again)["history"])
    escalations += step["action"] == "escalate";
  EXPECT_EQ(escalations, 1);
  EXPECT_TRUE((*again)["overdue"].get<bool>());
  // Fire: 2 hours, not working days (a Saturday evening).
  clock_.Set(At("2026-10-17T21:00:00+08:00"));
  const json fire = Create({{"title", "电气火灾隐患"},
                            {"category", "fire"},
                            {"area_code", community_},
                            {"source", "manual"}});
  EXPECT_EQ(fire["due_at"], "2026-10-17T23:00:00+08:00");
  // Fire goes to its department, not to a grid worker on duty.
  EXPECT_EQ(fire["status"], "received");
  EXPECT_EQ(fire["department"], "fire");
}

TEST_F(DispatchTest, AnAlertBecomesAnOrderByRuleAndClosingItResolvesTheAlert) {
  std::int64_t alert = 0;
  ASSERT_TRUE(db().Write([&](store::Connection& conn) -> Status {
                    ZZ_ASSIGN_OR_RETURN(alert, RaiseOvercrowded(conn, "house_overcrowded:1"));
                    return Status::Ok();
                  })
                  .ok());
  EXPECT_EQ(Colour(community_), "orange");
  // Raised while no listener was set (as the demo's are): caught up at start.
  auto caught = orders_->CatchUpAlerts();
  ASSERT_TRUE(caught.ok()) << caught.status().ToString();
  EXPECT_EQ(*caught, 1);
  EXPECT_EQ(*orders_->CatchUpAlerts(), 0);  // the cursor moved on
  OrderFilter filter;
  filter.source = "alert";
  store::Page page;
  auto list = orders_->List(filter, page, dispatcher_);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["items"].size(), 1u);
  const json order = (*list)["items"][0];
  EXPECT_EQ(order["category"], "rental_safety");
  EXPECT_EQ(order["area_code"], community_);
  EXPECT_EQ(order["priority"], "orange");
  // Both serve a grid of the community and nothing says where the house is: the one with the
  // fewest open orders, the first of equals.
  EXPECT_EQ(order["assignee"], "g.one");
  const std::int64_t id = order["id"];
  ASSERT_TRUE(Act(id, "accept", json::object(), worker_).ok());
  ASSERT_TRUE(Act(id, "finish", {{"note", "已劝离超员租户"}}, worker_).ok());
  ASSERT_TRUE(Act(id, "close", json::object(), dispatcher_).ok());
  auto resolved = db().Read(
      [&](store::Connection& conn) { return alerts::AlertBook::Get(conn, alert, false); });
  ASSERT_TRUE(resolved.ok());
  EXPECT_EQ((*resolved)["status"], "resolved");
  EXPECT_EQ(Colour(community_), "green");
}

TEST_F(DispatchTest, AnAlertOpenedWhileServingCommitsWithItsOrder) {
  alerts::AlertBook::SetOpenedListener(
      [this](store::Connection& conn, std::int64_t id, const alerts::AlertDraft&) {
        return orders_->OnAlertOpened(conn, id);
      });
  std::int64_t orders_in_job = -1;
  const Status raised = db().Write([&](store::Connection& conn) -> Status {
    ZZ_RETURN_IF_ERROR(RaiseOvercrowded(conn, "house_overcrowded:live").status());
    auto n = conn.Prepare("SELECT COUNT(*) FROM work_orders WHERE source = 'alert'");
    if (n.Step()) orders_in_job = n.Int(0);
    return n.status();
  });
  alerts::AlertBook::SetOpenedListener(nullptr);
  ASSERT_TRUE(raised.ok()) << raised.ToString();
  EXPECT_EQ(orders_in_job, 1);  // in the alert's own transaction
  // An alert no rule takes (a blue base-data gap) makes no order.
  alerts::AlertBook::SetOpenedListener(
      [this](store::Connection& conn, std::int64_t id, const alerts::AlertDraft&) {
        return orders_->OnAlertOpened(conn, id);
      });
  ASSERT_TRUE(db().Write([&](store::Connection& conn) -> Status {
                    alerts::AlertDraft d;
                    d.type = alerts::type::kUnitAddressNotStandard;
                    d.key = "unit_address_not_standard:9";
                    d.severity = "blue";
                    d.subject_kind = "unit";
                    d.subject_id = "9";
                    d.message = "单位地址不是标准地址";
                    return alerts::AlertBook::Raise(conn, d, clock_.now_ms());
                  })
                  .ok());
  alerts::AlertBook::SetOpenedListener(nullptr);
  store::Page page;
  EXPECT_EQ((*orders_->List({}, page, dispatcher_))["items"].size(), 1u);
}

TEST_F(DispatchTest, DisputesAreAllOrNothingAndOneOrderPerCase) {
  auto bad = orders_->ImportDisputes(
      {{"cases",
        {{{"code", "JFM-1"}, {"title", "邻里纠纷"}, {"area_code", grid_}},
         {{"code", "JFM-2"}, {"title", "物业纠纷"}, {"area_code", "999999999999"}}}}},
      security::Actor::Command("feed"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "cases[1].area_code");
  store::Page page;
  EXPECT_TRUE((*orders_->List({}, page, dispatcher_))["items"].empty());
  const json cases = {
      {"cases",
       {{{"code", "JFM-1"}, {"title", "邻里纠纷"}, {"area_code", grid_}, {"level", "blue"}}}}};
  auto first = orders_->ImportDisputes(cases, security::Actor::Command("feed"));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ((*first)["created"].size(), 1u);
  auto second = orders_->ImportDisputes(cases, security::Actor::Command("feed"));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)["created"].size(), 0u);
  EXPECT_EQ((*second)["known"].size(), 1u);
  EXPECT_EQ(Colour(grid_), "yellow");  // an open dispute, blue-level
}

TEST(WorkCalendarAgreement, TheDeadlineCalendarAndTheRegistryRulebookAgreeOnEveryDay) {
  // The holiday data is kept twice (rules/calendar_cn.json with names, rules/zhejiang.json for
  // presence rates): they must never drift apart.
  const WorkCalendar& calendar = WorkCalendar::Default();
  for (Date d = *Date::FromYmd(2025, 1, 1); d.year <= 2026; d = d.AddDays(1)) {
    ASSERT_EQ(calendar.IsWorkingDay(d), registry::ActiveRules().IsWorkingDay(d)) << d.ToString();
  }
}

// A group robot on a loopback port for `requests` requests: checks each one's signature (its own
// HMAC, not the notifier's code) and answers errcode 0, or 310000 ("sign not match") for a bad
// one, as DingTalk does.
class Robot {
 public:
  Robot(std::string secret, int requests) : secret_(std::move(secret)) {
    acceptor_.open(boost::asio::ip::tcp::v4());
    acceptor_.bind({boost::asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, requests] {
      namespace http = boost::beast::http;
      for (int i = 0; i < requests; ++i) {
        boost::asio::ip::tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec) return;
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> request;
        http::read(socket, buffer, request, ec);
        if (ec) return;
        const std::string target(request.target());
        const bool good = Verify(target);
        bodies_.push_back(request.body());
        http::response<http::string_body> response{http::status::ok, 11};
        response.set(http::field::content_type, "application/json");
        response.body() = good ? R"({"errcode":0,"errmsg":"ok"})"
                               : R"({"errcode":310000,"errmsg":"sign not match"})";
        response.keep_alive(false);
        response.prepare_payload();
        http::write(socket, response, ec);
      }
    });
  }
  ~Robot() {
    if (thread_.joinable()) thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/robot/send?access_token=abc";
  }
  std::vector<std::string> bodies_;

 private:
  bool Verify(const std::string& target) const {
    const auto t = target.find("timestamp="), s = target.find("&sign=");
    if (target.rfind("/robot/send?access_token=abc&", 0) != 0 || t == std::string::npos ||
        s == std::string::npos)
      return false;
    const std::string timestamp = target.substr(t + 10, s - t - 10);
    std::string sign = target.substr(s + 6);
    for (std::string::size_type p; (p = sign.find("%2B")) != std::string::npos;)
      sign.replace(p, 3, "+");
    for (std::string::size_type p; (p = sign.find("%2F")) != std::string::npos;)
      sign.replace(p, 3, "/");
    for (std::string::size_type p; (p = sign.find("%3D")) != std::string::npos;)
      sign.replace(p, 3, "=");
    const std::string message = timestamp + "\n" + secret_;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret_.data()),
                                secret_.size());
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size());
    crypto_auth_hmacsha256_final(&state, mac);
    return EncodeBase64(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac)) == sign;
  }

  std::string secret_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  std::uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(DispatchTest, NotificationsGoToASignedWebhookAndWaitWhenRefused) {
  Create({{"title", "群租房消防通道堵塞"},
          {"category", "rental_safety"},
          {"area_code", grid_},
          {"source", "manual"},
          {"assignee", "g.one"}});
  // The local fake takes everything.
  MemoryNotifier memory;
  NotificationSender fake(&db(), &memory);
  auto sent = fake.SendPending();
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(*sent, 1);
  ASSERT_EQ(memory.sent().size(), 1u);
  EXPECT_EQ(memory.sent()[0].recipient, "g.one");
  EXPECT_EQ(memory.sent()[0].kind, "assigned");
  EXPECT_EQ(*fake.SendPending(), 0);  // sent once

  // A real robot over HTTP: the right secret is taken; a wrong one is refused and the row waits.
  Create({{"title", "电动车违规充电"},
          {"category", "fire"},
          {"area_code", grid_},
          {"source", "manual"},
          {"assignee", "g.one"}});
  Robot robot("SEC-right", 2);
  auto wrong = WebhookNotifier::Create(robot.url(), "SEC-wrong");
  ASSERT_TRUE(wrong.ok());
  NotificationSender refused(&db(), wrong->get());
  auto failed = refused.SendPending();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("310000"), std::string::npos);
  auto right = WebhookNotifier::Create(robot.url(), "SEC-right");
  ASSERT_TRUE(right.ok());
  NotificationSender taken(&db(), right->get());
  auto delivered = taken.SendPending();
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_EQ(*delivered, 1);
  ASSERT_EQ(robot.bodies_.size(), 2u);
  const json body = json::parse(robot.bodies_[1]);
  EXPECT_EQ(body["msgtype"], "text");
  EXPECT_EQ(body["at"]["atUserIds"][0], "g.one");
  EXPECT_NE(body["text"]["content"].get<std::string>().find("电动车违规充电"), std::string::npos);
  auto attempts = db().Read([&](store::Connection& conn) -> Result<std::int64_t> {
    auto s = conn.Prepare(
        "SELECT attempts FROM notifications WHERE sent_at IS NOT NULL "
        "ORDER BY id DESC LIMIT 1");
    if (!s.Step()) return s.status();
    return s.Int(0);
  });
  ASSERT_TRUE(attempts.ok());
  EXPECT_EQ(*attempts, 2);  // refused once, then taken
  EXPECT_FALSE(WebhookNotifier::Create("https://robot.example/send", "s").ok());
}

TEST(WebhookNotifier, SignsLikeADingTalkRobot) {
  // The reference value: base64(HMAC-SHA256(secret, "1767225600000\nSECabc123")), percent-encoded
  // (computed with Python's hmac module).
  EXPECT_EQ(WebhookNotifier::SignedQuery("SECabc123", 1767225600000),
            "timestamp=1767225600000&sign=pvwH8bM5eQ0kH1kr%2BRPVoBxU5B9l7NCsCB86NIxp2WY%3D");
}

TEST(WarningRulebook, RefusesWhatItCannotApply) {
  for (
      const char* text : {
          R"({"name":"x","version":"1","colours":[{"colour":"purple","when":[]}]})",
          R"({"name":"x","version":"1","colours":[{"colour":"red","when":[{"indicator":"nope","at_least":1}]}]})",
          R"({"name":"x","version":"1","colours":[{"colour":"red","when":[{"indicator":"alerts_red","at_least":0}]}]})",
          R"({"name":"x","version":"1","colours":[{"colour":"blue","when":[]},{"colour":"red","when":[]}]})",
          R"({"name":"x","version":"1","colours":[],"extra":1})",
      }) {
    EXPECT_FALSE(warning::Rulebook::Parse(text, "test").ok()) << text;
  }
  const auto& book = warning::Rulebook::Default();
  warning::IndicatorValues values{};
  EXPECT_EQ(book.Evaluate(warning::Level::kGrid, values).colour, 4);  // green
  values[warning::kOrdersOverdue] = 3;
  EXPECT_EQ(book.Evaluate(warning::Level::kGrid, values).colour, 0);    // red at a grid
  EXPECT_EQ(book.Evaluate(warning::Level::kStreet, values).colour, 1);  // orange at a street
}

}  // namespace
}  // namespace zhizhi::dispatch
