// LiveIot: `zhizhi serve --simulate` also plays some of the demo district's IoT devices through
// the server's own broker, so that the IoT page moves and they stay online: the devices that
// reported during `zhizhi demo` (their passwords are in DATA_DIR/demo-iot-devices.csv), up to
// `max_devices`, each with its own MQTT connection and credentials — a client like any device.
//
// What they send: a transmission device's status (GB/T 26875.3 type 21) every minute; smoke,
// electrical and water readings every two minutes (normal values: an electrical or water alarm
// of the demo recovers); cranes idle every 30 s; and now and then (every few minutes) a fire
// alarm at a point of a panel, recovered a minute later — a new alert and work order on the
// screen, waiting for the verdict of the person on duty.
//
// Bounded: one thread of its own plus libmosquitto's per device; Stop() returns at once.
//
// Thread-safety: Start/Stop from the owning thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "iot/mqtt_client.h"

namespace zhizhi::iot {

struct LiveIotOptions {
  std::string data_dir;
  std::uint16_t port = 0;            // the broker's
  std::vector<std::string> serials;  // the devices to play (Iot::HeardSerials)
  int max_devices = 100;
  std::uint64_t seed = 0;
};

class LiveIot {
 public:
  explicit LiveIot(LiveIotOptions options);
  ~LiveIot();

  // Reads the passwords and connects the devices; fails when the file is missing.
  Status Start();
  void Stop();
  std::uint64_t published() const { return published_.load(); }

 private:
  struct Device {
    std::string serial, kind, topic;
    std::unique_ptr<MqttClient> client;
    std::int64_t next_ms = 0;
    std::uint16_t frame = 0;
    std::int64_t alarm_until_ms = 0;  // a fire alarm to recover then (0: none)
    std::uint32_t alarm_point = 0;
  };
  void Loop();
  void Send(Device& d, std::int64_t now_ms);

  LiveIotOptions options_;
  std::vector<Device> devices_;
  std::atomic<std::uint64_t> published_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zhizhi::iot
