#include "warning/warning.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "alerts/alert_book.h"
#include "base/civil_time.h"
#include "base/thread_name.h"

namespace zhizhi::warning {

using nlohmann::json;

namespace {

constexpr size_t kExamples = 3;
constexpr int kHistoryShown = 50;

const std::set<std::string, std::less<>>& IotTypes() {
  static const std::set<std::string, std::less<>> types(alerts::IotTypes().begin(),
                                                        alerts::IotTypes().end());
  return types;
}

const std::set<std::string, std::less<>>& ResidenceTypes() {
  static const std::set<std::string, std::less<>> types = {alerts::type::kResidenceOverdue,
                                                           alerts::type::kResidenceNotDeregistered,
                                                           alerts::type::kUnregisteredPresence};
  return types;
}

const std::set<std::string, std::less<>>& BaseTypes() {
  static const std::set<std::string, std::less<>> types(alerts::BaseDataTypes().begin(),
                                                        alerts::BaseDataTypes().end());
  return types;
}

}  // namespace

bool IsIotAlertType(std::string_view type) {
  return IotTypes().count(type) != 0;
}

namespace {

int SeverityIndex(std::string_view severity) {
  for (int c = 0; c < 4; ++c)
    if (kColours[c] == severity) return c;
  return 3;
}

struct Tally {
  IndicatorValues values{};
  std::array<std::vector<json>, kIndicatorCount> examples;
};

}  // namespace

Warning::Warning(store::Database* db, Areas* areas, const Rulebook* rules, WarningOptions options)
    : db_(db),
      areas_(areas),
      rules_(rules),
      options_(std::move(options)),
      snapshot_(std::make_shared<Snapshot>()) {}

Warning::~Warning() {
  Stop();
}

Status Warning::Start() {
  auto snapshot = std::make_shared<Snapshot>();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare("SELECT area_code, colour, reasons, indicators, since FROM area_colours");
    while (s.Step()) {
      AreaColour c;
      for (int i = 0; i < 5; ++i)
        if (kColours[i] == s.Text(1)) c.colour = i;
      c.reasons = json::parse(s.Text(2), nullptr, false);
      const json values = json::parse(s.Text(3), nullptr, false);
      for (int i = 0; i < kIndicatorCount; ++i)
        if (values.is_object()) c.values[i] = values.value(std::string(IndicatorName(i)), 0LL);
      c.since = s.Int(4);
      snapshot->colours.emplace(s.Text(0), std::move(c));
    }
    return s.status();
  }));
  {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(snapshot);
  }
  ZZ_RETURN_IF_ERROR(Recompute().status());
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void Warning::Stop() {
  {
    std::lock_guard lock(loop_mu_);
    stopping_ = true;
  }
  loop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Warning::Wake() {
  ++woken_generation_;
  {
    std::lock_guard lock(loop_mu_);
    woken_ = true;
  }
  loop_cv_.notify_all();
}

Result<std::string> Warning::Fingerprint() const {
  return db_->Read([&](store::Connection& conn) -> Result<std::string> {
    std::string print;
    auto a = conn.Prepare(
        "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id), 0) FROM alerts "
        "WHERE status != 'resolved'");
    if (!a.Step()) return a.status().ok() ? Status::Internal("no row") : a.status();
    print =
        std::to_string(a.Int(0)) + "/" + std::to_string(a.Int(1)) + "/" + std::to_string(a.Int(2));
    auto o = conn.Prepare(
        "SELECT COUNT(*), COALESCE(MAX(updated_at), 0), COALESCE(SUM(updated_at), 0) "
        "FROM work_orders WHERE status != 'closed'");
    if (!o.Step()) return o.status().ok() ? Status::Internal("no row") : o.status();
    print += "|" + std::to_string(o.Int(0)) + "/" + std::to_string(o.Int(1)) + "/" +
             std::to_string(o.Int(2));
    auto n = conn.Prepare("SELECT COUNT(*) FROM areas");
    if (n.Step()) print += "|" + std::to_string(n.Int(0));
    return print;
  });
}

void Warning::Loop() {
  NameThisThread("zz-warning");
  std::string last_print;
  std::int64_t last_full = options_.clock();
  std::unique_lock lock(loop_mu_);
  while (!stopping_) {
    loop_cv_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                      [this] { return stopping_ || woken_; });
    if (stopping_) break;
    const bool woken = woken_;
    woken_ = false;
    lock.unlock();
    const std::int64_t now = options_.clock();
    std::int64_t next_due = 0;
    {
      std::lock_guard snap(mu_);
      next_due = snapshot_->next_due;
    }
    auto print = Fingerprint();
    const bool changed = print.ok() && *print != last_print;
    if (woken || changed || (next_due != 0 && now >= next_due) ||
        now - last_full >= options_.full_every_ms) {
      if (print.ok()) last_print = *print;
      last_full = now;
      if (auto done = Recompute(); !done.ok()) {
        spdlog::warn("event=warning_recompute_failed error=\"{}\"", done.status().ToString());
      }
    }
    lock.lock();
  }
}

