// PassAnswer: what a terminal is told about one gate event — the decision with its reasons and
// warnings, the stored seq, and whether it is the stored answer of a replayed event_id — as the
// JSON of POST /api/v1/gate/events, and as read back from gate_events for a replay.
//
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "store/sqlite.h"

namespace zhizhi::gate {

struct PassAnswer {
  std::string event_id;
  std::int64_t seq = 0;
  std::string project;
  std::optional<std::int64_t> person_id;
  std::string direction;
  std::int64_t time_ms = 0;
  bool allow = false;
  std::vector<std::string> reasons;
  std::vector<std::string> warnings;
  int flags = 0;  // gate_events.flags
  bool replayed = false;
  std::optional<double> face_score;  // server-side recognition, for face_image events
  std::optional<double> face_liveness;

  nlohmann::json ToJson() const;
  // ToJson().dump(), written directly: the writer answers every pass, and building the json
  // value (a std::map with its strings) and destroying it cost more than the text. ToJson stays
  // for the batch answers and the live feed, which add to it;
  // GateTest.SameEventIdIsAnsweredOnceAndStoredOnce holds the two to the same bytes.
  std::string ToJsonText() const;

  // The stored answer of (device, event_id), marked replayed; nullopt when there is none.
  static Result<std::optional<PassAnswer>> Stored(store::Connection& conn, std::int64_t device_id,
                                                  const std::string& event_id);
};

}  // namespace zhizhi::gate
