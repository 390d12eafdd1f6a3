// Shared by iot.cc (ingest) and iot_devices.cc (registration, views): not part of the module's
// interface.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "iot/iot.h"

namespace zhizhi::iot {

// What one message (or one offline finding) changes durably, written by Iot::Apply in one job.
struct Iot::Effects {
  std::int64_t device_id = 0;
  std::int64_t now = 0;
  std::string serial, name, project, address;
  std::optional<std::string> state;                 // the device's new state
  std::vector<std::pair<std::string, Part>> parts;  // parts whose status or description changed
  struct Alarm {
    std::string type, part, severity, message;
    bool on = false;
    nlohmann::json detail;
    std::int64_t alert_id = 0;  // set by Apply
  };
  std::vector<Alarm> alarms;
  struct SessionStart {
    std::int64_t person_id = 0;
    double score = 0;
    std::string project;
  };
  std::optional<SessionStart> session_start;
  std::optional<std::string> session_end;  // why the open session ended
  std::optional<std::int64_t> person_id;   // the person an alarm is about (a refused operator)
  std::int64_t session_id = 0;             // set by Apply
  // Sent after the commit: (topic, payload).
  std::vector<std::pair<std::string, std::string>> replies;
};

// The alert key of an IoT alarm.
std::string AlarmKey(const std::string& type, std::int64_t device, const std::string& part);
std::string TopicUp(const std::string& serial);
std::string TopicDown(const std::string& serial);
// The ACL patterns that give every device its own two topics.
std::vector<std::string> DevicePatterns();
// The reported parts, open alarms and operator sessions of `devices` (or of the one `only`).
Status LoadStates(store::Connection& conn, std::unordered_map<std::int64_t, Iot::Device>& devices,
                  std::optional<std::int64_t> only);
// Upserts a part: an empty description and a status of nullopt keep what the row has; last seen
// only moves forward; analogs are kept when `p` has none.
Status WritePart(store::Connection& conn, std::int64_t device, const std::string& key,
                 const Iot::Part& p);

}  // namespace zhizhi::iot
