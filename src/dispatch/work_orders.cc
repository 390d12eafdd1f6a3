#include "dispatch/work_orders.h"

#include <limits>

#include <spdlog/spdlog.h>

#include "alerts/alert_book.h"
#include "alerts/residence_detectors.h"
#include "base/base64.h"
#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/text.h"
#include "base/thread_name.h"
#include "security/field_cipher.h"

namespace zhizhi::dispatch {

using nlohmann::json;
using security::Actor;
using security::Principal;

namespace {

constexpr const char* kAlertCursorKey = "dispatch.alert_cursor";

enum class Who { kDispatcher, kAssignee };

struct Transition {
  std::string_view action;
  Who who;
  std::vector<std::string_view> from;
  std::string_view to;  // "" keeps the status (supervise); reopen decides itself
};

const std::vector<Transition>& Transitions() {
  static const std::vector<Transition> table = {
      {"assign", Who::kDispatcher, {"received", "assigned", "in_progress"}, "assigned"},
      {"accept", Who::kAssignee, {"assigned"}, "in_progress"},
      {"report", Who::kAssignee, {"in_progress", "reported"}, "reported"},
      {"finish", Who::kAssignee, {"in_progress", "reported"}, "finished"},
      {"close", Who::kDispatcher, {"finished"}, "closed"},
      {"reopen", Who::kDispatcher, {"finished", "closed"}, ""},
      {"supervise", Who::kDispatcher, {"received", "assigned", "in_progress", "reported"}, ""},
  };
  return table;
}

const Transition* FindTransition(std::string_view action) {
  for (const Transition& t : Transitions())
    if (t.action == action) return &t;
  return nullptr;
}

// The image type of `bytes` by its signature, or "" when it is none we keep.
std::string ImageType(std::string_view bytes) {
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
      static_cast<unsigned char>(bytes[1]) == 0xD8 && static_cast<unsigned char>(bytes[2]) == 0xFF)
    return "image/jpeg";
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8))
    return "image/png";
  if (bytes.size() >= 12 && bytes.substr(0, 4) == "RIFF" && bytes.substr(8, 4) == "WEBP")
    return "image/webp";
  return "";
}

struct Evidence {
  std::string media_type, bytes;
};

Result<std::optional<Evidence>> ReadPhoto(const json& body, std::size_t max_bytes) {
  if (!body.contains("photo") || body["photo"].is_null()) return std::optional<Evidence>();
  const json& p = body["photo"];
  if (!p.is_object()) return Status::InvalidArgument("photo", "{media_type, content_base64}");
  for (const auto& item : p.items()) {
    if (item.key() != "media_type" && item.key() != "content_base64")
      return Status::InvalidArgument("photo." + item.key(), "unknown field " + item.key());
  }
  if (!p.contains("content_base64") || !p["content_base64"].is_string())
    return Status::InvalidArgument("photo.content_base64", "the photo's bytes in base64");
  const std::string& encoded = p["content_base64"].get_ref<const std::string&>();
  if (encoded.size() / 4 * 3 > max_bytes + 3)
    return Status::TooLarge("photo: at most " + std::to_string(max_bytes >> 10) +
                            " KB (the phone page shrinks photos before sending)");
  ZZ_ASSIGN_OR_RETURN(std::string bytes, DecodeBase64(encoded, "photo.content_base64"));
  if (bytes.size() > max_bytes)
    return Status::TooLarge("photo: at most " + std::to_string(max_bytes >> 10) + " KB");
  const std::string type = ImageType(bytes);
  if (type.empty())
    return Status::Invalid("unsupported_image", "photo",
                           "a photo is a JPEG, PNG or WebP image; these bytes are none of them");
  if (p.contains("media_type")) {
    if (!p["media_type"].is_string() || p["media_type"].get<std::string>() != type)
      return Status::Invalid("unsupported_image", "photo.media_type",
                             "the bytes are " + type + ", not what media_type says");
  }
  return std::optional<Evidence>(Evidence{type, std::move(bytes)});
}

Status Notify(store::Connection& conn, std::int64_t order, const std::string& recipient,
              const std::string& kind, const std::string& text, std::int64_t now) {
  return conn
      .Prepare(
          "INSERT INTO notifications(order_id, recipient, kind, text, created_at) "
          "VALUES (?,?,?,?,?)")
      .Bind(1, order)
      .Bind(2, recipient)
      .Bind(3, kind)
      .Bind(4, text)
      .Bind(5, now)
      .Run();
}

Result<std::int64_t> AddStep(store::Connection& conn, std::int64_t order, std::int64_t now,
                             const std::string& actor, std::string_view action,
                             const std::string& from, const std::string& to,
                             const std::string& note, const json& detail,
                             const std::string& client_id) {
  auto s = conn.Prepare(
      "INSERT INTO work_order_steps(order_id, at, actor, action, from_status, to_status, note, "
      "detail, client_id) VALUES (?,?,?,?,?,?,?,?,?)");
  s.Bind(1, order).Bind(2, now).Bind(3, actor).Bind(4, action);
  if (from.empty()) {
    s.BindNull(5);
  } else {
    s.Bind(5, from);
  }
  s.Bind(6, to);
  if (note.empty()) {
    s.BindNull(7);
  } else {
    s.Bind(7, note);
  }
  s.Bind(8, detail.dump());
  if (client_id.empty()) {
    s.BindNull(9);
  } else {
    s.Bind(9, client_id);
  }
  ZZ_RETURN_IF_ERROR(s.Run());
  return conn.LastInsertRowId();
}

struct Candidate {
  std::int64_t id;
  std::string name;
};

}  // namespace

