// Residence: the outbox per target (pending, sent, failed, last error) for GET /api/v1/sync/status.
#include "residence/residence.h"

#include "residence/residence_internal.h"

namespace zhizhi::residence {

using nlohmann::json;

Result<json> Residence::SyncCounts(store::Connection& conn) const {
  json targets = json::object();
  auto s = conn.Prepare(
      "SELECT target, state, COUNT(*), MIN(next_attempt_at), MIN(created_at), MAX(sent_at) "
      "FROM sync_outbox GROUP BY target, state");
  while (s.Step()) {
    json& t = targets[s.Text(0)];
    if (t.is_null()) {
      t = {{"pending", 0},
           {"sent", 0},
           {"failed", 0},
           {"last_error", nullptr},
           {"last_error_at", nullptr},
           {"last_sent_at", nullptr},
           {"next_attempt_at", nullptr},
           {"oldest_pending_since", nullptr}};
    }
    const std::string state = s.Text(1);
    t[state] = s.Int(2);
    if (state == "pending") {
      t["next_attempt_at"] = FormatRfc3339(s.Int(3));
      t["oldest_pending_since"] = FormatRfc3339(s.Int(4));
    }
    if (state == "sent" && !s.IsNull(5)) t["last_sent_at"] = FormatRfc3339(s.Int(5));
  }
  ZZ_RETURN_IF_ERROR(s.status());
  for (auto& [target, t] : targets.items()) {
    auto e = conn.Prepare(
        "SELECT last_error, last_attempt_at FROM sync_outbox WHERE target = ? AND last_error IS "
        "NOT NULL ORDER BY last_attempt_at DESC LIMIT 1");
    e.Bind(1, target);
    if (e.Step()) {
      t["last_error"] = e.Text(0);
      t["last_error_at"] = FormatRfc3339(e.Int(1));
    }
    ZZ_RETURN_IF_ERROR(e.status());
  }
  return targets;
}

}  // namespace zhizhi::residence
