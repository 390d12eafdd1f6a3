#include "security/refusal_log.h"

#include <spdlog/spdlog.h>

namespace zhizhi::security {

void RefusalLog::Refused(const Actor& actor, const std::string& route, const std::string& path,
                         const std::string& outcome, const std::string& right,
                         std::int64_t now_ms) {
  const std::string who =
      actor.token_id != 0 ? "token:" + std::to_string(actor.token_id) : "name:" + actor.name;
  std::int64_t suppressed = 0;
  bool burst = false;
  {
    std::lock_guard lock(mu_);
    if (windows_.size() > 10'000) windows_.clear();  // bounded under a flood of principals
    Window& w = windows_[who];
    // A burst: the kBurst-th refusal within a minute (told once, until the minute is quiet).
    w.recent.push_back(now_ms);
    if (w.recent.size() > static_cast<size_t>(kBurst)) w.recent.pop_front();
    burst = w.recent.size() == static_cast<size_t>(kBurst) && now_ms - w.recent.front() < 60'000;
    if (burst) w.recent.clear();
    const std::int64_t minute = now_ms / 60'000;
    if (w.minute != minute) {
      w.minute = minute;
      w.recorded = 0;
    }
    if (w.recorded >= kPerMinute && !burst) {
      ++w.suppressed;
      return;
    }
    ++w.recorded;
    suppressed = w.suppressed;
    w.suppressed = 0;
  }
  nlohmann::json detail = {{"route", route}, {"path", path}, {"outcome", outcome}};
  if (!right.empty()) detail["right"] = right;
  if (suppressed > 0) detail["suppressed"] = suppressed;
  AuditRecord record{"access.refused", route, {}, std::move(detail)};
  if (burst) record.detail["burst"] = kBurst;
  db_->WriteAsync(
      [this, actor, record = std::move(record), burst, now_ms](store::Connection& conn) {
        ZZ_RETURN_IF_ERROR(audit_->Append(conn, actor, record));
        if (burst && burst_) return burst_(conn, actor, kBurst, now_ms);
        return Status::Ok();
      },
      [](const Status& status) {
        if (!status.ok()) spdlog::warn("event=refusal_not_audited error=\"{}\"", status.ToString());
      });
}

}  // namespace zhizhi::security