WorkOrders::WorkOrders(store::Database* db, const security::AuditLog* audit, warning::Areas* areas,
                       warning::Warning* warning, const DispatchRules* rules,
                       const WorkCalendar* calendar, WorkOrderOptions options)
    : db_(db),
      audit_(audit),
      areas_(areas),
      warning_(warning),
      rules_(rules),
      calendar_(calendar),
      options_(std::move(options)) {}

WorkOrders::~WorkOrders() {
  Stop();
}

Status WorkOrders::Start() {
  ZZ_ASSIGN_OR_RETURN(int caught_up, CatchUpAlerts());
  if (caught_up > 0) spdlog::info("event=orders_from_alerts created={}", caught_up);
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void WorkOrders::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WorkOrders::Changed() {
  if (warning_) warning_->Wake();
}

void WorkOrders::Loop() {
  NameThisThread("zz-dispatch");
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    if (auto done = Tick(); !done.ok()) {
      spdlog::warn("event=dispatch_tick_failed error=\"{}\"", done.status().ToString());
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(options_.tick_ms),
                 [this] { return stopping_ || woken_; });
    woken_ = false;
  }
}

namespace {

// The order as the API shows it.
// The columns of an order as the API shows it (OrderRow reads them), joined with its area's
// name and its assignee's; the caller adds WHERE, ORDER BY.
constexpr const char* kOrderSelect =
    "SELECT w.id, w.title, w.category, w.priority, w.area_code, a.name, w.source, w.source_id, "
    "w.alert_id, w.description, w.lat, w.lng, w.status, w.department, u.name, w.created_at, "
    "w.created_by, w.due_at, w.finished_at, w.closed_at, w.escalated_at, w.supervisions, "
    "w.updated_at FROM work_orders w LEFT JOIN areas a ON a.code = w.area_code "
    "LEFT JOIN users u ON u.id = w.assignee_id";

json OrderRow(const store::Statement& s, const DispatchRules& rules, std::int64_t now) {
  const auto time = [&](int column) {
    return s.IsNull(column) ? json() : json(FormatRfc3339(s.Int(column)));
  };
  const auto text = [&](int column) { return s.IsNull(column) ? json() : json(s.Text(column)); };
  const Category* category = rules.Find(s.Text(2));
  const std::string status = s.Text(12);
  const bool open = status != "finished" && status != "closed";
  return json{{"id", s.Int(0)},
              {"title", s.Text(1)},
              {"category", s.Text(2)},
              {"category_label", category ? category->label : json()},
              {"priority", s.Text(3)},
              {"area_code", s.Text(4)},
              {"area_name", text(5)},
              {"source", s.Text(6)},
              {"source_id", text(7)},
              {"alert_id", s.IsNull(8) ? json() : json(s.Int(8))},
              {"description", text(9)},
              {"lat", s.IsNull(10) ? json() : json(s.Double(10))},
              {"lng", s.IsNull(11) ? json() : json(s.Double(11))},
              {"status", status},
              {"department", text(13)},
              {"assignee", text(14)},
              {"created_at", time(15)},
              {"created_by", s.Text(16)},
              {"due_at", time(17)},
              {"overdue", open && s.Int(17) <= now},
              {"finished_at", time(18)},
              {"closed_at", time(19)},
              {"escalated_at", time(20)},
              {"supervisions", s.Int(21)},
              {"updated_at", time(22)}};
}

// The order as the API shows it; 404 when there is none.
Result<json> OrderJson(store::Connection& conn, std::int64_t id, const DispatchRules& rules,
                       std::int64_t now) {
  auto s = conn.Prepare(std::string(kOrderSelect) + " WHERE w.id = ?");
  s.Bind(1, id);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::NotFound("no work order " + std::to_string(id), "id");
  }
  return OrderRow(s, rules, now);
}

Status AddHistory(store::Connection& conn, std::int64_t id, json& order) {
  json steps = json::array();
  auto s = conn.Prepare(
      "SELECT id, at, actor, action, from_status, to_status, note, detail FROM work_order_steps "
      "WHERE order_id = ? ORDER BY id");
  s.Bind(1, id);
  while (s.Step()) {
    steps.push_back({{"id", s.Int(0)},
                     {"at", FormatRfc3339(s.Int(1))},
                     {"actor", s.Text(2)},
                     {"action", s.Text(3)},
                     {"from", s.IsNull(4) ? json() : json(s.Text(4))},
                     {"to", s.Text(5)},
                     {"note", s.IsNull(6) ? json() : json(s.Text(6))},
                     {"detail", json::parse(s.Text(7), nullptr, false)}});
  }
  ZZ_RETURN_IF_ERROR(s.status());
  json photos = json::array();
  auto p = conn.Prepare(
      "SELECT id, step_id, media_type, length(bytes), created_at FROM work_order_photos "
      "WHERE order_id = ? ORDER BY id");
  p.Bind(1, id);
  while (p.Step()) {
    photos.push_back({{"id", p.Int(0)},
                      {"step_id", p.Int(1)},
                      {"media_type", p.Text(2)},
                      {"bytes", p.Int(3)},
                      {"at", FormatRfc3339(p.Int(4))},
                      {"href", "/api/v1/work-orders/" + std::to_string(id) + "/photos/" +
                                   std::to_string(p.Int(0))}});
  }
  ZZ_RETURN_IF_ERROR(p.status());
  order["history"] = std::move(steps);
  order["photos"] = std::move(photos);
  return Status::Ok();
}