void Warning::Fresh() {
  if (computed_generation_.load() == woken_generation_.load()) return;
  std::lock_guard compute(compute_mu_);
  // Readers that waited here while another recomputed find it done.
  if (computed_generation_.load() == woken_generation_.load()) return;
  if (auto done = RecomputeLocked(); !done.ok()) {
    spdlog::warn("event=warning_recompute_failed error=\"{}\"", done.status().ToString());
  }
}

Result<int> Warning::Recompute() {
  std::lock_guard compute(compute_mu_);
  return RecomputeLocked();
}

Result<int> Warning::RecomputeLocked() {
  const std::uint64_t generation = woken_generation_.load();
  const std::int64_t now = options_.clock();
  const auto tree = areas_->tree();
  std::map<std::string, Tally, std::less<>> tallies;
  Tally unplaced;
  std::int64_t next_due = 0;

  const auto place = [&](const std::optional<std::string>& area, int indicator, const json& ref) {
    const auto chain = area ? tree->Chain(*area) : std::vector<const Area*>{};
    if (chain.empty()) {
      ++unplaced.values[indicator];
      return;
    }
    for (const Area* a : chain) {
      Tally& t = tallies[a->code];
      ++t.values[indicator];
      if (t.examples[indicator].size() < kExamples) t.examples[indicator].push_back(ref);
    }
  };

  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    std::unordered_map<std::string, std::optional<std::string>> project_area;
    auto projects = conn.Prepare("SELECT code, address FROM projects");
    while (projects.Step())
      project_area[projects.Text(0)] = areas_->CommunityOfAddress(projects.OptText(1).value_or(""));
    ZZ_RETURN_IF_ERROR(projects.status());

    auto alerts = conn.Prepare(
        std::string("SELECT a.id, a.type, a.severity, a.project_code, "
                    "  COALESCE(e.village, d.community_code), "
                    "  (SELECT w.area_code FROM work_orders w WHERE w.alert_id = a.id "
                    "   ORDER BY w.id DESC LIMIT 1), ") +
        kDormCommunityOfAlertSql +
        " FROM alerts a LEFT JOIN entities e ON a.subject_kind IN ('base_person','house','unit') "
        "  AND e.id = CAST(a.subject_id AS INTEGER) "
        "LEFT JOIN iot_devices d ON a.subject_kind = 'iot_device' AND d.id = a.device_id "
        "WHERE a.status != 'resolved'");
    while (alerts.Step()) {
      // As Areas::PlaceAlert places it, with the order's area first.
      std::optional<std::string> area = alerts.OptText(5);
      for (int column : {4, 6}) {
        if (!area || !tree->Find(*area)) area = alerts.OptText(column);
      }
      if (!area || !tree->Find(*area)) {
        area.reset();
        if (auto project = alerts.OptText(3)) {
          if (auto it = project_area.find(*project); it != project_area.end()) area = it->second;
        }
      }
      const std::string type = alerts.Text(1);
      const json ref = {{"kind", "alert"}, {"id", alerts.Int(0)}, {"type", type}};
      place(area, kAlertsRed + SeverityIndex(alerts.Text(2)), ref);
      if (IotTypes().count(type)) place(area, kIotAlarms, ref);
      if (ResidenceTypes().count(type)) place(area, kResidenceAnomalies, ref);
      if (BaseTypes().count(type)) place(area, kBaseDataChecks, ref);
    }
    ZZ_RETURN_IF_ERROR(alerts.status());

    auto orders = conn.Prepare(
        "SELECT id, area_code, priority, source, alert_id, due_at, status FROM work_orders "
        "WHERE status != 'closed'");
    while (orders.Step()) {
      const std::optional<std::string> area = orders.Text(1);
      const json ref = {{"kind", "work_order"}, {"id", orders.Int(0)}};
      const std::string source = orders.Text(3);
      if (orders.IsNull(4)) place(area, kCasesRed + SeverityIndex(orders.Text(2)), ref);
      if (source == "dispute") place(area, kDisputesOpen, ref);
      const std::string status = orders.Text(6);
      if (status != "finished") {
        const std::int64_t due = orders.Int(5);
        if (due <= now) {
          place(area, kOrdersOverdue, ref);
        } else if (next_due == 0 || due < next_due) {
          next_due = due;
        }
      }
    }
    return orders.status();
  }));

  // Colours of every area of the tree, from its tally.
  std::shared_ptr<const Snapshot> before;
  {
    std::lock_guard lock(mu_);
    before = snapshot_;
  }
  auto after = std::make_shared<Snapshot>();
  after->unplaced = unplaced.values;
  after->computed_at = now;
  after->next_due = next_due;
  struct Change {
    std::string code;
    const AreaColour* colour;
    std::optional<int> previous;
    bool colour_changed;
  };
  std::vector<Change> changes;
  static const Tally kEmpty{};
  for (const auto level : {Level::kStreet, Level::kCommunity, Level::kGrid}) {
    for (const Area* area : tree->OfLevel(level)) {
      const auto it = tallies.find(area->code);
      const Tally& tally = it == tallies.end() ? kEmpty : it->second;
      const Rulebook::Verdict verdict = rules_->Evaluate(area->level, tally.values);
      AreaColour c;
      c.colour = verdict.colour;
      c.values = tally.values;
      for (const Rulebook::Met& met : verdict.met) {
        c.reasons.push_back({{"indicator", IndicatorName(met.indicator)},
                             {"label", rules_->Label(met.indicator)},
                             {"value", met.value},
                             {"at_least", met.at_least},
                             {"examples", tally.examples[met.indicator]}});
      }
      const auto old = before->colours.find(area->code);
      c.since = (old != before->colours.end() && old->second.colour == c.colour) ? old->second.since
                                                                                 : now;
      const bool colour_changed =
          old == before->colours.end() ? c.colour != 4 : old->second.colour != c.colour;
      const bool values_changed = old == before->colours.end() || old->second.values != c.values ||
                                  old->second.reasons != c.reasons;
      auto& stored = after->colours[area->code] = std::move(c);
      if (colour_changed || values_changed) {
        changes.push_back(
            {area->code, &stored,
             old == before->colours.end() ? std::nullopt : std::optional<int>(old->second.colour),
             colour_changed});
      }
    }
  }

  int coloured = 0;
  if (!changes.empty()) {
    ZZ_RETURN_IF_ERROR(db_->Write([&](store::Connection& conn) -> Status {
      for (const Change& change : changes) {
        json values = json::object();
        for (int i = 0; i < kIndicatorCount; ++i)
          if (change.colour->values[i] != 0)
            values[std::string(IndicatorName(i))] = change.colour->values[i];
        const std::string colour(kColours[change.colour->colour]);
        ZZ_RETURN_IF_ERROR(
            conn.Prepare(
                    "INSERT INTO area_colours(area_code, colour, reasons, indicators, rulebook, "
                    "since, computed_at) VALUES (?,?,?,?,?,?,?) ON CONFLICT(area_code) DO UPDATE "
                    "SET colour = excluded.colour, reasons = excluded.reasons, indicators = "
                    "excluded.indicators, rulebook = excluded.rulebook, since = excluded.since, "
                    "computed_at = excluded.computed_at")
                .Bind(1, change.code)
                .Bind(2, colour)
                .Bind(3, change.colour->reasons.dump())
                .Bind(4, values.dump())
                .Bind(5, rules_->version())
                .Bind(6, change.colour->since)
                .Bind(7, now)
                .Run());
        if (!change.colour_changed) continue;
        auto history = conn.Prepare(
            "INSERT INTO area_colour_history(area_code, colour, previous, reasons, rulebook, at) "
            "VALUES (?,?,?,?,?,?)");
        history.Bind(1, change.code).Bind(2, colour);
        if (change.previous) {
          history.Bind(3, std::string(kColours[*change.previous]));
        } else {
          history.BindNull(3);
        }
        history.Bind(4, change.colour->reasons.dump()).Bind(5, rules_->version()).Bind(6, now);
        ZZ_RETURN_IF_ERROR(history.Run());
        ++coloured;
      }
      return Status::Ok();
    }));
  }
  {
    std::lock_guard lock(mu_);
    snapshot_ = std::move(after);
  }
  computed_generation_.store(generation);
  ++computations_;
  return coloured;
}

