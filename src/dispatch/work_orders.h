// Work orders (一机全调度): made from alerts and IoT alarms by rule, from the mediation system's
// dispute cases (one code per case, 一案一码), or by hand; routed to the nearest on-duty grid
// worker of their area; worked from a phone; supervised, escalated once when overdue, closed by
// the command centre — which resolves the alert they came from.
//
// Life cycle (docs/dispatch.md has the table of who may do what from which status):
//   received → assigned → in_progress → reported → finished → closed
//   assign (dispatcher), accept/report/finish (the assignee), close/reopen/supervise (dispatcher).
// An action from the wrong status is 409 invalid_transition and changes nothing; an action a
// phone sends twice (same client_id) is answered from the first and counted once.
//
// Deadlines: fixed when the order is made — the category's working days on the holiday calendar
// (or hours for the urgent ones) — so a restart moves no deadline. A thread of its own escalates
// each order once when its deadline passes (escalated_at).
//
// Alerts become orders by rule in the write job that opens them (OnAlertOpened, the alert book's
// listener), so nothing is written behind a request's back; the alerts opened while the server
// was not running (the demo's) are caught up at start (a cursor over alert ids in meta).
//
// Every step is a row of work_order_steps and a row of the hash-chained audit log, in the write
// job of the change. Notifications (notifier.h) go to an outbox in the same job.
//
// Thread-safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "dispatch/dispatch_rules.h"
#include "dispatch/work_calendar.h"
#include "security/audit_log.h"
#include "security/principal.h"
#include "store/database.h"
#include "store/page.h"
#include "warning/areas.h"
#include "warning/warning.h"

namespace zhizhi::dispatch {

struct WorkOrderOptions {
  Clock clock = SystemClock();
  int tick_ms = 1000;                       // escalation and alert intake
  std::size_t max_photo_bytes = 700 << 10;  // one photo, decoded
  bool from_alerts = true;                  // make orders of alerts by rule
};

struct OrderFilter {
  std::optional<std::string> status, area, assignee, category, source;
  bool overdue_only = false;
};

class WorkOrders {
 public:
  WorkOrders(store::Database* db, const security::AuditLog* audit, warning::Areas* areas,
             warning::Warning* warning, const DispatchRules* rules, const WorkCalendar* calendar,
             WorkOrderOptions options = {});
  ~WorkOrders();

  Status Start();
  void Stop();

  // POST /api/v1/work-orders.
  Result<nlohmann::json> Create(const nlohmann::json& body, const security::Actor& actor);
  // POST /api/v1/work-orders/{id}/{action}. `principal` decides whose the order is.
  Result<nlohmann::json> Act(std::int64_t id, std::string_view action, const nlohmann::json& body,
                             const security::Principal& principal, const security::Actor& actor);
  // POST /api/v1/disputes: the mediation system's cases, all or none.
  Result<nlohmann::json> ImportDisputes(const nlohmann::json& body, const security::Actor& actor);

  Result<nlohmann::json> Get(std::int64_t id) const;
  Result<nlohmann::json> List(const OrderFilter& filter, const store::Page& page,
                              const security::Principal& principal) const;
  // An evidence photo: {media_type, bytes}.
  Result<std::pair<std::string, std::string>> Photo(std::int64_t order, std::int64_t photo) const;
  // Whether the caller may see the order: any for a district-wide role, the assignee's own for a
  // grid worker (404 otherwise, like an order that does not exist).
  Status CheckScope(const security::Principal& principal, std::int64_t id) const;

  // The person on duty: POST/GET /api/v1/me/duty.
  Result<nlohmann::json> SetDuty(const security::Principal& principal, const nlohmann::json& body);
  Result<nlohmann::json> Duty(const security::Principal& principal) const;

  // One round of the thread's work, now: the escalations due. Tests call it with their clock;
  // returns how many were escalated.
  Result<int> Tick();

  // An alert just opened (alerts::AlertBook's listener, inside its write job): the order a rule
  // makes of it, in the same transaction.
  Status OnAlertOpened(store::Connection& conn, std::int64_t alert_id);
  // The alerts opened while no listener was set (the demo's, an upgrade's) since the last
  // catch-up (a cursor in meta): their orders by rule. Start() runs it before serving; returns
  // how many orders were made.
  Result<int> CatchUpAlerts();

  const DispatchRules& rules() const { return *rules_; }
  const WorkCalendar& calendar() const { return *calendar_; }

 private:
  void Loop();
  void Changed();

  store::Database* db_;
  const security::AuditLog* audit_;
  warning::Areas* areas_;
  warning::Warning* warning_;
  const DispatchRules* rules_;
  const WorkCalendar* calendar_;
  WorkOrderOptions options_;

  std::mutex tick_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace zhizhi::dispatch
