#include "alerts/test_district.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <unistd.h>

#include "base/resident_id.h"
#include "base/uscc.h"

namespace zhizhi::alerts {

namespace {

std::int64_t ParseNow(const std::string& text) {
  auto t = Timestamp::ParseRfc3339(text, "now");
  if (!t.ok()) std::abort();
  return t->unix_ms;
}

}  // namespace

Result<std::int64_t> RecordTestPass(store::Connection& conn, const std::string& event_id,
                                    const std::string& project, std::int64_t person, Date day,
                                    int hour, bool allowed) {
  const std::int64_t time_ms = StartOfChinaDay(day) + hour * 3'600'000LL;
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO gate_events(event_id, project_code, time_ms, utc_offset, "
                   "local_date, received_at, person_id, identified_by, direction, decision, "
                   "reasons, warnings) VALUES (?,?,?,480,?,?,?,'terminal','in',?,'[]','[]')")
          .Bind(1, event_id)
          .Bind(2, project)
          .Bind(3, time_ms)
          .Bind(4, day.ToString())
          .Bind(5, time_ms)
          .Bind(6, person)
          .Bind(7, allowed ? "allow" : "deny")
          .Run());
  return time_ms;
}

TestDistrict::TestDistrict(const std::string& parent, const std::string& now_rfc3339,
                           bool incremental)
    : now_ms_(ParseNow(now_rfc3339)) {
  // A fresh directory per district: tests run in parallel processes.
  std::string pattern = parent + "/zhizhi-alerts-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  dir_ = pattern;
  auto db = store::Database::Open(dir_ + "/alerts.db");
  if (!db.ok()) std::abort();
  db_ = std::move(*db);
  security::FieldCipher::Key key{};
  key[0] = 7;
  cipher_ = std::make_unique<security::FieldCipher>(security::FieldCipher::FromMasterKey(key));
  registry_ = std::make_unique<registry::Registry>(cipher_.get());
  AlertEngineOptions options;
  options.clock = [this] { return now_ms_; };
  options.chunk = 7;  // several chunks even in small tests
  engine_ = std::make_unique<AlertEngine>(db_.get(), registry::Rulebook::Default(), options);
  if (incremental) engine_->Attach(registry_.get(), nullptr);
  records_ = std::make_unique<Records>(engine_.get());
}

TestDistrict::~TestDistrict() {
  engine_.reset();
  db_.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove((dir_ + "/alerts.db" + suffix).c_str());
  }
  ::rmdir(dir_.c_str());
}

void TestDistrict::set_now(const std::string& rfc3339) {
  now_ms_ = ParseNow(rfc3339);
}

Result<std::string> TestDistrict::Corp(const std::string& name) {
  char head[32];
  std::snprintf(head, sizeof head, "91330114MA%07d", ++next_corp_);
  registry::CorpDraft d;
  d.uscc = MakeUscc(std::string(head, 17));
  d.name = name;
  ZZ_RETURN_IF_ERROR(
      db_->Write([&](store::Connection& conn) { return registry_->CreateCorp(conn, d); }));
  return d.uscc;
}

Status TestDistrict::Project(const std::string& code, const std::string& status, Date start) {
  registry::ProjectDraft d;
  d.code = code;
  d.name = "项目" + code;
  d.region_code = "330114";
  d.status = status;
  d.start_date = start;
  return db_->Write([&](store::Connection& conn) { return registry_->CreateProject(conn, d); });
}

Status TestDistrict::ProjectCorp(const std::string& project, const std::string& uscc,
                                 const std::string& type) {
  registry::ProjectCorpDraft d{uscc, type};
  return db_->Write(
      [&](store::Connection& conn) { return registry_->AddProjectCorp(conn, project, d); });
}

Result<std::int64_t> TestDistrict::Person(const std::string& name) {
  registry::PersonDraft d;
  d.id_type = "01";
  ++next_person_;
  d.id_number = MakeResidentIdNumber("411421", Date{1985, 5, 1}.AddDays(next_person_ / 999),
                                     next_person_ % 999 + 1);
  d.name = name;
  std::int64_t id = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(id, registry_->CreatePerson(conn, d));
    return Status::Ok();
  }));
  return id;
}

