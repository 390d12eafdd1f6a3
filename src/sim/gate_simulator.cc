#include "sim/gate_simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <latch>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/civil_time.h"
#include "sim/gate_load.h"
#include "sim/latency.h"
#include "sim/shift_plan.h"
#include "sim/site_setup.h"

namespace zhizhi::sim {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kDefaultProjects = {"QT2025001", "QT2025002"};
constexpr double kIdCardShare = 0.15;  // of the roster: they pass with the ID-card reader
constexpr size_t kIdCardMax = 40;      // per site (one GET /api/v1/persons/{id} each)
constexpr size_t kBatchMax = 1000;     // POST /api/v1/gate/events:batch limit
constexpr std::int64_t kHeartbeatEveryMs = 60 * 60'000;
constexpr size_t kExamples = 6;
const auto kOverrun = std::chrono::seconds(2);  // grace after --seconds for a lane behind

struct SiteSetup {
  SimSite site;
  SimDevice in;
  SimDevice out;
  size_t roster = 0;
  size_t inside = 0;
  size_t id_cards = 0;
  bool ids_masked = false;
};

// What happened, per lane; merged at the end.
struct Tally {
  std::int64_t sent = 0;
  std::int64_t replayed = 0;
  std::int64_t batches = 0;
  std::int64_t allowed = 0;
  std::int64_t denied = 0;
  std::int64_t duplicates = 0;
  std::int64_t id_card = 0;
  std::int64_t heartbeats = 0;
  std::map<std::string, std::int64_t> deny_reasons;
  std::map<std::string, std::int64_t> sent_by_kind;
  std::map<std::string, std::int64_t> denied_by_kind;
  std::int64_t transport_errors = 0;
  std::int64_t server_errors = 0;  // 5xx
  std::map<int, std::int64_t> http_errors;
  std::int64_t event_errors = 0;  // rejected items of a batch
  std::int64_t unexpected = 0;
  std::int64_t not_sent = 0;
  std::vector<std::string> examples;  // unexpected answers and errors
  std::vector<std::uint32_t> micros;

  void Example(std::string text) {
    if (examples.size() < kExamples) examples.push_back(std::move(text));
  }

  void Merge(Tally& o) {
    sent += o.sent;
    replayed += o.replayed;
    batches += o.batches;
    allowed += o.allowed;
    denied += o.denied;
    duplicates += o.duplicates;
    id_card += o.id_card;
    heartbeats += o.heartbeats;
    for (const auto& [k, n] : o.deny_reasons)
      deny_reasons[k] += n;
    for (const auto& [k, n] : o.sent_by_kind)
      sent_by_kind[k] += n;
    for (const auto& [k, n] : o.denied_by_kind)
      denied_by_kind[k] += n;
    transport_errors += o.transport_errors;
    server_errors += o.server_errors;
    for (const auto& [k, n] : o.http_errors)
      http_errors[k] += n;
    event_errors += o.event_errors;
    unexpected += o.unexpected;
    not_sent += o.not_sent;
    for (auto& e : o.examples)
      Example(std::move(e));
    micros.insert(micros.end(), o.micros.begin(), o.micros.end());
  }
};

struct Action {
  enum class Type { kPass, kReplay, kHeartbeat };
  std::int64_t sim_ms = 0;
  Type type = Type::kPass;
  size_t index = 0;  // pass index, or device index (2 × site + out)
};

// HH:MM:SS (or HH:MM) of the +08:00 rendering.
std::string ClockText(std::int64_t unix_ms, bool seconds = true) {
  return FormatRfc3339(unix_ms).substr(11, seconds ? 8 : 5);
}

json PassBody(const PlannedPass& p, size_t index) {
  json body = {{"event_id", "SIM-" + std::to_string(index)}, {"time", FormatRfc3339(p.time_ms)}};
  if (p.id_number) {
    body["id_number"] = *p.id_number;
    body["pass_mode"] = 5;
  } else {
    body["person_id"] = p.person_id;
    body["score"] = std::round(p.score * 1000) / 1000;
    body["liveness"] = true;
    body["pass_mode"] = 1;
  }
  return body;
}

class ShiftDay {
 public:
  ShiftDay(const SimulateOptions& options, LoopbackUrl url, std::string token)
      : options_(options), url_(std::move(url)), token_(std::move(token)), admin_(url_) {}