// The on-duty grid worker nearest the order among those who serve its area (the area itself,
// an area above it, or one under it); without positions, the one with fewest open orders.
Result<std::optional<Candidate>> PickAssignee(store::Connection& conn,
                                              const warning::AreaTree& tree,
                                              const std::string& area, std::optional<double> lat,
                                              std::optional<double> lng) {
  if (!lat || !lng) {
    for (const warning::Area* a : tree.Chain(area)) {
      if (a->lat && a->lng) {
        lat = a->lat;
        lng = a->lng;
        break;
      }
    }
  }
  auto s = conn.Prepare(
      "SELECT u.id, u.name, d.lat, d.lng, "
      "  (SELECT COUNT(*) FROM work_orders w WHERE w.assignee_id = u.id "
      "   AND w.status IN ('assigned','in_progress','reported')) "
      "FROM user_areas ua JOIN users u ON u.id = ua.user_id JOIN duty d ON d.user_id = u.id "
      "WHERE u.role = 'grid_worker' AND u.disabled_at IS NULL AND d.on_duty = 1 "
      "  AND (substr(?1, 1, length(ua.area_code)) = ua.area_code "
      "       OR substr(ua.area_code, 1, length(?1)) = ?1) "
      "GROUP BY u.id ORDER BY u.id");
  s.Bind(1, area);
  std::optional<Candidate> best;
  double best_distance = std::numeric_limits<double>::infinity();
  std::int64_t best_load = std::numeric_limits<std::int64_t>::max();
  while (s.Step()) {
    double distance = std::numeric_limits<double>::infinity();
    if (lat && lng && !s.IsNull(2) && !s.IsNull(3))
      distance = alerts::DistanceKm(*lat, *lng, s.Double(2), s.Double(3));
    const std::int64_t load = s.Int(4);
    if (!best || distance < best_distance || (distance == best_distance && load < best_load)) {
      best = Candidate{s.Int(0), s.Text(1)};
      best_distance = distance;
      best_load = load;
    }
  }
  ZZ_RETURN_IF_ERROR(s.status());
  return best;
}

Result<Candidate> AssigneeByName(store::Connection& conn, const std::string& name) {
  auto s = conn.Prepare(
      "SELECT id, name FROM users WHERE name = ? AND role = 'grid_worker' AND disabled_at IS NULL");
  s.Bind(1, name);
  if (!s.Step()) {
    ZZ_RETURN_IF_ERROR(s.status());
    return Status::Rule("assignee_not_found", "assignee", "no active grid worker " + name);
  }
  return Candidate{s.Int(0), s.Text(1)};
}

std::string CategoryName(const DispatchRules& rules, const std::string& code) {
  const Category* c = rules.Find(code);
  return c ? c->label.value("zh", code) : code;
}

}  // namespace

// ---- creating

namespace {

struct Draft {
  std::string title, category, area, source, source_id, priority, description, assignee;
  std::optional<double> lat, lng;
  std::optional<std::int64_t> alert_id;
};

Result<Draft> ParseDraft(const json& body) {
  if (!body.is_object()) return Status::InvalidJson("the body must be a JSON object");
  JsonFieldReader in(body);
  Draft d;
  d.title = in.Text("title", 200);
  d.category = in.Text("category", 32);
  d.area = in.Text("area_code", 15);
  d.source = in.Text("source", 16);
  d.source_id = in.OptText("source_id", 64).value_or("");
  d.priority = in.OptText("priority", 8).value_or("");
  d.description = in.OptText("description", 2000).value_or("");
  d.assignee = in.OptText("assignee", 64).value_or("");
  if (const auto position = in.OptPosition()) {
    d.lat = position->lat;
    d.lng = position->lng;
  }
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (d.source != "alert" && d.source != "iot" && d.source != "dispute" && d.source != "manual")
    return Status::InvalidArgument("source", "source is alert, iot, dispute or manual");
  if (d.source != "manual" && d.source_id.empty())
    return Status::InvalidArgument(
        "source_id", "an order from " + d.source + " names it: the alert's id or the case's code");
  if (d.source == "alert" || d.source == "iot") {
    if (d.source_id.size() > 18 || d.source_id.find_first_not_of("0123456789") != std::string::npos)
      return Status::InvalidArgument("source_id", "the alert's id");
    d.alert_id = std::stoll(d.source_id);
  }
  if (!d.priority.empty() && !SeverityRank(d.priority))
    return Status::InvalidArgument("priority", "priority is red, orange, yellow or blue");
  return d;
}

}  // namespace