json Warning::ColourJson(const Area& area, const AreaColour* colour) const {
  json out = AreaJson(area);
  out["colour"] = colour ? kColours[colour->colour] : "green";
  out["reasons"] = colour ? colour->reasons : json::array();
  out["since"] = colour && colour->since ? json(FormatRfc3339(colour->since)) : json();
  return out;
}

json Warning::List(Level level, const std::string& parent) {
  Fresh();
  std::shared_ptr<const Snapshot> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = snapshot_;
  }
  const auto tree = areas_->tree();
  json items = json::array();
  json counts = {{"red", 0}, {"orange", 0}, {"yellow", 0}, {"blue", 0}, {"green", 0}};
  for (const Area* area : tree->OfLevel(level)) {
    if (!parent.empty() && area->parent != parent) continue;
    const auto it = snapshot->colours.find(area->code);
    json item = ColourJson(*area, it == snapshot->colours.end() ? nullptr : &it->second);
    counts[item["colour"].get<std::string>()] =
        counts[item["colour"].get<std::string>()].get<int>() + 1;
    items.push_back(std::move(item));
  }
  json unplaced = json::object();
  for (int i = 0; i < kIndicatorCount; ++i)
    if (snapshot->unplaced[i] != 0) unplaced[std::string(IndicatorName(i))] = snapshot->unplaced[i];
  return {
      {"items", std::move(items)},
      {"counts", std::move(counts)},
      {"unplaced", std::move(unplaced)},
      {"rulebook", {{"name", rules_->name()}, {"version", rules_->version()}}},
      {"computed_at", snapshot->computed_at ? json(FormatRfc3339(snapshot->computed_at)) : json()}};
}

