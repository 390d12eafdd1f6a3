// The demo district's corps and projects (demo_district_seeder.h): owners, general contractors,
// labour subcontractors, supervisors and specialists; projects in Qiantang's streets; the key
// posts, teams and workers of every site, and their turnover.
#include "app/demo_district_seeder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string_view>
#include <utility>

#include "app/demo_district_words.h"
#include "base/uscc.h"
#include "registry/registry_input.h"

namespace zhizhi::app::demo {

using nlohmann::json;

std::string Seeder::Uscc() {
  std::string first17 = "91" + std::string(kRegion);
  while (first17.size() < 17)
    first17.push_back(kUsccAlphabet[static_cast<size_t>(rng_.Int(0, 30))]);
  return MakeUscc(first17);
}

Status Seeder::Corp(store::Connection& conn, const std::string& name,
                    std::vector<std::string>& into) {
  const std::string uscc = Uscc();
  const StreetSeed& street = rng_.Pick(kStreetSeeds);
  json body = {{"uscc", uscc},
               {"name", name},
               {"legal_person", Surname() + rng_.Pick(kMaleGiven)},
               {"address", std::string("浙江省杭州市钱塘区") + street.name +
                               rng_.Pick(street.roads) + std::to_string(rng_.Int(1, 999)) + "号"}};
  ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseCorp));
  ZZ_RETURN_IF_ERROR(p_.registry().CreateCorp(conn, draft));
  into.push_back(uscc);
  ++summary_.corps;
  return Status::Ok();
}

Status Seeder::MakeCorps(store::Connection& conn) {
  for (const char* name : {"杭州钱塘城市建设投资集团有限公司", "杭州钱塘新区建设开发有限公司",
                           "杭州钱塘智慧城投资开发有限公司", "杭州下沙街道资产经营有限公司",
                           "杭州大江东产业集聚区开发建设有限公司", "杭州钱塘区教育发展有限公司",
                           "杭州钱塘医药港建设有限公司", "杭州临江开发投资有限公司"}) {
    ZZ_RETURN_IF_ERROR(Corp(conn, name, owners_));
  }
  for (const char* name : {"浙江江东建设集团有限公司",     "杭州下沙建工集团有限公司",
                           "中建钱塘工程局有限公司",       "浙江白杨建筑工程有限公司",
                           "浙江省建工集团有限责任公司",   "杭州萧宏建设环境集团有限公司",
                           "浙江宝业建设集团有限公司",     "中天建设集团有限公司",
                           "浙江中成建工集团有限公司",     "杭州市建设工程集团有限公司",
                           "浙江大东吴集团建设有限公司",   "龙元建设集团股份有限公司",
                           "浙江耀华建设集团有限公司",     "杭州天和建设集团有限公司",
                           "浙江国丰集团有限公司",         "华东建设工程有限公司",
                           "浙江钱江建筑工程有限公司",     "杭州新湾建设有限公司",
                           "浙江临江市政园林工程有限公司", "杭州义蓬建筑安装工程有限公司"}) {
    ZZ_RETURN_IF_ERROR(Corp(conn, name, generals_));
  }
  for (const char* name : {"安徽临泉宏达建筑劳务有限公司", "安徽阜南鑫盛建筑劳务有限公司",
                           "河南沈丘鑫源劳务服务有限公司", "河南固始建安劳务有限公司",
                           "四川南充建工劳务有限公司",     "四川达州巴山建筑劳务有限公司",
                           "贵州毕节黔兴建筑劳务有限公司", "江西鄱阳昌盛建筑劳务有限公司",
                           "湖南邵东湘力劳务有限公司",     "湖北黄冈楚天建筑劳务有限公司",
                           "重庆开州渝东建筑劳务有限公司", "云南昭通滇东劳务有限公司",
                           "杭州江潮劳务有限公司",         "杭州钱塘建筑劳务有限公司",
                           "甘肃天水陇原劳务有限公司",     "广西玉林桂工建筑劳务有限公司",
                           "四川凉山彝海建筑劳务有限公司", "河南周口豫东劳务有限公司",
                           "安徽六安皖西建筑劳务有限公司", "江西赣州赣南劳务有限公司",
                           "湖南衡阳雁城劳务有限公司",     "陕西商洛秦岭建筑劳务有限公司"}) {
    ZZ_RETURN_IF_ERROR(Corp(conn, name, labour_));
  }
  for (const char* name : {"杭州钱江工程监理有限公司", "浙江求是建设监理有限公司",
                           "浙江江南工程管理股份有限公司", "杭州信达投资咨询估价监理有限公司",
                           "浙江明康工程咨询有限公司", "杭州天恒投资建设管理有限公司"}) {
    ZZ_RETURN_IF_ERROR(Corp(conn, name, supervisors_));
  }
  for (const char* name : {"杭州钱塘塔吊设备安装有限公司", "浙江亚厦幕墙有限公司",
                           "杭州城建设备安装有限公司", "浙江华东消防工程有限公司"}) {
    ZZ_RETURN_IF_ERROR(Corp(conn, name, specialists_));
  }
  return Status::Ok();
}