// Inserts the order, its first step and audit row, and routes it (inside a write job). Returns
// the new id.
static Result<std::int64_t> InsertOrder(store::Connection& conn, const security::AuditLog& audit,
                                        const warning::AreaTree& tree, const DispatchRules& rules,
                                        const WorkCalendar& calendar, Draft d, const Actor& actor,
                                        std::int64_t now) {
  const Category* category = rules.Find(d.category);
  if (category == nullptr)
    return Status::Rule("unknown_category", "category", "no category " + d.category);
  if (tree.Find(d.area) == nullptr)
    return Status::Rule("area_not_found", "area_code", "no area " + d.area);
  if (d.alert_id) {
    auto a = conn.Prepare("SELECT severity, status FROM alerts WHERE id = ?");
    a.Bind(1, *d.alert_id);
    if (!a.Step()) {
      ZZ_RETURN_IF_ERROR(a.status());
      return Status::Rule("alert_not_found", "source_id", "no alert " + d.source_id);
    }
    if (d.priority.empty()) d.priority = a.Text(0);
  }
  if (d.priority.empty()) d.priority = "yellow";
  std::optional<Candidate> assignee;
  if (!d.assignee.empty()) {
    ZZ_ASSIGN_OR_RETURN(Candidate named, AssigneeByName(conn, d.assignee));
    assignee = named;
  }
  const std::int64_t due = category->hours > 0
                               ? now + std::int64_t{category->hours} * 3'600'000
                               : calendar.DueAfterWorkingDays(now, category->working_days);
  auto insert = conn.Prepare(
      "INSERT INTO work_orders(title, category, priority, area_code, source, source_id, alert_id, "
      "description, lat, lng, status, department, created_at, created_by, due_at, updated_at) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,'received',?,?,?,?,?) "
      "ON CONFLICT(source, source_id) WHERE source_id IS NOT NULL DO NOTHING");
  insert.Bind(1, d.title).Bind(2, d.category).Bind(3, d.priority).Bind(4, d.area);
  insert.Bind(5, d.source);
  if (d.source_id.empty()) {
    insert.BindNull(6);
  } else {
    insert.Bind(6, d.source_id);
  }
  insert.Bind(7, d.alert_id);
  if (d.description.empty()) {
    insert.BindNull(8);
  } else {
    insert.Bind(8, d.description);
  }
  insert.Bind(9, d.lat).Bind(10, d.lng).Bind(11, category->department).Bind(12, now);
  insert.Bind(13, actor.name).Bind(14, due).Bind(15, now);
  ZZ_RETURN_IF_ERROR(insert.Run());
  if (conn.Changes() == 0) {
    Status exists = Status::AlreadyExists(
        "source_id", "a work order from " + d.source + " " + d.source_id + " exists");
    auto found = conn.Prepare("SELECT id FROM work_orders WHERE source = ? AND source_id = ?");
    found.Bind(1, d.source).Bind(2, d.source_id);
    if (found.Step()) exists.With("id", found.Int(0));
    return exists;
  }
  const std::int64_t id = conn.LastInsertRowId();
  ZZ_RETURN_IF_ERROR(AddStep(conn, id, now, actor.name, "create", "", "received", "",
                             {{"source", d.source}, {"due_at", FormatRfc3339(due)}}, "")
                         .status());
  if (!assignee && !category->to_department) {
    ZZ_ASSIGN_OR_RETURN(assignee, PickAssignee(conn, tree, d.area, d.lat, d.lng));
  }
  if (assignee) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE work_orders SET status = 'assigned', assignee_id = ? "
                                    "WHERE id = ?")
                           .Bind(1, assignee->id)
                           .Bind(2, id)
                           .Run());
    ZZ_RETURN_IF_ERROR(AddStep(conn, id, now, d.assignee.empty() ? "dispatch" : actor.name,
                               "assign", "received", "assigned", "",
                               {{"assignee", assignee->name}, {"routed", d.assignee.empty()}}, "")
                           .status());
    ZZ_RETURN_IF_ERROR(Notify(conn, id, assignee->name, "assigned",
                              "新工单【" + CategoryName(rules, d.category) + "】" + d.title +
                                  "，请于 " + FormatRfc3339(due) + " 前办结",
                              now));
  } else if (category->to_department) {
    ZZ_RETURN_IF_ERROR(Notify(conn, id, "department:" + category->department, "routed",
                              "【" + CategoryName(rules, d.category) + "】" + d.title + "，请于 " +
                                  FormatRfc3339(due) + " 前处置",
                              now));
  } else {
    ZZ_RETURN_IF_ERROR(Notify(conn, id, "dispatch", "unassigned",
                              "工单待派：" + d.title + "（" + d.area + " 无在岗网格员）", now));
  }
  ZZ_RETURN_IF_ERROR(audit.Append(
      conn, actor,
      security::AuditRecord{"work_order.create",
                            "work_order:" + std::to_string(id),
                            {},
                            {{"category", d.category},
                             {"area_code", d.area},
                             {"source", d.source},
                             {"source_id", d.source_id},
                             {"assignee", assignee ? json(assignee->name) : json()}}}));
  return id;
}

Result<json> WorkOrders::Create(const json& body, const Actor& actor) {
  ZZ_ASSIGN_OR_RETURN(Draft draft, ParseDraft(body));
  const auto tree = areas_->tree();
  json out;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    ZZ_ASSIGN_OR_RETURN(std::int64_t id,
                        InsertOrder(conn, *audit_, *tree, *rules_, *calendar_, draft, actor, now));
    ZZ_ASSIGN_OR_RETURN(out, OrderJson(conn, id, *rules_, now));
    return Status::Ok();
  }));
  Changed();
  return out;
}

