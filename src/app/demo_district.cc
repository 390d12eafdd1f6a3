#include "app/demo_district.h"

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "base/civil_time.h"
#include "base/resident_id.h"
#include "base/uscc.h"

namespace zhizhi::app {

namespace {

using registry::CertificateDraft;
using registry::CorpDraft;
using registry::EnrolmentDraft;
using registry::ExitDraft;
using registry::PersonDraft;
using registry::ProjectCorpDraft;
using registry::ProjectDraft;
using registry::TeamDraft;

constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr std::array<std::string_view, 24> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
    "马", "朱", "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋"};
constexpr std::array<std::string_view, 32> kGiven = {
    "伟",   "强",   "磊",   "军",   "勇",   "杰",   "涛",   "斌",   "超",   "明",   "刚",
    "平",   "辉",   "鹏",   "华",   "飞",   "建国", "建华", "国强", "志强", "海波", "春生",
    "红兵", "永刚", "德明", "文军", "小龙", "立新", "秀英", "桂兰", "丽",   "敏"};
// Where the district's workers come from (GB/T 2260 county codes).
constexpr std::array<std::string_view, 10> kOrigins = {"341221", "412726", "511321", "522425",
                                                       "330114", "362430", "431224", "350623",
                                                       "130625", "330327"};

struct ProjectSeed {
  const char* code;
  const char* name;
  const char* street;
  const char* status;
  double lat, lng;
};
constexpr std::array<ProjectSeed, 12> kProjects = {{
    {"QT2025001", "下沙街道安置房一期", "下沙街道", "active", 30.3095, 120.3380},
    {"QT2025002", "白杨街道科创园 A 区", "白杨街道", "active", 30.3160, 120.3520},
    {"QT2025003", "河庄街道江东大道改造", "河庄街道", "active", 30.2920, 120.5010},
    {"QT2025004", "义蓬街道中学新建工程", "义蓬街道", "active", 30.2790, 120.4870},
    {"QT2025005", "新湾街道半导体厂房", "新湾街道", "active", 30.3470, 120.5680},
    {"QT2025006", "临江街道污水处理厂扩建", "临江街道", "active", 30.3600, 120.6250},
    {"QT2025007", "前进街道物流仓储中心", "前进街道", "active", 30.3300, 120.6600},
    {"QT2025008", "下沙街道人才公寓", "下沙街道", "active", 30.3020, 120.3450},
    {"QT2025009", "白杨街道地铁站上盖", "白杨街道", "suspended", 30.3120, 120.3610},
    {"QT2025010", "河庄街道安置房二期", "河庄街道", "active", 30.2870, 120.4950},
    {"QT2024011", "义蓬街道卫生院迁建", "义蓬街道", "completed", 30.2750, 120.4800},
    {"QT2026012", "新湾街道智能制造产业园", "新湾街道", "planned", 30.3500, 120.5750},
}};

struct WorkSeed {
  const char* work_type;
  const char* team;
  const char* cert_type;  // special-operation certificate the work type needs, or null
  int weight;
};
constexpr std::array<WorkSeed, 10> kWork = {{
    {"020", "钢筋班", nullptr, 18},
    {"240", "木工班", nullptr, 16},
    {"040", "混凝土班", nullptr, 14},
    {"010", "砌筑班", nullptr, 12},
    {"030", "架子班", "02", 10},
    {"130", "水电班", "01", 8},
    {"270", "焊工班", "E02", 6},
    {"170", "起重班", "04", 4},
    {"190", "装修班", nullptr, 8},
    {"230", "防水班", nullptr, 4},
}};

class Seeder {
 public:
  Seeder(store::Connection& conn, registry::Registry& registry)
      : conn_(conn), registry_(registry), rng_(20260301), today_(TodayInChina()) {}

  Status Run(int workers_per_project) {
    ZZ_RETURN_IF_ERROR(MakeCorps());
    for (size_t p = 0; p < kProjects.size(); ++p) {
      ZZ_RETURN_IF_ERROR(MakeProject(p, workers_per_project));
    }
    return Status::Ok();
  }

  DemoSummary summary;

