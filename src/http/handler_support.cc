#include "http/handler_support.h"

#include <charconv>

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/record_id.h"

namespace zhizhi::http {

Result<nlohmann::json> JsonBody(const Request& request) {
  return ParseJsonObject(request.body);
}

Result<store::Page> PageOf(const Request& request, std::string_view list, store::CursorKey key) {
  store::Page page;
  page.list = std::string(list);
  if (auto limit = request.Query("limit")) {
    int value = 0;
    const auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
    if (ec != std::errc() || end != limit->data() + limit->size() || value < 1 ||
        value > store::Page::kMaxLimit) {
      return Status::InvalidArgument(
          "limit", "limit must be an integer from 1 to " + std::to_string(store::Page::kMaxLimit));
    }
    page.limit = value;
  }
  auto cursor = request.Query("cursor");
  if (!cursor || cursor->empty()) return page;
  if (key == store::CursorKey::kText) {
    ZZ_ASSIGN_OR_RETURN(page.after, store::DecodeCursor(list, *cursor));
  } else {
    ZZ_ASSIGN_OR_RETURN(page.after_id, store::DecodeIdCursor(list, *cursor));
    page.after = std::to_string(page.after_id);
  }
  return page;
}

Result<std::int64_t> IdParam(const Request& request, std::string_view name) {
  return PathId(name, request.Param(name));
}

Result<std::optional<std::int64_t>> IdQuery(const Request& request, std::string_view name) {
  auto text = request.Query(name);
  if (!text || text->empty()) return std::optional<std::int64_t>();
  if (auto id = ParseRecordId(*text)) return std::optional<std::int64_t>(*id);
  return Status::InvalidArgument(std::string(name),
                                 std::string(name) + " must be a positive integer");
}

Result<std::optional<std::string>> OptTextQuery(const Request& request, const char* name,
                                                size_t max) {
  auto value = request.Query(name);
  if (!value || value->empty()) return std::optional<std::string>();
  if (value->size() > max) return Status::InvalidArgument(name, std::string(name) + ": too long");
  return std::optional<std::string>(std::string(*value));
}

Result<std::string> EnumQuery(const Request& request, std::string_view name,
                              std::initializer_list<std::string_view> allowed,
                              std::string_view fallback) {
  auto value = request.Query(name);
  if (!value || value->empty()) return std::string(fallback);
  std::string valid;
  for (std::string_view option : allowed) {
    if (*value == option) return *value;
    valid += (valid.empty() ? "" : ", ") + std::string(option);
  }
  return Status::InvalidArgument(std::string(name), std::string(name) + " must be one of " + valid);
}

Result<std::int64_t> InstantQuery(const Request& request, std::string_view name,
                                  std::int64_t fallback, bool end_of_day) {
  auto text = request.Query(name);
  if (!text || text->empty()) return fallback;
  if (text->size() == 10) {
    ZZ_ASSIGN_OR_RETURN(Date date, Date::Parse(*text, std::string(name)));
    const std::int64_t day = date.DaysSinceEpoch() + (end_of_day ? 1 : 0);
    return day * 86'400'000LL - kChinaUtcOffsetMinutes * 60'000LL;
  }
  ZZ_ASSIGN_OR_RETURN(Timestamp t, Timestamp::ParseRfc3339(*text, std::string(name)));
  return t.unix_ms + (end_of_day ? 1 : 0);  // an end instant is inclusive, like an end date
}

security::Actor ActorOf(const Request& request) {
  return security::Actor::Of(request.principal, request.remote, request.request_id);
}

security::AuditRecord Audit(std::string action, std::string target,
                            std::vector<std::int64_t> persons, nlohmann::json detail) {
  return security::AuditRecord{std::move(action), std::move(target), std::move(persons),
                               std::move(detail)};
}

std::vector<std::int64_t> PersonOf(const nlohmann::json& answer) {
  if (answer.is_object()) {
    auto it = answer.find("person_id");
    if (it != answer.end() && it->is_number_integer()) return {it->get<std::int64_t>()};
  }
  return {};
}

std::vector<std::int64_t> IdsOf(const nlohmann::json& items, const char* key) {
  std::vector<std::int64_t> ids;
  if (!items.is_array()) return ids;
  for (const auto& item : items) {
    if (!item.is_object()) continue;
    auto it = item.find(key);
    if (it != item.end() && it->is_number_integer()) ids.push_back(it->get<std::int64_t>());
  }
  return ids;
}

Response Reply(const Result<nlohmann::json>& result, int ok_status) {
  if (!result.ok()) return Response::Error(result.status());
  return Response::Json(ok_status, *result);
}

}  // namespace zhizhi::http