Result<json> WorkOrders::ImportDisputes(const json& body, const Actor& actor) {
  if (!body.is_object()) return Status::InvalidJson("the body must be a JSON object");
  for (const auto& item : body.items())
    if (item.key() != "cases")
      return Status::InvalidArgument(item.key(), "unknown field " + item.key());
  if (!body.contains("cases") || !body["cases"].is_array() || body["cases"].empty())
    return Status::InvalidArgument("cases", "an array of the mediation system's cases");
  if (body["cases"].size() > 1000)
    return Status::TooLarge("at most 1,000 cases per call, not " +
                            std::to_string(body["cases"].size()));
  // Every case is read first: one bad case refuses the call, and nothing is written.
  std::vector<Draft> drafts;
  for (size_t i = 0; i < body["cases"].size(); ++i) {
    const json& c = body["cases"][i];
    const std::string at = "cases[" + std::to_string(i) + "]";
    if (!c.is_object()) return Status::InvalidArgument(at, "each case is an object");
    JsonFieldReader in(c);
    Draft d;
    d.source = "dispute";
    d.source_id = in.Text("code", 64);
    d.title = in.Text("title", 200);
    d.category = in.OptText("category", 32).value_or("dispute");
    d.area = in.OptText("area_code", 15).value_or("");
    const std::string address = in.OptText("address", 300).value_or("");
    d.priority = in.OptText("level", 8).value_or("yellow");
    d.description = in.OptText("description", 2000).value_or("");
    if (Status s = in.Finish(); !s.ok())
      return Status::InvalidArgument(at + "." + s.field(), s.message());
    if (!SeverityRank(d.priority))
      return Status::InvalidArgument(at + ".level", "level is red, orange, yellow or blue");
    if (d.area.empty() && !address.empty())
      d.area = areas_->CommunityOfAddress(address).value_or("");
    if (d.area.empty())
      return Status::Rule("area_not_found", at + ".area_code",
                          "case " + d.source_id +
                              ": no area_code, and its address does not "
                              "settle to a community of the district");
    drafts.push_back(std::move(d));
  }
  const auto tree = areas_->tree();
  json created = json::array(), known = json::array();
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    created = json::array();
    known = json::array();
    for (size_t i = 0; i < drafts.size(); ++i) {
      auto id = InsertOrder(conn, *audit_, *tree, *rules_, *calendar_, drafts[i], actor, now);
      if (!id.ok() && id.status().code() == "already_exists") {
        known.push_back(
            {{"code", drafts[i].source_id}, {"id", id.status().details().value("id", 0LL)}});
        continue;
      }
      if (!id.ok()) {
        Status s = id.status();
        return Status::Invalid(s.code(), "cases[" + std::to_string(i) + "]." + s.field(),
                               "case " + drafts[i].source_id + ": " + s.message());
      }
      created.push_back({{"code", drafts[i].source_id}, {"id", *id}});
    }
    return Status::Ok();
  }));
  Changed();
  return json{{"created", std::move(created)}, {"known", std::move(known)}};
}

// ---- acting

Status WorkOrders::CheckScope(const Principal& principal, std::int64_t id) const {
  if (principal.all_projects) return Status::Ok();
  return db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT assignee_id FROM work_orders WHERE id = ?");
    s.Bind(1, id);
    const Status absent = Status::NotFound("no work order " + std::to_string(id), "id");
    if (!s.Step()) return s.status().ok() ? absent : s.status();
    if (principal.role != "grid_worker" || s.IsNull(0) || s.Int(0) != principal.user_id)
      return absent;
    return Status::Ok();
  });
}

