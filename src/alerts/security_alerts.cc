#include "alerts/security_alerts.h"

#include "base/civil_time.h"

namespace zhizhi::alerts {

AlertDraft RefusalBurstAlert(const security::Actor& actor, int refusals, std::int64_t now_ms) {
  AlertDraft d;
  d.type = type::kAccessRefusalBurst;
  d.severity = "orange";
  const bool user = actor.user_id != 0;
  d.subject_kind = user ? "user" : "token";
  d.subject_id = std::to_string(user ? actor.user_id : actor.token_id);
  d.key = std::string(type::kAccessRefusalBurst) + ":" + d.subject_kind + ":" + d.subject_id;
  const std::string who = (user ? "用户 " : "令牌 ") + actor.name + " (" + actor.role + ")";
  d.message = who + " 一分钟内 " + std::to_string(refusals) + " 次访问被拒（无权限或超出范围）" +
              (actor.ip.empty() ? "" : "，来自 " + actor.ip);
  d.evidence.push_back(
      {{"kind", "audit"},
       {"id", d.subject_id},
       {"href", "/api/v1/audit?kind=security&from=" + FormatRfc3339(now_ms - 60'000)}});
  d.detail = {{"refusals", refusals}, {"within_seconds", 60}, {"name", actor.name},
              {"role", actor.role},   {"ip", actor.ip},       {"last_at", FormatRfc3339(now_ms)}};
  return d;
}

AlertDraft TerminalImpersonationAlert(const TerminalMisuse& m, std::int64_t now_ms) {
  AlertDraft d;
  d.type = type::kTerminalImpersonation;
  d.severity = "red";
  d.subject_kind = "device";
  d.subject_id = std::to_string(m.device_id);
  d.project_code = m.project;
  d.device_id = m.device_id;
  d.key = std::string(type::kTerminalImpersonation) + ":" + d.subject_id + ":" + m.from_address;
  d.message = "终端 " + m.serial + " (" + m.vendor + ") 的身份被冒用：" +
              (m.claimed_serial.empty()
                   ? "来自 " + m.from_address + "，该终端绑定地址为 " + m.bound_address
                   : "其回调地址收到终端 " + m.claimed_serial + " 的记录，来自 " + m.from_address);
  d.evidence.push_back({{"kind", "device"},
                        {"id", d.subject_id},
                        {"href", "/api/v1/projects/" + m.project + "/devices"}});
  d.detail = {{"vendor", m.vendor},
              {"serial", m.serial},
              {"from_address", m.from_address},
              {"last_at", FormatRfc3339(now_ms)}};
  if (!m.bound_address.empty()) d.detail["bound_address"] = m.bound_address;
  if (!m.claimed_serial.empty()) d.detail["claimed_serial"] = m.claimed_serial;
  return d;
}

AlertDraft TerminalUnregisteredAlert(const std::string& vendor, const std::string& serial,
                                     const std::string& from_address, std::int64_t now_ms) {
  AlertDraft d;
  d.type = type::kTerminalUnregistered;
  d.severity = "yellow";
  d.subject_kind = "device";
  d.subject_id = vendor + ":" + serial;
  d.key = std::string(type::kTerminalUnregistered) + ":" + d.subject_id + ":" + from_address;
  d.message = "未登记的终端 " + serial + " (" + vendor + ") 从 " + from_address +
              " 连接：登记它，或查明来源";
  d.detail = {{"vendor", vendor},
              {"serial", serial},
              {"from_address", from_address},
              {"last_at", FormatRfc3339(now_ms)}};
  return d;
}

}  // namespace zhizhi::alerts
