// The gate's housekeeping: on a new day every standing is judged again (certificates expire at
// midnight), and after the automatic clock-out hour the open days of people still inside are
// closed.
#include <spdlog/spdlog.h>

#include "base/civil_time.h"
#include "gate/gate.h"
#include "gate/gate_internal.h"

namespace zhizhi::gate {

using namespace internal;

namespace {

// The instant of the most recent automatic clock-out at or before `now_ms`.
std::int64_t LatestClockOutCutoff(std::int64_t now_ms, int hour) {
  const std::int64_t local = now_ms + kChinaOffsetMs;
  const std::int64_t today_cutoff = (local / kDayMs) * kDayMs + hour * 3'600'000LL;
  const std::int64_t cutoff_local = local >= today_cutoff ? today_cutoff : today_cutoff - kDayMs;
  return cutoff_local - kChinaOffsetMs;
}

}  // namespace

void Gate::HousekeepingLoop() {
  std::unique_lock lock(tick_mu_);
  while (!stopping_) {
    tick_cv_.wait_for(lock, std::chrono::seconds(options_.tick_seconds));
    if (stopping_) break;
    lock.unlock();
    Status status = Tick();
    if (!status.ok() && status.kind() != StatusKind::kUnavailable) {
      spdlog::warn("event=gate_tick_failed error=\"{}\"", status.ToString());
    }
    lock.lock();
  }
}

Status Gate::Tick() {
  const std::int64_t today = Today();
  bool new_day = false;
  {
    auto lock = state_.ReadLock();
    new_day = state_.data().today != today;
  }
  if (new_day) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      state_.SetToday(conn, today);
      return RecomputeAllStandings(conn, "new_day");
    }));
  }
  // Anyone inside since before the latest automatic clock-out has an open day to close — also
  // when a terminal replays an old "in" after the cut-off, which is closed at the next tick.
  ZZ_ASSIGN_OR_RETURN(int closed,
                      ClockOutAll(LatestClockOutCutoff(NowUnixMs(), options_.auto_clockout_hour)));
  if (closed > 0) spdlog::info("event=auto_clock_out closed={}", closed);
  return Status::Ok();
}

Result<int> Gate::ClockOutAll(std::int64_t cutoff_ms) {
  {
    // Most ticks close nobody: look first, without a write job.
    auto lock = state_.ReadLock();
    bool any = false;
    for (const auto& [code, project] : state_.data().projects) {
      for (const auto& [person, o] : project.onsite)
        any = any || (o.inside && o.since_ms < cutoff_ms);
    }
    if (!any) return 0;
  }
  int closed = 0;
  Status status = db_->Write([&](store::Connection& conn) -> Status {
    struct Closing {
      std::string project;
      std::int64_t person;
      OnsiteFact was;
    };
    std::vector<Closing> closing;
    for (const auto& [code, project] : state_.data().projects) {
      for (const auto& [person, o] : project.onsite) {
        if (o.inside && o.since_ms < cutoff_ms) closing.push_back({code, person, o});
      }
    }
    for (const Closing& c : closing) {
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("INSERT INTO gate_events(device_id, event_id, project_code, time_ms, "
                       "utc_offset, local_date, received_at, person_id, identified_by, direction, "
                       "decision, reasons, warnings, flags) "
                       "VALUES (NULL,?,?,?,?,?,?,?,'auto','out','allow','[]','[]',?)")
              .Bind(1,
                    "auto-clock-out:" + std::to_string(cutoff_ms) + ":" + std::to_string(c.person))
              .Bind(2, c.project)
              .Bind(3, cutoff_ms)
              .Bind(4, kChinaUtcOffsetMinutes)
              .Bind(5, LocalDateOf(c.was.since_ms))  // closes the day the person came in
              .Bind(6, NowUnixMs())
              .Bind(7, c.person)
              .Bind(8, kFlagAutoClockOut)
              .Run());
      ZZ_RETURN_IF_ERROR(
          conn.Prepare("UPDATE onsite SET inside = 0, since_ms = ?, "
                       "auto_clocked_out = 1 WHERE project_code = ? AND person_id = ?")
              .Bind(1, cutoff_ms)
              .Bind(2, c.project)
              .Bind(3, c.person)
              .Run());
    }
    for (const Closing& c : closing) {
      state_.RecordPass(conn, c.project, c.person,
                        OnsiteFact{false, cutoff_ms, c.was.device_id, true},
                        LastPass{cutoff_ms, false});
    }
    closed = static_cast<int>(closing.size());
    past_changes_.fetch_add(1, std::memory_order_acq_rel);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return closed;
}

}  // namespace zhizhi::gate