  int Run() {
    if (Status s = Setup(); !s.ok()) {
      std::fprintf(stderr, "zhizhi simulate: %s\n", s.ToString().c_str());
      return 2;
    }
    Play();
    return Report();
  }

 private:
  Status Setup() {
    const HttpReply health = admin_.Request("GET", "/healthz", "");
    if (health.status != 200) return ReplyError("GET /healthz", health);
    seed_ = options_.seed != 0 ? options_.seed : std::random_device()();
    ZZ_ASSIGN_OR_RETURN(day_, ChooseDay());  // before anything is registered
    std::mt19937_64 rng(seed_);
    const std::vector<std::string>& projects =
        options_.projects.empty() ? kDefaultProjects : options_.projects;
    for (const std::string& code : projects) {
      SiteSetup setup;
      ZZ_RETURN_IF_ERROR(SetUpSite(code, rng, setup));
      sites_.push_back(std::move(setup));
    }
    std::vector<SimSite> sites;
    for (const SiteSetup& s : sites_)
      sites.push_back(s.site);
    plan_ = PlanShiftDay(sites, day_, options_.offline_replay, seed_);

    const double span_minutes = (plan_.end_ms - plan_.begin_ms) / 60'000.0;
    speed_ = options_.minutes_per_second;
    if (span_minutes / speed_ > options_.seconds) speed_ = span_minutes / options_.seconds;
    PrintSetup(span_minutes);
    for (const SiteSetup& s : sites_) {
      ZZ_ASSIGN_OR_RETURN(std::int64_t present,
                          PresentOn(admin_, token_, s.site.project, day_.ToString()));
      if (present > 0) {
        std::printf(
            "  note: %s already has passes of %lld persons on %s (an earlier run?); the server "
            "treats passes older than a person's last one as stale, so some answers may differ\n",
            s.site.project.c_str(), static_cast<long long>(present), day_.ToString().c_str());
      }
    }
    return Status::Ok();
  }

  Status SetUpSite(const std::string& code, std::mt19937_64& rng, SiteSetup& setup) {
    SimSite& site = setup.site;
    site.project = code;
    ZZ_ASSIGN_OR_RETURN(SimPolicy policy, ReadGatePolicy(admin_, token_, code));
    site.face_threshold = policy.face_threshold;
    site.duplicate_window_s = policy.duplicate_window_s;
    ZZ_ASSIGN_OR_RETURN(setup.in, RegisterSimDevice(admin_, token_, code, "in", "SIM"));
    ZZ_ASSIGN_OR_RETURN(setup.out, RegisterSimDevice(admin_, token_, code, "out", "SIM"));
    ZZ_ASSIGN_OR_RETURN(std::vector<std::int64_t> roster, PullRoster(admin_, setup.in));
    ZZ_ASSIGN_OR_RETURN(std::vector<SimEnrolment> active,
                        ListWorkers(admin_, token_, code, "active"));
    ZZ_ASSIGN_OR_RETURN(std::vector<SimEnrolment> exited,
                        ListWorkers(admin_, token_, code, "exited", 50));
    ZZ_ASSIGN_OR_RETURN(std::vector<std::int64_t> inside, OnsitePersons(admin_, token_, code));
    const std::unordered_set<std::int64_t> allowed(roster.begin(), roster.end());
    const std::unordered_set<std::int64_t> in_now(inside.begin(), inside.end());
    std::unordered_set<std::int64_t> active_ids;
    for (const SimEnrolment& e : active) {
      if (!active_ids.insert(e.person_id).second) continue;
      SimWorker w;
      w.person_id = e.person_id;
      w.manager = e.manager;
      w.may_pass = allowed.count(e.person_id) > 0;
      w.inside_at_start = in_now.count(e.person_id) > 0;
      site.workers.push_back(w);
    }
    for (const SimEnrolment& e : exited) {
      if (!active_ids.count(e.person_id)) site.exited.push_back(e.person_id);
    }
    setup.roster = roster.size();
    setup.inside = inside.size();

    // Some workers use the ID-card reader: the terminal sends the number it read, which the
    // simulator only knows when the token may see full numbers (pii).
    std::vector<SimWorker*> candidates;
    for (SimWorker& w : site.workers) {
      if (w.may_pass && !w.inside_at_start) candidates.push_back(&w);
    }
    std::shuffle(candidates.begin(), candidates.end(), rng);
    const size_t wanted =
        std::min(kIdCardMax, static_cast<size_t>(std::ceil(kIdCardShare * candidates.size())));
    for (size_t i = 0; i < wanted && i < candidates.size(); ++i) {
      ZZ_ASSIGN_OR_RETURN(auto number, ReadFullIdNumber(admin_, token_, candidates[i]->person_id));
      if (!number) {
        setup.ids_masked = true;  // no pii right: every number is masked
        break;
      }
      candidates[i]->id_number = std::move(number);
      ++setup.id_cards;
    }
    return Status::Ok();
  }