Result<json> WorkOrders::Act(std::int64_t id, std::string_view action, const json& body,
                             const Principal& principal, const Actor& actor) {
  const Transition* t = FindTransition(action);
  if (t == nullptr) return Status::NotFound("no action " + std::string(action));
  if (!body.is_object()) return Status::InvalidJson("the body must be a JSON object");
  // The photo is an object of its own (ReadPhoto); every other field is read as the API reads
  // fields (trimmed, checked, unknown ones refused).
  json fields = body;
  fields.erase("photo");
  JsonFieldReader in(fields);
  const std::string note = in.OptText("note", 2000).value_or("");
  const std::string client_id = in.OptText("client_id", 64).value_or("");
  const std::string assignee_name = in.OptText("assignee", 64).value_or("");
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_ASSIGN_OR_RETURN(std::optional<Evidence> photo, ReadPhoto(body, options_.max_photo_bytes));
  if (action == "assign" && assignee_name.empty())
    return Status::InvalidArgument("assignee", "assign names the grid worker (their user name)");
  if (action != "assign" && !assignee_name.empty())
    return Status::InvalidArgument("assignee", "only assign takes an assignee");
  if (photo && action != "report" && action != "finish")
    return Status::InvalidArgument("photo", "photos go with report or finish");
  if ((action == "reopen" || action == "supervise") && note.empty())
    return Status::InvalidArgument("note", std::string(action) + " says why (note)");

  json out;
  bool replayed = false;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    const std::int64_t now = options_.clock();
    auto s = conn.Prepare(
        "SELECT status, assignee_id, alert_id, title, due_at FROM work_orders WHERE id = ?");
    s.Bind(1, id);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no work order " + std::to_string(id), "id");
    }
    const std::string status = s.Text(0);
    const std::optional<std::int64_t> assignee = s.OptInt(1);
    const std::optional<std::int64_t> alert = s.OptInt(2);
    const std::string title = s.Text(3);
    if (!principal.all_projects &&
        (!assignee || *assignee != principal.user_id || principal.role != "grid_worker"))
      return Status::NotFound("no work order " + std::to_string(id), "id");
    if (!client_id.empty()) {
      auto seen =
          conn.Prepare("SELECT action FROM work_order_steps WHERE order_id = ? AND client_id = ?");
      seen.Bind(1, id).Bind(2, client_id);
      if (seen.Step()) {
        if (seen.Text(0) != action)
          return Status::Conflict("client_id_reused", "client_id",
                                  "client_id " + client_id + " was used by " + seen.Text(0));
        replayed = true;
        ZZ_ASSIGN_OR_RETURN(out, OrderJson(conn, id, *rules_, now));
        return Status::Ok();
      }
      ZZ_RETURN_IF_ERROR(seen.status());
    }
    if (t->who == Who::kAssignee && (!assignee || *assignee != principal.user_id))
      return Status::Rule(
          "not_assignee", "",
          "only the grid worker the order is assigned to may " + std::string(action) + " it");
    if (std::find(t->from.begin(), t->from.end(), status) == t->from.end()) {
      return Status::Conflict("invalid_transition", "status",
                              "cannot " + std::string(action) + " a work order that is " + status)
          .With("status", status);
    }
    std::string to(t->to);
    if (action == "supervise") to = status;
    if (action == "reopen") to = assignee ? "assigned" : "received";
    json detail = json::object();
    std::optional<Candidate> new_assignee;
    if (action == "assign") {
      ZZ_ASSIGN_OR_RETURN(Candidate c, AssigneeByName(conn, assignee_name));
      new_assignee = c;
      detail["assignee"] = c.name;
    }
    if (action == "report" && note.empty() && !photo)
      return Status::InvalidArgument("note", "a report has a note or a photo");
    if (action == "finish" && note.empty() && !photo) {
      auto evidence = conn.Prepare("SELECT COUNT(*) FROM work_order_photos WHERE order_id = ?");
      evidence.Bind(1, id);
      if (!evidence.Step() || evidence.Int(0) == 0)
        return Status::Rule("evidence_needed", "note",
                            "finishing needs a note or a photo of what was done");
    }
    ZZ_ASSIGN_OR_RETURN(std::int64_t step, AddStep(conn, id, now, actor.name, action, status, to,
                                                   note, detail, client_id));
    if (photo) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO work_order_photos(order_id, step_id, "
                                      "media_type, sha256, bytes, created_at) VALUES (?,?,?,?,?,?)")
                             .Bind(1, id)
                             .Bind(2, step)
                             .Bind(3, photo->media_type)
                             .Bind(4, security::Sha256Hex(photo->bytes))
                             .BindBlob(5, photo->bytes)
                             .Bind(6, now)
                             .Run());
    }
    auto update = conn.Prepare(
        "UPDATE work_orders SET status = ?, assignee_id = COALESCE(?, assignee_id), "
        "finished_at = CASE WHEN ? = 'finished' THEN ? WHEN ? IN ('assigned','received') THEN "
        "NULL ELSE finished_at END, "
        "closed_at = CASE WHEN ? = 'closed' THEN ? WHEN ? IN ('assigned','received') THEN NULL "
        "ELSE closed_at END, "
        "supervisions = supervisions + ?, updated_at = ? WHERE id = ?");
    update.Bind(1, to);
    if (new_assignee) {
      update.Bind(2, new_assignee->id);
    } else {
      update.BindNull(2);
    }
    update.Bind(3, to).Bind(4, now).Bind(5, to).Bind(6, to).Bind(7, now).Bind(8, to);
    update.Bind(9, action == "supervise" ? 1 : 0).Bind(10, now).Bind(11, id);
    ZZ_RETURN_IF_ERROR(update.Run());
    if (action == "close" && alert) {
      // Closing the order resolves the alert it came from (unless someone already did).
      auto resolved = alerts::AlertBook::Resolve(
          conn, *alert, actor.name,
          note.empty() ? "work order " + std::to_string(id) + " closed" : note, now);
      if (!resolved.ok() && resolved.status().code() != "invalid_transition")
        return resolved.status();
    }
    if (new_assignee) {
      ZZ_RETURN_IF_ERROR(
          Notify(conn, id, new_assignee->name, "assigned", "派给你的工单：" + title, now));
    } else if (action == "supervise" && assignee) {
      auto name = conn.Prepare("SELECT name FROM users WHERE id = ?");
      name.Bind(1, *assignee);
      if (name.Step())
        ZZ_RETURN_IF_ERROR(Notify(conn, id, name.Text(0), "supervised",
                                  "督办：" + title + "（" + note + "）", now));
    } else if (action == "finish") {
      ZZ_RETURN_IF_ERROR(Notify(conn, id, "dispatch", "finished", "已办结待核查：" + title, now));
    }
    ZZ_RETURN_IF_ERROR(audit_->Append(
        conn, actor,
        security::AuditRecord{"work_order." + std::string(action),
                              "work_order:" + std::to_string(id),
                              {},
                              {{"from", status}, {"to", to}, {"photo", photo.has_value()}}}));
    ZZ_ASSIGN_OR_RETURN(out, OrderJson(conn, id, *rules_, now));
    return Status::Ok();
  }));
  if (replayed) {
    out["replayed"] = true;
  } else {
    Changed();
  }
  return out;
}

// ---- reading

Result<json> WorkOrders::Get(std::int64_t id) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    ZZ_ASSIGN_OR_RETURN(json order, OrderJson(conn, id, *rules_, options_.clock()));
    ZZ_RETURN_IF_ERROR(AddHistory(conn, id, order));
    if (!order["alert_id"].is_null()) {
      auto alert = alerts::AlertBook::Get(conn, order["alert_id"].get<std::int64_t>(), false);
      if (alert.ok()) {
        order["alert"] = {{"id", (*alert)["id"]},
                          {"type", (*alert)["type"]},
                          {"severity", (*alert)["severity"]},
                          {"status", (*alert)["status"]},
                          {"message", (*alert)["message"]}};
      }
    }
    return order;
  });
}