Result<std::int64_t> TestDistrict::Certificate(std::int64_t person, const std::string& kind,
                                               const std::string& type, Date from, Date to) {
  registry::CertificateDraft d;
  d.kind = kind;
  d.type_code = type;
  d.number = "C" + std::to_string(++next_certificate_);
  d.valid_from = from;
  d.valid_to = to;
  std::int64_t id = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(id, registry_->AddCertificate(conn, person, d));
    return Status::Ok();
  }));
  return id;
}

Status TestDistrict::Revoke(std::int64_t certificate) {
  registry::RevokeDraft d{"test"};
  return db_->Write(
      [&](store::Connection& conn) { return registry_->RevokeCertificate(conn, certificate, d); });
}

Result<std::int64_t> TestDistrict::Enrol(const std::string& project, std::int64_t person,
                                         const std::string& uscc, const std::string& role,
                                         const std::string& work_type,
                                         std::optional<std::string> post, Date entry) {
  registry::EnrolmentDraft d;
  d.person_id = person;
  d.uscc = uscc;
  d.work_role = role;
  d.work_type = work_type;
  d.post = std::move(post);
  d.entry_date = entry;
  std::int64_t id = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(id, registry_->Enrol(conn, project, d));
    return Status::Ok();
  }));
  return id;
}

Status TestDistrict::Exit(const std::string& project, std::int64_t person, Date exit) {
  registry::ExitDraft d{exit, std::nullopt};
  return db_->Write(
      [&](store::Connection& conn) { return registry_->Exit(conn, project, person, d); });
}

Status TestDistrict::Pass(const std::string& project, std::int64_t person, Date day, bool allowed) {
  return db_->Write([&](store::Connection& conn) -> Status {
    // Exited as the gate sees it: enrolled here before, no open enrolment now.
    auto s = conn.Prepare(
        "SELECT COUNT(*), SUM(exit_date IS NULL) FROM enrolments WHERE project_code = ? AND "
        "person_id = ?");
    s.Bind(1, project).Bind(2, person);
    s.Step();
    const bool exited = s.Int(0) > 0 && s.Int(1) == 0;
    ZZ_ASSIGN_OR_RETURN(const std::int64_t time_ms,
                        RecordTestPass(conn, "t" + std::to_string(++next_event_), project, person,
                                       day, 12, allowed));
    return engine_->OnPass(conn, gate::Gate::PassNotice{project, person, allowed, exited, time_ms});
  });
}

Status TestDistrict::Leave(std::int64_t person, Date from, Date to) {
  LeaveDraft d{from, to, std::nullopt, std::nullopt};
  return db_->Write([&](store::Connection& conn) {
    return records_->AddLeave(conn, person, d, "test").status();
  });
}

Status TestDistrict::Exempt(std::int64_t person, const std::string& project,
                            const std::string& reason) {
  ExemptionDraft d{person, project, reason, std::nullopt, std::nullopt};
  return db_->Write(
      [&](store::Connection& conn) { return records_->AddExemption(conn, d, "test").status(); });
}

Status TestDistrict::GiveManagerCertificates(std::int64_t person) {
  for (const auto& [kind, type] :
       std::vector<std::pair<std::string, std::string>>{{"registered", "constructor_1"},
                                                        {"safety_post", "B"},
                                                        {"safety_post", "C"},
                                                        {"registered", "supervising_engineer"}}) {
    ZZ_RETURN_IF_ERROR(Certificate(person, kind, type, Day(-400), Day(400)).status());
  }
  return Status::Ok();
}

std::vector<std::string> TestDistrict::ActiveAlerts() {
  std::vector<std::string> out;
  db_->Read([&](store::Connection& conn) {
    auto s = conn.Prepare(
        "SELECT type, alert_key, severity, message, detail, evidence FROM alerts "
        "WHERE status != 'resolved'");
    while (s.Step()) {
      out.push_back(s.Text(0) + "|" + s.Text(1) + "|" + s.Text(2) + "|" + s.Text(3) + "|" +
                    s.Text(4) + "|" + s.Text(5));
    }
    return s.status();
  });
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> TestDistrict::ActiveKeys() {
  std::vector<std::string> out;
  db_->Read([&](store::Connection& conn) {
    auto s = conn.Prepare("SELECT alert_key FROM alerts WHERE status != 'resolved'");
    while (s.Step())
      out.push_back(s.Text(0));
    return s.status();
  });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zhizhi::alerts