Status Seeder::MakeProjects(store::Connection& conn) {
  const int n = o_.projects;
  std::vector<double> street_weights, kind_weights;
  for (const auto& s : kStreetSeeds)
    street_weights.push_back(s.weight);
  for (const auto& k : kProjectKinds)
    kind_weights.push_back(k.weight);
  std::map<std::string, int> phases;
  for (int i = 0; i < n; ++i) {
    Site site;
    // Statuses: mostly active; a few suspended, planned and completed (never the first two,
    // which the simulator's defaults use).
    const int r = i < 2 ? 0 : rng_.Int(0, 99);
    site.status = r < 84 ? "active" : r < 89 ? "suspended" : r < 94 ? "planned" : "completed";
    site.street = rng_.Weighted(street_weights);
    const StreetSeed& street = kStreetSeeds[site.street];
    const ProjectKind& kind = kProjectKinds[rng_.Weighted(kind_weights)];
    site.lat = std::clamp(street.lat + rng_.Normal(0, 0.009), 30.281, 30.379);
    site.lng = std::clamp(street.lng + rng_.Normal(0, 0.012), 120.301, 120.549);
    site.size = std::max(1, static_cast<int>(kind.size * std::exp(rng_.Normal(0, 0.45)) * 100));
    Date start = site.status == "planned"     ? today_.AddDays(rng_.Int(20, 120))
                 : site.status == "completed" ? today_.AddDays(-rng_.Int(700, 1100))
                                              : today_.AddDays(-rng_.Int(90, 900));
    // The first two are QT2025001 and QT2025002, the simulator's defaults.
    if (i < 2 && today_ > Date{2025, 12, 31}) start = Date{2025, 3 + i * 4, 10};
    const Date end = site.status == "completed" ? today_.AddDays(-rng_.Int(10, 200))
                                                : start.AddDays(rng_.Int(540, 1200));
    char code[16];
    std::snprintf(code, sizeof code, "QT%04d%03d", start.year, i + 1);
    site.code = code;
    const std::string community =
        communities_[site.street].empty() ? "" : rng_.Pick(communities_[site.street]);
    std::string base =
        std::string(street.name).substr(0, std::string(street.name).size() - 6) +
        (rng_.Chance(0.5)
             ? community.substr(0, community.size() >= 9 ? community.size() - 6 : community.size())
             : "") +
        kind.name;
    const int phase = ++phases[base];
    site.name =
        "钱塘区" + base +
        (phase > 1 || rng_.Chance(0.3) ? std::string(kOrdinals[std::min(phase - 1, 9)]) + "期"
                                       : "");
    if (phase > 1) site.name += "（" + std::to_string(i + 1) + "号地块）";
    json body = {{"code", site.code},
                 {"name", site.name},
                 {"region_code", kRegion},
                 {"address", std::string("浙江省杭州市钱塘区") + street.name +
                                 rng_.Pick(street.roads) + "与" + rng_.Pick(street.roads) +
                                 "交叉口" + (community.empty() ? "" : "（" + community + "）")},
                 {"lat", std::round(site.lat * 1e6) / 1e6},
                 {"lng", std::round(site.lng * 1e6) / 1e6},
                 {"permit_no", "330114" + start.ToString().substr(0, 4) +
                                   std::to_string(10000000 + 7919 * (i + 1) % 9000000) + "0101"},
                 {"status", site.status},
                 {"start_date", start.ToString()},
                 {"end_date", end.ToString()}};
    {
      // The same road twice reads badly ("学林街与学林街交叉口"): a house number instead.
      const std::string a = body["address"].get<std::string>();
      for (const char* road : street.roads) {
        if (a.find(std::string(road) + "与" + road) != std::string::npos) {
          body["address"] = std::string("浙江省杭州市钱塘区") + street.name + road +
                            std::to_string(rng_.Int(1, 999)) + "号";
        }
      }
    }
    ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseProject));
    ZZ_RETURN_IF_ERROR(p_.registry().CreateProject(conn, draft));
    ++summary_.projects;

    site.owner = rng_.Pick(owners_);
    site.general = rng_.Pick(generals_);
    site.supervisor = rng_.Pick(supervisors_);
    const int labour = site.size > 600 ? 3 : site.size > 250 ? 2 : 1;
    std::set<std::string> chosen;
    while (static_cast<int>(chosen.size()) < labour)
      chosen.insert(rng_.Pick(labour_));
    site.labour.assign(chosen.begin(), chosen.end());
    std::vector<std::pair<std::string, const char*>> corps = {
        {site.owner, "008"}, {site.general, "009"}, {site.supervisor, "007"}};
    for (const auto& l : site.labour)
      corps.emplace_back(l, "006");
    if (rng_.Chance(0.4)) corps.emplace_back(rng_.Pick(specialists_), "001");
    for (const auto& [uscc, type] : corps) {
      ZZ_ASSIGN_OR_RETURN(
          auto pc, Parse(json{{"uscc", uscc}, {"corp_type", type}}, registry::ParseProjectCorp));
      ZZ_RETURN_IF_ERROR(p_.registry().AddProjectCorp(conn, site.code, pc));
    }
    site.gates = site.size > 500 ? 2 : 1;
    sites_.push_back(std::move(site));
  }
  return Status::Ok();
}

