#include "app/demo_district.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/divisions.h"
#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/resident_id.h"
#include "base/uscc.h"
#include "registry/registry_input.h"
#include "sim/shift_plan.h"

namespace zhizhi::app {

namespace {

using nlohmann::json;

constexpr const char* kRegion = "330114";
constexpr std::string_view kUsccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

// ---------------------------------------------------------------------------------- word lists

// Surnames by frequency (the commonest first); picked with a Zipf-like weight.
constexpr std::array<const char*, 80> kSurnames = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
    "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "闫", "段", "雷", "侯"};
constexpr std::array<const char*, 64> kMaleGiven = {
    "伟",   "强",   "磊",   "军",   "勇",   "杰",   "涛",   "斌",   "超",   "明",   "刚",
    "平",   "辉",   "鹏",   "华",   "飞",   "建国", "建华", "国强", "志强", "海波", "春生",
    "红兵", "永刚", "德明", "文军", "小龙", "立新", "卫东", "长青", "金龙", "富贵", "广平",
    "大勇", "家豪", "俊杰", "子轩", "浩然", "宏伟", "志刚", "建军", "庆丰", "国华", "新民",
    "振华", "保国", "学文", "玉林", "德胜", "春雷", "海军", "双喜", "有才", "水生", "根生",
    "福林", "成龙", "天佑", "明辉", "先锋", "忠诚", "光明", "东升", "连生"};
constexpr std::array<const char*, 32> kFemaleGiven = {
    "秀英", "桂兰", "丽",   "敏",   "静",   "燕",   "艳",   "娟",   "霞",   "芳",   "玉兰",
    "红梅", "春花", "翠萍", "丽娟", "美玲", "小红", "海燕", "金凤", "淑珍", "桂英", "雪梅",
    "晓燕", "凤英", "秀兰", "月英", "巧云", "彩霞", "婷",   "慧",   "琳",   "倩"};
// Minority workers from Liangshan (彝族), Xinjiang and Tibet with their full names: the long
// names the screen must lay out without breaking.
struct MinorityName {
  const char* name;
  const char* nation;  // GB/T 3304
  bool female;
  const char* region;  // county code prefix where such names are at home
};
constexpr std::array<MinorityName, 16> kMinorityNames = {{
    {"阿卜杜热合曼·买买提", "05", false, "65"},
    {"艾合买提江·吐尔逊", "05", false, "65"},
    {"买买提依明·艾则孜", "05", false, "65"},
    {"热依汗古丽·阿不都热依木", "05", true, "65"},
    {"努尔兰·阿依达尔别克", "17", false, "65"},
    {"吉克伍沙", "07", false, "5134"},
    {"阿苏木呷", "07", false, "5134"},
    {"沙马阿果", "07", false, "5134"},
    {"马海尔布", "07", false, "5134"},
    {"俄木拉则", "07", false, "5134"},
    {"吉伍木呷", "07", false, "5134"},
    {"阿西阿呷", "07", true, "5134"},
    {"扎西多吉", "04", false, "5133"},
    {"次仁旺堆", "04", false, "5133"},
    {"泽仁邓珠", "04", false, "5132"},
    {"拉姆卓玛", "04", true, "5133"},
}};

constexpr std::array<const char*, 24> kTownNames = {
    "城关", "新集", "王店", "李集", "黄岭", "石桥", "白沙", "柳林", "高庙", "双河", "杨楼", "陈湾",
    "大王", "张寨", "刘庄", "河口", "青山", "马坪", "龙泉", "三里", "朱集", "花园", "平安", "长岭"};
constexpr std::array<const char*, 16> kVillageNames = {
    "前进", "光明", "红旗", "新华", "团结", "和平", "东风", "胜利",
    "建设", "幸福", "民主", "友谊", "永安", "兴隆", "太平", "丰收"};

// Streets: the share of projects, a centre inside the district's box (lat 30.28–30.38, lng
// 120.30–120.55) and roads to name addresses after.
struct StreetSeed {
  const char* name;
  double lat, lng;
  int weight;
  std::array<const char*, 4> roads;
};
constexpr std::array<StreetSeed, 7> kStreetSeeds = {{
    {"下沙街道", 30.312, 120.338, 26, {"学林街", "文渊路", "6号大街", "下沙路"}},
    {"白杨街道", 30.302, 120.372, 20, {"学源街", "2号大街", "福城路", "文泽路"}},
    {"河庄街道", 30.296, 120.432, 14, {"江东大道", "河庄路", "青西三路", "纬一路"}},
    {"义蓬街道", 30.288, 120.478, 12, {"义蓬路", "青六北路", "头蓬路", "江东二路"}},
    {"新湾街道", 30.333, 120.503, 12, {"新湾路", "纬十路", "青六中路", "经二路"}},
    {"临江街道", 30.364, 120.532, 9, {"临江大道", "纬七路", "经五路", "围垦路"}},
    {"前进街道", 30.346, 120.544, 7, {"前进路", "红十五线", "江东大道", "纬九路"}},
}};

struct ProjectKind {
  const char* name;
  int weight;
  int size;  // relative head-count
};
constexpr std::array<ProjectKind, 18> kProjectKinds = {{
    {"安置房", 14, 5},
    {"人才公寓", 6, 4},
    {"商品住宅", 10, 5},
    {"中学新建工程", 4, 3},
    {"小学新建工程", 5, 3},
    {"幼儿园新建工程", 4, 1},
    {"道路改造工程", 7, 2},
    {"综合管廊工程", 3, 2},
    {"半导体厂房", 5, 4},
    {"生物医药产业园", 5, 4},
    {"汽车零部件厂房", 4, 3},
    {"物流仓储中心", 4, 2},
    {"污水处理厂扩建", 2, 2},
    {"地铁站上盖开发", 2, 5},
    {"社区卫生服务中心", 3, 1},
    {"科创园", 6, 4},
    {"商业综合体", 4, 5},
    {"邻里中心", 4, 2},
}};

struct WorkSeed {
  const char* work_type;
  const char* team;
  const char* cert_kind;  // special-operation certificate the work type needs, or null
  const char* cert_type;
  int weight;
};
constexpr std::array<WorkSeed, 14> kWork = {{
    {"020", "钢筋", nullptr, nullptr, 18},
    {"240", "木工", nullptr, nullptr, 15},
    {"040", "混凝土", nullptr, nullptr, 11},
    {"010", "砌筑", nullptr, nullptr, 10},
    {"050", "模板", nullptr, nullptr, 7},
    {"030", "架子", "special_operation", "02", 8},
    {"130", "水电", "special_operation", "01", 7},
    {"270", "电焊", "special_operation", "E02", 5},
    {"170", "信号司索", "special_operation", "04", 3},
    {"180", "塔吊安拆", "special_operation", "08", 1},
    {"190", "装饰装修", nullptr, nullptr, 7},
    {"230", "防水", nullptr, nullptr, 3},
    {"110", "管道", nullptr, nullptr, 3},
    {"300", "测量放线", nullptr, nullptr, 2},
}};
constexpr std::array<const char*, 10> kOrdinals = {"一", "二", "三", "四", "五",
                                                   "六", "七", "八", "九", "十"};

// ---------------------------------------------------------------------------------- helpers

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

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

template <typename Draft>
Result<Draft> Parse(const json& body, Result<Draft> (*parse)(FieldReader&)) {
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
  Seeder(Platform& platform, const DemoOptions& options)
      : p_(platform),
        o_(options),
        rng_(options.seed),
        today_(TodayInChina()),
        started_(std::chrono::steady_clock::now()) {
    for (const DivisionCounty& c : kSourceCounties) {
      counties_.push_back(&c);
      county_weights_.push_back(c.weight);
    }
    // Within a province the counties share its weight.
    std::map<std::string, int> per_province;
    for (const DivisionCounty* c : counties_)
      ++per_province[std::string(c->code, 2)];
    for (size_t i = 0; i < counties_.size(); ++i) {
      county_weights_[i] /= per_province[std::string(counties_[i]->code, 2)];
    }
    county_pick_ =
        std::discrete_distribution<size_t>(county_weights_.begin(), county_weights_.end());
    for (size_t s = 0; s < std::size(kQiantangStreets); ++s) {
      for (const DivisionCommunity& c : kQiantangCommunities) {
        if (std::string_view(c.street_code) == kQiantangStreets[s].code) {
          communities_[s].push_back(c.name);
        }
      }
    }
  }

  Result<DemoSummary> Run() {
    ZZ_RETURN_IF_ERROR(CheckEmpty());
    Progress("registry: corps and projects");
    ZZ_RETURN_IF_ERROR(p_.db().Write([&](store::Connection& conn) -> Status {
      ZZ_RETURN_IF_ERROR(MakeCorps(conn));
      return MakeProjects(conn);
    }));
    PlanSizes();
    Progress("addresses: the dormitories' door plates and rooms");
    ZZ_RETURN_IF_ERROR(SeedAddresses());
    for (size_t i = 0; i < sites_.size(); ++i) {
      ZZ_RETURN_IF_ERROR(
          p_.db().Write([&](store::Connection& conn) { return StaffSite(conn, i); }));
      if (i % 20 == 19) Progress("registry: " + std::to_string(i + 1) + " projects staffed");
    }
    ZZ_RETURN_IF_ERROR(
        p_.db().Write([&](store::Connection& conn) { return PlantAnomalies(conn); }));
    summary_.registry_seconds = Seconds(started_);
    Progress("registry done: " + std::to_string(summary_.persons) + " persons");

    if (p_.gate() == nullptr) {
      gate::GateOptions options;
      options.tick_seconds = 86'400;  // housekeeping is done here, day by day
      ZZ_RETURN_IF_ERROR(p_.StartGate(options));
    }
    const auto history_start = std::chrono::steady_clock::now();
    // A bulk load touches index pages all over the gate's tables: give this process's writer a
    // cache that holds them (256 MiB instead of 16), or it rereads pages for every pass.
    ZZ_RETURN_IF_ERROR(p_.db().Write(
        [](store::Connection& conn) { return conn.Exec("PRAGMA cache_size=-262144"); }));
    ZZ_RETURN_IF_ERROR(MakeDevices());
    ZZ_RETURN_IF_ERROR(Blacklist());
    ZZ_RETURN_IF_ERROR(History());
    summary_.history_seconds = Seconds(history_start);
    return summary_;
  }

 private:
  void Progress(const std::string& what) {
    if (!o_.quiet) std::fprintf(stderr, "  [%5.1f s] %s\n", Seconds(started_), what.c_str());
  }

  Status CheckEmpty() {
    ZZ_ASSIGN_OR_RETURN(std::int64_t projects, p_.db().Read([](store::Connection& conn) {
      return store::QueryInt(conn, "SELECT COUNT(*) FROM projects");
    }));
    if (projects > 0) {
      return Status::Conflict("not_empty", "", "the data directory already holds projects");
    }
    return Status::Ok();
  }

  // ------------------------------------------------------------------------------ people

  std::string Uscc() {
    std::string first17 = "91" + std::string(kRegion);
    while (first17.size() < 17)
      first17.push_back(kUsccAlphabet[static_cast<size_t>(rng_.Int(0, 30))]);
    return MakeUscc(first17);
  }

  std::string Surname() {
    // Zipf-like: the commonest surnames much more often.
    const double u = rng_.Real(0, 1);
    const size_t i = static_cast<size_t>(std::pow(u, 2.2) * kSurnames.size());
    return kSurnames[std::min(i, kSurnames.size() - 1)];
  }

  struct NewPerson {
    std::string name;
    std::string nation = "01";
    std::string id_number;
    std::string id_address;
    std::string phone;
  };

  NewPerson MakeIdentity(bool manager) {
    NewPerson n;
    const DivisionCounty* county = counties_[county_pick_(rng_.gen())];
    if (manager && rng_.Chance(0.6)) {
      // Most managers are from Zhejiang.
      static std::vector<const DivisionCounty*> zhejiang;
      if (zhejiang.empty()) {
        for (const DivisionCounty* c : counties_)
          if (std::string_view(c->code).substr(0, 2) == "33") zhejiang.push_back(c);
      }
      if (!zhejiang.empty()) county = rng_.Pick(zhejiang);
    }
    const bool female = rng_.Chance(manager ? 0.18 : 0.07);
    // Construction workers are older than most: 20–62, around 46; managers 28–58.
    const int age =
        manager ? rng_.Int(28, 58) : std::clamp(static_cast<int>(rng_.Normal(46, 9)), 20, 62);
    const Date birth = today_.AddDays(-365L * age - rng_.Int(0, 364));
    for (;;) {
      int seq = rng_.Int(0, 998);
      if ((seq % 2 == 0) != female) ++seq;  // odd 17th digit = male
      n.id_number = MakeResidentIdNumber(county->code, birth, seq);
      if (id_numbers_.insert(n.id_number).second) break;
    }
    // Uyghur and Kazakh workers from Xinjiang, Yi from Liangshan, Tibetans from Ganzi and Aba
    // carry their own full names (the long names the screen must lay out).
    std::vector<const MinorityName*> names;
    for (const MinorityName& m : kMinorityNames) {
      const std::string_view code(county->code);
      if (m.female == female && code.substr(0, std::string_view(m.region).size()) == m.region) {
        names.push_back(&m);
      }
    }
    const bool xinjiang = std::string_view(county->code).substr(0, 2) == "65";
    if (!manager && !names.empty() && rng_.Chance(xinjiang ? 0.8 : 0.6)) {
      const MinorityName& m = *rng_.Pick(names);
      n.name = m.name;
      n.nation = m.nation;
    } else {
      n.name = Surname() + (female ? rng_.Pick(kFemaleGiven) : rng_.Pick(kMaleGiven));
      if (rng_.Chance(0.01)) n.nation = rng_.Chance(0.5) ? "15" : "06";  // 土家族, 苗族
    }
    n.id_address = std::string(county->place) + rng_.Pick(kTownNames) + "镇" +
                   rng_.Pick(kVillageNames) + "村" + std::to_string(rng_.Int(1, 12)) + "组" +
                   std::to_string(rng_.Int(1, 88)) + "号";
    static constexpr std::array<const char*, 12> kPrefixes = {
        "133", "135", "136", "137", "138", "139", "150", "152", "158", "177", "187", "199"};
    char phone[16];
    std::snprintf(phone, sizeof phone, "%s%08d", rng_.Pick(kPrefixes), rng_.Int(0, 99'999'999));
    n.phone = phone;
    return n;
  }

  Result<std::int64_t> CreatePerson(store::Connection& conn, bool manager) {
    NewPerson n = MakeIdentity(manager);
    json body = {{"id_type", "01"},    {"id_number", n.id_number}, {"name", n.name},
                 {"nation", n.nation}, {"phone", n.phone},         {"id_address", n.id_address}};
    ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParsePerson));
    ZZ_ASSIGN_OR_RETURN(std::int64_t id, p_.registry().CreatePerson(conn, draft));
    ++summary_.persons;
    if (rng_.Chance(0.12)) id_card_[id] = n.id_number;  // passes with the ID-card reader
    return id;
  }

