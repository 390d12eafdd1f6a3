#include "testkit/planted_district.h"

#include "testkit/test_district.h"

#include <cstdio>
#include <random>
#include <vector>

#include "base/resident_id.h"
#include "base/uscc.h"

namespace zhizhi::testkit {

using namespace alerts;  // the test kit drives the alerts module

namespace {

// The blocks of projects each kind of anomaly is planted in, kept apart so plants never
// interact.
enum Block {
  kConflict,
  kUncertified,
  kVacant,
  kExpiring,
  kExpired,
  kAbsent,
  kUnseen,
  kExitedSeen,
  kDevices,
  kExemptions,
  kResidenceOverdue,
  kUnregistered,
  kNotDeregistered,
  kTravel,
  kBlocks
};

class Generator {
 public:
  Generator(store::Database& db, registry::Registry& registry, const PlantedOptions& options,
            const DetectionClock& clock)
      : db_(db), registry_(registry), o_(options), clock_(clock), rng_(options.seed) {}

  Result<PlantedDistrict> Run() {
    if (o_.projects < kBlocks * o_.plants_per_kind + 1) {
      return Status::InvalidArgument("projects", "too few projects for the plants");
    }
    ZZ_RETURN_IF_ERROR(db_.Write([&](store::Connection& conn) -> Status {
      for (int i = 0; i < 40; ++i) {
        ZZ_ASSIGN_OR_RETURN(auto gc, NewCorp(conn, "总承包" + std::to_string(i)));
        general_.push_back(gc);
      }
      for (int i = 0; i < 12; ++i) {
        ZZ_ASSIGN_OR_RETURN(auto sv, NewCorp(conn, "监理" + std::to_string(i)));
        supervisors_.push_back(sv);
      }
      return Status::Ok();
    }));
    for (int i = 0; i < o_.projects; ++i) {
      ZZ_RETURN_IF_ERROR(db_.Write([&](store::Connection& conn) { return Project(conn, i); }));
    }
    // Cross-project plants once every project exists.
    ZZ_RETURN_IF_ERROR(db_.Write([&](store::Connection& conn) { return CrossPlants(conn); }));
    return std::move(out_);
  }

 private:
  static std::string Code(int i) {
    char code[16];
    std::snprintf(code, sizeof code, "HZ%06d", i);
    return code;
  }
  Block BlockOf(int i) const {
    const int b = i / o_.plants_per_kind;
    return b < kBlocks ? static_cast<Block>(b) : kBlocks;
  }
  void Expect(const char* type, const std::string& key) {
    out_.expected_keys.insert(std::string(type) + ":" + key);
    ++out_.planted[type];
  }

  Result<std::string> NewCorp(store::Connection& conn, const std::string& name) {
    char head[32];
    std::snprintf(head, sizeof head, "91330100MA%07d", ++corps_);
    registry::CorpDraft d;
    d.uscc = MakeUscc(std::string(head, 17));
    d.name = name;
    ZZ_RETURN_IF_ERROR(registry_.CreateCorp(conn, d));
    return d.uscc;
  }

  Result<std::int64_t> NewPerson(store::Connection& conn) {
    static const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周"};
    static const char* kGiven[] = {"建国", "志强", "海涛", "小龙", "明",
                                   "伟",   "军",   "勇",   "杰",   "磊"};
    static const char* kRegions[] = {"411421", "341221", "510722", "430521", "362329", "522121"};
    const std::int64_t n = ++persons_;
    registry::PersonDraft d;
    d.id_type = "01";
    d.id_number = MakeResidentIdNumber(kRegions[n % 6], Date{1970, 1, 1}.AddDays(n / 999),
                                       static_cast<int>(n % 999) + 1);
    d.name = std::string(kSurnames[rng_() % 10]) + kGiven[rng_() % 10];
    ++out_.persons;
    return registry_.CreatePerson(conn, d);
  }

