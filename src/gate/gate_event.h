// A gate event as a terminal sends it, and its parser. Used by POST /api/v1/gate/events and
// :batch; the parser checks everything that needs no state (formats, one identification, pass
// mode, operator for exceptional modes, a time with an offset).
//
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/status.h"

namespace zhizhi::gate {

struct GateEventInput {
  std::string event_id;
  Timestamp time;
  // One identification — person_id or id_number — or face_image, alone (1:N) or with one of
  // them as the claim the server checks the face against (1:1):
  std::optional<std::int64_t> person_id;  // recognised on the terminal
  std::optional<std::string> id_number;   // read from the ID card (normalised)
  std::string id_type = "01";
  std::optional<std::string> face_jpeg;  // server-side recognition: the photo (base64-decoded)
  std::optional<double> score;           // terminal's similarity in [0, 1]
  std::optional<bool> liveness;          // terminal's liveness verdict
  std::optional<std::string> direction;  // in / out; required on a `both` device
  int pass_mode = 0;                     // 1–11; defaulted from the identification
  std::optional<std::string> operator_name;
  std::optional<std::string> operator_reason;
  // Set only by the adapters of other vendors' terminals (terminals/), never parsed from the
  // API: a pass of nobody the terminal knew (a stranger without a photo), and whether the
  // terminal opened (nullopt: it asks the server, as zhizhi's own terminals do).
  bool stranger = false;
  std::optional<bool> terminal_opened;

  bool operator==(const GateEventInput&) const = default;
};

Result<GateEventInput> ParseGateEvent(FieldReader& in);

}  // namespace zhizhi::gate
