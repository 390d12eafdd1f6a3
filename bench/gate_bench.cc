// Gate benchmarks: the head-count / muster computation (GET /api/v1/projects/{code}/onsite) for
// a site with N persons inside, the district totals, and the pure pass decision. The site is
// built through the public Registry and Gate APIs in a temporary data directory: N workers with
// safety training enrolled, a terminal registered, and one `in` pass each sent as batches.
// Figures only; see docs/benchmarks.md.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "app/platform.h"
#include "base/civil_time.h"
#include "base/resident_id.h"
#include "base/uscc.h"
#include "gate/gate_decision.h"

namespace {

using nlohmann::json;
using zhizhi::Date;
using zhizhi::Status;

void Check(const Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "gate_bench: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

// One temporary data directory with a site per benchmarked size; built on first use.
class Sites {
 public:
  static Sites& Get() {
    static Sites sites;
    return sites;
  }

  zhizhi::gate::Gate& gate() { return *platform_->gate(); }

  // The project code of a site with `persons` inside, built on first use.
  const std::string& Site(int persons) {
    auto it = sites_.find(persons);
    if (it != sites_.end()) return it->second;
    const std::string code = "QTBENCH" + std::to_string(sites_.size() + 1);
    Build(code, persons);
    return sites_.emplace(persons, code).first->second;
  }

  ~Sites() {
    platform_.reset();
    std::filesystem::remove_all(dir_);
  }

 private:
  Sites() {
    spdlog::set_level(spdlog::level::warn);  // no migration chatter between the figures
    char dir[] = "/tmp/zhizhi-gate-bench.XXXXXX";
    if (::mkdtemp(dir) == nullptr) Check(Status::Internal("mkdtemp failed"), "setup");
    dir_ = dir;
    auto platform = zhizhi::app::Platform::Open(dir_);
    Check(platform.status(), "open");
    platform_ = std::move(platform).value();
    Check(platform_->StartGate(), "start gate");
  }

  void Build(const std::string& code, int persons) {
    auto& registry = platform_->registry();
    const Date today = zhizhi::TodayInChina();
    const std::string uscc =
        zhizhi::MakeUscc("91330114BENCH" + std::to_string(1000 + sites_.size()));
    Check(platform_->db().Write([&](zhizhi::store::Connection& conn) -> Status {
      ZZ_RETURN_IF_ERROR(registry.CreateCorp(conn, {uscc, "钱塘基准建设有限公司", {}, {}}));
      zhizhi::registry::ProjectDraft project;
      project.code = code;
      project.name = "基准工地 " + code;
      project.region_code = "330114";
      project.status = "active";
      project.start_date = today.AddDays(-100);
      project.end_date = today.AddDays(800);
      ZZ_RETURN_IF_ERROR(registry.CreateProject(conn, project));
      ZZ_RETURN_IF_ERROR(registry.AddProjectCorp(conn, code, {uscc, "009"}));
      std::vector<std::int64_t> teams;
      for (const char* name : {"钢筋班", "木工班", "混凝土班", "砌筑班", "装修班"}) {
        ZZ_ASSIGN_OR_RETURN(std::int64_t team, registry.CreateTeam(conn, code, {name, uscc, {}}));
        teams.push_back(team);
      }
      const char* work_types[] = {"020", "240", "040", "010", "190"};
      for (int i = 0; i < persons; ++i) {
        zhizhi::registry::PersonDraft person;
        person.id_type = "01";
        person.id_number = zhizhi::MakeResidentIdNumber(
            "341221", Date{1975, 1, 1}.AddDays(next_person_ / 1000), next_person_ % 1000);
        ++next_person_;
        person.name = "工人" + std::to_string(i);
        ZZ_ASSIGN_OR_RETURN(std::int64_t id, registry.CreatePerson(conn, person));
        zhizhi::registry::CertificateDraft training;
        training.kind = "post";
        training.type_code = "safety_training";
        training.number = "T-" + std::to_string(id);
        training.valid_from = today.AddDays(-30);
        training.valid_to = today.AddDays(3000);
        ZZ_RETURN_IF_ERROR(registry.AddCertificate(conn, id, training).status());
        zhizhi::registry::EnrolmentDraft enrolment;
        enrolment.person_id = id;
        enrolment.team_id = teams[i % teams.size()];
        enrolment.uscc = uscc;
        enrolment.work_role = "20";
        enrolment.work_type = work_types[i % teams.size()];
        enrolment.entry_date = today.AddDays(-10);
        ZZ_RETURN_IF_ERROR(registry.Enrol(conn, code, enrolment).status());
        person_ids_[code].push_back(id);
      }
      return Status::Ok();
    }),
          "seed site");

    auto device = gate().RegisterDevice(code, {"BENCH-" + code + "-IN", "in", "main gate"});
    Check(device.status(), "register device");
    zhizhi::security::Principal terminal;
    terminal.device_id = (*device)["id"].get<std::int64_t>();
    const std::vector<std::int64_t>& ids = person_ids_[code];
    const std::int64_t now = zhizhi::NowUnixMs();
    for (size_t from = 0; from < ids.size(); from += 1000) {
      std::vector<zhizhi::Result<zhizhi::gate::GateEventInput>> events;
      for (size_t i = from; i < ids.size() && i < from + 1000; ++i) {
        zhizhi::gate::GateEventInput e;
        e.event_id = "bench-" + std::to_string(i);
        e.time = zhizhi::Timestamp{now - 3'600'000 + static_cast<std::int64_t>(i),
                                   zhizhi::kChinaUtcOffsetMinutes};
        e.person_id = ids[i];
        e.score = 0.9;
        e.pass_mode = 1;
        events.emplace_back(std::move(e));
      }
      std::promise<zhizhi::Result<json>> done;
      gate().SubmitBatch(terminal, std::move(events),
                         [&done](zhizhi::Result<json> r) { done.set_value(std::move(r)); });
      auto result = done.get_future().get();
      Check(result.status(), "passes");
      if ((*result)["allowed"].get<int>() !=
          static_cast<int>(std::min<size_t>(1000, ids.size() - from))) {
        std::fprintf(stderr, "gate_bench: not every pass was allowed: %s\n",
                     (*result)["results"][0].dump().c_str());
        std::exit(1);
      }
    }
    auto onsite = gate().Onsite(code, false);
    Check(onsite.status(), "onsite");
    if ((*onsite)["count"].get<int>() != persons) {
      std::fprintf(stderr, "gate_bench: %s has %d inside, wanted %d\n", code.c_str(),
                   (*onsite)["count"].get<int>(), persons);
      std::exit(1);
    }
  }

  std::string dir_;
  std::unique_ptr<zhizhi::app::Platform> platform_;
  std::map<int, std::string> sites_;
  std::map<std::string, std::vector<std::int64_t>> person_ids_;
  int next_person_ = 0;
};

// The head-count: count plus counts by team and work type (GET …/onsite?persons=false).
void BM_OnsiteHeadCount(benchmark::State& state) {
  auto& sites = Sites::Get();
  const std::string code = sites.Site(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto onsite = sites.gate().Onsite(code, /*with_persons=*/false);
    benchmark::DoNotOptimize(onsite);
  }
  state.SetLabel(std::to_string(state.range(0)) + " inside");
}
BENCHMARK(BM_OnsiteHeadCount)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// The muster list as Gate::Onsite builds it (counts by team and work type, every person).
void BM_OnsiteMuster(benchmark::State& state) {
  auto& sites = Sites::Get();
  const std::string code = sites.Site(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    auto onsite = sites.gate().Onsite(code, /*with_persons=*/true);
    benchmark::DoNotOptimize(onsite);
  }
  state.SetLabel(std::to_string(state.range(0)) + " inside");
}
BENCHMARK(BM_OnsiteMuster)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// The same plus serialising the JSON body, as the HTTP handler does.
void BM_OnsiteMusterJson(benchmark::State& state) {
  auto& sites = Sites::Get();
  const std::string code = sites.Site(static_cast<int>(state.range(0)));
  size_t bytes = 0;
  for (auto _ : state) {
    auto onsite = sites.gate().Onsite(code, /*with_persons=*/true);
    std::string body = onsite->dump();
    bytes = body.size();
    benchmark::DoNotOptimize(body);
  }
  state.SetLabel(std::to_string(state.range(0)) + " inside, " + std::to_string(bytes / 1024) +
                 " KiB");
}
BENCHMARK(BM_OnsiteMusterJson)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// District totals over every site built so far (GET /api/v1/onsite).
void BM_DistrictOnsite(benchmark::State& state) {
  auto& sites = Sites::Get();
  sites.Site(500);
  sites.Site(5000);
  for (auto _ : state) {
    auto totals = sites.gate().DistrictOnsite(nullptr);
    benchmark::DoNotOptimize(totals);
  }
}
BENCHMARK(BM_DistrictOnsite)->Unit(benchmark::kMicrosecond);

// The pure decision for an ordinary pass.
void BM_GateDecide(benchmark::State& state) {
  zhizhi::gate::PassFacts facts;
  facts.identified = true;
  facts.enrolled = true;
  facts.score = 0.93;
  facts.liveness = true;
  const zhizhi::gate::GatePolicy policy;
  for (auto _ : state) {
    auto decision = zhizhi::gate::Decide(facts, policy);
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_GateDecide);

}  // namespace
