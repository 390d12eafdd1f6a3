// What the demo district plants for the alerts engine to find (demo_district_seeder.h): key posts
// held on two live projects, lapsing key-post certificates, vacant key posts, workers on two sites
// at once, key persons who stay away, blacklisted persons who try the gate, and passes at two
// sites minutes apart (impossible travel).
#include "app/demo_district_seeder.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <utility>

#include "sim/shift_plan.h"

namespace zhizhi::app::demo {

std::vector<size_t> Seeder::Live() const {
  std::vector<size_t> live;
  for (size_t i = 0; i < sites_.size(); ++i)
    if (sites_[i].status == "active") live.push_back(i);
  return live;
}

Status Seeder::PlantAnomalies(store::Connection& conn) {
  const std::vector<size_t> live = Live();
  if (live.size() < 4) return Status::Ok();
  auto at = [&](size_t k) -> Site& { return sites_[live[k % live.size()]]; };
  const size_t n = live.size();
  // The same person in the same key post on two live projects (挂证 / 一人多岗).
  const std::vector<std::tuple<size_t, size_t, const char*>> conflicts = {
      {3, n / 3 + 1, "project_manager"},
      {10, n / 2 + 3, "project_manager"},
      {22, (2 * n) / 3 + 2, "project_manager"},
      {5, n / 2 + 7, "safety_officer"},
      {7, (3 * n) / 4 + 1, "chief_supervising_engineer"},
  };
  for (const auto& [a, b, post] : conflicts) {
    Site& from = at(a);
    Site& to = at(b);
    if (&from == &to || !from.posts.count(post)) continue;
    const std::int64_t person = from.posts.at(post);
    const std::string& uscc =
        std::string_view(post) == "chief_supervising_engineer" ? to.supervisor : to.general;
    auto enrolled =
        Enrol(conn, to, person, uscc, std::nullopt, "900", post, today_.AddDays(-rng_.Int(3, 60)));
    if (!enrolled.ok() && enrolled.status().kind() != StatusKind::kConflict) {
      return enrolled.status();
    }
  }
  // Key-post certificates expired or about to expire.
  constexpr const char* kDept = "浙江省住房和城乡建设厅";
  auto holder = [&](size_t k, const char* post) -> std::int64_t {
    const Site& s = at(k);
    auto it = s.posts.find(post);
    return it == s.posts.end() ? 0 : it->second;
  };
  struct Lapse {
    size_t site;
    const char* post;
    const char* kind;
    const char* type;
    int days_left;
  };
  for (const Lapse& l : std::vector<Lapse>{
           {2, "safety_officer", "safety_post", "C", -20},
           {15, "safety_officer", "safety_post", "C", -3},
           {12, "project_manager", "safety_post", "B", -40},
           {8, "project_manager", "safety_post", "B", 12},
           {30, "project_manager", "registered", "constructor_2", 25},
           {19, "chief_supervising_engineer", "registered", "supervising_engineer", 9},
       }) {
    const std::int64_t person = holder(l.site, l.post);
    if (person == 0) continue;
    // Planted on a new holder of the post whose only certificate of the type is lapsing (an old
    // holder's valid certificate would hide a second, lapsing one): the old holder moves on.
    Site& s = at(l.site);
    ZZ_ASSIGN_OR_RETURN(std::int64_t fresh, CreatePerson(conn, true));
    if (std::string_view(l.post) == "project_manager") {
      ZZ_RETURN_IF_ERROR(Certify(conn, fresh, "registered", "constructor_2",
                                 std::string_view(l.type) == "constructor_2" ? l.days_left : 800,
                                 "中华人民共和国住房和城乡建设部"));
      ZZ_RETURN_IF_ERROR(Certify(conn, fresh, "safety_post", "B",
                                 std::string_view(l.type) == "B" ? l.days_left : 700, kDept));
    } else {
      ZZ_RETURN_IF_ERROR(Certify(conn, fresh, l.kind, l.type, l.days_left, kDept));
    }
    ZZ_RETURN_IF_ERROR(Exit(conn, s, person, today_.AddDays(-1), "岗位调整"));
    const std::string& uscc =
        std::string_view(l.post) == "chief_supervising_engineer" ? s.supervisor : s.general;
    ZZ_RETURN_IF_ERROR(
        Enrol(conn, s, fresh, uscc, std::nullopt, "900", l.post, today_.AddDays(-rng_.Int(0, 1)))
            .status());
    s.posts[l.post] = fresh;
  }
  // Vacant key posts: the technical lead and a safety officer left and nobody replaced them.
  for (const auto& [k, post] :
       std::vector<std::pair<size_t, const char*>>{{4, "technical_lead"}, {25, "safety_officer"}}) {
    Site& s = at(k);
    auto it = s.posts.find(post);
    if (it == s.posts.end()) continue;
    ZZ_RETURN_IF_ERROR(Exit(conn, s, it->second, today_.AddDays(-rng_.Int(2, 20)), "调离"));
    s.posts.erase(it);
  }
  // Workers on two live sites at once.
  for (size_t k = 0; k < 10 && n >= 2; ++k) {
    Site& from = at(k * 7 + 1);
    Site& to = at(k * 7 + 2);
    if (&from == &to || from.members.size() < 2 * k + 20) continue;
    const Member m = from.members[from.members.size() / 2 + k];
    if (m.manager || m.exit) continue;
    const std::int64_t person = m.person;
    // The teams of `to`: take its first worker's team by name lookup.
    ZZ_ASSIGN_OR_RETURN(auto team, p_.registry().FindTeamId(conn, to.code, "钢筋一班"));
    if (!team) continue;
    auto enrolled = Enrol(conn, to, person, to.labour.front(), team, "020", "",
                          today_.AddDays(-rng_.Int(1, 20)));
    if (!enrolled.ok() && enrolled.status().kind() != StatusKind::kConflict) {
      return enrolled.status();
    }
    double_site_.push_back({person, from.code, to.code});
  }
  // Key persons who do not come: two project managers have not passed a gate for 12 days.
  for (size_t k : {9u, 33u}) {
    const Site& s = at(k);
    auto it = s.posts.find("project_manager");
    if (it != s.posts.end()) absent_.insert(it->second);
  }
  return Status::Ok();
}

Status Seeder::Blacklist() {
  const std::vector<size_t> live = Live();
  for (size_t k = 0; k < 3 && k < live.size(); ++k) {
    const Site& s = sites_[live[(k * 11 + 6) % live.size()]];
    for (const Member& m : s.members) {
      if (m.manager || m.exit) continue;
      if (m.person % 3 != static_cast<std::int64_t>(k)) continue;
      ZZ_RETURN_IF_ERROR(p_.gate()
                             ->Blacklist(m.person,
                                         k == 0 ? "在其他工地发生严重违章，列入黑名单"
                                         : k == 1 ? "冒用他人身份证件"
                                                  : "恶意讨薪扰乱施工秩序（待核实）",
                                         "demo")
                             .status());
      break;
    }
  }
  return Status::Ok();
}

// Yesterday at noon, three of the workers enrolled on two sites pass the exits of both four
// minutes apart — kilometres apart across the district (impossible_travel).
void Seeder::AddImpossibleTravel(const Date& day, std::vector<gate::DevicePass>& passes) const {
  // Exits: recorded whatever the person's state (nobody is locked in), so both are allowed.
  auto out_device = [&](const std::string& code) -> std::int64_t {
    for (const Site& s : sites_) {
      if (s.code != code) continue;
      for (const Device& d : s.devices)
        if (d.direction == "out") return d.id;
    }
    return 0;
  };
  int added = 0;
  for (const DoubleSite& d : double_site_) {
    if (added == 3) break;
    const std::int64_t a = out_device(d.first), b = out_device(d.second);
    if (a == 0 || b == 0) continue;
    const std::int64_t t = sim::LocalMinuteToUnixMs(day, 12 * 60 + 20 + added);
    for (const auto& [device, at] : {std::pair{a, t}, std::pair{b, t + 4 * 60'000}}) {
      gate::DevicePass p;
      p.device_id = device;
      p.event.event_id =
          "t" + day.ToString() + "-" + std::to_string(d.person) + "-" + std::to_string(device);
      p.event.time = Timestamp{at, kChinaUtcOffsetMinutes};
      p.event.person_id = d.person;
      p.event.score = 0.91;
      p.event.liveness = true;
      p.event.pass_mode = 1;
      passes.push_back(std::move(p));
    }
    ++added;
  }
  std::stable_sort(passes.begin(), passes.end(), [](const auto& x, const auto& y) {
    return x.event.time.unix_ms < y.event.time.unix_ms;
  });
}

}  // namespace zhizhi::app::demo
