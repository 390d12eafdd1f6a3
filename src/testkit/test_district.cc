#include "testkit/test_district.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "base/resident_id.h"
#include "base/uscc.h"

namespace zhizhi::testkit {

using namespace alerts;  // the test kit drives the alerts module

namespace {

std::int64_t ParseNow(const std::string& text) {
  auto t = Timestamp::ParseRfc3339(text, "now");
  if (!t.ok()) std::abort();
  return t->unix_ms;
}

}  // namespace

Result<std::int64_t> RecordTestPassAt(store::Connection& conn, const std::string& event_id,
                                      const std::string& project, std::int64_t person,
                                      std::int64_t time_ms, bool allowed) {
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO gate_events(event_id, project_code, time_ms, utc_offset, "
                   "local_date, received_at, person_id, identified_by, direction, decision, "
                   "reasons, warnings) VALUES (?,?,?,480,?,?,?,'terminal','in',?,'[]','[]')")
          .Bind(1, event_id)
          .Bind(2, project)
          .Bind(3, time_ms)
          .Bind(4, DateInChina(time_ms).ToString())
          .Bind(5, time_ms)
          .Bind(6, person)
          .Bind(7, allowed ? "allow" : "deny")
          .Run());
  return conn.LastInsertRowId();
}

TestDistrict::TestDistrict(const std::string& parent, const std::string& now_rfc3339,
                           bool incremental, const residence::PoliceAdapter* police)
    : now_ms_(ParseNow(now_rfc3339)) {
  auto scratch = ScratchDatabase::Open("alerts", {}, parent);
  if (!scratch.ok()) std::abort();
  scratch_ = std::move(scratch).value();
  db_ = &scratch_->db();
  security::FieldCipher::Key key{};
  key[0] = 7;
  cipher_ = std::make_unique<security::FieldCipher>(security::FieldCipher::FromMasterKey(key));
  registry_ = std::make_unique<registry::Registry>(cipher_.get());
  AlertEngineOptions options;
  options.clock = [this] { return now_ms_; };
  options.chunk = 7;  // several chunks even in small tests
  engine_ = std::make_unique<AlertEngine>(db_, registry::Rulebook::Default(), options);
  residence::ResidenceOptions residence_options;
  residence_options.clock = [this] { return now_ms_; };
  residence_options.adapter = police;
  residence_ = std::make_unique<residence::Residence>(
      db_, cipher_.get(), registry::Rulebook::Default(), residence_options);
  if (incremental) {
    // As Platform wires them: the residence module hears the registry before the alerts do,
    // and tells the alerts about every person whose records it changed.
    registry_->AddPersonListener([this](store::Connection& conn, std::int64_t person) {
      return residence_->OnPersonChanged(conn, person);
    });
    engine_->Attach(registry_.get(), nullptr);
    residence_->AddChangeListener([this](store::Connection& conn, std::int64_t person) {
      return engine_->OnPersonChanged(conn, person);
    });
  }
  records_ = std::make_unique<Records>(engine_.get());
}

TestDistrict::~TestDistrict() {
  engine_.reset();
  residence_.reset();
  scratch_.reset();
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

Status TestDistrict::Project(const std::string& code, const std::string& status, Date start,
                             std::optional<double> lat, std::optional<double> lng) {
  registry::ProjectDraft d;
  d.code = code;
  d.name = "项目" + code;
  d.region_code = "330114";
  d.status = status;
  d.start_date = start;
  d.lat = lat;
  d.lng = lng;
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
  // Derived from the number, as the API's parser does.
  auto parsed = ResidentIdNumber::Parse(d.id_number);
  if (parsed.ok()) {
    d.sex = parsed->sex() == Sex::kMale ? "M" : "F";
    d.birth_date = parsed->birth_date();
  }
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
                                         std::optional<std::string> post, Date entry,
                                         std::optional<std::string> dorm) {
  registry::EnrolmentDraft d;
  d.dorm_address = std::move(dorm);
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
  return PassAt(project, person, StartOfChinaDay(day) + 12 * 3'600'000LL, allowed).status();
}

Result<std::int64_t> TestDistrict::PassAt(const std::string& project, std::int64_t person,
                                          std::int64_t time_ms, bool allowed) {
  std::int64_t seq = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    // Exited as the gate sees it: enrolled here before, no open enrolment now.
    auto s = conn.Prepare(
        "SELECT COUNT(*), SUM(exit_date IS NULL) FROM enrolments WHERE project_code = ? AND "
        "person_id = ?");
    s.Bind(1, project).Bind(2, person);
    s.Step();
    const bool exited = s.Int(0) > 0 && s.Int(1) == 0;
    ZZ_ASSIGN_OR_RETURN(seq, RecordTestPassAt(conn, "t" + std::to_string(++next_event_), project,
                                              person, time_ms, allowed));
    const gate::Gate::PassNotice notice{project, person, allowed, exited, time_ms, seq};
    ZZ_RETURN_IF_ERROR(residence_->OnPass(conn, notice));
    return engine_->OnPass(conn, notice);
  }));
  return seq;
}