  Result<Date> ChooseDay() const {
    const std::int64_t now = NowUnixMs();
    const Date latest = LatestCompleteShiftDay(now);
    if (options_.date.empty()) return latest;
    ZZ_ASSIGN_OR_RETURN(Date day, Date::Parse(options_.date, "date"));
    if (day > latest) {
      return Status::InvalidArgument(
          "date", "the shift of " + day.ToString() + " is not over yet (passes would be in the " +
                      "future); the latest complete day is " + latest.ToString());
    }
    if (day < TodayInChina().AddDays(-30)) {
      return Status::InvalidArgument("date", "the server accepts passes up to 35 days old; " +
                                                 day.ToString() + " is too far back");
    }
    return day;
  }

  void PrintSetup(double span_minutes) const {
    const Date today = TodayInChina();
    std::printf("zhizhi simulate: %zu project(s), day %s %s–%s +08:00%s, seed %llu\n",
                sites_.size(), day_.ToString().c_str(), ClockText(plan_.begin_ms, false).c_str(),
                ClockText(plan_.end_ms, false).c_str(),
                day_ == today               ? " (today)"
                : day_ == today.AddDays(-1) ? " (yesterday: today's shift is not over yet)"
                                            : "",
                static_cast<unsigned long long>(seed_));
    std::printf("  clock: %.0f simulated minutes in %.1f s at %.1f min/s", span_minutes,
                span_minutes / speed_, speed_);
    if (speed_ > options_.minutes_per_second) {
      std::printf(" (raised from %.1f so the day fits in --seconds %.0f)",
                  options_.minutes_per_second, options_.seconds);
    }
    std::printf(", %d connections\n", options_.connections);
    for (const SiteSetup& s : sites_) {
      std::printf(
          "  %s: devices %s / %s; %zu active workers, %zu on the roster, %zu inside already; "
          "%zu pass by ID card%s; face ≥ %.2f, double scans within %d s\n",
          s.site.project.c_str(), s.in.serial.c_str(), s.out.serial.c_str(), s.site.workers.size(),
          s.roster, s.inside, s.id_cards,
          s.ids_masked ? " (ID numbers masked: the token lacks pii)" : "", s.site.face_threshold,
          s.site.duplicate_window_s);
    }
    std::map<std::string, int> kinds;
    size_t buffered = 0;
    for (const PlannedPass& p : plan_.passes) {
      ++kinds[std::string(PassKindName(p.kind))];
      buffered += p.buffered ? 1 : 0;
    }
    std::printf("  plan: %zu passes (", plan_.passes.size());
    const char* separator = "";
    for (const auto& [kind, n] : kinds) {
      std::printf("%s%s %d", separator, kind.c_str(), n);
      separator = ", ";
    }
    std::printf(")\n");
    if (plan_.outage) {
      std::printf("  offline: %s of %s unreachable %s–%s, %zu passes buffered for replay\n",
                  plan_.outage->in_device ? "entrance" : "exit",
                  sites_[plan_.outage->site].site.project.c_str(),
                  ClockText(plan_.outage->from_ms, false).c_str(),
                  ClockText(plan_.outage->to_ms, false).c_str(), buffered);
    }
    std::fflush(stdout);
  }

  const SimDevice& DeviceOf(size_t index) const {
    const SiteSetup& s = sites_[index / 2];
    return index % 2 == 0 ? s.in : s.out;
  }

