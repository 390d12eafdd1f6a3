// The Seeder of the demo district (demo_district.h) and what it keeps of the district while it
// seeds: the sites with their members and terminals. Its work lies in one file per concept:
//   demo_district.cc            the order of the work (Run), and the entry point
//   demo_district_people.cc     identities, certificates, dormitories, enrolments and exits
//   demo_district_projects.cc   corps, projects, and the staff and teams of each site
//   demo_district_anomalies.cc  what is planted for the alerts engine to find
//   demo_district_gate.cc       the gate terminals and the days of gate history
//
// Thread-safety: a Seeder is used by one thread, once (History plans the next day on another).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/demo_district.h"
#include "app/divisions.h"
#include "base/civil_time.h"
#include "base/field_reader.h"

namespace zhizhi::app::demo {

// std::mt19937_64 through the standard distributions: the same district for the same seed (with
// one standard library).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : gen_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen_); }
  double Real(double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(gen_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(gen_); }
  double Normal(double mean, double sd) { return std::normal_distribution<double>(mean, sd)(gen_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(v.size()) - 1))];
  }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int>(N) - 1))];
  }
  // An index by weight.
  size_t Weighted(const std::vector<double>& weights) {
    return std::discrete_distribution<size_t>(weights.begin(), weights.end())(gen_);
  }
  std::mt19937_64& gen() { return gen_; }

 private:
  std::mt19937_64 gen_;
};

inline double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// A draft parsed from a JSON body by the API's own parser (registry/registry_input.h).
template <typename Draft>
Result<Draft> Parse(const nlohmann::json& body, Result<Draft> (*parse)(FieldReader&)) {
  JsonFieldReader in(body);
  return parse(in);
}

struct Member {
  std::int64_t person = 0;
  bool manager = false;
  std::string post;
  Date entry;
  std::optional<Date> exit;
  std::optional<std::string> id_number;  // set for those who pass with the ID-card reader
};

struct Device {
  std::int64_t id = 0;
  std::string serial;
  std::string direction;
  std::string zone;
  int gate = 0;
};

// A project as the seeder keeps it: its corps, key posts, members and gate terminals.
struct Site {
  std::string code;
  std::string name;
  std::string status;
  size_t street = 0;
  double lat = 0, lng = 0;
  int size = 0;  // workers planned
  std::string owner, general, supervisor;
  std::vector<std::string> labour;
  std::map<std::string, std::int64_t> posts;  // key post → holder
  std::vector<Member> members;
  std::vector<Device> devices;
  int gates = 1;
};

class Seeder {
 public:
  Seeder(Platform& platform, const DemoOptions& options);

  Result<DemoSummary> Run();

 private:
  struct NewPerson {
    std::string name;
    std::string nation = "01";
    std::string id_number;
    std::string id_address;
    std::string phone;
  };

  // demo_district.cc
  void Progress(const std::string& what);
  Status CheckEmpty();

  // People (demo_district_people.cc).
  std::string Surname();
  NewPerson MakeIdentity(bool manager);
  Result<std::int64_t> CreatePerson(store::Connection& conn, bool manager);
  Status Certify(store::Connection& conn, std::int64_t person, const char* kind, const char* type,
                 int days_left, const char* issuer);
  std::string DormDoor(const Site& site) const;
  static std::string DormRoom(int building, int room);
  std::string Dorm(const Site& site, std::int64_t person) const;
  Status SeedAddresses();
  Result<std::int64_t> Enrol(store::Connection& conn, Site& site, std::int64_t person,
                             const std::string& uscc, std::optional<std::int64_t> team,
                             const char* work_type, const std::string& post, Date entry);
  Status Exit(store::Connection& conn, Site& site, std::int64_t person, Date date,
              const char* reason);

  // Corps and projects (demo_district_projects.cc).
  std::string Uscc();
  Status Corp(store::Connection& conn, const std::string& name, std::vector<std::string>& into);
  Status MakeCorps(store::Connection& conn);
  Status MakeProjects(store::Connection& conn);
  void PlanSizes();
  Status Staff(store::Connection& conn, Site& site, const std::string& post, const char* corp_role,
               Date entry);
  Status StaffSite(store::Connection& conn, size_t index);

  // Anomalies (demo_district_anomalies.cc).
  std::vector<size_t> Live() const;
  Status PlantAnomalies(store::Connection& conn);
  Status Blacklist();
  void AddImpossibleTravel(const Date& day, std::vector<gate::DevicePass>& passes) const;

  // The gate (demo_district_gate.cc).
  Status MakeDevices();
  Status History();
  std::vector<gate::DevicePass> PlanDay(const std::vector<size_t>& playing,
                                        const std::vector<std::unordered_set<std::int64_t>>& roster,
                                        const Date day, std::int64_t now) const;

  Platform& p_;
  const DemoOptions o_;
  Rng rng_;
  const Date today_;
  const std::chrono::steady_clock::time_point started_;
  DemoSummary summary_;

  std::vector<const DivisionCounty*> counties_;
  std::vector<double> county_weights_;
  std::discrete_distribution<size_t> county_pick_;
  std::map<size_t, std::vector<std::string>> communities_;
  std::unordered_set<std::string> id_numbers_;
  std::unordered_map<std::int64_t, std::string> id_card_;
  std::vector<std::string> owners_, generals_, labour_, supervisors_, specialists_;
  std::vector<Site> sites_;
  struct DoubleSite {
    std::int64_t person;
    std::string first, second;  // project codes
  };
  std::vector<DoubleSite> double_site_;
  std::unordered_set<std::int64_t> absent_;  // key persons who stay away (key_person_absent)
  int next_certificate_ = 1;
};

}  // namespace zhizhi::app::demo