Status TestDistrict::MoveDorm(const std::string& project, std::int64_t person,
                              const std::string& dorm, Date moved_on) {
  registry::DormMove d{dorm, moved_on};
  return db_->Write(
      [&](store::Connection& conn) { return registry_->MoveDormitory(conn, project, person, d); });
}

Result<std::int64_t> TestDistrict::Worker(const std::string& name, bool complete, bool face) {
  ZZ_ASSIGN_OR_RETURN(const std::int64_t id, Person(name));
  if (complete) ZZ_RETURN_IF_ERROR(CompletePerson(id));
  if (face) ZZ_RETURN_IF_ERROR(VerifyFace(id));
  return id;
}

Status TestDistrict::VerifyFace(std::int64_t person) {
  return db_->Write([&](store::Connection& conn) -> Status {
    // As the face module stores an ID-card photo and a live face matched to it (no embedding:
    // the test district runs no face engine).
    for (const char* source : {"id_card", "live"}) {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO faces(person_id, source, status, model, embedding, quality, "
                       "id_score, created_at) VALUES (?, ?, 'active', 'test', x'00', '{}', ?, ?)")
              .Bind(1, person)
              .Bind(2, source)
              .Bind(3, std::string(source) == "live" ? std::optional<double>(0.8) : std::nullopt)
              .Bind(4, now_ms_)
              .Run());
    }
    return residence_->OnPersonChanged(conn, person);
  });
}

Result<int> TestDistrict::AnswerPolice(bool accept, const std::string& reason) {
  int answered = 0;
  while (true) {
    std::vector<std::int64_t> due;
    ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
      // As the sender does: one person's messages in order.
      auto s = conn.Prepare(
          "SELECT o.id FROM sync_outbox o WHERE o.state = 'pending' AND NOT EXISTS (SELECT 1 "
          "FROM sync_outbox e WHERE e.person_id = o.person_id AND e.id < o.id AND e.state != "
          "'sent') ORDER BY o.id");
      while (s.Step())
        due.push_back(s.Int(0));
      return s.status();
    }));
    if (due.empty()) return answered;
    for (std::int64_t id : due) {
      residence::Delivery d;
      d.kind = accept ? residence::Delivery::Kind::kAccepted : residence::Delivery::Kind::kRejected;
      d.receipt_no = "R" + std::to_string(id);
      d.reason = reason;
      d.http_status = 200;
      ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) {
        return residence_->ApplyDelivery(conn, id, d, 0, false);
      }));
      ++answered;
    }
  }
}

Status TestDistrict::CompletePerson(std::int64_t person) {
  registry::PersonUpdate u;
  u.phone = "13800138000";
  u.nation = "01";
  u.id_address = "河南省周口市项城市";
  return db_->Write(
      [&](store::Connection& conn) { return registry_->UpdatePerson(conn, person, u); });
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
  Status read = db_->Read([&](store::Connection& conn) {
    auto s = conn.Prepare(
        "SELECT type, alert_key, severity, message, detail, evidence FROM alerts "
        "WHERE status != 'resolved'");
    while (s.Step()) {
      out.push_back(s.Text(0) + "|" + s.Text(1) + "|" + s.Text(2) + "|" + s.Text(3) + "|" +
                    s.Text(4) + "|" + s.Text(5));
    }
    return s.status();
  });
  if (!read.ok()) return {"read failed: " + read.ToString()};  // fails any comparison
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> TestDistrict::ActiveKeys() {
  std::vector<std::string> out;
  Status read = db_->Read([&](store::Connection& conn) {
    auto s = conn.Prepare("SELECT alert_key FROM alerts WHERE status != 'resolved'");
    while (s.Step())
      out.push_back(s.Text(0));
    return s.status();
  });
  if (!read.ok()) return {"read failed: " + read.ToString()};
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace zhizhi::testkit