  std::vector<std::vector<Action>> Lanes() const {
    const size_t lanes = static_cast<size_t>(std::max(1, options_.connections));
    std::vector<std::vector<Action>> out(lanes);
    for (size_t i = 0; i < plan_.passes.size(); ++i) {
      const PlannedPass& p = plan_.passes[i];
      if (p.buffered) continue;
      // One person's passes always go through one connection, so they arrive in order.
      out[static_cast<std::uint64_t>(p.person_id) % lanes].push_back(
          {p.time_ms, Action::Type::kPass, i});
    }
    if (plan_.outage) out[0].push_back({plan_.outage->to_ms, Action::Type::kReplay, 0});
    for (size_t d = 0; d < 2 * sites_.size(); ++d) {
      for (std::int64_t t = plan_.begin_ms; t <= plan_.end_ms; t += kHeartbeatEveryMs) {
        const bool offline =
            plan_.outage &&
            d == 2 * static_cast<size_t>(plan_.outage->site) + (plan_.outage->in_device ? 0 : 1) &&
            t >= plan_.outage->from_ms && t < plan_.outage->to_ms;
        if (!offline) out[d % lanes].push_back({t, Action::Type::kHeartbeat, d});
      }
    }
    for (auto& lane : out) {
      std::stable_sort(lane.begin(), lane.end(),
                       [](const Action& a, const Action& b) { return a.sim_ms < b.sim_ms; });
    }
    return out;
  }

  void Play() {
    std::vector<std::vector<Action>> lanes = Lanes();
    std::vector<Tally> tallies(lanes.size());
    std::latch ready(static_cast<std::ptrdiff_t>(lanes.size()) + 1);
    std::vector<std::thread> threads;
    for (size_t l = 0; l < lanes.size(); ++l) {
      threads.emplace_back([this, &lanes, &tallies, &ready, l] {
        LoopbackClient client(url_);
        client.Request("GET", "/healthz", "");  // open the keep-alive connection first
        ready.arrive_and_wait();
        RunLane(client, lanes[l], tallies[l]);
      });
    }
    start_ = Clock::now() + std::chrono::milliseconds(20);
    deadline_ = start_ + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(options_.seconds));
    ready.arrive_and_wait();
    for (auto& thread : threads)
      thread.join();
    played_seconds_ = std::chrono::duration<double>(Clock::now() - start_).count();
    for (Tally& t : tallies)
      tally_.Merge(t);
  }

