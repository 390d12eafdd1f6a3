#include "registry/rulebook.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "registry/code_lists.h"

namespace zhizhi::registry {

extern const char kDefaultRulesJson[];  // generated from rules/zhejiang.json by CMake

namespace {

using nlohmann::json;

// Every error names the rulebook and the JSON path, so a broken file is fixed in one go.
class RuleReader {
 public:
  explicit RuleReader(std::string origin) : origin_(std::move(origin)) {}

  Status Error(const std::string& where, const std::string& what) const {
    return Status::InvalidArgument("rules", origin_ + ": " + where + ": " + what);
  }

  Result<const json*> Member(const json& object, const char* key, json::value_t type,
                             const std::string& where, bool optional = false) const {
    auto it = object.find(key);
    if (it == object.end()) {
      if (optional) return static_cast<const json*>(nullptr);
      return Error(where, std::string("missing \"") + key + "\"");
    }
    const bool number_ok = type == json::value_t::number_float && it->is_number();
    const bool integer_ok = type == json::value_t::number_integer && it->is_number_integer();
    if (it->type() != type && !number_ok && !integer_ok) {
      return Error(where + "." + key, std::string("has the wrong type (") + it->type_name() + ")");
    }
    return &*it;
  }

  Result<int> Int(const json& object, const char* key, const std::string& where, int fallback,
                  int min, int max) const {
    ZZ_ASSIGN_OR_RETURN(const json* v,
                        Member(object, key, json::value_t::number_integer, where, true));
    if (!v) return fallback;
    const std::int64_t n = v->get<std::int64_t>();
    if (n < min || n > max) {
      return Error(where + "." + key,
                   "must be in " + std::to_string(min) + ".." + std::to_string(max));
    }
    return static_cast<int>(n);
  }

  Result<std::set<std::int64_t>> Dates(const json& list, const std::string& where) const {
    std::set<std::int64_t> days;
    for (const json& d : list) {
      if (!d.is_string()) return Error(where, "dates are \"YYYY-MM-DD\" strings");
      auto date = Date::Parse(d.get<std::string>(), "date");
      if (!date.ok()) return Error(where, date.status().message());
      days.insert(date->DaysSinceEpoch());
    }
    return days;
  }