 private:
  std::string Uscc(std::string_view kind_prefix) {
    std::string first17 = std::string(kind_prefix) + "330114";
    std::uniform_int_distribution<size_t> pick(0, kUsccAlphabet.size() - 1);
    while (first17.size() < 17)
      first17.push_back(kUsccAlphabet[pick(rng_)]);
    return MakeUscc(first17);
  }

  Status MakeCorps() {
    const std::array<std::pair<const char*, const char*>, 14> corps = {{
        {"钱塘城市建设投资集团有限公司", "owner"},
        {"杭州钱塘新区建设开发有限公司", "owner"},
        {"浙江江东建设集团有限公司", "general"},
        {"杭州下沙建工集团有限公司", "general"},
        {"中建钱塘工程局有限公司", "general"},
        {"浙江白杨建筑工程有限公司", "general"},
        {"杭州江潮劳务有限公司", "labour"},
        {"安徽临泉建筑劳务有限公司", "labour"},
        {"四川南充建工劳务有限公司", "labour"},
        {"河南沈丘劳务服务有限公司", "labour"},
        {"杭州钱江工程监理有限公司", "supervisor"},
        {"浙江求是建设监理有限公司", "supervisor"},
        {"杭州塔吊设备安装有限公司", "equipment"},
        {"浙江幕墙装饰工程有限公司", "specialist"},
    }};
    for (const auto& [name, role] : corps) {
      CorpDraft d;
      d.uscc = Uscc("91");
      d.name = name;
      d.address = std::string("杭州市钱塘区") + kProjects[corps_by_role_[role].size() % 12].street;
      ZZ_RETURN_IF_ERROR(registry_.CreateCorp(conn_, d));
      corps_by_role_[role].push_back(d.uscc);
      ++summary.corps;
    }
    return Status::Ok();
  }

  Result<std::int64_t> MakePerson(bool manager) {
    PersonDraft d;
    d.id_type = "01";
    std::uniform_int_distribution<size_t> origin(0, kOrigins.size() - 1);
    std::uniform_int_distribution<int> age(manager ? 30 : 20, manager ? 58 : 60);
    std::uniform_int_distribution<int> day(0, 364);
    const Date birth = today_.AddDays(-365L * age(rng_) - day(rng_));
    const int sequence = next_sequence_++ % 1000;
    d.id_number = MakeResidentIdNumber(kOrigins[origin(rng_)], birth, sequence);
    std::uniform_int_distribution<size_t> surname(0, kSurnames.size() - 1);
    std::uniform_int_distribution<size_t> given(0, kGiven.size() - 1);
    d.name = std::string(kSurnames[surname(rng_)]) + std::string(kGiven[given(rng_)]);
    d.nation = "01";
    std::uniform_int_distribution<int> phone(0, 99999999);
    char buf[16];
    std::snprintf(buf, sizeof buf, "13%d%08d", 5 + sequence % 5, phone(rng_));
    d.phone = buf;
    auto id = registry_.CreatePerson(conn_, d);
    if (id.ok()) ++summary.persons;
    if (!id.ok() && id.status().code() == "already_exists") return MakePerson(manager);  // rare
    return id;
  }

  Status Certify(std::int64_t person, const char* kind, const char* type, int days_left) {
    CertificateDraft d;
    d.kind = kind;
    d.type_code = type;
    d.number = std::string(kind[0] == 's' && kind[1] == 'p' ? "ZJ" : "C") + type + "-" +
               std::to_string(100000 + next_certificate_++);
    d.issuer = "浙江省住房和城乡建设厅";
    d.valid_to = today_.AddDays(days_left);
    d.valid_from = std::min(d.valid_to.AddDays(-730), today_.AddDays(-30));
    ZZ_RETURN_IF_ERROR(registry_.AddCertificate(conn_, person, d).status());
    ++summary.certificates;
    return Status::Ok();
  }