// Scales the planned sizes so the people add up to about `persons`.
void Seeder::PlanSizes() {
  double total = 0;
  int staffed = 0;
  for (const Site& s : sites_) {
    if (s.status == "active" || s.status == "suspended") {
      total += s.size;
      ++staffed;
    }
  }
  const double managers = staffed * 8.0 + 6;
  const double workers = std::max(10.0, o_.persons - managers);
  for (Site& s : sites_) {
    s.size = std::max(8, static_cast<int>(std::lround(s.size * workers / std::max(1.0, total))));
  }
}

// Managers in the key posts and the usual others, with the certificates their posts need.
Status Seeder::Staff(store::Connection& conn, Site& site, const std::string& post,
                     const char* corp_role, Date entry) {
  const std::string& uscc =
      std::string_view(corp_role) == "supervisor" ? site.supervisor : site.general;
  ZZ_ASSIGN_OR_RETURN(std::int64_t person, CreatePerson(conn, true));
  constexpr const char* kDept = "浙江省住房和城乡建设厅";
  if (post == "project_manager") {
    ZZ_RETURN_IF_ERROR(Certify(conn, person, "registered",
                               site.size > 500 ? "constructor_1" : "constructor_2",
                               rng_.Int(200, 1200), "中华人民共和国住房和城乡建设部"));
    ZZ_RETURN_IF_ERROR(Certify(conn, person, "safety_post", "B", rng_.Int(90, 1000), kDept));
  } else if (post == "safety_officer") {
    ZZ_RETURN_IF_ERROR(Certify(conn, person, "safety_post", "C", rng_.Int(60, 1000), kDept));
  } else if (post == "chief_supervising_engineer") {
    ZZ_RETURN_IF_ERROR(Certify(conn, person, "registered", "supervising_engineer",
                               rng_.Int(100, 1200), "中华人民共和国住房和城乡建设部"));
  } else if (post == "technical_lead") {
    ZZ_RETURN_IF_ERROR(Certify(conn, person, "registered", "constructor_2", rng_.Int(100, 1200),
                               "浙江省住房和城乡建设厅"));
  } else if (post != "supervising_engineer") {
    ZZ_RETURN_IF_ERROR(
        Certify(conn, person, "post", post.c_str(), rng_.Int(60, 1500), "杭州市建设行业协会"));
  }
  ZZ_RETURN_IF_ERROR(Enrol(conn, site, person, uscc, std::nullopt, "900", post, entry).status());
  site.posts[post] = person;
  return Status::Ok();
}