  Result<std::int64_t> Certificate(store::Connection& conn, std::int64_t person,
                                   const std::string& kind, const std::string& type, Date from,
                                   Date to) {
    registry::CertificateDraft d;
    d.kind = kind;
    d.type_code = type;
    d.number = "Z" + std::to_string(++certificates_);
    d.valid_from = from;
    d.valid_to = to;
    return registry_.AddCertificate(conn, person, d);
  }

  Result<std::int64_t> Enrol(store::Connection& conn, const std::string& project,
                             std::int64_t person, const std::string& uscc, const char* role,
                             const std::string& work_type, std::optional<std::string> post,
                             Date entry, std::optional<std::string> dorm = std::nullopt) {
    registry::EnrolmentDraft d;
    d.person_id = person;
    d.uscc = uscc;
    d.work_role = role;
    d.work_type = work_type;
    d.post = std::move(post);
    d.entry_date = entry;
    d.dorm_address = std::move(dorm);
    ++out_.enrolments;
    return registry_.Enrol(conn, project, d);
  }

  // A residence registration as the residence module keeps it (its hooks do not run here).
  Result<std::int64_t> Registration(store::Connection& conn, std::int64_t person,
                                    std::int64_t enrolment, const std::string& project,
                                    const char* status, Date arrival) {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("INSERT INTO residence_registrations(kind, person_id, enrolment_id, "
                     "project_code, status, residence_address, event_date, due_date, application, "
                     "missing, receipt_no, created_at, updated_at) VALUES ('registration', ?, ?, "
                     "?, ?, '钱塘区建设者之家', ?, ?, '{}', ?, ?, ?, ?)")
            .Bind(1, person)
            .Bind(2, enrolment)
            .Bind(3, project)
            .Bind(4, status)
            .Bind(5, arrival.ToString())
            .Bind(6, arrival.AddDays(registry::ActiveRules().residence().register_days).ToString())
            .Bind(7, std::string(status) == "accepted" ? "[]" : "[\"face_verified\"]")
            .Bind(8, std::string(status) == "accepted"
                         ? std::optional<std::string>("ZJ" + std::to_string(person))
                         : std::nullopt)
            .Bind(9, clock_.now_ms)
            .Bind(10, clock_.now_ms)
            .Run());
    return conn.LastInsertRowId();
  }

  Status Pass(store::Connection& conn, const std::string& project, std::int64_t person, Date day,
              bool allowed = true, int minute_of_day = 8 * 60) {
    const std::int64_t time_ms = StartOfChinaDay(day) + minute_of_day * 60'000LL;
    ++out_.passes;
    return RecordTestPassAt(conn, "g" + std::to_string(out_.passes), project, person, time_ms,
                            allowed)
        .status();
  }

  // A key manager on `project` for `uscc`, certified and at the gate on every working day (or
  // on every other one when `half_present`).
  Result<std::int64_t> KeyManager(store::Connection& conn, const std::string& project,
                                  const std::string& uscc, const std::string& post,
                                  bool half_present = false) {
    ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
    const Date from = clock_.today.AddDays(-400), to = clock_.today.AddDays(400);
    for (const auto& group : registry::ActiveRules().FindPost(post)->required) {
      ZZ_RETURN_IF_ERROR(Certificate(conn, id, std::string(group.front().first),
                                     std::string(group.front().second), from, to)
                             .status());
    }
    ZZ_RETURN_IF_ERROR(
        Enrol(conn, project, id, uscc, "10", "900", post, clock_.today.AddDays(-90)).status());
    int working = 0;
    for (int d = o_.key_pass_days; d >= 1; --d) {
      const Date day = clock_.today.AddDays(-d);
      if (!registry::ActiveRules().IsWorkingDay(day)) continue;
      if (half_present && (working++ % 2 == 1)) continue;
      ZZ_RETURN_IF_ERROR(Pass(conn, project, id, day));
    }
    return id;
  }

