// Residence: the changes and deregistration of a registration the police hold or will hold.
#include "residence/residence.h"

#include <algorithm>

#include "residence/residence_internal.h"

namespace zhizhi::residence {

Status Residence::ReconcileChain(store::Connection& conn, std::int64_t person, const Record& root,
                                 const std::vector<EnrolmentRow>& enrolments, bool* changed,
                                 Built* built) {
  std::vector<Record> children;
  {
    static const std::string sql = std::string("SELECT ") + kRecordColumns +
                                   " FROM residence_registrations WHERE registration_id = ? "
                                   "ORDER BY id";
    auto s = conn.Prepare(sql);
    s.Bind(1, root.id);
    while (s.Step())
      children.push_back(ReadRecord<Record>(s));
    ZZ_RETURN_IF_ERROR(s.status());
  }
  // What the police hold (or will, once the messages in flight are answered).
  std::int64_t held_enrolment = root.enrolment_id;
  std::string held_address = root.address.value_or("");
  const Record* dereg = nullptr;
  std::vector<const Record*> open_changes;
  for (const Record& c : children) {
    if (c.kind == kind::kChange) {
      if (c.status == status::kSubmitted || c.status == status::kAccepted) {
        held_enrolment = c.enrolment_id;
        held_address = c.address.value_or("");
      } else if (c.open()) {
        open_changes.push_back(&c);
      }
    } else if (c.kind == kind::kDeregistration && (c.open() || c.status == status::kSubmitted)) {
      dereg = &c;
    }
  }
  const EnrolmentRow* held = nullptr;
  for (const EnrolmentRow& e : enrolments) {
    if (e.id == held_enrolment) held = &e;
  }
  if (!held)
    return Status::Internal("registration " + std::to_string(root.id) +
                            " names an enrolment of another person");
  const Date today = DateInChina(options_.clock());
  const EnrolmentRow* housing = Housing(enrolments, held_enrolment);

  if (!housing) {
    // Left: deregister (Zhejiang: when the worker leaves).
    for (const Record* c : open_changes) {
      ZZ_RETURN_IF_ERROR(Close(conn, *c, status::kCancelled, "the worker left"));
      *changed = true;
    }
    const Date leave = held->exit.value_or(today);
    if (!dereg) {
      ZZ_RETURN_IF_ERROR(
          Create(conn, kind::kDeregistration, person, root.id, *held, leave, held_address, built)
              .status());
      *changed = true;
    } else if (dereg->open()) {
      ZZ_ASSIGN_OR_RETURN(bool refreshed, Refresh(conn, *dereg, *held, leave, held_address, built));
      *changed |= refreshed;
    }
    return Status::Ok();
  }

  if (dereg) {
    if (dereg->status == status::kSubmitted) return Status::Ok();  // its answer decides
    ZZ_RETURN_IF_ERROR(Close(conn, *dereg, status::kCancelled, "housed again before it was sent"));
    *changed = true;
  }
  if (housing->id == held_enrolment && housing->dorm == held_address) {
    for (const Record* c : open_changes) {
      ZZ_RETURN_IF_ERROR(Close(conn, *c, status::kCancelled, "back at the registered address"));
      *changed = true;
    }
    return Status::Ok();
  }
  // A move (same enrolment, new dormitory) or a new project: a change, due within 10 days.
  Date moved = housing->dorm_since.value_or(today);
  if (housing->id != held_enrolment) {
    moved = std::max(housing->entry, held->exit.value_or(housing->entry));
  }
  if (open_changes.empty()) {
    ZZ_RETURN_IF_ERROR(
        Create(conn, kind::kChange, person, root.id, *housing, moved, *housing->dorm, built)
            .status());
    *changed = true;
    return Status::Ok();
  }
  for (size_t i = 0; i + 1 < open_changes.size(); ++i) {
    ZZ_RETURN_IF_ERROR(Close(conn, *open_changes[i], status::kCancelled, "superseded"));
    *changed = true;
  }
  ZZ_ASSIGN_OR_RETURN(bool refreshed,
                      Refresh(conn, *open_changes.back(), *housing, moved, *housing->dorm, built));
  *changed |= refreshed;
  return Status::Ok();
}

}  // namespace zhizhi::residence