  Status Enrol(const std::string& project, std::int64_t person, const std::string& uscc,
               std::optional<std::int64_t> team, const char* role, const char* work_type,
               const char* post, Date entry, const char* street) {
    EnrolmentDraft d;
    d.person_id = person;
    d.team_id = team;
    d.uscc = uscc;
    d.work_role = role;
    d.work_type = work_type;
    if (post) d.post = post;
    d.entry_date = entry;
    d.dorm_address = std::string("杭州市钱塘区") + street + "建设者之家 " +
                     std::to_string(1 + person % 6) + " 幢 " + std::to_string(101 + person % 20) +
                     " 室";
    ZZ_RETURN_IF_ERROR(registry_.Enrol(conn_, project, d).status());
    ++summary.enrolments;
    return Status::Ok();
  }

  Status MakeProject(size_t index, int workers) {
    const ProjectSeed& seed = kProjects[index];
    ProjectDraft p;
    p.code = seed.code;
    p.name = std::string("钱塘区") + seed.name;
    p.region_code = "330114";
    p.address = std::string("浙江省杭州市钱塘区") + seed.street;
    p.lat = seed.lat;
    p.lng = seed.lng;
    p.permit_no = "330114" + std::to_string(202500000000LL + index * 7919);
    p.status = "active";  // completed/suspended after enrolment, as in life
    const std::string_view status(seed.status);
    p.start_date = status == "planned"     ? today_.AddDays(60)
                   : status == "completed" ? today_.AddDays(-800)
                                           : today_.AddDays(-400 + static_cast<int>(index) * 20);
    p.end_date = status == "completed" ? today_.AddDays(-20) : p.start_date->AddDays(900);
    ZZ_RETURN_IF_ERROR(registry_.CreateProject(conn_, p));
    ++summary.projects;

    const auto& owners = corps_by_role_["owner"];
    const auto& generals = corps_by_role_["general"];
    const auto& labour = corps_by_role_["labour"];
    const auto& supervisors = corps_by_role_["supervisor"];
    const std::string owner = owners[index % owners.size()];
    const std::string general = generals[index % generals.size()];
    const std::string labour_a = labour[index % labour.size()];
    const std::string labour_b = labour[(index + 1) % labour.size()];
    const std::string supervisor = supervisors[index % supervisors.size()];
    for (const auto& [uscc, type] :
         std::vector<std::pair<std::string, const char*>>{{owner, "008"},
                                                          {general, "009"},
                                                          {supervisor, "007"},
                                                          {labour_a, "006"},
                                                          {labour_b, "006"}}) {
      ZZ_RETURN_IF_ERROR(registry_.AddProjectCorp(conn_, seed.code, ProjectCorpDraft{uscc, type}));
    }
    if (status == "planned") {
      return conn_.Prepare("UPDATE projects SET status = 'planned' WHERE code = ?")
          .Bind(1, seed.code)
          .Run();
    }

    const Date entry = *p.start_date;
    // Managers in the key posts, with their certificates.
    std::int64_t manager = 0;
    if (index == 7 && shared_manager_ != 0) {
      manager = shared_manager_;  // the same registered PM on two live projects (挂证)
    } else {
      ZZ_ASSIGN_OR_RETURN(manager, MakePerson(true));
      ZZ_RETURN_IF_ERROR(
          Certify(manager, "registered", index % 2 ? "constructor_1" : "constructor_2", 900));
      ZZ_RETURN_IF_ERROR(Certify(manager, "safety_post", "B", 600));
      if (index == 1) shared_manager_ = manager;
    }
    ZZ_RETURN_IF_ERROR(Enrol(seed.code, manager, general, std::nullopt, "10", "900",
                             "project_manager", entry, seed.street));
    ZZ_ASSIGN_OR_RETURN(std::int64_t safety, MakePerson(true));
    ZZ_RETURN_IF_ERROR(Certify(safety, "safety_post", "C", index == 2 ? -20 : 400));
    ZZ_RETURN_IF_ERROR(Enrol(seed.code, safety, general, std::nullopt, "10", "900",
                             "safety_officer", entry, seed.street));
    ZZ_ASSIGN_OR_RETURN(std::int64_t tech, MakePerson(true));
    ZZ_RETURN_IF_ERROR(Enrol(seed.code, tech, general, std::nullopt, "10", "900", "technical_lead",
                             entry, seed.street));
    ZZ_ASSIGN_OR_RETURN(std::int64_t chief, MakePerson(true));
    ZZ_RETURN_IF_ERROR(Certify(chief, "registered", "supervising_engineer", 700));
    ZZ_RETURN_IF_ERROR(Enrol(seed.code, chief, supervisor, std::nullopt, "10", "900",
                             "chief_supervising_engineer", entry, seed.street));
    ZZ_ASSIGN_OR_RETURN(std::int64_t quality, MakePerson(true));
    ZZ_RETURN_IF_ERROR(Certify(quality, "post", "quality_officer", 500));
    ZZ_RETURN_IF_ERROR(Enrol(seed.code, quality, general, std::nullopt, "10", "900",
                             "quality_officer", entry, seed.street));

    // Teams, each led by its first worker.
    int total_weight = 0;
    for (const WorkSeed& w : kWork)
      total_weight += w.weight;
    std::uniform_int_distribution<int> days_in(0, 300);
    std::uniform_int_distribution<int> cert_days(-40, 700);
    for (size_t t = 0; t < kWork.size(); ++t) {
      const WorkSeed& w = kWork[t];
      const std::string& corp = t % 2 ? labour_b : labour_a;
      TeamDraft team;
      team.name = w.team;
      team.uscc = corp;
      ZZ_ASSIGN_OR_RETURN(std::int64_t team_id, registry_.CreateTeam(conn_, seed.code, team));
      ++summary.teams;
      const int count = std::max(1, workers * w.weight / total_weight);
      for (int i = 0; i < count; ++i) {
        ZZ_ASSIGN_OR_RETURN(std::int64_t person, MakePerson(false));
        // Most special-operation workers hold their certificate; a few lapse or never had one.
        if (w.cert_type != nullptr && !(index == 0 && i == 0)) {
          ZZ_RETURN_IF_ERROR(Certify(person, "special_operation", w.cert_type, cert_days(rng_)));
        }
        ZZ_RETURN_IF_ERROR(Certify(person, "post", "safety_training", 3650));
        ZZ_RETURN_IF_ERROR(Enrol(seed.code, person, corp, team_id, "20", w.work_type, nullptr,
                                 std::min(entry.AddDays(days_in(rng_)), today_), seed.street));
        if (i == 0) {
          ZZ_RETURN_IF_ERROR(conn_.Prepare("UPDATE teams SET leader_person_id = ? WHERE id = ?")
                                 .Bind(1, person)
                                 .Bind(2, team_id)
                                 .Run());
        }
        if (i % 23 == 22) {  // some have left already
          ExitDraft exit;
          exit.exit_date = today_.AddDays(-(i % 30));
          Status status = registry_.Exit(conn_, seed.code, person, exit);
          if (status.ok()) ++summary.exits;
        }
      }
    }
    if (std::string_view(seed.status) != "active") {
      ZZ_RETURN_IF_ERROR(conn_.Prepare("UPDATE projects SET status = ? WHERE code = ?")
                             .Bind(1, seed.status)
                             .Bind(2, seed.code)
                             .Run());
    }
    return Status::Ok();
  }

  store::Connection& conn_;
  registry::Registry& registry_;
  std::mt19937 rng_;
  const Date today_;
  std::map<std::string, std::vector<std::string>> corps_by_role_;
  int next_sequence_ = 11;
  int next_certificate_ = 1;
  std::int64_t shared_manager_ = 0;
};

}  // namespace

Result<DemoSummary> SeedDemoDistrict(store::Database& db, registry::Registry& registry,
                                     int workers_per_project) {
  DemoSummary summary;
  Status status = db.Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(std::int64_t projects,
                        store::QueryInt(conn, "SELECT COUNT(*) FROM projects"));
    if (projects > 0) {
      return Status::Conflict("not_empty", "", "the data directory already holds projects");
    }
    Seeder seeder(conn, registry);
    ZZ_RETURN_IF_ERROR(seeder.Run(workers_per_project));
    summary = seeder.summary;
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return summary;
}

}  // namespace zhizhi::app