  Clock::time_point DueOf(std::int64_t sim_ms) const {
    const double real_ms = static_cast<double>(sim_ms - plan_.begin_ms) / (speed_ * 60.0);
    return start_ + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double, std::milli>(real_ms));
  }

  void RunLane(LoopbackClient& client, const std::vector<Action>& actions, Tally& t) const {
    for (size_t a = 0; a < actions.size(); ++a) {
      const Action& action = actions[a];
      const Clock::time_point due = DueOf(action.sim_ms);
      if (due > deadline_ || Clock::now() > deadline_ + kOverrun) {
        for (size_t rest = a; rest < actions.size(); ++rest) {
          if (actions[rest].type == Action::Type::kPass) ++t.not_sent;
          if (actions[rest].type == Action::Type::kReplay) t.not_sent += BufferedCount();
        }
        return;
      }
      std::this_thread::sleep_until(due);
      switch (action.type) {
        case Action::Type::kPass:
          SendPass(client, action.index, t);
          break;
        case Action::Type::kReplay:
          Replay(client, t);
          break;
        case Action::Type::kHeartbeat:
          Heartbeat(client, DeviceOf(action.index), t);
          break;
      }
    }
  }

  size_t BufferedCount() const {
    return static_cast<size_t>(std::count_if(plan_.passes.begin(), plan_.passes.end(),
                                             [](const PlannedPass& p) { return p.buffered; }));
  }

  const SimDevice& DeviceFor(const PlannedPass& p) const {
    return p.entering ? sites_[p.site].in : sites_[p.site].out;
  }

  // False (and counted) when the request failed or the answer was not a 2xx.
  bool CheckReply(const std::string& what, const HttpReply& reply, Tally& t) const {
    if (reply.status >= 200 && reply.status <= 299) return true;
    if (reply.transport_error()) {
      ++t.transport_errors;
    } else {
      ++t.http_errors[reply.status];
      if (reply.status >= 500) ++t.server_errors;
    }
    t.Example(what + ": " + reply.Describe());
    return false;
  }

  void SendPass(LoopbackClient& client, size_t index, Tally& t) const {
    const PlannedPass& p = plan_.passes[index];
    Count(p, t);
    const Clock::time_point sent = Clock::now();
    const HttpReply reply = client.Request("POST", "/api/v1/gate/events", DeviceFor(p).token,
                                           PassBody(p, index).dump());
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - sent).count();
    t.micros.push_back(static_cast<std::uint32_t>(std::min<std::int64_t>(micros, UINT32_MAX)));
    if (!CheckReply("pass SIM-" + std::to_string(index), reply, t)) return;
    Record(p, index, reply.Json(), t);
  }

  void Count(const PlannedPass& p, Tally& t) const {
    ++t.sent;
    ++t.sent_by_kind[std::string(PassKindName(p.kind))];
    if (p.id_number) ++t.id_card;
  }

  void Replay(LoopbackClient& client, Tally& t) const {
    std::vector<size_t> buffered;
    for (size_t i = 0; i < plan_.passes.size(); ++i) {
      if (plan_.passes[i].buffered) buffered.push_back(i);
    }
    const SimDevice& device =
        plan_.outage->in_device ? sites_[plan_.outage->site].in : sites_[plan_.outage->site].out;
    for (size_t from = 0; from < buffered.size(); from += kBatchMax) {
      const size_t to = std::min(buffered.size(), from + kBatchMax);
      json events = json::array();
      for (size_t k = from; k < to; ++k) {
        events.push_back(PassBody(plan_.passes[buffered[k]], buffered[k]));
        Count(plan_.passes[buffered[k]], t);
        ++t.replayed;
      }
      ++t.batches;
      const HttpReply reply = client.Request("POST", "/api/v1/gate/events:batch", device.token,
                                             json{{"events", std::move(events)}}.dump());
      if (!CheckReply("replay of " + device.serial, reply, t)) continue;
      const json answer = reply.Json();
      const json& results = answer["results"];
      if (!results.is_array() || results.size() != to - from) {
        ++t.event_errors;
        t.Example("replay: the answer does not hold one result per event");
        continue;
      }
      for (size_t k = from; k < to; ++k) {
        const json& result = results[k - from];
        if (result.contains("error")) {
          ++t.event_errors;
          t.Example("replayed pass SIM-" + std::to_string(buffered[k]) + ": " + result.dump());
          continue;
        }
        Record(plan_.passes[buffered[k]], buffered[k], result, t);
      }
    }
  }

  void Heartbeat(LoopbackClient& client, const SimDevice& device, Tally& t) const {
    size_t roster = 0;
    for (const SiteSetup& s : sites_) {
      if (&s.in == &device || &s.out == &device) roster = s.roster;
    }
    const json body = {{"person_count", roster},
                       {"face_count", roster},
                       {"firmware", "zhizhi-sim 1.0"},
                       {"device_time", FormatRfc3339(NowUnixMs())}};  // the device's own clock
    ++t.heartbeats;
    CheckReply("heartbeat of " + device.serial,
               client.Request("POST", "/api/v1/gate/heartbeat", device.token, body.dump()), t);
  }

  // Tallies an answer and compares it with what the plan expects.
  void Record(const PlannedPass& p, size_t index, const json& answer, Tally& t) const {
    const bool allow = answer.value("decision", "") == "allow";
    const bool duplicate = answer.value("duplicate", false);
    std::vector<std::string> reasons;
    if (answer.contains("reasons") && answer["reasons"].is_array()) {
      for (const json& r : answer["reasons"]) {
        if (r.is_string()) reasons.push_back(r.get<std::string>());
      }
    }
    if (allow) {
      ++t.allowed;
      if (duplicate) ++t.duplicates;
    } else {
      ++t.denied;
      ++t.denied_by_kind[std::string(PassKindName(p.kind))];
      for (const std::string& r : reasons)
        ++t.deny_reasons[r];
    }
    std::string problem;
    if (allow != p.expect_allow) {
      problem = std::string(allow ? "allowed" : "denied") + ", expected " +
                (p.expect_allow ? "allow" : "deny");
    } else if (!allow && !p.expect_reason.empty() &&
               std::find(reasons.begin(), reasons.end(), p.expect_reason) == reasons.end()) {
      problem = "denied without " + p.expect_reason;
    } else if (allow && p.kind == PassKind::kRescan && !duplicate) {
      problem = "double scan not flagged as duplicate";
    } else if (allow && p.kind == PassKind::kWorker && duplicate) {
      problem = "flagged as a duplicate";
    }
    if (problem.empty()) return;
    ++t.unexpected;
    t.Example("SIM-" + std::to_string(index) + " (" + std::string(PassKindName(p.kind)) +
              ", person " + std::to_string(p.person_id) + ", " + (p.entering ? "in" : "out") +
              " at " + ClockText(p.time_ms) + "): " + problem + " — " + answer.dump());
  }

  // Persons the plan expects inside whom the server shows outside because its daily automatic
  // clock-out closed their day (a simulated day before today's cut-off).
  std::set<std::int64_t> AutoClockedOut(const std::vector<std::int64_t>& persons) {
    std::set<std::int64_t> out;
    const std::string from = day_.ToString();
    for (std::int64_t person : persons) {
      const HttpReply reply = admin_.Request(
          "GET", "/api/v1/persons/" + std::to_string(person) + "/trajectory?from=" + from, token_);
      if (reply.status != 200) continue;
      const json trajectory = reply.Json();
      if (!trajectory.is_object() || !trajectory["items"].is_array() ||
          trajectory["items"].empty()) {
        continue;
      }
      if (trajectory["items"].back().value("auto_clock_out", false)) out.insert(person);
    }
    return out;
  }

  int Report() {
    Tally& t = tally_;
    const LatencySummary latency = SummariseLatencies(t.micros);
    std::printf("played %.1f s of real time\n", played_seconds_);
    std::printf(
        "passes sent       %lld (live %lld, replayed %lld in %lld batch%s, by ID card %lld)",
        static_cast<long long>(t.sent), static_cast<long long>(t.sent - t.replayed),
        static_cast<long long>(t.replayed), static_cast<long long>(t.batches),
        t.batches == 1 ? "" : "es", static_cast<long long>(t.id_card));
    if (t.not_sent > 0) {
      std::printf("; %lld not sent: the day did not finish within --seconds",
                  static_cast<long long>(t.not_sent));
    }
    std::printf("\n  by kind        ");
    for (const auto& [kind, n] : t.sent_by_kind)
      std::printf(" %s %lld;", kind.c_str(), static_cast<long long>(n));
    std::printf("\nallowed           %lld (double scans flagged duplicate: %lld)\n",
                static_cast<long long>(t.allowed), static_cast<long long>(t.duplicates));
    std::printf("denied            %lld\n", static_cast<long long>(t.denied));
    for (const auto& [reason, n] : t.deny_reasons)
      std::printf("  %-22s %lld\n", reason.c_str(), static_cast<long long>(n));
    std::printf("  denied by kind: ");
    for (const auto& [kind, n] : t.denied_by_kind)
      std::printf(" %s %lld;", kind.c_str(), static_cast<long long>(n));
    std::printf("\nheartbeats        %lld\n", static_cast<long long>(t.heartbeats));
    std::printf("errors            %lld transport, %lld 5xx, %lld other HTTP",
                static_cast<long long>(t.transport_errors), static_cast<long long>(t.server_errors),
                static_cast<long long>([&] {
                  std::int64_t n = 0;
                  for (const auto& [code, k] : t.http_errors)
                    n += code >= 500 ? 0 : k;
                  return n;
                }()));
    for (const auto& [code, n] : t.http_errors)
      std::printf(" [%d: %lld]", code, static_cast<long long>(n));
    std::printf(", %lld rejected replay items\n", static_cast<long long>(t.event_errors));
    std::printf("unexpected answers %lld\n", static_cast<long long>(t.unexpected));
    for (const std::string& e : t.examples)
      std::printf("  e.g. %s\n", e.c_str());
    std::printf("latency (live)    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                latency.p50_ms, latency.p90_ms, latency.p99_ms, latency.max_ms);

    std::printf("on site at the end (server vs plan):\n");
    bool all_match = true;
    bool any_closed = false;
    for (size_t s = 0; s < sites_.size(); ++s) {
      const std::string& code = sites_[s].site.project;
      auto onsite = OnsitePersons(admin_, token_, code);
      if (!onsite.ok()) {
        std::printf("  %s: %s\n", code.c_str(), onsite.status().ToString().c_str());
        all_match = false;
        continue;
      }
      const std::set<std::int64_t> server(onsite->begin(), onsite->end());
      const std::set<std::int64_t>& expected = plan_.expected_inside[s];
      std::vector<std::int64_t> missing, extra;
      std::set_difference(expected.begin(), expected.end(), server.begin(), server.end(),
                          std::back_inserter(missing));
      std::set_difference(server.begin(), server.end(), expected.begin(), expected.end(),
                          std::back_inserter(extra));
      const std::set<std::int64_t> closed =
          missing.empty() ? std::set<std::int64_t>() : AutoClockedOut(missing);
      std::printf("  %s: server %zu, plan %zu", code.c_str(), server.size(), expected.size());
      if (missing.empty() && extra.empty()) {
        std::printf(" — match\n");
        continue;
      }
      if (!closed.empty()) {
        any_closed = true;
        std::printf(
            " — %zu closed by the server's automatic clock-out (the simulated day is "
            "before today's cut-off)",
            closed.size());
      }
      if (missing.size() > closed.size() || !extra.empty()) {
        all_match = false;
        std::printf(" — differs: %zu expected inside are not, %zu inside unexpectedly",
                    missing.size() - closed.size(), extra.size());
        if (!extra.empty()) std::printf(" (e.g. person %lld)", static_cast<long long>(extra[0]));
      }
      std::printf("\n");
    }
    if (any_closed && t.unexpected > 0) {
      std::printf(
          "  (passes older than the automatic clock-out are stale to the server: they move no one "
          "and double scans among them are not flagged)\n");
    }
    const bool ok = t.transport_errors == 0 && t.server_errors == 0;
    std::printf("%s\n", ok ? (all_match && t.unexpected == 0 ? "ok" : "ok (with differences above)")
                           : "FAILED: transport errors or 5xx answers");
    return ok ? 0 : 1;
  }

  const SimulateOptions& options_;
  const LoopbackUrl url_;
  const std::string token_;
  LoopbackClient admin_;
  std::uint64_t seed_ = 0;
  std::vector<SiteSetup> sites_;
  Date day_;
  ShiftPlan plan_;
  double speed_ = 60;  // simulated minutes per real second
  Clock::time_point start_;
  Clock::time_point deadline_;
  double played_seconds_ = 0;
  Tally tally_;
};

}  // namespace

