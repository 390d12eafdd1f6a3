// Every role against every endpoint: tests/access_matrix.txt says who may call what, and this
// test calls every route of the running server (from its OpenAPI document, generated from the
// route table) as a district admin, a site manager, a police officer, an inspector and a gate
// device — real users with real session tokens — and compares. A route without a row fails, so
// a new endpoint cannot ship without its access rule.
//
// The district: two projects, OWNPRJ (the site manager's, the device's) and OTHERPRJ, each with a
// person with a dormitory (so a residence registration), an expiring certificate (so an alert),
// a device, a pass, a post exemption and a face. A
// scoped caller naming OTHERPRJ's things gets 404, and no answer to a scoped caller may contain
// OTHERPRJ's code, person or device.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "api_case.h"
#include "base/civil_time.h"
#include "iot/mqtt_client.h"
#include "test_server.h"
#include "wait_until.h"

namespace zhizhi::e2e {
namespace {

using nlohmann::json;

const std::vector<std::string> kRoles = {"district_admin", "site_manager", "police",
                                         "inspector",      "device",       "lottery_operator",
                                         "notary",         "dispatcher",   "grid_worker"};
constexpr const char* kPassword = "Matrix-Pass-2026";

// What names another project's data in an answer.
const std::vector<std::string> kOtherMarkers = {"OTHERPRJ", "乙外方", "SERIAL-OTHER"};

struct Row {
  int line = 0;
  std::string method;  // lower case, as in OpenAPI
  std::string path;
  std::map<std::string, std::string> cells;  // role -> yes/own/no/open
};

std::vector<Row> ReadMatrix(std::string* error) {
  const std::string file = std::string(ZHIZHI_API_CASES) + "/../access_matrix.txt";
  std::ifstream in(file);
  if (!in) {
    *error = "cannot read " + file;
    return {};
  }
  std::vector<Row> rows;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    Row row;
    row.line = number;
    words >> row.method >> row.path;
    for (auto& c : row.method)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const std::string& role : kRoles) {
      std::string cell;
      if (!(words >> cell) || (cell != "yes" && cell != "own" && cell != "no" && cell != "open")) {
        *error = file + ":" + std::to_string(number) + ": need yes/own/no/open for " + role;
        return {};
      }
      row.cells[role] = cell;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

class AccessMatrixTest : public ::testing::Test {
 protected:
  struct Side {
    std::string code;
    std::int64_t person = 0, certificate = 0, device = 0, alert = 0, exemption = 0, face = 0,
                 registration = 0, work_order = 0, iot_device = 0, iot_alarm = 0;
    std::string device_token;
  };

  void SetUp() override {
    // No login limit: the test logs in many times from one address.
    ASSERT_TRUE(server_.Start({"--logins-per-minute", "0", "--session-rate", "0"}));
    BuildDistrict();
  }

  json Post(const std::string& target, const json& body, int status = 201) {
    const HttpResponse r = server_.Api("POST", target, body.dump());
    EXPECT_EQ(r.status, status) << "POST " << target << " " << body.dump() << "\n" << r.Describe();
    return r.json;
  }

  void BuildDistrict() {
    const std::string c1 = "91350100M000100Y43";
    corp_ = c1;
    Post("/api/v1/corps", {{"uscc", c1}, {"name", "钱塘建设"}});
    for (const std::string code : {"OWNPRJ", "OTHERPRJ"}) {
      Post("/api/v1/projects", {{"code", code},
                                {"name", code + "工地"},
                                {"region_code", "330114"},
                                {"status", "active"}});
      Post("/api/v1/projects/" + code + "/corps", {{"uscc", c1}, {"corp_type", "009"}});
    }
    own_.person = Post("/api/v1/persons", {{"id_type", "01"},
                                           {"id_number", "11010519491231002X"},
                                           {"name", "甲本方"},
                                           {"phone", "13812345678"}})
                      .value("id", std::int64_t{0});
    other_.person =
        Post("/api/v1/persons",
             {{"id_type", "01"}, {"id_number", "440524188001010014"}, {"name", "乙外方"}})
            .value("id", std::int64_t{0});
    for (auto* side : {&own_, &other_}) {
      const std::string code = side == &own_ ? "OWNPRJ" : "OTHERPRJ";
      side->code = code;
      Post("/api/v1/projects/" + code + "/workers", {{"person_id", side->person},
                                                     {"uscc", c1},
                                                     {"work_role", "20"},
                                                     {"work_type", "020"},
                                                     {"dorm_address", code + "宿舍1号楼"},
                                                     {"entry_date", ChinaDate(-5)}});
      side->certificate = Post("/api/v1/persons/" + std::to_string(side->person) + "/certificates",
                               {{"kind", "special_operation"},
                                {"type_code", "01"},
                                {"number", "CERT-" + code},
                                {"valid_from", ChinaDate(-10)},
                                {"valid_to", ChinaDate(20)}})
                              .value("id", std::int64_t{0});
      const json device =
          Post("/api/v1/projects/" + code + "/devices",
               {{"serial", side == &own_ ? "SERIAL-OWN" : "SERIAL-OTHER"}, {"direction", "in"}});
      side->device = device.value("id", std::int64_t{0});
      side->device_token = device.value("token", "");
      // One pass each, so on-site, attendance and trajectories have rows.
      const HttpResponse pass = server_.Request("POST", "/api/v1/gate/events",
                                                json{{"event_id", "e-" + code},
                                                     {"time", FormatRfc3339(NowUnixMs() - 60'000)},
                                                     {"person_id", side->person},
                                                     {"score", 0.97}}
                                                    .dump(),
                                                side->device_token);
      EXPECT_EQ(pass.status, 200) << pass.Describe();
      // The expiring certificate raised an alert of this project.
      const HttpResponse alerts =
          server_.Api("GET", "/api/v1/alerts?type=certificate_expiring&project=" + code);
      ASSERT_EQ(alerts.status, 200) << alerts.Describe();
      ASSERT_FALSE(alerts.json["items"].empty()) << alerts.Describe();
      side->alert = alerts.json["items"][0].value("id", std::int64_t{0});
      side->exemption = Post("/api/v1/post-exemptions", {{"person_id", side->person},
                                                         {"project_code", code},
                                                         {"reason", "adjacent_sections"}})
                            .value("id", std::int64_t{0});
      EnrolFace(*side);
      // The enrolment with a dormitory drafted a residence registration.
      const HttpResponse residence =
          server_.Api("GET", "/api/v1/residence-registrations?project=" + code);
      ASSERT_EQ(residence.status, 200) << residence.Describe();
      ASSERT_FALSE(residence.json["items"].empty()) << residence.Describe();
      side->registration = residence.json["items"][0].value("id", std::int64_t{0});
    }
    // A crane on each project, overloaded once: an IoT device and an alarm of each side.
    for (auto* side : {&own_, &other_}) {
      const json crane =
          Post("/api/v1/iot/devices",
               {{"kind", "tower_crane"}, {"serial", "TC-" + side->code}, {"project", side->code}});
      side->iot_device = crane.value("id", std::int64_t{0});
      iot::MqttOptions o;
      o.port = crane["mqtt"]["port"].get<std::uint16_t>();
      o.username = crane["mqtt"]["username"].get<std::string>();
      o.password = crane["mqtt"]["password"].get<std::string>();
      iot::MqttClient cab(o);
      ASSERT_TRUE(cab.Connect(10'000).ok());
      ASSERT_TRUE(cab.Publish(
          crane["mqtt"]["topic_up"].get<std::string>(),
          json{{"time", FormatRfc3339(NowUnixMs())}, {"values", {{"moment_ratio", 1.05}}}}.dump(),
          1));
      const std::string target = "/api/v1/iot/devices/" + std::to_string(side->iot_device);
      ASSERT_TRUE(e2e::WaitUntil([&] { return !server_.Api("GET", target).json["alarms"].empty(); },
                                 std::chrono::seconds(10)));
      side->iot_alarm = server_.Api("GET", target).json["alarms"][0].value("id", std::int64_t{0});
    }
    victim_user_ = Post("/api/v1/users",
                        {{"name", "victim.user"}, {"password", kPassword}, {"role", "inspector"}})
                       .value("id", std::int64_t{0});
    for (const std::string& role : kRoles) {
      if (role == "device") continue;
      json user = {{"name", UserName(role)}, {"password", kPassword}, {"role", role}};
      if (role == "site_manager") user["projects"] = {"OWNPRJ"};
      Post("/api/v1/users", user);
      Login(role);
    }
    tokens_["device"] = own_.device_token;
    // Work orders: the grid worker's own (assigned to them) and another nobody has yet.
    const HttpResponse communities = server_.Api("GET", "/api/v1/areas?level=community");
    ASSERT_EQ(communities.status, 200) << communities.Describe();
    ASSERT_FALSE(communities.json["items"].empty()) << communities.Describe();
    community_ = communities.json["items"][0].value("code", "");
    for (auto* side : {&own_, &other_}) {
      json order = {{"title", "工单 " + side->code},
                    {"category", "other"},
                    {"area_code", community_},
                    {"source", "manual"}};
      if (side == &own_) order["assignee"] = UserName("grid_worker");
      side->work_order = Post("/api/v1/work-orders", order).value("id", std::int64_t{0});
    }
  }

  // An ID-card photo of the side's person (two different women of the same sample photo).
  void EnrolFace(Side& side) {
    std::string error;
    const std::string image =
        FacePhotoBase64(&side == &own_ ? "sample3.jpg:560,300,280,350:102x126"
                                       : "sample3.jpg:1050,170,300,380:102x126",
                        &error);
    ASSERT_TRUE(error.empty()) << error;
    side.face = Post("/api/v1/persons/" + std::to_string(side.person) + "/faces",
                     {{"source", "id_card"}, {"image", image}})
                    .value("id", std::int64_t{0});
  }

  static std::string UserName(const std::string& role) { return "m." + role; }

  void Login(const std::string& role) {
    const HttpResponse r = server_.Request(
        "POST", "/api/v1/sessions", json{{"name", UserName(role)}, {"password", kPassword}}.dump(),
        std::nullopt);
    ASSERT_EQ(r.status, 201) << r.Describe();
    tokens_[role] = r.json.value("token", "");
  }

  // The value of path parameter `key` ("persons/{id}") on the caller's side or the other.
  // A route with a parameter this does not know fails the test: teach it here.
  std::optional<std::string> Fill(const std::string& key, bool own) const {
    const auto& side = own ? own_ : other_;
    if (key == "projects/{code}") return side.code;
    if (key == "persons/{id}" || key == "workers/{person_id}") return std::to_string(side.person);
    if (key == "certificates/{id}") return std::to_string(side.certificate);
    if (key == "devices/{id}") return std::to_string(side.device);
    if (key == "corps/{uscc}") return corp_;
    if (key == "users/{id}") return std::to_string(victim_user_);
    if (key == "alerts/{id}") return std::to_string(side.alert);
    if (key == "post-exemptions/{id}") return std::to_string(side.exemption);
    if (key == "faces/{face_id}") return std::to_string(side.face);
    if (key == "residence-registrations/{id}") return std::to_string(side.registration);
    if (key == "divisions/{code}") return std::string("330114");  // reference data, no scope
    // Work orders: a grid worker's are those assigned to them; areas are the district's.
    if (key == "work-orders/{id}") return std::to_string(side.work_order);
    if (key == "devices/{device}") return std::to_string(side.iot_device);
    if (key == "alarms/{alarm}") return std::to_string(side.iot_alarm);
    if (key == "photos/{photo}") return std::string("1");
    if (key == "areas/{code}") return community_;
    // Base data is district-wide (no scope): any id shows the right, found or not.
    if (key == "sources/{source}") return std::string("ps_population");
    if (key == "imports/{id}" || key == "people/{id}" || key == "houses/{id}" ||
        key == "units/{id}" || key == "decisions/{id}")
      return std::string("1");
    // So are lotteries.
    if (key == "lotteries/{id}") return std::string("1");
    if (key == "inputs/{part}") return std::string("households");
    // A terminal's callback secret: none is known to any role (404 for all).
    if (key == "uface/{secret}" || key == "hikvision/{secret}") {
      return std::string("no-such-secret");
    }
    return std::nullopt;
  }

  // The target for `pattern` with every {param} filled; "" (and a failure) when one is unknown.
  std::string Target(const std::string& pattern, bool own) const {
    std::string out;
    std::string previous;
    std::istringstream parts(pattern.substr(1));
    std::string part;
    while (std::getline(parts, part, '/')) {
      if (part.size() > 2 && part.front() == '{') {
        auto value = Fill(previous + "/" + part, own);
        if (!value) {
          ADD_FAILURE() << "access_matrix_test does not know how to fill " << previous << "/"
                        << part << " of " << pattern << ": add it to Fill()";
          return "";
        }
        out += "/" + *value;
      } else {
        out += "/" + part;
      }
      previous = part;
    }
    return out;
  }

  TestServer server_;
  Side own_, other_;
  std::string corp_;
  std::string community_;
  std::int64_t victim_user_ = 0;
  std::map<std::string, std::string> tokens_;
};

TEST_F(AccessMatrixTest, EveryRoleAgainstEveryRoute) {
  std::string error;
  const std::vector<Row> rows = ReadMatrix(&error);
  ASSERT_TRUE(error.empty()) << error;

  const HttpResponse doc = server_.Api("GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  std::set<std::pair<std::string, std::string>> routes;
  for (const auto& [path, operations] : doc.json["paths"].items()) {
    for (const auto& [method, op] : operations.items())
      routes.emplace(method, path);
  }
  std::set<std::pair<std::string, std::string>> listed;
  for (const Row& row : rows) {
    EXPECT_TRUE(listed.emplace(row.method, row.path).second)
        << "access_matrix.txt:" << row.line << ": " << row.path << " listed twice";
    EXPECT_TRUE(routes.count({row.method, row.path}))
        << "access_matrix.txt:" << row.line << ": no such route " << row.method << " " << row.path;
  }
  for (const auto& route : routes) {
    EXPECT_TRUE(listed.count(route)) << route.first << " " << route.second
                                     << " has no row in tests/access_matrix.txt: add its rule "
                                        "for every role";
  }

  int checked = 0;
  for (const Row& row : rows) {
    if (!routes.count({row.method, row.path})) continue;
    std::string method = row.method;
    for (auto& c : method)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    const std::string body = method == "GET" || method == "DELETE" ? "" : "{}";
    if (Target(row.path, true).empty()) continue;
    const std::string where =
        "access_matrix.txt:" + std::to_string(row.line) + " " + method + " " + row.path;
    const bool open = row.cells.at("district_admin") == "open";
    if (!open) {
      const HttpResponse anonymous =
          server_.Request(method, Target(row.path, true), body, std::nullopt);
      EXPECT_EQ(anonymous.status, 401) << where << " without a token: " << anonymous.Describe();
    }
    for (const std::string& role : kRoles) {
      const std::string cell = row.cells.at(role);
      const std::string& token = tokens_.at(role);
      // Filled per call: a removed face is enrolled again under a new id (below).
      const std::string own_target = Target(row.path, true);
      const std::string other_target = Target(row.path, false);
      const HttpResponse r = server_.Request(method, own_target, body, token);
      const std::string what = where + " as " + role + " (" + cell + "): " + r.Describe();
      ++checked;
      if (cell == "no") {
        EXPECT_EQ(r.status, 403) << what;
      } else {
        EXPECT_NE(r.status, 401) << what;
        EXPECT_NE(r.status, 403) << what;
        EXPECT_NE(r.status, 0) << what;
      }
      if (cell == "own") {
        EXPECT_NE(r.status, 404) << what << " (own project)";
        if (other_target != own_target) {
          const HttpResponse other = server_.Request(method, other_target, body, token);
          EXPECT_EQ(other.status, 404)
              << where << " as " << role << " naming the other project's: " << other.Describe();
        }
      }
      // A scoped caller never sees another project's rows, whatever the route.
      if ((role == "site_manager" || role == "device") && r.status < 300) {
        for (const std::string& marker : kOtherMarkers) {
          EXPECT_EQ(r.body.find(marker), std::string::npos)
              << what << ": the answer shows " << marker;
        }
      }
      // Removing the face leaves none for the next roles: enrol it again.
      if (row.path == "/api/v1/persons/{id}/faces/{face_id}" && method == "DELETE" &&
          r.status == 200) {
        EnrolFace(own_);
      }
      // Logging out ends the session the next rows need.
      if (row.path == "/api/v1/sessions/current" && method == "DELETE" && r.status == 200) {
        Login(role);
      }
    }
  }
  std::printf("[ info ] %d route x role checks over %zu routes\n", checked, routes.size());
  EXPECT_EQ(server_.Stop(), 0);
}

}  // namespace
}  // namespace zhizhi::e2e
