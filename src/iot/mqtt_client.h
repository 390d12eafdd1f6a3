// MqttClient: one libmosquitto client (Debian `libmosquitto-dev`) with its own network thread —
// what zhizhi's IoT module, the simulator, the benchmarks and the tests use to talk to the
// broker. It connects, keeps reconnecting (1 s to 30 s apart) for as long as it lives, and
// subscribes again to its filters after every reconnect (clean sessions).
//
//   MqttClient client({.host = "127.0.0.1", .port = port, .username = u, .password = p});
//   client.OnMessage([](std::string_view topic, std::string_view payload) { … });
//   client.Subscribe("zz/dev/+/up", 1);
//   ZZ_RETURN_IF_ERROR(client.Connect(5000));
//   client.Publish("zz/dev/X/down", bytes, 1);
//
// Thread-safety: Publish may be called from any thread; the message callback runs on the
// client's network thread, one message at a time. Set callbacks and filters before Connect.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct mosquitto;

namespace zhizhi::iot {

struct MqttOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::string username, password;
  std::string client_id;  // empty: a random one
  int keepalive_s = 30;
  std::string ca_file;  // non-empty: TLS, the broker's certificate checked against this CA
};

// Parses `mqtt://[user[:password]@]host[:port]` (the contract's `--mqtt URL`).
Result<MqttOptions> ParseMqttUrl(std::string_view url);

class MqttClient {
 public:
  explicit MqttClient(MqttOptions options);
  ~MqttClient();  // disconnects and stops the network thread
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  using MessageFn = std::function<void(std::string_view topic, std::string_view payload)>;
  void OnMessage(MessageFn fn) { on_message_ = std::move(fn); }
  void Subscribe(std::string filter, int qos) { filters_.push_back({std::move(filter), qos}); }

  // Connects and waits up to `timeout_ms` for the broker's CONNACK; fails with its refusal
  // (5: not authorised) or when none came. The network thread keeps running either way.
  Status Connect(int timeout_ms);
  // Queues a message (the network thread sends it); false when the client is not connected.
  bool Publish(const std::string& topic, std::string_view payload, int qos);
  // Disconnects and waits for the network thread: no callback runs after it returns (Publish
  // then fails). The destructor calls it.
  void Stop();
  bool connected() const { return connected_.load(); }
  // The last CONNACK code (-1: none yet).
  int connack() const { return connack_.load(); }

 private:
  static void HandleConnect(mosquitto*, void* self, int rc);
  static void HandleDisconnect(mosquitto*, void* self, int rc);

  MqttOptions options_;
  mosquitto* m_ = nullptr;
  MessageFn on_message_;
  std::vector<std::pair<std::string, int>> filters_;
  std::atomic<bool> connected_{false};
  std::atomic<int> connack_{-1};
  bool loop_started_ = false;
  int tls_error_ = 0;
};

}  // namespace zhizhi::iot
