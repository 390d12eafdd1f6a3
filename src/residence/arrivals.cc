// Residence: arrivals — the first allowed pass at the site of a draft dates it (the pass hook).
#include "residence/residence.h"

#include "residence/residence_internal.h"

namespace zhizhi::residence {

Status Residence::OnPass(store::Connection& conn, const gate::Gate::PassNotice& pass) {
  if (!pass.allowed) return Status::Ok();
  // The person's live registration (one indexed lookup, then from memory): does this pass date
  // an arrival?
  auto it = live_.find(pass.person_id);
  if (it == live_.end()) {
    // The memo learns rows of this job's group: if they are rolled back, it forgets all (a
    // cache: what it no longer holds it reads again).
    conn.OnRollback([this] { live_.clear(); });
    auto s = conn.Prepare(
        "SELECT r.status, r.project_code, r.event_date, e.entry_date FROM "
        "residence_registrations r JOIN enrolments e ON e.id = r.enrolment_id WHERE "
        "r.person_id = ? AND r.kind = 'registration' AND "
        "r.status IN ('draft','submitted','accepted','rejected')");
    s.Bind(1, pass.person_id);
    std::optional<Live> live;
    if (s.Step()) {
      live = Live{s.Text(0), s.Text(1), s.OptText(2), s.Text(3)};
    } else {
      ZZ_RETURN_IF_ERROR(s.status());
    }
    it = live_.emplace(pass.person_id, std::move(live)).first;
  }
  if (!it->second) return Status::Ok();
  const Live& live = *it->second;
  if (live.status != status::kDraft && live.status != status::kRejected) return Status::Ok();
  if (live.project != pass.project) return Status::Ok();
  if (pass.time_ms < StartOfDayInChina(ParseDate(live.entry_date))) return Status::Ok();
  const auto& arrival = live.event_date;
  if (arrival && DateInChina(pass.time_ms).ToString() >= *arrival) return Status::Ok();
  // The first pass (or an earlier one replayed late): the draft's arrival and due date move.
  return OnPersonChanged(conn, pass.person_id);
}

Result<std::optional<Date>> Residence::Arrival(store::Connection& conn, std::int64_t person,
                                               const EnrolmentRow& housing) const {
  auto s = conn.Prepare(
      "SELECT time_ms FROM gate_events WHERE person_id = ? AND time_ms >= ? AND "
      "project_code = ? AND decision = 'allow' AND identified_by != 'auto' "
      "ORDER BY time_ms LIMIT 1");
  s.Bind(1, person).Bind(2, StartOfDayInChina(housing.entry)).Bind(3, housing.project);
  if (s.Step()) return std::optional<Date>(DateInChina(s.Int(0)));
  ZZ_RETURN_IF_ERROR(s.status());
  return std::optional<Date>();
}

}  // namespace zhizhi::residence