Result<json> WorkOrders::List(const OrderFilter& filter, const store::Page& page,
                              const Principal& principal) const {
  const std::int64_t after_id = page.after_id;
  const int limit = page.limit;
  std::string sql = std::string(kOrderSelect) + " WHERE w.id > ?";
  std::vector<std::string> binds;
  if (filter.status) {
    sql += " AND w.status = ?";
    binds.push_back(*filter.status);
  }
  if (filter.area) {
    // Codes nest (street 9 digits, community 12, grid more): an area and everything under it.
    sql += " AND substr(w.area_code, 1, length(?)) = ?";
    binds.push_back(*filter.area);
    binds.push_back(*filter.area);
  }
  if (filter.assignee) {
    sql += " AND u.name = ?";
    binds.push_back(*filter.assignee);
  }
  if (filter.category) {
    sql += " AND w.category = ?";
    binds.push_back(*filter.category);
  }
  if (filter.source) {
    sql += " AND w.source = ?";
    binds.push_back(*filter.source);
  }
  if (filter.overdue_only) sql += " AND w.status NOT IN ('finished','closed') AND w.due_at <= ?";
  if (!principal.all_projects) sql += " AND w.assignee_id = ?";
  sql += " ORDER BY w.id LIMIT ?";
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    const std::int64_t now = options_.clock();
    auto s = conn.Prepare(sql);
    int i = 1;
    s.Bind(i++, after_id);
    for (const std::string& b : binds)
      s.Bind(i++, b);
    if (filter.overdue_only) s.Bind(i++, now);
    if (!principal.all_projects)
      s.Bind(i++, principal.role == "grid_worker" ? principal.user_id : -1);
    s.Bind(i++, limit + 1);
    json items = json::array();
    bool more = false;
    while (s.Step()) {
      if (static_cast<int>(items.size()) == limit) {
        more = true;  // one row past the page: there is a next one
        break;
      }
      items.push_back(OrderRow(s, *rules_, now));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    json counts = json::object();
    auto c = conn.Prepare(std::string("SELECT status, COUNT(*) FROM work_orders") +
                          (principal.all_projects ? "" : " WHERE assignee_id = ?1") +
                          " GROUP BY status");
    if (!principal.all_projects)
      c.Bind(1, principal.role == "grid_worker" ? principal.user_id : -1);
    while (c.Step())
      counts[c.Text(0)] = c.Int(1);
    ZZ_RETURN_IF_ERROR(c.status());
    // The cursor before the items move into the answer (a braced list is evaluated in order).
    json next = more ? json(page.NextCursor(std::to_string(items.back()["id"].get<std::int64_t>())))
                     : json();
    return json{{"items", std::move(items)},
                {"next_cursor", std::move(next)},
                {"counts", std::move(counts)}};
  });
}

Result<std::pair<std::string, std::string>> WorkOrders::Photo(std::int64_t order,
                                                              std::int64_t photo) const {
  return db_->Read([&](store::Connection& conn) -> Result<std::pair<std::string, std::string>> {
    auto s = conn.Prepare(
        "SELECT media_type, bytes FROM work_order_photos WHERE id = ? AND order_id = ?");
    s.Bind(1, photo).Bind(2, order);
    if (!s.Step()) {
      ZZ_RETURN_IF_ERROR(s.status());
      return Status::NotFound("no photo " + std::to_string(photo), "photo");
    }
    return std::make_pair(s.Text(0), s.Blob(1));
  });
}

// ---- duty

Result<json> WorkOrders::Duty(const Principal& principal) const {
  return db_->Read([&](store::Connection& conn) -> Result<json> {
    json out = {{"user", principal.name},
                {"on_duty", false},
                {"lat", nullptr},
                {"lng", nullptr},
                {"updated_at", nullptr}};
    auto s = conn.Prepare("SELECT on_duty, lat, lng, updated_at FROM duty WHERE user_id = ?");
    s.Bind(1, principal.user_id);
    if (s.Step()) {
      out["on_duty"] = s.Int(0) != 0;
      out["lat"] = s.IsNull(1) ? json() : json(s.Double(1));
      out["lng"] = s.IsNull(2) ? json() : json(s.Double(2));
      out["updated_at"] = FormatRfc3339(s.Int(3));
    }
    ZZ_RETURN_IF_ERROR(s.status());
    json areas = json::array();
    auto a = conn.Prepare(
        "SELECT ua.area_code, a.name FROM user_areas ua JOIN areas a ON a.code = ua.area_code "
        "WHERE ua.user_id = ? ORDER BY 1");
    a.Bind(1, principal.user_id);
    while (a.Step())
      areas.push_back({{"code", a.Text(0)}, {"name", a.Text(1)}});
    ZZ_RETURN_IF_ERROR(a.status());
    out["areas"] = std::move(areas);
    return out;
  });
}

Result<json> WorkOrders::SetDuty(const Principal& principal, const json& body) {
  if (principal.user_id == 0) return Status::Rule("not_a_user", "", "duty is a person's");
  if (!body.is_object()) return Status::InvalidJson("the body must be a JSON object");
  JsonFieldReader in(body);
  const std::optional<bool> on_duty = in.OptBool("on_duty");
  const auto position = in.OptPosition();
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (!on_duty) return Status::InvalidArgument("on_duty", "on_duty: true or false");
  std::optional<double> lat, lng;
  if (position) {
    lat = position->lat;
    lng = position->lng;
  }
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    return conn
        .Prepare(
            "INSERT INTO duty(user_id, on_duty, lat, lng, updated_at) VALUES (?,?,?,?,?) "
            "ON CONFLICT(user_id) DO UPDATE SET on_duty = excluded.on_duty, "
            "lat = COALESCE(excluded.lat, lat), lng = COALESCE(excluded.lng, lng), "
            "updated_at = excluded.updated_at")
        .Bind(1, principal.user_id)
        .Bind(2, *on_duty ? 1 : 0)
        .Bind(3, lat)
        .Bind(4, lng)
        .Bind(5, options_.clock())
        .Run();
  }));
  return Duty(principal);
}

// ---- the thread's round: escalations

