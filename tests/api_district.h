// A small district built through the HTTP API of a TestServer, for the end-to-end tests of the
// gate and of the terminals: corps, projects with teams, persons with certificates, enrolments
// and devices. Every call asserts its expected status.
//
// Thread-safety: one District belongs to one test thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "base/resident_id.h"
#include "test_server.h"

namespace zhizhi::e2e {

inline constexpr const char* kGeneral = "91350100M000100Y43";  // general contractor
inline constexpr const char* kLabour = "91331122MA2A0M9B7N";   // labour subcontractor

struct Device {
  std::int64_t id = 0;
  std::string token;
};

// Builds projects, corps, teams, persons, certificates and enrolments through the API.
class District {
 public:
  explicit District(TestServer& server) : s_(server) {}

  nlohmann::json Call(const std::string& method, const std::string& target, const std::string& body,
                      int status) {
    const HttpResponse r = s_.Api(method, target, body);
    EXPECT_EQ(r.status, status) << method << " " << target << " " << body << "\n" << r.Describe();
    return r.json;
  }
  nlohmann::json Post(const std::string& target, const nlohmann::json& body, int status = 201) {
    return Call("POST", target, body.dump(), status);
  }

  // Corps, an active project with both corps and one team.
  void Project(const std::string& code) {
    if (!corps_) {
      Post("/api/v1/corps", {{"uscc", kGeneral}, {"name", "钱塘建设"}});
      Post("/api/v1/corps", {{"uscc", kLabour}, {"name", "丽水劳务"}});
      corps_ = true;
    }
    Post("/api/v1/projects", {{"code", code},
                              {"name", "工地" + code},
                              {"region_code", "330114"},
                              {"status", "active"},
                              {"lat", 30.5},
                              {"lng", 120.25},
                              {"start_date", "2026-01-01"}});
    Post("/api/v1/projects/" + code + "/corps", {{"uscc", kGeneral}, {"corp_type", "009"}});
    Post("/api/v1/projects/" + code + "/corps", {{"uscc", kLabour}, {"corp_type", "006"}});
    teams_[code] =
        Post("/api/v1/projects/" + code + "/teams", {{"name", "班组" + code}, {"uscc", kLabour}})
            .value("id", std::int64_t{0});
  }

  std::string IdNumber(int n) const {
    return MakeResidentIdNumber("330102", Date{1980 + n / 1000, 1 + n % 12, 1 + n % 28}, n % 1000);
  }
  std::int64_t Person(const std::string& name) {
    const int n = ++persons_;
    const std::int64_t id =
        Post("/api/v1/persons", {{"id_type", "01"}, {"id_number", IdNumber(n)}, {"name", name}})
            .value("id", std::int64_t{0});
    EXPECT_GT(id, 0);
    id_numbers_[id] = IdNumber(n);
    return id;
  }
  const std::string& IdNumberOf(std::int64_t person) { return id_numbers_[person]; }

  // A certificate valid from `from` to `to` days relative to today.
  std::int64_t Cert(std::int64_t person, const std::string& kind, const std::string& type,
                    int from = -30, int to = 700) {
    return Post("/api/v1/persons/" + std::to_string(person) + "/certificates",
                {{"kind", kind},
                 {"type_code", type},
                 {"number", "C-" + std::to_string(++certs_)},
                 {"valid_from", ChinaDate(from)},
                 {"valid_to", ChinaDate(to)}})
        .value("id", std::int64_t{0});
  }
  std::int64_t Training(std::int64_t person) { return Cert(person, "post", "safety_training"); }
  void Revoke(std::int64_t cert) {
    Post("/api/v1/certificates/" + std::to_string(cert) + "/revoke", {{"reason", "吊销"}}, 200);
  }

  void Worker(const std::string& project, std::int64_t person, const std::string& work_type) {
    Post("/api/v1/projects/" + project + "/workers", {{"person_id", person},
                                                      {"team_id", teams_[project]},
                                                      {"uscc", kLabour},
                                                      {"work_role", "20"},
                                                      {"work_type", work_type},
                                                      {"entry_date", ChinaDate(-20)}});
  }
  void Manager(const std::string& project, std::int64_t person, const std::string& post) {
    Post("/api/v1/projects/" + project + "/workers", {{"person_id", person},
                                                      {"uscc", kGeneral},
                                                      {"work_role", "10"},
                                                      {"post", post},
                                                      {"entry_date", ChinaDate(-20)}});
  }
  void Exit(const std::string& project, std::int64_t person) {
    Post("/api/v1/projects/" + project + "/workers/" + std::to_string(person) + "/exit",
         {{"exit_date", ChinaDate()}}, 200);
  }
  // A trained worker (020) on each of `projects`.
  std::int64_t GoodWorker(const std::string& name, const std::vector<std::string>& projects) {
    const std::int64_t id = Person(name);
    Training(id);
    for (const auto& p : projects)
      Worker(p, id, "020");
    return id;
  }

  Device AddDevice(const std::string& project, const std::string& serial,
                   const std::string& direction) {
    const nlohmann::json r = Post("/api/v1/projects/" + project + "/devices",
                                  {{"serial", serial}, {"direction", direction}, {"zone", "东门"}});
    Device d{r.value("id", std::int64_t{0}), r.value("token", std::string())};
    EXPECT_GT(d.id, 0);
    EXPECT_EQ(d.token.size(), 64u) << r.dump();
    return d;
  }

 private:
  TestServer& s_;
  bool corps_ = false;
  int persons_ = 0;
  int certs_ = 0;
  std::map<std::string, std::int64_t> teams_;
  std::map<std::int64_t, std::string> id_numbers_;
};

}  // namespace zhizhi::e2e