 private:
  std::string origin_;
};

}  // namespace

std::string_view Rulebook::Keep(std::string text) {
  strings_.push_back(std::move(text));
  return strings_.back();
}

Result<std::unique_ptr<Rulebook>> Rulebook::Parse(std::string_view json_text,
                                                  const std::string& origin) {
  const RuleReader r(origin);
  json doc = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return r.Error("$", "not a JSON object");
  auto book = std::make_unique<Rulebook>();

  ZZ_ASSIGN_OR_RETURN(const json* name, r.Member(doc, "rulebook", json::value_t::string, "$"));
  ZZ_ASSIGN_OR_RETURN(const json* version, r.Member(doc, "version", json::value_t::string, "$"));
  book->name_ = name->get<std::string>();
  book->version_ = version->get<std::string>();

  // Requirements: [[{"kind","type"}, ...], ...] with known codes only.
  auto requirements = [&](const json& groups,
                          const std::string& where) -> Result<CertificateRequirements> {
    if (!groups.is_array()) return r.Error(where, "must be a list of groups");
    CertificateRequirements out;
    for (const json& group : groups) {
      if (!group.is_array() || group.empty()) {
        return r.Error(where, "each group is a non-empty list of {kind, type}");
      }
      std::vector<std::pair<std::string_view, std::string_view>> any_of;
      for (const json& c : group) {
        if (!c.is_object() || !c.contains("kind") || !c.contains("type") ||
            !c["kind"].is_string() || !c["type"].is_string()) {
          return r.Error(where, "each certificate is {\"kind\":…, \"type\":…}");
        }
        const std::string kind = c["kind"], type = c["type"];
        if (!Contains(CertificateKinds(), kind) || !Contains(CertificateTypes(kind), type)) {
          return r.Error(where, "unknown certificate " + kind + "/" + type);
        }
        any_of.emplace_back(book->Keep(kind), book->Keep(type));
      }
      out.push_back(std::move(any_of));
    }
    return out;
  };

  ZZ_ASSIGN_OR_RETURN(const json* posts, r.Member(doc, "posts", json::value_t::array, "$"));
  for (size_t i = 0; i < posts->size(); ++i) {
    const json& p = (*posts)[i];
    const std::string where = "posts[" + std::to_string(i) + "]";
    if (!p.is_object()) return r.Error(where, "must be an object");
    ZZ_ASSIGN_OR_RETURN(const json* code, r.Member(p, "code", json::value_t::string, where));
    ZZ_ASSIGN_OR_RETURN(const json* post_name, r.Member(p, "name", json::value_t::string, where));
    ZZ_ASSIGN_OR_RETURN(const json* key, r.Member(p, "key", json::value_t::boolean, where));
    ZZ_ASSIGN_OR_RETURN(const json* req, r.Member(p, "required", json::value_t::array, where));
    PostRule rule;
    rule.code = book->Keep(code->get<std::string>());
    rule.name = book->Keep(post_name->get<std::string>());
    rule.key = key->get<bool>();
    ZZ_ASSIGN_OR_RETURN(rule.required, requirements(*req, where + ".required"));
    if (book->FindPost(rule.code))
      return r.Error(where, "post " + code->get<std::string>() + " twice");
    book->posts_.push_back(std::move(rule));
  }

  ZZ_ASSIGN_OR_RETURN(const json* work_types,
                      r.Member(doc, "work_types", json::value_t::object, "$"));
  for (const auto& [type, groups] : work_types->items()) {
    if (!Contains(WorkTypes(), type)) return r.Error("work_types", "unknown work type " + type);
    ZZ_ASSIGN_OR_RETURN(auto req, requirements(groups, "work_types." + type));
    book->work_types_.emplace_back(type, std::move(req));
  }
  ZZ_ASSIGN_OR_RETURN(const json* training,
                      r.Member(doc, "worker_training", json::value_t::array, "$", true));
  if (training) {
    ZZ_ASSIGN_OR_RETURN(book->worker_training_, requirements(*training, "worker_training"));
  }

  ZZ_ASSIGN_OR_RETURN(const json* required_posts,
                      r.Member(doc, "required_posts", json::value_t::object, "$"));
  for (const auto& [corp_type, list] : required_posts->items()) {
    if (!Contains(CorpTypes(), corp_type)) {
      return r.Error("required_posts", "unknown corp type " + corp_type);
    }
    if (!list.is_array()) return r.Error("required_posts." + corp_type, "must be a list of posts");
    auto& out = book->required_posts_[corp_type];
    for (const json& post : list) {
      if (!post.is_string() || !book->FindPost(post.get<std::string>())) {
        return r.Error("required_posts." + corp_type, "unknown post " + post.dump());
      }
      out.push_back(post.get<std::string>());
    }
  }

  ZZ_ASSIGN_OR_RETURN(const json* conflict,
                      r.Member(doc, "post_conflict", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(const json* live,
                      r.Member(*conflict, "live_statuses", json::value_t::array, "post_conflict"));
  for (const json& s : *live) {
    static const std::set<std::string> kStatuses = {"planned", "active", "suspended", "completed"};
    if (!s.is_string() || !kStatuses.count(s.get<std::string>())) {
      return r.Error("post_conflict.live_statuses", "unknown project status " + s.dump());
    }
    book->conflict_live_statuses_.insert(s.get<std::string>());
  }
  ZZ_ASSIGN_OR_RETURN(const json* reasons, r.Member(*conflict, "exemption_reasons",
                                                    json::value_t::object, "post_conflict"));
  for (const auto& [code, text] : reasons->items()) {
    if (!text.is_string()) return r.Error("post_conflict.exemption_reasons", "text expected");
    book->exemptions_[code] = text.get<std::string>();
  }
  ZZ_ASSIGN_OR_RETURN(book->stopped_days_,
                      r.Int(*conflict, "stopped_days", "post_conflict", 120, 1, 3650));

  ZZ_ASSIGN_OR_RETURN(const json* vacant, r.Member(doc, "post_vacant", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(book->vacant_grace_days_,
                      r.Int(*vacant, "grace_days", "post_vacant", 7, 0, 365));

  ZZ_ASSIGN_OR_RETURN(const json* expiry,
                      r.Member(doc, "certificate_expiry", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(const json* stages,
                      r.Member(*expiry, "stages_days", json::value_t::array, "certificate_expiry"));
  for (const json& s : *stages) {
    if (!s.is_number_integer() || s.get<int>() < 1 || s.get<int>() > 730) {
      return r.Error("certificate_expiry.stages_days", "days are integers 1..730");
    }
    book->expiry_stages_.push_back(s.get<int>());
  }
  if (book->expiry_stages_.empty()) book->expiry_stages_.push_back(30);
  std::sort(book->expiry_stages_.rbegin(), book->expiry_stages_.rend());

  ZZ_ASSIGN_OR_RETURN(const json* presence, r.Member(doc, "presence", json::value_t::object, "$"));
  {
    PresenceRule& p = book->presence_;
    ZZ_ASSIGN_OR_RETURN(const json* rate, r.Member(*presence, "target_rate",
                                                   json::value_t::number_float, "presence"));
    p.target_rate = rate->get<double>();
    if (!(p.target_rate >= 0 && p.target_rate <= 1)) {
      return r.Error("presence.target_rate", "must be in 0..1");
    }
    ZZ_ASSIGN_OR_RETURN(p.window_days, r.Int(*presence, "window_days", "presence", 30, 7, 92));
    ZZ_ASSIGN_OR_RETURN(p.min_working_days,
                        r.Int(*presence, "min_working_days", "presence", 5, 1, 60));
    ZZ_ASSIGN_OR_RETURN(p.max_working_days_without_pass,
                        r.Int(*presence, "max_working_days_without_pass", "presence", 5, 1, 60));
    ZZ_ASSIGN_OR_RETURN(p.leave_days_per_month,
                        r.Int(*presence, "leave_days_per_month", "presence", 6, 0, 31));
    ZZ_ASSIGN_OR_RETURN(p.leave_days_per_year,
                        r.Int(*presence, "leave_days_per_year", "presence", 20, 0, 366));
  }

  ZZ_ASSIGN_OR_RETURN(const json* workers, r.Member(doc, "workers", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(book->worker_unseen_days_,
                      r.Int(*workers, "unseen_days", "workers", 7, 1, 365));
  ZZ_ASSIGN_OR_RETURN(book->exited_seen_days_,
                      r.Int(*workers, "exited_seen_days", "workers", 30, 1, 365));
  ZZ_ASSIGN_OR_RETURN(const json* devices, r.Member(doc, "devices", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(book->device_offline_minutes_,
                      r.Int(*devices, "offline_minutes", "devices", 10, 1, 1440));
  ZZ_ASSIGN_OR_RETURN(book->clock_skew_seconds_,
                      r.Int(*devices, "clock_skew_seconds", "devices", 300, 1, 86400));

  // Optional, so rulebooks written before residence registration still load (with the defaults).
  ZZ_ASSIGN_OR_RETURN(const json* residence,
                      r.Member(doc, "residence", json::value_t::object, "$", /*optional=*/true));
  if (residence) {
    ResidenceRule& rr = book->residence_;
    const std::string where = "residence";
    ZZ_ASSIGN_OR_RETURN(rr.register_days, r.Int(*residence, "register_days", where, 3, 0, 60));
    ZZ_ASSIGN_OR_RETURN(rr.change_days, r.Int(*residence, "change_days", where, 10, 0, 90));
    ZZ_ASSIGN_OR_RETURN(rr.deregister_days, r.Int(*residence, "deregister_days", where, 3, 0, 90));
    ZZ_ASSIGN_OR_RETURN(rr.unseen_days, r.Int(*residence, "unseen_days", where, 30, 1, 365));
    ZZ_ASSIGN_OR_RETURN(rr.presence_days, r.Int(*residence, "presence_days", where, 7, 1, 60));
    ZZ_ASSIGN_OR_RETURN(const json* roles,
                        r.Member(*residence, "required_roles", json::value_t::array, where, true));
    if (roles) {
      rr.required_roles.clear();
      for (const json& role : *roles) {
        if (!role.is_string() || !Contains(WorkRoles(), role.get<std::string>())) {
          return r.Error("residence.required_roles", "work roles are \"10\" or \"20\"");
        }
        rr.required_roles.push_back(role.get<std::string>());
      }
    }
    ZZ_ASSIGN_OR_RETURN(const json* auto_submit,
                        r.Member(*residence, "auto_submit", json::value_t::boolean, where, true));
    if (auto_submit) rr.auto_submit = auto_submit->get<bool>();
    ZZ_ASSIGN_OR_RETURN(const json* reason,
                        r.Member(*residence, "reason", json::value_t::string, where, true));
    if (reason) rr.reason = reason->get<std::string>();
    ZZ_ASSIGN_OR_RETURN(const json* travel, r.Member(*residence, "impossible_travel",
                                                     json::value_t::object, where, true));
    if (travel) {
      const std::string tw = "residence.impossible_travel";
      ZZ_ASSIGN_OR_RETURN(const json* speed, r.Member(*travel, "max_speed_kmh",
                                                      json::value_t::number_float, tw, true));
      if (speed) rr.travel_max_speed_kmh = speed->get<double>();
      ZZ_ASSIGN_OR_RETURN(const json* distance, r.Member(*travel, "min_distance_km",
                                                         json::value_t::number_float, tw, true));
      if (distance) rr.travel_min_distance_km = distance->get<double>();
      if (!(rr.travel_max_speed_kmh > 0 && rr.travel_max_speed_kmh <= 2000)) {
        return r.Error(tw + ".max_speed_kmh", "must be in (0, 2000]");
      }
      if (!(rr.travel_min_distance_km >= 0 && rr.travel_min_distance_km <= 1000)) {
        return r.Error(tw + ".min_distance_km", "must be in [0, 1000]");
      }
      ZZ_ASSIGN_OR_RETURN(rr.travel_lookback_days, r.Int(*travel, "lookback_days", tw, 7, 1, 35));
    }
  }

  ZZ_ASSIGN_OR_RETURN(const json* severity, r.Member(doc, "severity", json::value_t::object, "$"));
  for (const auto& [type, colour] : severity->items()) {
    static const std::set<std::string> kColours = {"red", "orange", "yellow", "blue"};
    if (!colour.is_string() || !kColours.count(colour.get<std::string>())) {
      return r.Error("severity." + type, "red, orange, yellow or blue");
    }
    book->severity_[type] = colour.get<std::string>();
  }

  ZZ_ASSIGN_OR_RETURN(const json* calendar, r.Member(doc, "calendar", json::value_t::object, "$"));
  ZZ_ASSIGN_OR_RETURN(const json* holidays,
                      r.Member(*calendar, "holidays", json::value_t::array, "calendar"));
  ZZ_ASSIGN_OR_RETURN(const json* workdays,
                      r.Member(*calendar, "workdays", json::value_t::array, "calendar"));
  ZZ_ASSIGN_OR_RETURN(book->holidays_, r.Dates(*holidays, "calendar.holidays"));
  ZZ_ASSIGN_OR_RETURN(book->workdays_, r.Dates(*workdays, "calendar.workdays"));
  return book;
}

const PostRule* Rulebook::FindPost(std::string_view code) const {
  for (const PostRule& rule : posts_) {
    if (rule.code == code) return &rule;
  }
  return nullptr;
}

const CertificateRequirements& Rulebook::WorkTypeRequirements(std::string_view work_type) const {
  static const CertificateRequirements kNone;
  for (const auto& [type, required] : work_types_) {
    if (type == work_type) return required;
  }
  return kNone;
}

const std::vector<std::string>& Rulebook::RequiredPosts(std::string_view corp_type) const {
  static const std::vector<std::string> kNone;
  auto it = required_posts_.find(std::string(corp_type));
  return it == required_posts_.end() ? kNone : it->second;
}

std::string_view Rulebook::Severity(std::string_view alert_type) const {
  auto it = severity_.find(alert_type);
  return it == severity_.end() ? std::string_view("yellow") : std::string_view(it->second);
}

bool Rulebook::IsWorkingDay(const Date& date) const {
  const std::int64_t day = date.DaysSinceEpoch();
  if (workdays_.count(day)) return true;
  if (holidays_.count(day)) return false;
  const std::int64_t weekday = ((day % 7) + 7 + 3) % 7;  // 1970-01-01 was a Thursday; 0 = Monday
  return weekday < 5;
}

namespace {

std::atomic<const Rulebook*> active{nullptr};  // never freed: its views live as long as the program

}  // namespace

const Rulebook& Rulebook::Default() {
  static const Rulebook* book = [] {
    auto parsed = Parse(kDefaultRulesJson, "rules/zhejiang.json (compiled in)");
    if (!parsed.ok()) {
      // The compiled-in file is checked by unit tests; failing here is a build defect.
      std::fprintf(stderr, "%s\n", parsed.status().message().c_str());
      std::abort();
    }
    return parsed->release();
  }();
  return *book;
}

const Rulebook& ActiveRules() {
  const Rulebook* book = active.load(std::memory_order_acquire);
  return book ? *book : Rulebook::Default();
}

Status LoadActiveRules(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("rules", "cannot read rules file " + path);
  std::stringstream text;
  text << in.rdbuf();
  ZZ_ASSIGN_OR_RETURN(auto book, Rulebook::Parse(text.str(), path));
  const Rulebook* expected = nullptr;
  if (!active.compare_exchange_strong(expected, book.get())) {
    return Status::Internal("a rulebook is already active");
  }
  book.release();
  return Status::Ok();
}

}  // namespace zhizhi::registry
