// Residence registration at district scale:
//
//   1. draft + sign + enqueue: workers who are enrolled with a dormitory, verified and at the
//      gate are reconciled in writer jobs of 500, as the hooks and the start-up reconciliation
//      do — each draft is written, found complete, its message built (ID number encrypted for
//      the police, body signed with HMAC-SHA256) and queued in the outbox, and the group commit
//      is durable. Registrations per second.
//   2. the same message build alone (encrypt + sign), per message.
//   3. the cost the residence and trajectory checks add to a gate pass: the residence hook and
//      the alerts hook on a worker's pass, inside one writer job as the gate runs them, against
//      the query the alerts hook ran per pass before them (measured in the same run).
//
//   zhizhi_residence_bench [--projects N] [--workers N] [--days N] [--dir D]
//
// Prints figures; never asserts timings.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "alerts/detectors.h"
#include "base/resident_id.h"
#include "residence/police_adapter.h"
#include "residence/residence.h"
#include "testkit/test_district.h"

namespace {

using Clock = std::chrono::steady_clock;
using zhizhi::Date;
using zhizhi::Status;
using zhizhi::testkit::TestDistrict;
namespace residence = zhizhi::residence;
namespace store = zhizhi::store;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

const Status& StatusOf(const Status& s) {
  return s;
}
template <typename T>
const Status& StatusOf(const zhizhi::Result<T>& r) {
  return r.status();
}

#define CHECK_OK(expr)                                                                       \
  do {                                                                                       \
    const auto& zz_result = (expr);                                                          \
    const Status& zz_status = StatusOf(zz_result);                                           \
    if (!zz_status.ok()) {                                                                   \
      std::fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, zz_status.ToString().c_str()); \
      return 1;                                                                              \
    }                                                                                        \
  } while (0)

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"residence registration benchmark"};
  int projects = 200, workers = 100, days = 30, messages = 100'000;
  std::string dir = "/tmp";
  app.add_option("--projects", projects)->capture_default_str();
  app.add_option("--workers", workers, "workers per project")->capture_default_str();
  app.add_option("--days", days, "days of gate history (two passes a day)")->capture_default_str();
  app.add_option("--dir", dir, "parent of the data directory")->capture_default_str();
  app.add_option("--messages", messages, "message builds timed alone")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (!zhizhi::security::InitSodium().ok()) return 1;
  residence::WireKey hmac{}, id{};
  for (int i = 0; i < 32; ++i) {
    hmac[i] = static_cast<unsigned char>(i + 1);
    id[i] = static_cast<unsigned char>(i + 101);
  }
  auto hex = [](const residence::WireKey& k) {
    return zhizhi::security::ToHex(std::string(reinterpret_cast<const char*>(k.data()), k.size()));
  };
  auto config = residence::PoliceConfig::FromJson(
      {{"url", "http://127.0.0.1:9/floating-population/v1/messages"},
       {"client_id", "330114-zz"},
       {"hmac_key", hex(hmac)},
       {"id_key", hex(id)}},
      "bench");
  if (!config.ok()) return 1;
  const residence::PoliceAdapter adapter(*config);
  // A bulk load (no hooks), with submissions addressed to the police adapter (nothing is sent).
  TestDistrict d(dir, "2026-03-16T10:00:00+08:00", /*incremental=*/false, &adapter);

  // ---- the district: projects on a 1 km grid, workers with complete records, a verified face,
  // a dormitory, and `days` of passes (the first one is the arrival).
  auto started = Clock::now();
  std::vector<std::int64_t> persons;
  std::vector<std::string> home;
  {
    auto gc = d.Corp("总承包");
    CHECK_OK(gc);
    for (int p = 0; p < projects; ++p) {
      char code[16];
      std::snprintf(code, sizeof code, "HZ%05d", p);
      CHECK_OK((
          d.Project(code, "active", d.Day(-100), 30.0 + 0.01 * (p / 50), 120.0 + 0.01 * (p % 50))));
      CHECK_OK((d.ProjectCorp(code, *gc, "009")));
    }
    CHECK_OK((d.db().Write([&](store::Connection& conn) {
      return conn.Exec(
          "CREATE TABLE IF NOT EXISTS faces (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL, "
          "source TEXT NOT NULL, status TEXT NOT NULL, model TEXT NOT NULL, embedding BLOB NOT "
          "NULL, quality TEXT NOT NULL, liveness REAL, id_score REAL, duplicate_of INTEGER, "
          "duplicate_score REAL, photo BLOB, created_at INTEGER NOT NULL, created_by TEXT, "
          "changed_at INTEGER); CREATE INDEX IF NOT EXISTS faces_by_person ON faces(person_id)");
    })));
    std::int64_t seq = 0;
    for (int p = 0; p < projects; ++p) {
      char code[16];
      std::snprintf(code, sizeof code, "HZ%05d", p);
      Status s = d.db().Write([&](store::Connection& conn) -> Status {
        for (int w = 0; w < workers; ++w) {
          zhizhi::registry::PersonDraft pd;
          pd.id_type = "01";
          const std::int64_t n = static_cast<std::int64_t>(persons.size()) + 1;
          pd.id_number = zhizhi::MakeResidentIdNumber("411421", Date{1980, 1, 1}.AddDays(n / 999),
                                                      static_cast<int>(n % 999) + 1);
          pd.name = "工人" + std::to_string(n);
          pd.sex = "M";
          pd.birth_date = Date{1980, 1, 1};
          pd.nation = "01";
          pd.phone = "13800138000";
          pd.id_address = "河南省周口市项城市";
          ZZ_ASSIGN_OR_RETURN(std::int64_t person, d.registry().CreatePerson(conn, pd));
          zhizhi::registry::EnrolmentDraft ed;
          ed.person_id = person;
          ed.uscc = *gc;
          ed.work_role = "20";
          ed.work_type = "020";
          ed.entry_date = d.Day(-days - 1);
          ed.dorm_address = "钱塘区建设者之家 " + std::to_string(p) + " 幢";
          ZZ_RETURN_IF_ERROR(d.registry().Enrol(conn, code, ed).status());
          ZZ_RETURN_IF_ERROR(
              conn.Prepare("INSERT INTO faces(person_id, source, status, model, embedding, "
                           "quality, id_score, created_at) VALUES (?, 'id_card', 'active', 'b', "
                           "x'00', '{}', NULL, 0), (?, 'live', 'active', 'b', x'00', '{}', 0.8, 0)")
                  .Bind(1, person)
                  .Bind(2, person)
                  .Run());
          for (int day = days; day >= 1; --day) {
            for (int hour : {7, 18}) {
              const std::int64_t t = zhizhi::StartOfDayInChina(d.Day(-day)) + hour * 3'600'000LL;
              ZZ_RETURN_IF_ERROR(
                  conn.Prepare("INSERT INTO gate_events(event_id, project_code, time_ms, "
                               "utc_offset, local_date, received_at, person_id, identified_by, "
                               "direction, decision, reasons, warnings) VALUES (?,?,?,480,?,?,?,"
                               "'terminal',?, 'allow','[]','[]')")
                      .Bind(1, "b" + std::to_string(++seq))
                      .Bind(2, code)
                      .Bind(3, t)
                      .Bind(4, d.Day(-day).ToString())
                      .Bind(5, t)
                      .Bind(6, person)
                      .Bind(7, hour == 7 ? "in" : "out")
                      .Run());
            }
          }
          persons.push_back(person);
          home.push_back(code);
        }
        return Status::Ok();
      });
      CHECK_OK((s));
    }
  }
  std::printf("generated %d projects, %zu workers, %lld passes in %.1f s\n", projects,
              persons.size(), static_cast<long long>(persons.size()) * days * 2, Seconds(started));

  // Let the checkpointer catch up with the generation's WAL first, so it does not run during the
  // measurement.
  {
    auto conn = store::Connection::Open(d.db().path(), store::Connection::Mode::kReadWrite);
    CHECK_OK(conn);
    CHECK_OK((*conn)->Exec("PRAGMA wal_checkpoint(TRUNCATE)"));
  }

  // ---- 1. draft + sign + enqueue through the residence module. Half the workers as the
  // start-up reconciliation does it (synchronous writer jobs of 500), half as the hooks do
  // (one job per worker, queued, so the writer groups them into commits as it does requests).
  const size_t half = persons.size() / 2;
  const std::clock_t cpu0 = std::clock();
  started = Clock::now();
  for (size_t i = 0; i < half; i += 500) {
    CHECK_OK((d.db().Write([&](store::Connection& conn) -> Status {
      for (size_t j = i; j < std::min(i + 500, half); ++j) {
        ZZ_RETURN_IF_ERROR(d.residence().OnPersonChanged(conn, persons[j]));
      }
      return Status::Ok();
    })));
  }
  const double chunked = Seconds(started);
  const double chunked_cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  started = Clock::now();
  {
    std::mutex mu;
    std::condition_variable cv;
    size_t done = 0;
    Status failure;
    for (size_t j = half; j < persons.size(); ++j) {
      const std::int64_t person = persons[j];
      d.db().WriteAsync(
          [&d, person](store::Connection& conn) {
            return d.residence().OnPersonChanged(conn, person);
          },
          [&](const Status& s) {
            std::lock_guard lock(mu);
            if (!s.ok()) failure = s;
            ++done;
            cv.notify_all();
          });
    }
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done == persons.size() - half; });
    CHECK_OK(failure);
  }
  const double queued_jobs = Seconds(started);
  std::int64_t queued = 0, signed_rows = 0, commits = static_cast<std::int64_t>(d.db().commits());
  CHECK_OK((d.db().Read([&](store::Connection& conn) -> Status {
    queued = *store::QueryInt(conn, "SELECT COUNT(*) FROM sync_outbox WHERE state = 'pending'");
    signed_rows = *store::QueryInt(
        conn,
        "SELECT COUNT(*) FROM sync_outbox WHERE signature IS NOT NULL AND payload LIKE "
        "'%\"id_number_enc\":\"xc20p1:%'");
    return Status::Ok();
  })));
  std::printf(
      "draft + sign + enqueue, writer jobs of 500 (start-up reconciliation): %zu registrations "
      "in %.2f s = %.0f registrations/s (process CPU %.2f s)\n",
      half, chunked, half / chunked, chunked_cpu);
  std::printf(
      "draft + sign + enqueue, one queued job per worker (hooks; group commit): %zu "
      "registrations in %.2f s = %.0f registrations/s\n",
      persons.size() - half, queued_jobs, (persons.size() - half) / queued_jobs);
  std::printf("  %lld queued, %lld signed with encrypted ID numbers, %lld commits in all\n",
              static_cast<long long>(queued), static_cast<long long>(signed_rows),
              static_cast<long long>(commits));

  // ---- 2. the message alone.
  {
    auto application = d.db().Read([&](store::Connection& conn) {
      return residence::LoadApplication(conn, persons[0], 1, "务工");
    });
    CHECK_OK(application);
    residence::MessageContext context;
    context.registration_ref = "330114-zz:R1";
    const int n = std::max(1, messages);
    started = Clock::now();
    std::size_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      auto m = adapter.Build(*application, "411421198001010011",
                             "330114-zz:" + std::to_string(i) + ":1", context, 1773626400000);
      bytes += m.payload.size();
    }
    std::printf(
        "message build (XChaCha20-Poly1305 ID number + JSON + SHA-256 + HMAC-SHA256): "
        "%.2f µs per message (%zu bytes average)\n",
        Seconds(started) * 1e6 / n, bytes / n);
  }

  // The police accept everything (registered workers are the common case at the gate).
  CHECK_OK((d.db().Write([&](store::Connection& conn) {
    return conn.Exec(
        "UPDATE residence_registrations SET status = 'accepted', receipt_no = 'R' || id; "
        "UPDATE sync_outbox SET state = 'sent'");
  })));

  // ---- 3. per pass: the hooks on a worker's latest pass (no alert to raise or clear).
  const int samples = std::min<int>(2'000, static_cast<int>(persons.size()));
  std::vector<zhizhi::gate::Gate::PassNotice> notices;
  CHECK_OK((d.db().Read([&](store::Connection& conn) -> Status {
    for (int i = 0; i < samples; ++i) {
      const size_t k = static_cast<size_t>(i) * persons.size() / samples;
      auto s = conn.Prepare(
          "SELECT seq, time_ms FROM gate_events WHERE person_id = ? ORDER BY time_ms DESC LIMIT 1");
      s.Bind(1, persons[k]);
      if (s.Step()) {
        notices.push_back({home[k], persons[k], true, false, s.Int(1), s.Int(0)});
      }
    }
    return Status::Ok();
  })));
  const int rounds = 50;
  double with_checks = 0, before = 0;
  CHECK_OK((d.db().Write([&](store::Connection& conn) -> Status {
    // Warm the caches once.
    for (const auto& n : notices) {
      ZZ_RETURN_IF_ERROR(d.residence().OnPass(conn, n));
      ZZ_RETURN_IF_ERROR(d.engine().OnPass(conn, n));
    }
    auto t0 = Clock::now();
    for (int r = 0; r < rounds; ++r) {
      for (const auto& n : notices) {
        ZZ_RETURN_IF_ERROR(d.residence().OnPass(conn, n));
        ZZ_RETURN_IF_ERROR(d.engine().OnPass(conn, n));
      }
    }
    with_checks = Seconds(t0);
    // What the alerts hook ran per pass before the residence and trajectory checks (a copy of
    // its former query), for the baseline on the same data and machine.
    t0 = Clock::now();
    for (int r = 0; r < rounds; ++r) {
      for (const auto& n : notices) {
        auto s = conn.Prepare(
            "SELECT 1 FROM alerts WHERE person_id = ? AND type IN ('worker_unseen', "
            "'key_person_absent') AND status != 'resolved' LIMIT 1");
        s.Bind(1, n.person_id);
        if (s.Step()) return Status::Internal("unexpected alert");
        ZZ_RETURN_IF_ERROR(s.status());
      }
    }
    before = Seconds(t0);
    return Status::Ok();
  })));
  std::int64_t alerts = 0;
  CHECK_OK((d.db().Read([&](store::Connection& conn) -> Status {
    alerts = *store::QueryInt(conn, "SELECT COUNT(*) FROM alerts WHERE status != 'resolved'");
    return Status::Ok();
  })));
  const double calls = static_cast<double>(rounds) * static_cast<double>(notices.size());
  const double per_pass = with_checks * 1e6 / calls, base = before * 1e6 / calls;
  std::printf(
      "per gate pass (a registered worker, %d days of history, site with coordinates): hooks "
      "%.2f µs, the former alerts lookup %.2f µs: the residence and trajectory checks add %.2f µs "
      "(%.0f calls; %lld alerts raised)\n",
      days, per_pass, base, per_pass - base, calls, static_cast<long long>(alerts));
  return 0;
}