  // A certificate valid until today + days_left (negative: expired that many days ago).
  Status Certify(store::Connection& conn, std::int64_t person, const char* kind, const char* type,
                 int days_left, const char* issuer) {
    const Date valid_to = today_.AddDays(days_left);
    const Date valid_from = std::min(valid_to.AddDays(-365 * rng_.Int(2, 5)), today_.AddDays(-40));
    char number[64];
    const int serial = next_certificate_++;
    const std::string_view k(kind);
    if (k == "special_operation") {
      std::snprintf(number, sizeof number, "浙T%s%04d%06d", type, valid_from.year, serial);
    } else if (k == "registered") {
      std::snprintf(number, sizeof number, "浙%d33%04d%06d", type[11] == '1' ? 1 : 2,
                    valid_from.year, serial);
    } else if (k == "safety_post") {
      std::snprintf(number, sizeof number, "浙建安%s(%04d)%07d", type, valid_from.year, serial);
    } else {
      std::snprintf(number, sizeof number, "33%04d%08d", valid_from.year, serial);
    }
    json body = {{"kind", kind},
                 {"type_code", type},
                 {"number", number},
                 {"issuer", issuer},
                 {"valid_from", valid_from.ToString()},
                 {"valid_to", valid_to.ToString()}};
    ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseCertificate));
    ZZ_RETURN_IF_ERROR(p_.registry().AddCertificate(conn, person, draft).status());
    ++summary_.certificates;
    return Status::Ok();
  }

  // Each site houses its workers in one dormitory, 建设者之家, in a community of its street, on a
  // numbered road: its door plate and the rooms of its nine buildings are standard addresses.
  std::string DormDoor(const Site& site) const {
    const auto i = static_cast<size_t>(&site - sites_.data());
    const auto found = communities_.find(site.street);
    const std::string community = found == communities_.end() || found->second.empty()
                                      ? ""
                                      : found->second[i % found->second.size()];
    return std::string("浙江省杭州市钱塘区") + kQiantangStreets[site.street].name + community +
           std::to_string(1 + i % 29) + "号大街" + std::to_string(2 + 2 * (i / 29)) + "号";
  }
  static std::string DormRoom(int building, int room) {
    return "建设者之家" + std::to_string(building) + "幢" + std::to_string(room) + "室";
  }
  std::string Dorm(const Site& site, std::int64_t person) const {
    return DormDoor(site) + DormRoom(static_cast<int>(1 + person % 9),
                                     static_cast<int>(100 * (1 + person % 6) + 1 + person % 18));
  }

  // The dormitories' standard addresses, through the import a district's address office uses:
  // each site's door plate and its 972 rooms (9 buildings, 6 floors, 18 rooms).
  Status SeedAddresses() {
    std::string csv = "code,kind,address,parent_code\n";
    for (const Site& site : sites_) {
      const std::string door = DormDoor(site);
      const std::string door_code = "QT-" + site.code;
      csv += door_code + ",door," + door + ",\n";
      for (int b = 1; b <= 9; ++b) {
        for (int floor = 1; floor <= 6; ++floor) {
          for (int r = 1; r <= 18; ++r) {
            const int room = 100 * floor + r;
            csv += door_code + "-" + std::to_string(b) + "-" + std::to_string(room) +
                   ",household," + door + DormRoom(b, room) + "," + door_code + "\n";
          }
        }
      }
    }
    auto imported = p_.addresses().Import(std::move(csv), /*partial=*/false);
    if (!imported.ok()) {
      if (imported.status().kind() == StatusKind::kUnavailable) {
        std::fprintf(stderr, "demo: no standard addresses (%s)\n",
                     imported.status().ToString().c_str());
        return Status::Ok();
      }
      return imported.status();
    }
    if (!imported->errors.empty()) {
      const auto& e = imported->errors.front();
      return Status::Internal("demo standard addresses: line " + std::to_string(e.line) + ": " +
                              e.code + ": " + e.message);
    }
    summary_.addresses = imported->imported;
    return Status::Ok();
  }

  Result<std::int64_t> Enrol(store::Connection& conn, Site& site, std::int64_t person,
                             const std::string& uscc, std::optional<std::int64_t> team,
                             const char* work_type, const std::string& post, Date entry) {
    json body = {{"person_id", person},
                 {"uscc", uscc},
                 {"work_role", post.empty() ? "20" : "10"},
                 {"entry_date", entry.ToString()},
                 {"dorm_address", Dorm(site, person)},
                 {"card_no", "QT" + std::to_string(880000000 + person)}};
    if (team) body["team_id"] = *team;
    if (post.empty()) {
      body["work_type"] = work_type;
    } else {
      body["post"] = post;
    }
    ZZ_ASSIGN_OR_RETURN(
        auto draft, Parse(
                        body, +[](FieldReader& in) { return registry::ParseEnrolment(in, true); }));
    ZZ_ASSIGN_OR_RETURN(std::int64_t id, p_.registry().Enrol(conn, site.code, draft));
    ++summary_.enrolments;
    Member m;
    m.person = person;
    m.manager = !post.empty();
    m.post = post;
    m.entry = entry;
    if (auto it = id_card_.find(person); it != id_card_.end()) m.id_number = it->second;
    site.members.push_back(m);
    return id;
  }

  Status Exit(store::Connection& conn, Site& site, std::int64_t person, Date date,
              const char* reason) {
    for (const Member& m : site.members) {
      if (m.person == person && !m.exit) date = std::max(date, m.entry);  // never before entry
    }
    json body = {{"exit_date", date.ToString()}, {"reason", reason}};
    ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseExit));
    ZZ_RETURN_IF_ERROR(p_.registry().Exit(conn, site.code, person, draft));
    ++summary_.exits;
    for (Member& m : site.members) {
      if (m.person == person && !m.exit) m.exit = date;
    }
    return Status::Ok();
  }

  // ------------------------------------------------------------------------------ corps

  Status Corp(store::Connection& conn, const std::string& name, std::vector<std::string>& into) {
    const std::string uscc = Uscc();
    const StreetSeed& street = rng_.Pick(kStreetSeeds);
    json body = {
        {"uscc", uscc},
        {"name", name},
        {"legal_person", Surname() + rng_.Pick(kMaleGiven)},
        {"address", std::string("浙江省杭州市钱塘区") + street.name + rng_.Pick(street.roads) +
                        std::to_string(rng_.Int(1, 999)) + "号"}};
    ZZ_ASSIGN_OR_RETURN(auto draft, Parse(body, registry::ParseCorp));
    ZZ_RETURN_IF_ERROR(p_.registry().CreateCorp(conn, draft));
    into.push_back(uscc);
    ++summary_.corps;
    return Status::Ok();
  }

  Status MakeCorps(store::Connection& conn) {
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

  // ------------------------------------------------------------------------------ projects

  Status MakeProjects(store::Connection& conn) {
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
          (rng_.Chance(0.5) ? community.substr(0, community.size() >= 9 ? community.size() - 6
                                                                        : community.size())
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
  void PlanSizes() {
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
  Status Staff(store::Connection& conn, Site& site, const std::string& post, const char* corp_role,
               Date entry) {
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

  Status StaffSite(store::Connection& conn, size_t index) {
    Site& site = sites_[index];
    if (site.status == "completed") return Status::Ok();  // its people left long ago
    // Managers came when the works began (or a few weeks ago, for a long-running site).
    const Date entry = std::min(today_.AddDays(-rng_.Int(35, 300)), today_);
    if (site.status == "planned") {
      // Only the owner's preparations: a project manager and a chief supervisor are named.
      ZZ_RETURN_IF_ERROR(Staff(conn, site, "project_manager", "general", today_.AddDays(-5)));
      return Staff(conn, site, "chief_supervising_engineer", "supervisor", today_.AddDays(-5));
    }
    for (const char* post :
         {"project_manager", "technical_lead", "safety_officer", "quality_officer", "constructor",
          "labour_manager", "documentation_officer"}) {
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
        const Date entry_date = rng_.Chance(0.85) ? today_.AddDays(-rng_.Int(35, 400))
                                                  : today_.AddDays(-rng_.Int(0, 34));
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

  // ------------------------------------------------------------------------------ anomalies

  std::vector<size_t> Live() const {
    std::vector<size_t> live;
    for (size_t i = 0; i < sites_.size(); ++i)
      if (sites_[i].status == "active") live.push_back(i);
    return live;
  }

  Status PlantAnomalies(store::Connection& conn) {
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
      auto enrolled = Enrol(conn, to, person, uscc, std::nullopt, "900", post,
                            today_.AddDays(-rng_.Int(3, 60)));
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
    for (const auto& [k, post] : std::vector<std::pair<size_t, const char*>>{
             {4, "technical_lead"}, {25, "safety_officer"}}) {
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

  // ------------------------------------------------------------------------------ gate

  Status MakeDevices() {
    json file = {{"generated_by", "zhizhi demo"},
                 {"note", "gate terminal tokens of the demo district, for serve --simulate"},
                 {"devices", json::array()}};
    for (Site& site : sites_) {
      if (site.status != "active" && site.status != "suspended") continue;
      for (int g = 0; g < site.gates; ++g) {
        for (const char* direction : {"in", "out"}) {
          gate::DeviceDraft d;
          d.serial = site.code + "-G" + std::to_string(g + 1) + "-" +
                     (std::string_view(direction) == "in" ? "IN" : "OUT");
          d.direction = direction;
          d.zone = std::to_string(g + 1) + "号门";
          ZZ_ASSIGN_OR_RETURN(json device, p_.gate()->RegisterDevice(site.code, d));
          site.devices.push_back(
              Device{device["id"].get<std::int64_t>(), d.serial, direction, *d.zone, g});
          file["devices"].push_back({{"project_code", site.code},
                                     {"id", device["id"]},
                                     {"serial", d.serial},
                                     {"direction", direction},
                                     {"zone", *d.zone},
                                     {"token", device["token"]}});
          ++summary_.devices;
        }
      }
    }
    const std::string path = p_.data_dir() + "/" + kDemoDevicesFile;
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Status::Internal("cannot write " + path);
    const std::string text = file.dump(1);
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ::close(fd);
    if (!ok) return Status::Internal("cannot write " + path);
    Progress("gate: " + std::to_string(summary_.devices) + " terminals registered");
    return Status::Ok();
  }

  Status Blacklist() {
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

  // 30 days of passes, then today up to now, played through the gate day by day.
  Status History() {
    std::vector<size_t> playing;
    for (size_t i = 0; i < sites_.size(); ++i) {
      if (sites_[i].status == "active" && !sites_[i].devices.empty()) playing.push_back(i);
    }
    // What the gate thinks of everyone now (the terminals' roster).
    std::vector<std::unordered_set<std::int64_t>> roster(playing.size());
    for (size_t k = 0; k < playing.size(); ++k) {
      security::Principal device;
      device.device_id = sites_[playing[k]].devices.front().id;
      ZZ_ASSIGN_OR_RETURN(json r, p_.gate()->Roster(device, 0));
      for (const json& a : r["allowed"])
        roster[k].insert(a["person_id"].get<std::int64_t>());
    }
    const std::int64_t now = NowUnixMs();
    // Plan the next day while the writer stores the current one.
    std::atomic<double> plan_seconds{0};
    double wait_seconds = 0, store_seconds = 0;
    auto plan = [&](int back) {
      const auto t0 = std::chrono::steady_clock::now();
      auto out = PlanDay(playing, roster, today_.AddDays(-back), now);
      plan_seconds = plan_seconds + Seconds(t0);
      return out;
    };
    std::future<std::vector<gate::DevicePass>> next =
        std::async(std::launch::async, plan, o_.history_days);
    for (int back = o_.history_days; back >= 0; --back) {
      const Date day = today_.AddDays(-back);
      const auto t0 = std::chrono::steady_clock::now();
      std::vector<gate::DevicePass> passes = next.get();
      wait_seconds += Seconds(t0);
      if (back > 0) next = std::async(std::launch::async, plan, back - 1);
      if (back == 1) AddImpossibleTravel(day, passes);
      const auto t1 = std::chrono::steady_clock::now();
      ZZ_ASSIGN_OR_RETURN(gate::PassTally tally, p_.gate()->RecordPasses(passes));
      store_seconds += Seconds(t1);
      summary_.passes += static_cast<std::int64_t>(passes.size());
      summary_.allowed += tally.allowed;
      summary_.denied += tally.denied;
      summary_.rejected += tally.rejected;
      // Those who stayed past the shift are clocked out at 04:00 the next morning.
      const std::int64_t cutoff = sim::LocalMinuteToUnixMs(day.AddDays(1), 4 * 60);
      if (cutoff <= now) ZZ_RETURN_IF_ERROR(p_.gate()->ClockOutAll(cutoff).status());
      if (back % 5 == 0) {
        char line[160];
        std::snprintf(line, sizeof line,
                      "gate: %s played, %lld passes so far (planning %.1f s, waiting for plans "
                      "%.1f s, storing %.1f s)",
                      day.ToString().c_str(), static_cast<long long>(summary_.passes),
                      plan_seconds.load(), wait_seconds, store_seconds);
        Progress(line);
      }
    }
    return Status::Ok();
  }

  // Yesterday at noon, three of the workers enrolled on two sites pass the exits of both four
  // minutes apart — kilometres apart across the district (impossible_travel).
  void AddImpossibleTravel(const Date& day, std::vector<gate::DevicePass>& passes) const {
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

  // The passes of one day at every playing site (only those before `now` today).
  std::vector<gate::DevicePass> PlanDay(const std::vector<size_t>& playing,
                                        const std::vector<std::unordered_set<std::int64_t>>& roster,
                                        const Date day, std::int64_t now) const {
    const bool sunday = (day.DaysSinceEpoch() + 4) % 7 == 0;  // 1970-01-01 was a Thursday
    std::vector<sim::SimSite> sim_sites;
    for (size_t k = 0; k < playing.size(); ++k) {
      const Site& site = sites_[playing[k]];
      sim::SimSite s;
      s.project = site.code;
      for (const Member& m : site.members) {
        if (m.entry > day) continue;
        if (absent_.count(m.person) && day > today_.AddDays(-12)) continue;
        if (m.exit && *m.exit <= day) {
          if (day.DaysSinceEpoch() - m.exit->DaysSinceEpoch() < 14) s.exited.push_back(m.person);
          continue;
        }
        // Sundays: about half the workers rest.
        if (sunday && !m.manager &&
            (static_cast<std::uint64_t>(m.person) * 2654435761u + day.DaysSinceEpoch()) % 100 <
                45) {
          continue;
        }
        sim::SimWorker w;
        w.person_id = m.person;
        w.manager = m.manager;
        w.may_pass = roster[k].count(m.person) > 0;
        w.id_number = m.id_number;
        s.workers.push_back(std::move(w));
      }
      sim_sites.push_back(std::move(s));
    }
    const sim::ShiftPlan plan =
        sim::PlanShiftDay(sim_sites, day, /*offline_replay=*/false,
                          o_.seed ^ static_cast<std::uint64_t>(day.DaysSinceEpoch()));
    std::vector<gate::DevicePass> passes;
    passes.reserve(plan.passes.size());
    std::int64_t n = 0;
    for (const sim::PlannedPass& pp : plan.passes) {
      if (pp.time_ms > now - 1000) continue;  // the rest of today is for serve --simulate
      const Site& site = sites_[playing[static_cast<size_t>(pp.site)]];
      const int gate = static_cast<int>(pp.person_id % site.gates);
      const char* direction = pp.entering ? "in" : "out";
      const Device* device = nullptr;
      for (const Device& d : site.devices) {
        if (d.gate == gate && d.direction == direction) device = &d;
      }
      if (device == nullptr) continue;
      gate::DevicePass dp;
      dp.device_id = device->id;
      dp.event.event_id = "h" + day.ToString() + "-" + std::to_string(++n);
      dp.event.time = Timestamp{pp.time_ms, kChinaUtcOffsetMinutes};
      if (pp.id_number) {
        dp.event.id_number = *pp.id_number;
        dp.event.pass_mode = 5;
      } else {
        dp.event.person_id = pp.person_id;
        dp.event.score = std::round(pp.score * 1000) / 1000;
        dp.event.liveness = true;
        dp.event.pass_mode = 1;
      }
      passes.push_back(std::move(dp));
    }
    return passes;
  }

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

}  // namespace

Result<DemoSummary> SeedDemoDistrict(Platform& platform, const DemoOptions& options) {
  if (options.projects < 1 || options.persons < 1 || options.history_days < 0 ||
      options.history_days > 30) {
    return Status::InvalidArgument("", "projects and persons must be positive, history 0–30 days");
  }
  Seeder seeder(platform, options);
  return seeder.Run();
}

}  // namespace zhizhi::app