  Status Worker(store::Connection& conn, const std::string& project, const std::string& uscc,
                int index) {
    static const char* kTypes[] = {"010", "020", "130", "030", "040", "050", "270"};
    const std::string type = kTypes[index % 7];
    ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
    const auto& required = registry::ActiveRules().WorkTypeRequirements(type);
    for (const auto& group : required) {
      ZZ_RETURN_IF_ERROR(Certificate(conn, id, std::string(group.front().first),
                                     std::string(group.front().second), clock_.today.AddDays(-100),
                                     clock_.today.AddDays(600))
                             .status());
    }
    ZZ_ASSIGN_OR_RETURN(std::int64_t enrolment,
                        Enrol(conn, project, id, uscc, "20", type, std::nullopt,
                              clock_.today.AddDays(-60), "钱塘区建设者之家"));
    for (int d = 1; d <= o_.worker_pass_days; ++d) {
      ZZ_RETURN_IF_ERROR(Pass(conn, project, id, clock_.today.AddDays(-d)));
    }
    // Registered with the police since the first pass: clean.
    return Registration(conn, id, enrolment, project, "accepted",
                        clock_.today.AddDays(-o_.worker_pass_days))
        .status();
  }

  Status Project(store::Connection& conn, int i) {
    const std::string code = Code(i);
    const Block block = BlockOf(i);
    registry::ProjectDraft p;
    p.code = code;
    p.name = "钱塘区项目" + std::to_string(i);
    p.region_code = "330114";
    p.status = "active";
    p.start_date = clock_.today.AddDays(-100);
    // A grid of sites about a kilometre apart, 50 to a row.
    p.lat = 30.0 + 0.01 * (i / 50);
    p.lng = 120.0 + 0.01 * (i % 50);
    ZZ_RETURN_IF_ERROR(registry_.CreateProject(conn, p));
    const std::string gc = general_[i % general_.size()];
    const std::string sv = supervisors_[i % supervisors_.size()];
    ZZ_RETURN_IF_ERROR(registry_.AddProjectCorp(conn, code, {gc, "009"}));
    ZZ_RETURN_IF_ERROR(registry_.AddProjectCorp(conn, code, {sv, "007"}));

    ZZ_ASSIGN_OR_RETURN(std::int64_t pm, KeyManager(conn, code, gc, "project_manager"));
    project_managers_.push_back(pm);
    ZZ_ASSIGN_OR_RETURN(std::int64_t lead,
                        KeyManager(conn, code, gc, "technical_lead", block == kAbsent));
    if (block == kAbsent) Expect(type::kKeyPersonAbsent, code + ":" + std::to_string(lead));
    if (block == kVacant) {
      Expect(type::kPostVacant, code + ":" + gc + ":safety_officer");
    } else {
      ZZ_RETURN_IF_ERROR(KeyManager(conn, code, gc, "safety_officer").status());
    }
    ZZ_RETURN_IF_ERROR(KeyManager(conn, code, sv, "chief_supervising_engineer").status());
    for (int w = 0; w < o_.workers_per_project; ++w)
      ZZ_RETURN_IF_ERROR(Worker(conn, code, gc, w));

    const Date entry = clock_.today.AddDays(-60);
    switch (block) {
      case kUncertified: {  // an electrician with no certificate
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "130", std::nullopt, entry).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1)));
        Expect(type::kPostUncertified, code + ":" + std::to_string(id));
        break;
      }
      case kExpiring: {  // an electrician whose certificate runs out in 45 days
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_ASSIGN_OR_RETURN(std::int64_t cert,
                            Certificate(conn, id, "special_operation", "01",
                                        clock_.today.AddDays(-600), clock_.today.AddDays(45)));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "130", std::nullopt, entry).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1)));
        Expect(type::kCertificateExpiring,
               code + ":" + std::to_string(id) + ":" + std::to_string(cert));
        break;
      }
      case kExpired: {  // a mason holding an expired (not required) post certificate
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_ASSIGN_OR_RETURN(std::int64_t cert,
                            Certificate(conn, id, "post", "materials_officer",
                                        clock_.today.AddDays(-800), clock_.today.AddDays(-10)));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "010", std::nullopt, entry).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1)));
        Expect(type::kCertificateExpired,
               code + ":" + std::to_string(id) + ":" + std::to_string(cert));
        break;
      }
      case kUnseen: {  // enrolled two months ago, never at the gate
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "040", std::nullopt, entry).status());
        Expect(type::kWorkerUnseen, code + ":" + std::to_string(id));
        break;
      }
      case kExitedSeen: {  // exited five days ago, turned away at the gate two days ago
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "040", std::nullopt, entry).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-6)));
        ZZ_RETURN_IF_ERROR(
            registry_.Exit(conn, code, id, registry::ExitDraft{clock_.today.AddDays(-5), {}}));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-2), false));
        Expect(type::kExitedButSeen, code + ":" + std::to_string(id));
        break;
      }
      case kResidenceOverdue: {  // arrived ten days ago, the draft still lacks the face
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_ASSIGN_OR_RETURN(std::int64_t e, Enrol(conn, code, id, gc, "20", "040", std::nullopt,
                                                  entry, "钱塘区建设者之家"));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-10)));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1)));
        ZZ_ASSIGN_OR_RETURN(std::int64_t r,
                            Registration(conn, id, e, code, "draft", clock_.today.AddDays(-10)));
        Expect(type::kResidenceOverdue, code + ":" + std::to_string(id) + ":" + std::to_string(r));
        break;
      }
      case kUnregistered: {  // no dormitory on record, at the gate for ten days
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_RETURN_IF_ERROR(Enrol(conn, code, id, gc, "20", "040", std::nullopt, entry).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-10)));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1)));
        Expect(type::kUnregisteredPresence, code + ":" + std::to_string(id));
        break;
      }
      case kNotDeregistered: {  // left ten days ago, still registered
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_ASSIGN_OR_RETURN(std::int64_t e, Enrol(conn, code, id, gc, "20", "040", std::nullopt,
                                                  entry, "钱塘区建设者之家"));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-40)));
        ZZ_ASSIGN_OR_RETURN(std::int64_t r,
                            Registration(conn, id, e, code, "accepted", clock_.today.AddDays(-40)));
        ZZ_RETURN_IF_ERROR(
            registry_.Exit(conn, code, id, registry::ExitDraft{clock_.today.AddDays(-10), {}}));
        Expect(type::kResidenceNotDeregistered,
               code + ":" + std::to_string(id) + ":" + std::to_string(r));
        break;
      }
      case kTravel: {  // a registered worker's card at a site 30 km away five minutes later
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, NewPerson(conn));
        ZZ_ASSIGN_OR_RETURN(std::int64_t e, Enrol(conn, code, id, gc, "20", "040", std::nullopt,
                                                  entry, "钱塘区建设者之家"));
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-2)));
        ZZ_RETURN_IF_ERROR(
            Registration(conn, id, e, code, "accepted", clock_.today.AddDays(-2)).status());
        ZZ_RETURN_IF_ERROR(Pass(conn, code, id, clock_.today.AddDays(-1), true, 7 * 60));
        const std::int64_t a = conn.LastInsertRowId();
        travellers_.push_back(Traveller{code, i, id, a});
        break;
      }
      default:
        break;
    }

    // One gate per project, beating a minute ago; the device block gets a silent and a skewed one.
    auto device = [&](const std::string& serial, std::int64_t seen_ago_ms,
                      std::int64_t offset_ms) -> Result<std::int64_t> {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO devices(project_code, serial, direction, created_at, "
                       "last_seen_at, clock_offset_ms) VALUES (?,?,'both',?,?,?)")
              .Bind(1, code)
              .Bind(2, serial)
              .Bind(3, clock_.now_ms - std::int64_t{86'400'000})
              .Bind(4, clock_.now_ms - seen_ago_ms)
              .Bind(5, offset_ms)
              .Run());
      return conn.LastInsertRowId();
    };
    ZZ_RETURN_IF_ERROR(device(code + "-G1", 60'000, 0).status());
    if (block == kDevices) {
      ZZ_ASSIGN_OR_RETURN(auto silent, device(code + "-G2", 2 * 3'600'000LL, 0));
      ZZ_ASSIGN_OR_RETURN(auto skewed, device(code + "-G3", 30'000, 600'000));
      Expect(type::kDeviceOffline, code + ":" + std::to_string(silent));
      Expect(type::kClockSkew, code + ":" + std::to_string(skewed));
    }
    return Status::Ok();
  }

  Status CrossPlants(store::Connection& conn) {
    const int n = o_.plants_per_kind;
    for (const Traveller& t : travellers_) {
      // 25 rows and 25 columns away on the grid: about 35 km.
      const int far = (t.index + 25 * 50 + 25) % o_.projects;
      ZZ_RETURN_IF_ERROR(
          Pass(conn, Code(far), t.person, clock_.today.AddDays(-1), true, 7 * 60 + 5));
      const std::int64_t b = conn.LastInsertRowId();
      Expect(type::kImpossibleTravel, Code(far) + ":" + std::to_string(t.person) + ":" +
                                          std::to_string(t.first_seq) + "-" + std::to_string(b));
    }
    const std::string far = Code(o_.projects - 1);  // a clean project past every block
    for (int j = 0; j < n; ++j) {
      // 挂证: the project manager of a conflict-block project also manages another project.
      const int i = kConflict * n + j;
      const std::int64_t pm = project_managers_[i];
      const std::string other = Code(kBlocks * n + j % (o_.projects - kBlocks * n));
      ZZ_RETURN_IF_ERROR(Enrol(conn, other, pm, general_[(kBlocks * n + j) % general_.size()], "10",
                               "900", "project_manager", clock_.today.AddDays(-3))
                             .status());
      Expect(type::kPostConflict, Code(i) + ":" + std::to_string(pm));
      Expect(type::kPostConflict, other + ":" + std::to_string(pm));
      out_.planted[type::kPostConflict]--;  // one conflict, two assignments

      // Legal exceptions: the second post is covered by an approved exemption.
      const int e = kExemptions * n + j;
      const std::int64_t excused = project_managers_[e];
      ZZ_RETURN_IF_ERROR(Enrol(conn, far, excused, general_[(o_.projects - 1) % general_.size()],
                               "10", "900", "project_manager", clock_.today.AddDays(-3))
                             .status());
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO post_exemptions(person_id, project_code, reason, approved_by, "
                       "created_at) VALUES (?, ?, ?, 'generator', ?)")
              .Bind(1, excused)
              .Bind(2, far)
              .Bind(3, j % 2 == 0 ? "adjacent_sections" : "completion_accepted")
              .Bind(4, clock_.now_ms)
              .Run());
      out_.exempted_conflicts.insert(std::to_string(excused));
    }
    return Status::Ok();
  }

  store::Database& db_;
  registry::Registry& registry_;
  const PlantedOptions o_;
  const DetectionClock clock_;
  std::mt19937 rng_;
  PlantedDistrict out_;
  std::vector<std::string> general_, supervisors_;
  std::vector<std::int64_t> project_managers_;
  struct Traveller {
    std::string project;
    int index;
    std::int64_t person, first_seq;
  };
  std::vector<Traveller> travellers_;
  int corps_ = 0;
  std::int64_t persons_ = 0, certificates_ = 0;
};

}  // namespace

Result<PlantedDistrict> GeneratePlantedDistrict(store::Database& db, registry::Registry& registry,
                                                const PlantedOptions& options,
                                                const DetectionClock& clock) {
  return Generator(db, registry, options, clock).Run();
}

}  // namespace zhizhi::testkit