Result<int> WorkOrders::Tick() {
  std::lock_guard tick(tick_mu_);
  int escalated = 0;
  // A read first: most seconds nothing is due, and no write job is queued for nothing.
  auto pending = db_->Read([&](store::Connection& conn) -> Result<bool> {
    auto s = conn.Prepare(
        "SELECT 1 FROM work_orders WHERE escalated_at IS NULL AND status NOT IN "
        "('finished','closed') AND due_at <= ? LIMIT 1");
    s.Bind(1, options_.clock());
    const bool any = s.Step();
    ZZ_RETURN_IF_ERROR(s.status());
    return any;
  });
  ZZ_RETURN_IF_ERROR(pending.status());
  if (!*pending) return 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    escalated = 0;
    const std::int64_t now = options_.clock();
    const Actor system = Actor::Command("dispatch");
    auto due = conn.Prepare(
        "SELECT w.id, w.status, w.title, u.name FROM work_orders w "
        "LEFT JOIN users u ON u.id = w.assignee_id "
        "WHERE w.escalated_at IS NULL AND w.status NOT IN ('finished','closed') AND w.due_at <= ? "
        "ORDER BY w.due_at LIMIT 1000");
    due.Bind(1, now);
    struct Due {
      std::int64_t id;
      std::string status, title;
      std::optional<std::string> assignee;
    };
    std::vector<Due> list;
    while (due.Step())
      list.push_back({due.Int(0), due.Text(1), due.Text(2), due.OptText(3)});
    ZZ_RETURN_IF_ERROR(due.status());
    for (const Due& d : list) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE work_orders SET escalated_at = ?, updated_at = ? "
                                      "WHERE id = ? AND escalated_at IS NULL")
                             .Bind(1, now)
                             .Bind(2, now)
                             .Bind(3, d.id)
                             .Run());
      ZZ_RETURN_IF_ERROR(AddStep(conn, d.id, now, system.name, "escalate", d.status, d.status, "",
                                 {{"reason", "overdue"}}, "")
                             .status());
      ZZ_RETURN_IF_ERROR(
          Notify(conn, d.id, "dispatch", "escalated", "工单超期升级：" + d.title, now));
      if (d.assignee)
        ZZ_RETURN_IF_ERROR(
            Notify(conn, d.id, *d.assignee, "escalated", "工单已超期：" + d.title, now));
      ZZ_RETURN_IF_ERROR(audit_->Append(conn, system,
                                        security::AuditRecord{"work_order.escalate",
                                                              "work_order:" + std::to_string(d.id),
                                                              {},
                                                              {{"status", d.status}}}));
      ++escalated;
    }
    return Status::Ok();
  }));
  if (escalated > 0) Changed();
  return escalated;
}

// ---- alerts into orders

namespace {

// The order a rule makes of alert `id`, if any; true when one was made.
Result<bool> OrderOfAlert(store::Connection& conn, const security::AuditLog& audit,
                          const warning::Areas& areas, const DispatchRules& rules,
                          const WorkCalendar& calendar, std::int64_t id, std::int64_t now) {
  auto s = conn.Prepare("SELECT type, severity, status, message FROM alerts WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) return s.status().ok() ? Result<bool>(false) : Result<bool>(s.status());
  const std::string type = s.Text(0), severity = s.Text(1), status = s.Text(2);
  const std::string message = s.Text(3);
  if (status == "resolved") return false;
  const Category* category = rules.ForAlert(type, severity);
  if (category == nullptr) return false;
  ZZ_ASSIGN_OR_RETURN(std::optional<std::string> area, areas.PlaceAlert(conn, id));
  if (!area) return false;  // no place: the alert stays in the alert list, with no order
  Draft d;
  d.title = std::string(Utf8Prefix(message, 200));
  d.category = category->code;
  d.area = *area;
  d.source = warning::IsIotAlertType(type) ? "iot" : "alert";
  d.source_id = std::to_string(id);
  d.alert_id = id;
  d.priority = severity;
  auto made =
      InsertOrder(conn, audit, *areas.tree(), rules, calendar, d, Actor::Command("dispatch"), now);
  if (!made.ok() && made.status().code() == "already_exists") return false;
  ZZ_RETURN_IF_ERROR(made.status());
  return true;
}

}  // namespace

Status WorkOrders::OnAlertOpened(store::Connection& conn, std::int64_t alert_id) {
  if (!options_.from_alerts) return Status::Ok();
  ZZ_ASSIGN_OR_RETURN(bool made, OrderOfAlert(conn, *audit_, *areas_, *rules_, *calendar_, alert_id,
                                              options_.clock()));
  // Nothing to wake: once committed, the warning's fingerprint sees the alert and its order
  // (waking it now would recompute before the commit).
  (void)made;
  return Status::Ok();
}

Result<int> WorkOrders::CatchUpAlerts() {
  if (!options_.from_alerts) return 0;
  int created = 0;
  ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
    created = 0;
    const std::int64_t now = options_.clock();
    std::int64_t cursor = 0;
    auto read = conn.Prepare("SELECT value FROM meta WHERE key = ?");
    read.Bind(1, kAlertCursorKey);
    if (read.Step()) cursor = std::stoll(read.Text(0));
    ZZ_RETURN_IF_ERROR(read.status());
    auto s =
        conn.Prepare("SELECT id FROM alerts WHERE id > ? AND status != 'resolved' ORDER BY id");
    s.Bind(1, cursor);
    std::vector<std::int64_t> ids;
    while (s.Step())
      ids.push_back(s.Int(0));
    ZZ_RETURN_IF_ERROR(s.status());
    for (std::int64_t id : ids) {
      ZZ_ASSIGN_OR_RETURN(bool made,
                          OrderOfAlert(conn, *audit_, *areas_, *rules_, *calendar_, id, now));
      created += made ? 1 : 0;
    }
    auto last = conn.Prepare("SELECT COALESCE(MAX(id), 0) FROM alerts");
    if (!last.Step()) return last.status();
    if (last.Int(0) == cursor) return Status::Ok();
    return conn
        .Prepare(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE "
            "SET value = excluded.value")
        .Bind(1, kAlertCursorKey)
        .Bind(2, std::to_string(last.Int(0)))
        .Run();
  }));
  if (created > 0) Changed();
  return created;
}

}  // namespace zhizhi::dispatch