Status Seeder::StaffSite(store::Connection& conn, size_t index) {
  Site& site = sites_[index];
  if (site.status == "completed") return Status::Ok();  // its people left long ago
  // Managers came when the works began (or a few weeks ago, for a long-running site).
  const Date entry = std::min(today_.AddDays(-rng_.Int(35, 300)), today_);
  if (site.status == "planned") {
    // Only the owner's preparations: a project manager and a chief supervisor are named.
    ZZ_RETURN_IF_ERROR(Staff(conn, site, "project_manager", "general", today_.AddDays(-5)));
    return Staff(conn, site, "chief_supervising_engineer", "supervisor", today_.AddDays(-5));
  }
  for (const char* post : {"project_manager", "technical_lead", "safety_officer", "quality_officer",
                           "constructor", "labour_manager", "documentation_officer"}) {
    ZZ_RETURN_IF_ERROR(Staff(conn, site, post, "general", entry));
  }
  ZZ_RETURN_IF_ERROR(Staff(conn, site, "chief_supervising_engineer", "supervisor", entry));
  if (site.size > 400)
    ZZ_RETURN_IF_ERROR(Staff(conn, site, "supervising_engineer", "supervisor", entry));

  // Teams of the national work types; the first member leads.
  std::vector<double> weights;
  for (const WorkSeed& w : kWork)
    weights.push_back(w.weight);
  const int teams = std::clamp(site.size / 45, 3, 18);
  std::vector<size_t> work;
  for (int t = 0; t < teams; ++t)
    // Every site has rebar, carpentry and electricians; then by weight.
    work.push_back(t == 0 ? 0 : t == 1 ? 1 : t == 2 ? 6 : rng_.Weighted(weights));
  std::map<size_t, int> seen;
  double team_weight = 0;
  for (size_t w : work)
    team_weight += kWork[w].weight;
  for (int t = 0; t < teams; ++t) {
    const WorkSeed& w = kWork[work[static_cast<size_t>(t)]];
    const int ordinal = seen[work[static_cast<size_t>(t)]]++;
    const std::string& corp = site.labour[static_cast<size_t>(t) % site.labour.size()];
    const int members =
        std::max(3, static_cast<int>(std::lround(site.size * w.weight / team_weight)));
    std::vector<std::int64_t> people;
    for (int i = 0; i < members; ++i) {
      ZZ_ASSIGN_OR_RETURN(std::int64_t person, CreatePerson(conn, false));
      people.push_back(person);
    }
    json team = {{"name", std::string(w.team) + kOrdinals[std::min(ordinal, 9)] + "班"},
                 {"uscc", corp},
                 {"leader_person_id", people.front()}};
    ZZ_ASSIGN_OR_RETURN(auto team_draft, Parse(team, registry::ParseTeam));
    ZZ_ASSIGN_OR_RETURN(std::int64_t team_id,
                        p_.registry().CreateTeam(conn, site.code, team_draft));
    ++summary_.teams;
    for (std::int64_t person : people) {
      // Most came more than a month ago; some in the last weeks.
      const Date entry_date =
          rng_.Chance(0.85) ? today_.AddDays(-rng_.Int(35, 400)) : today_.AddDays(-rng_.Int(0, 34));
      if (w.cert_kind != nullptr) {
        const double r = rng_.Real(0, 1);
        if (r >= 0.012) {                                  // 1.2% never had one
          const int days = r < 0.05   ? -rng_.Int(1, 240)  // expired
                           : r < 0.10 ? rng_.Int(1, 30)    // expiring
                                      : rng_.Int(31, 1800);
          ZZ_RETURN_IF_ERROR(
              Certify(conn, person, w.cert_kind, w.cert_type, days, "浙江省住房和城乡建设厅"));
        }
      }
      if (!rng_.Chance(0.008)) {  // a few never had the three-level safety training
        ZZ_RETURN_IF_ERROR(Certify(conn, person, "post", "safety_training", rng_.Int(200, 1000),
                                   "杭州市钱塘区建设工程安全监督站"));
      }
      ZZ_RETURN_IF_ERROR(
          Enrol(conn, site, person, corp, team_id, w.work_type, "", entry_date).status());
    }
    // Turnover: about a quarter are former workers, gone before the last month (they stay in
    // the registry, with their enrolment history); some left in the last weeks (they may try
    // the gate once more).
    for (size_t i = 1; i < people.size(); ++i) {  // the leader stays
      const std::int64_t person = people[i];
      Member* m = nullptr;
      for (Member& x : site.members)
        if (x.person == person) m = &x;
      const int since = static_cast<int>(today_.DaysSinceEpoch() - m->entry.DaysSinceEpoch());
      if (since > 60 && rng_.Chance(0.27)) {
        const Date exit = today_.AddDays(-rng_.Int(35, std::min(since - 1, 300)));
        ZZ_RETURN_IF_ERROR(
            Exit(conn, site, person, exit, rng_.Chance(0.7) ? "合同期满" : "个人原因离职"));
        continue;
      }
      if (since < 2 || !rng_.Chance(0.04)) continue;
      const Date exit = today_.AddDays(-rng_.Int(1, std::min(since - 1, 28)));
      ZZ_RETURN_IF_ERROR(
          Exit(conn, site, person, exit, rng_.Chance(0.6) ? "合同期满" : "个人原因离职"));
    }
  }
  return Status::Ok();
}

}  // namespace zhizhi::app::demo
