#include "alerts/enrolled_person.h"

namespace zhizhi::alerts {

namespace {

constexpr const char* kEnrolmentsOfPerson =
    "SELECT e.id, e.project_code, p.name, p.status, e.work_role, e.work_type, e.uscc, e.post, "
    "e.entry_date, e.exit_date FROM enrolments e JOIN projects p ON p.code = e.project_code "
    "WHERE e.person_id = ? ORDER BY e.id";

}  // namespace

Result<EnrolledPerson> LoadEnrolledPerson(store::Connection& conn, std::int64_t person) {
  EnrolledPerson out;
  auto p = conn.Prepare("SELECT name FROM persons WHERE id = ?");
  p.Bind(1, person);
  if (p.Step()) out.name = p.Text(0);
  ZZ_RETURN_IF_ERROR(p.status());

  auto e = conn.Prepare(kEnrolmentsOfPerson);
  e.Bind(1, person);
  while (e.Step()) {
    EnrolledPerson::Enrolment en{e.Int(0),    e.Text(1),    e.Text(2),
                                 e.Text(3),   e.Text(4),    e.Text(5),
                                 e.Text(6),   e.OptText(7), StoredDate(e.Text(8)),
                                 std::nullopt};
    if (auto exit = e.OptText(9)) en.exit = StoredDate(*exit);
    out.enrolments.push_back(std::move(en));
  }
  ZZ_RETURN_IF_ERROR(e.status());
  return out;
}

Date StoredDate(const std::string& text) {
  auto d = Date::Parse(text, "date");
  return d.ok() ? *d : Date{};
}

}  // namespace zhizhi::alerts
