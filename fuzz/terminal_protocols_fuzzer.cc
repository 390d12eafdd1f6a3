// libFuzzer target: everything other makers' terminals send before any state is touched — form
// fields and multipart bodies (http/form.h), the Uface recognition and heartbeat (as form fields
// and as JSON), ZKTeco ATTLOG uploads, INFO strings and command results (terminals/).
//
// Invariants checked beyond "no crash, no sanitizer report": every multipart part's body lies
// inside the input; every ATTLOG line that parsed has a valid PIN and a real China-time clock
// reading; a recognition that parsed names a device, a mode and a result 0–2, and a stranger
// never passed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/civil_time.h"
#include "http/form.h"
#include "terminals/hikvision.h"
#include "terminals/uface.h"
#include "terminals/zkteco.h"

namespace {

using namespace zhizhi;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckRecognition(const http::FormFields& fields) {
  auto r = terminals::ParseUfaceRecognition(fields);
  if (r.ok()) {
    Check(!r->device_key.empty() && r->device_key.size() <= 64);
    Check(!r->mode.empty() && r->result >= 0 && r->result <= 2);
    Check(r->person_id.has_value() || r->result != 0);
    Check(!r->person_id || *r->person_id > 0);
    Check(!r->photo || !r->photo->empty());
  }
  auto h = terminals::ParseUfaceHeartbeat(fields);
  if (h.ok()) Check(!h->person_count || *h->person_count >= 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // The first line picks the content type of multipart bodies, as a header would.
  const size_t nl = bytes.find('\n');
  const std::string_view head = bytes.substr(0, nl == std::string_view::npos ? 0 : nl);
  const std::string_view body = nl == std::string_view::npos ? bytes : bytes.substr(nl + 1);

  if (auto fields = http::ParseUrlEncodedForm(bytes); fields.ok()) {
    Check(fields->size() <= 64);
    for (const auto& [name, value] : *fields)
      Check(!name.empty());
    CheckRecognition(*fields);
  }
  if (auto fields = terminals::UfaceJsonFields(bytes); fields.ok()) CheckRecognition(*fields);

  const std::string content_type = "multipart/form-data; " + std::string(head);
  if (auto parts = http::ParseMultipart(content_type, body); parts.ok()) {
    Check(!parts->empty() && parts->size() <= 16);
    for (const auto& part : *parts) {
      Check(!part.name.empty());
      Check(part.body.data() >= body.data() &&
            part.body.data() + part.body.size() <= body.data() + body.size());
    }
  }
  http::MediaTypeParameter(head, "boundary");
  // A Hikvision push, as multipart and as JSON.
  for (const std::string& type : {content_type, std::string("application/json")}) {
    if (auto e = terminals::ParseHikPush(type, type == content_type ? body : bytes); e.ok()) {
      Check(e->heartbeat || e->time.has_value() || e->local_time.has_value());
      Check(!e->employee || (!e->employee->empty() && *e->employee != "null"));
      terminals::HikDoorOpened(e->major, e->minor);
      terminals::HikPassMode(e->verify_mode);
      terminals::HikDirection(e->attendance);
    }
  }

  if (auto batch = terminals::ParseAttlog(bytes); batch.ok()) {
    for (const auto& line : batch->lines) {
      Check(!line.pin.empty() && line.pin.size() <= 24);
      Check(line.status >= 0 && line.status <= 255 && line.verify >= 0 && line.verify <= 255);
      Check(Timestamp::ParseRfc3339(line.local_time + "+08:00", "time").ok());
      terminals::ZkDirection(line.status);
      terminals::ZkPassMode(line.verify);
    }
    for (const auto& [number, status] : batch->errors)
      Check(number >= 1 && !status.ok());
  }
  const terminals::ZkInfo info = terminals::ParseZkInfo(bytes);
  Check(!info.users || *info.users >= 0);
  if (auto results = terminals::ParseZkCommandResults(bytes); results.ok()) {
    for (const auto& r : *results)
      Check(r.id > 0);
  }
  return 0;
}
