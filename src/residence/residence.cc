// Residence: construction, the person hook, and bringing a person's registration up to date.
#include "residence/residence.h"

#include <algorithm>

#include "residence/residence_internal.h"

namespace zhizhi::residence {

Residence::Residence(store::Database* db, const security::FieldCipher* cipher,
                     const registry::Rulebook& rules, ResidenceOptions options)
    : db_(db), cipher_(cipher), rules_(rules), options_(std::move(options)) {}

Status Residence::OnPersonChanged(store::Connection& conn, std::int64_t person_id) {
  live_.erase(person_id);
  bool changed = false;
  ZZ_RETURN_IF_ERROR(Reconcile(conn, person_id, &changed));
  return changed ? Notify(conn, person_id) : Status::Ok();
}

Status Residence::Reconcile(store::Connection& conn, std::int64_t person, bool* changed) {
  std::vector<EnrolmentRow> enrolments;
  {
    auto s = conn.Prepare(
        "SELECT id, project_code, work_role, entry_date, exit_date, dorm_address, dorm_since "
        "FROM enrolments WHERE person_id = ? ORDER BY id");
    s.Bind(1, person);
    while (s.Step()) {
      EnrolmentRow e;
      e.id = s.Int(0);
      e.project = s.Text(1);
      e.role = s.Text(2);
      e.entry = ParseDate(s.Text(3));
      if (auto exit = s.OptText(4)) e.exit = ParseDate(*exit);
      e.dorm = s.OptText(5);
      if (auto since = s.OptText(6)) e.dorm_since = ParseDate(*since);
      enrolments.push_back(std::move(e));
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  std::optional<Record> root;
  {
    static const std::string sql = std::string("SELECT ") + kRecordColumns +
                                   " FROM residence_registrations WHERE person_id = ? AND kind = "
                                   "'registration' AND status IN "
                                   "('draft','submitted','accepted','rejected')";
    auto s = conn.Prepare(sql);
    s.Bind(1, person);
    if (s.Step()) root = ReadRecord<Record>(s);
    ZZ_RETURN_IF_ERROR(s.status());
  }

  Built built;
  if (!root) {
    const EnrolmentRow* housing = Housing(enrolments, std::nullopt);
    if (housing) {
      ZZ_ASSIGN_OR_RETURN(auto arrival, Arrival(conn, person, *housing));
      ZZ_RETURN_IF_ERROR(Create(conn, kind::kRegistration, person, std::nullopt, *housing, arrival,
                                *housing->dorm, &built)
                             .status());
      *changed = true;
    }
  } else if (root->open()) {
    // The police never accepted it: follow the registry in place.
    const EnrolmentRow* housing = Housing(enrolments, root->enrolment_id);
    if (!housing) {
      ZZ_RETURN_IF_ERROR(
          Close(conn, *root, status::kCancelled, "the worker left before it was accepted"));
      *changed = true;
    } else {
      ZZ_ASSIGN_OR_RETURN(auto arrival, Arrival(conn, person, *housing));
      ZZ_ASSIGN_OR_RETURN(bool refreshed,
                          Refresh(conn, *root, *housing, arrival, *housing->dorm, &built));
      *changed |= refreshed;
    }
  } else {
    ZZ_RETURN_IF_ERROR(ReconcileChain(conn, person, *root, enrolments, changed, &built));
  }

  // Zero trips: a complete draft goes out at once.
  if (!rules_.residence().auto_submit || options_.defer_submission) return Status::Ok();
  std::vector<Record> ready;
  {
    static const std::string sql = std::string("SELECT ") + kRecordColumns +
                                   " FROM residence_registrations WHERE person_id = ? AND status = "
                                   "'draft' AND missing = '[]' ORDER BY kind != 'registration', id";
    auto s = conn.Prepare(sql);
    s.Bind(1, person);
    while (s.Step())
      ready.push_back(ReadRecord<Record>(s));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  for (const Record& r : ready) {
    const Application* app = nullptr;
    for (const auto& [id, a] : built) {
      if (id == r.id) app = &a;
    }
    ZZ_RETURN_IF_ERROR(SubmitRecord(conn, r, "system", app));
    *changed = true;
  }
  return Status::Ok();
}

Status Residence::Notify(store::Connection& conn, std::int64_t person) {
  live_.erase(person);  // its records changed
  for (const auto& listener : listeners_)
    ZZ_RETURN_IF_ERROR(listener(conn, person));
  return Status::Ok();
}

Result<std::int64_t> Residence::ReconcileAll(int chunk) {
  std::vector<std::int64_t> persons;
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT person_id FROM enrolments UNION SELECT person_id FROM residence_registrations "
        "WHERE status IN ('draft','submitted','accepted','rejected') ORDER BY 1");
    while (s.Step())
      persons.push_back(s.Int(0));
    return s.status();
  }));
  std::int64_t changed_persons = 0;
  const size_t step = static_cast<size_t>(std::max(1, chunk));
  for (size_t i = 0; i < persons.size(); i += step) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      for (size_t j = i; j < std::min(i + step, persons.size()); ++j) {
        bool changed = false;
        ZZ_RETURN_IF_ERROR(Reconcile(conn, persons[j], &changed));
        if (changed) {
          ++changed_persons;
          ZZ_RETURN_IF_ERROR(Notify(conn, persons[j]));
        }
      }
      return Status::Ok();
    }));
  }
  return changed_persons;
}

}  // namespace zhizhi::residence
