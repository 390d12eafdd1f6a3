#include "sim/site_setup.h"

#include <fstream>
#include <random>
#include <sstream>

#include "base/text.h"

namespace zhizhi::sim {

namespace {

using nlohmann::json;

// The JSON body of a 2xx reply, else an error naming `what`.
Result<json> JsonOf(const std::string& what, const HttpReply& reply) {
  if (reply.status < 200 || reply.status > 299) return ReplyError(what, reply);
  json body = reply.Json();
  if (body.is_discarded() || !body.is_object()) {
    return Status::Internal(what + ": the server answered " + std::to_string(reply.status) +
                            " with a body that is not a JSON object");
  }
  return body;
}

std::string RandomHex(int digits) {
  std::random_device device;
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (int i = 0; i < digits; ++i)
    out.push_back("0123456789abcdef"[nibble(device)]);
  return out;
}

}  // namespace

Status ReplyError(const std::string& what, const HttpReply& reply) {
  if (reply.transport_error()) return Status::Unavailable(what + ": " + reply.error);
  std::string message = reply.body;
  const json body = reply.Json();
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    message = body["error"].value("message", message);
  }
  const std::string text = what + ": HTTP " + std::to_string(reply.status) + " " + message;
  switch (reply.status) {
    case 401:
      return Status::Unauthenticated(text);
    case 403:
      return Status::PermissionDenied(text);
    case 404:
      return Status::NotFound(text);
    default:
      return reply.status >= 500 ? Status::Internal(text) : Status::Rule("http_error", "", text);
  }
}

Result<std::string> ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("cannot read the token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string token(Trim(text.str()));
  if (token.empty()) return Status::InvalidArgument("token-file", path + " is empty");
  return token;
}

Result<SimDevice> RegisterSimDevice(LoopbackClient& client, const std::string& admin_token,
                                    const std::string& project, const std::string& direction,
                                    const std::string& prefix) {
  SimDevice device;
  device.direction = direction;
  device.serial = prefix + "-" + project + "-" + ToUpperAscii(direction) + "-" + RandomHex(6);
  const json body = {
      {"serial", device.serial}, {"direction", direction}, {"zone", "simulated main gate"}};
  ZZ_ASSIGN_OR_RETURN(json created,
                      JsonOf("register device " + device.serial,
                             client.Request("POST", "/api/v1/projects/" + project + "/devices",
                                            admin_token, body.dump())));
  if (!created["id"].is_number_integer() || !created["token"].is_string()) {
    return Status::Internal("register device: the answer has no id and token");
  }
  device.id = created["id"].get<std::int64_t>();
  device.token = created["token"].get<std::string>();
  return device;
}

Result<std::vector<std::int64_t>> PullRoster(LoopbackClient& client, const SimDevice& device) {
  ZZ_ASSIGN_OR_RETURN(json roster,
                      JsonOf("roster of " + device.serial,
                             client.Request("GET", "/api/v1/gate/roster?since=0", device.token)));
  std::vector<std::int64_t> persons;
  if (roster["allowed"].is_array()) {
    for (const json& item : roster["allowed"]) {
      if (item.contains("person_id") && item["person_id"].is_number_integer()) {
        persons.push_back(item["person_id"].get<std::int64_t>());
      }
    }
  }
  return persons;
}

Result<std::vector<SimEnrolment>> ListWorkers(LoopbackClient& client, const std::string& token,
                                              const std::string& project, const std::string& status,
                                              size_t max) {
  std::vector<SimEnrolment> out;
  std::string cursor;
  do {
    std::string target =
        "/api/v1/projects/" + project + "/workers?status=" + status + "&limit=1000";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    ZZ_ASSIGN_OR_RETURN(json page,
                        JsonOf("workers of " + project, client.Request("GET", target, token)));
    if (!page["items"].is_array()) return Status::Internal("workers: no items in the answer");
    for (const json& item : page["items"]) {
      if (out.size() >= max) return out;
      SimEnrolment e;
      e.person_id = item.value("person_id", std::int64_t{0});
      e.manager = item.value("work_role", std::string()) == "10";
      if (e.person_id > 0) out.push_back(e);
    }
    cursor = page.contains("next_cursor") && page["next_cursor"].is_string()
                 ? page["next_cursor"].get<std::string>()
                 : std::string();
  } while (!cursor.empty());
  return out;
}

Result<std::vector<std::int64_t>> OnsitePersons(LoopbackClient& client, const std::string& token,
                                                const std::string& project) {
  ZZ_ASSIGN_OR_RETURN(
      json onsite, JsonOf("on-site list of " + project,
                          client.Request("GET", "/api/v1/projects/" + project + "/onsite", token)));
  std::vector<std::int64_t> persons;
  if (onsite["persons"].is_array()) {
    for (const json& item : onsite["persons"]) {
      if (item.contains("person_id") && item["person_id"].is_number_integer()) {
        persons.push_back(item["person_id"].get<std::int64_t>());
      }
    }
  }
  return persons;
}

Result<SimPolicy> ReadGatePolicy(LoopbackClient& client, const std::string& token,
                                 const std::string& project) {
  ZZ_ASSIGN_OR_RETURN(
      json policy,
      JsonOf("gate policy of " + project,
             client.Request("GET", "/api/v1/projects/" + project + "/gate-policy", token)));
  SimPolicy out;
  if (policy["face_threshold"].is_number()) {
    out.face_threshold = policy["face_threshold"].get<double>();
  }
  if (policy["duplicate_window_s"].is_number_integer()) {
    out.duplicate_window_s = policy["duplicate_window_s"].get<int>();
  }
  return out;
}

Result<std::optional<std::string>> ReadFullIdNumber(LoopbackClient& client,
                                                    const std::string& token,
                                                    std::int64_t person_id) {
  ZZ_ASSIGN_OR_RETURN(
      json person,
      JsonOf("person " + std::to_string(person_id),
             client.Request("GET", "/api/v1/persons/" + std::to_string(person_id), token)));
  if (!person["id_number"].is_string()) return std::optional<std::string>();
  std::string number = person["id_number"].get<std::string>();
  if (number.find('*') != std::string::npos) return std::optional<std::string>();  // masked
  return std::optional<std::string>(std::move(number));
}

Result<std::int64_t> PresentOn(LoopbackClient& client, const std::string& token,
                               const std::string& project, const std::string& date) {
  ZZ_ASSIGN_OR_RETURN(
      json sheet,
      JsonOf("attendance of " + project,
             client.Request("GET", "/api/v1/projects/" + project + "/attendance?date=" + date,
                            token)));
  return sheet.value("present", std::int64_t{0});
}

}  // namespace zhizhi::sim
