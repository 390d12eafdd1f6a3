// The real broker: Mosquitto started on a free loopback port with zhizhi's password and ACL
// files. A device may publish only on its own topic (a message on another device's topic never
// reaches the subscriber), a wrong password is refused, and credentials added while devices are
// connected reach the broker without disturbing them.
#include "iot/broker.h"

#include <mosquitto.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace zhizhi::iot {
namespace {

struct Received {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> messages;  // topic, payload
};

// A libmosquitto client with its own network thread.
class Client {
 public:
  Client(const std::string& id, const std::string& user, const std::string& password) {
    m_ = mosquitto_new(id.c_str(), true, &received_);
    mosquitto_username_pw_set(m_, user.c_str(), password.c_str());
    mosquitto_connect_callback_set(m_, [](mosquitto*, void* self, int rc) {
      static_cast<Received*>(self)->mu.lock();
      static_cast<Received*>(self)->messages.emplace_back("$connack", std::to_string(rc));
      static_cast<Received*>(self)->mu.unlock();
    });
    mosquitto_message_callback_set(m_, [](mosquitto*, void* self, const mosquitto_message* msg) {
      auto* r = static_cast<Received*>(self);
      std::lock_guard lock(r->mu);
      r->messages.emplace_back(
          msg->topic, std::string(static_cast<const char*>(msg->payload), msg->payloadlen));
    });
  }
  ~Client() {
    mosquitto_disconnect(m_);
    mosquitto_loop_stop(m_, true);
    mosquitto_destroy(m_);
  }
  // The CONNACK's code: 0 accepted, 5 not authorised; -1 none within 5 s.
  int Connect(std::uint16_t port) {
    if (mosquitto_connect(m_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS) return -2;
    mosquitto_loop_start(m_);
    for (int i = 0; i < 100; ++i) {
      {
        std::lock_guard lock(received_.mu);
        for (const auto& [topic, payload] : received_.messages)
          if (topic == "$connack") return std::atoi(payload.c_str());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
  }
  void Subscribe(const std::string& filter) { mosquitto_subscribe(m_, nullptr, filter.c_str(), 1); }
  void Publish(const std::string& topic, const std::string& payload) {
    mosquitto_publish(m_, nullptr, topic.c_str(), static_cast<int>(payload.size()), payload.data(),
                      1, false);
  }
  std::vector<std::string> Payloads() {
    std::lock_guard lock(received_.mu);
    std::vector<std::string> out;
    for (const auto& [topic, payload] : received_.messages)
      if (topic != "$connack") out.push_back(topic + " " + payload);
    return out;
  }
  // Waits (bounded) for a message whose payload is `payload`.
  bool WaitFor(const std::string& payload) {
    for (int i = 0; i < 100; ++i) {
      for (const std::string& p : Payloads())
        if (p.size() >= payload.size() &&
            p.compare(p.size() - payload.size(), payload.size(), payload) == 0)
          return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  Received received_;
  mosquitto* m_ = nullptr;
};

BrokerClient Device(const std::string& name, const std::string& password) {
  return {name,
          MosquittoPasswordHash(password),
          {"zz/dev/" + name + "/up"},
          {"zz/dev/" + name + "/down"}};
}

class BrokerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mosquitto_lib_init(); }
  static void TearDownTestSuite() { mosquitto_lib_cleanup(); }
  void SetUp() override {
    char dir[] = "/tmp/zhizhi-broker-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    broker_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  BrokerOptions Options() const {
    BrokerOptions o;
    o.dir = dir_ + "/mqtt";
    return o;
  }
  std::string dir_;
  std::unique_ptr<Broker> broker_;
};

TEST_F(BrokerTest, ADevicePublishesOnlyOnItsOwnTopicAndCredentialsChangeLive) {
  const BrokerClient server{
      "zhizhi", MosquittoPasswordHash("server-secret"), {"zz/dev/+/down"}, {"zz/dev/+/up"}};
  auto started = Broker::Start(Options(), {server, Device("d1", "pw-one"), Device("d2", "pw-two")});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  broker_ = std::move(*started);

  Client zhizhi("zhizhi", "zhizhi", "server-secret");
  ASSERT_EQ(zhizhi.Connect(broker_->port()), 0);
  zhizhi.Subscribe("zz/dev/+/up");
  Client d1("d1", "d1", "pw-one");
  ASSERT_EQ(d1.Connect(broker_->port()), 0);
  Client wrong("d2", "d2", "not-its-password");
  EXPECT_EQ(wrong.Connect(broker_->port()), 5);                 // not authorised
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the subscription is in place

  d1.Publish("zz/dev/d2/up", "forged by d1");  // another device's topic: dropped by the broker
  d1.Publish("zz/dev/d1/up", "genuine");
  ASSERT_TRUE(zhizhi.WaitFor("genuine"));
  for (const std::string& p : zhizhi.Payloads())
    EXPECT_EQ(p.find("forged"), std::string::npos) << p;

  // A third device while d1 stays connected: its credentials reach the broker (SIGHUP) and d1's
  // connection goes on.
  ASSERT_TRUE(broker_
                  ->SetClients({server, Device("d1", "pw-one"), Device("d2", "pw-two"),
                                Device("d3", "pw-three")})
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Client d3("d3", "d3", "pw-three");
  ASSERT_EQ(d3.Connect(broker_->port()), 0);
  d3.Publish("zz/dev/d3/up", "from d3");
  d1.Publish("zz/dev/d1/up", "d1 again");
  EXPECT_TRUE(zhizhi.WaitFor("from d3"));
  EXPECT_TRUE(zhizhi.WaitFor("d1 again"));
  EXPECT_EQ(broker_->restarts(), 0);
}

TEST_F(BrokerTest, ABrokerThatDiesIsStartedAgain) {
  auto started = Broker::Start(Options(), {Device("d1", "pw-one")});
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  broker_ = std::move(*started);
  const pid_t first = broker_->pid();
  ASSERT_GT(first, 0);
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  for (int i = 0; i < 100 && broker_->restarts() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(broker_->restarts(), 1);
  int rc = -1;
  for (int i = 0; i < 40 && rc != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    Client probe("d1-probe", "d1", "pw-one");
    rc = probe.Connect(broker_->port());
  }
  EXPECT_EQ(rc, 0);
  EXPECT_NE(broker_->pid(), first);
}

}  // namespace
}  // namespace zhizhi::iot