std::string Warning::ColourOf(const std::string& code) {
  Fresh();
  std::lock_guard lock(mu_);
  const auto it = snapshot_->colours.find(code);
  return std::string(it == snapshot_->colours.end() ? "green" : kColours[it->second.colour]);
}

Result<json> Warning::Detail(const std::string& code) {
  Fresh();
  const auto tree = areas_->tree();
  const Area* area = tree->Find(code);
  if (area == nullptr) return Status::NotFound("no area " + code, "code");
  std::shared_ptr<const Snapshot> snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot = snapshot_;
  }
  const auto colour_of = [&](const std::string& c) -> const AreaColour* {
    const auto it = snapshot->colours.find(c);
    return it == snapshot->colours.end() ? nullptr : &it->second;
  };
  json out = ColourJson(*area, colour_of(code));
  json values = json::object();
  if (const AreaColour* c = colour_of(code)) {
    for (int i = 0; i < kIndicatorCount; ++i)
      values[std::string(IndicatorName(i))] = c->values[i];
  }
  out["indicators"] = std::move(values);
  json chain = json::array();
  for (const Area* a : tree->Chain(code))
    if (a != area) chain.push_back({{"code", a->code}, {"name", a->name}});
  out["ancestors"] = std::move(chain);
  json children = json::array();
  for (const std::string& child : area->children) {
    if (const Area* c = tree->Find(child)) children.push_back(ColourJson(*c, colour_of(child)));
  }
  out["children"] = std::move(children);
  json history = json::array();
  ZZ_RETURN_IF_ERROR(db_->Read([&](store::Connection& conn) -> Status {
    auto s = conn.Prepare(
        "SELECT colour, previous, reasons, rulebook, at FROM area_colour_history "
        "WHERE area_code = ? ORDER BY id DESC LIMIT ?");
    s.Bind(1, code).Bind(2, kHistoryShown);
    while (s.Step()) {
      history.push_back({{"colour", s.Text(0)},
                         {"previous", s.OptText(1) ? json(*s.OptText(1)) : json()},
                         {"reasons", json::parse(s.Text(2), nullptr, false)},
                         {"rulebook", s.Text(3)},
                         {"at", FormatRfc3339(s.Int(4))}});
    }
    return s.status();
  }));
  out["history"] = std::move(history);
  out["rulebook"] = {{"name", rules_->name()}, {"version", rules_->version()}};
  return out;
}

}  // namespace zhizhi::warning