CLI::App* AddSimulateCommand(CLI::App& app, SimulateOptions& o) {
  auto* cmd = app.add_subcommand(
      "simulate", "drive a running server with simulated gate terminals (shift day or --load)");
  cmd->add_option("--url", o.url, "server base URL, loopback only")->capture_default_str();
  // Required, but checked in RunSimulate: `simulate terminal` needs no token.
  cmd->add_option("--token-file", o.token_file,
                  "administrator token file (DATA_DIR/admin.token), required");
  cmd->add_option("--projects", o.projects, "project codes (default QT2025001,QT2025002)")
      ->delimiter(',');
  cmd->add_option("--minutes-per-second", o.minutes_per_second,
                  "simulated minutes per real second (raised if the day would not fit)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 100000.0));
  cmd->add_option("--seconds", o.seconds, "real seconds to play at most")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 86400.0));
  cmd->add_option("--connections", o.connections, "keep-alive connections (one thread each)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_flag("--offline-replay", o.offline_replay,
                "one terminal goes offline over lunch, then replays its buffer as a batch");
  cmd->add_option("--date", o.date,
                  "simulated day YYYY-MM-DD (default: latest day with its shift over)");
  cmd->add_option("--seed", o.seed, "random seed (0: random; printed)");
  cmd->add_flag("--load", o.load, "load mode: single passes as fast as possible (or --rate)");
  cmd->add_option("--rate", o.rate, "load mode: total events/s (0: unpaced)")
      ->check(CLI::Range(0.0, 1e7));
  cmd->add_option("--vendor", o.vendor,
                  "load mode: terminals of zhizhi (the API), uface or zkteco (their protocols)")
      ->capture_default_str()
      ->check(CLI::IsMember({"zhizhi", "uface", "zkteco"}));
  return cmd;
}

int RunSimulate(const SimulateOptions& options) {
  auto url = ParseLoopbackUrl(options.url);
  if (!url.ok()) {
    std::fprintf(stderr, "zhizhi simulate: %s\n", url.status().ToString().c_str());
    return 2;
  }
  if (options.token_file.empty()) {
    std::fprintf(stderr, "zhizhi simulate: --token-file is required\n");
    return 2;
  }
  auto token = ReadTokenFile(options.token_file);
  if (!token.ok()) {
    std::fprintf(stderr, "zhizhi simulate: %s\n", token.status().ToString().c_str());
    return 2;
  }
  if (options.load) {
    GateLoadOptions load;
    load.url = *url;
    load.admin_token = *token;
    if (!options.projects.empty()) load.project = options.projects.front();
    load.connections = options.connections;
    load.seconds = options.seconds;
    load.rate = options.rate;
    load.vendor = options.vendor;
    return RunGateLoad(load);
  }
  return ShiftDay(options, *url, *token).Run();
}

}  // namespace zhizhi::sim
