// Gate events: each pass decided and stored in one writer job, answered after its group
// commit (single events, offline batches, and the bulk load of the demo's history), with
// server-side face recognition first for face_image events.
#include <algorithm>
#include <cmath>

#include <spdlog/spdlog.h>

#include "gate/gate.h"
#include "gate/gate_internal.h"
#include "store/savepoint.h"

namespace zhizhi::gate {

using nlohmann::json;
using namespace internal;

Result<PassAnswer> Gate::ProcessEvent(store::Connection& conn, std::int64_t device_id,
                                      const GateEventInput& e, const FaceVerdict* face) {
  // The writer thread: the state is read without its lock (only this thread changes it).
  const DeviceFact* device_fact = state_.device(device_id);
  if (device_fact == nullptr) return Status::Unauthenticated("unknown device");
  const DeviceFact& device = *device_fact;

  // Idempotency: the same (device, event_id) returns the first answer and stores nothing. A new
  // event is far more common than a replay, so the stored answer is looked up only when this
  // event would be refused (a replay of an event accepted long ago is not "too old") or when
  // its insert meets the (device, event_id) already there — not before every pass. Every
  // refusal below goes through refuse(); all of them come before the first write.
  auto refuse = [&](Status refusal) -> Result<PassAnswer> {
    ZZ_ASSIGN_OR_RETURN(std::optional<PassAnswer> stored,
                        PassAnswer::Stored(conn, device_id, e.event_id));
    if (stored) return std::move(*stored);
    return refusal;
  };

  const std::int64_t now = NowUnixMs();
  if (e.time.unix_ms > now + options_.max_future_ms) {
    return refuse(Status::Rule("time_in_future", "time",
                               "event time is more than 5 minutes ahead of the server clock; "
                               "check the device clock"));
  }
  if (e.time.unix_ms < now - options_.max_age_ms) {
    return refuse(
        Status::Rule("time_too_old", "time", "event is older than the replay window (35 days)"));
  }
  std::string direction;
  if (device.direction == "both") {
    if (!e.direction) {
      return refuse(Status::InvalidArgument(
          "direction", "this device passes both ways; send direction in or out"));
    }
    direction = *e.direction;
  } else {
    if (e.direction && *e.direction != device.direction) {
      return refuse(
          Status::InvalidArgument("direction", "this device only passes " + device.direction));
    }
    direction = device.direction;
  }

  std::optional<std::int64_t> person;
  std::string identified_by = e.face_jpeg                   ? "face"
                              : (e.person_id || e.stranger) ? "terminal"
                                                            : "id_card";
  if (e.face_jpeg && face == nullptr) {
    return refuse(
        Status::Rule("face_recognition_unavailable", "face_image",
                     "this server has no face recognition (started without face models); send "
                     "person_id (recognised on the terminal) or id_number (ID-card reader)"));
  }
  if (e.person_id) {
    if (state_.person(*e.person_id) != nullptr) {
      person = *e.person_id;
    } else {
      auto s = conn.Prepare("SELECT 1 FROM persons WHERE id = ?");
      s.Bind(1, *e.person_id);
      if (s.Step()) person = *e.person_id;
      ZZ_RETURN_IF_ERROR(s.status());
    }
  } else if (e.id_number) {
    ZZ_ASSIGN_OR_RETURN(person, registry_->FindPersonId(conn, e.id_type, *e.id_number));
  } else if (face != nullptr && face->matched) {
    person = face->person_id;  // 1:N
  }

  const ProjectFact* project_fact = state_.project(device.project);
  if (project_fact == nullptr) {
    return Status::Internal("gate state has no project " + device.project);
  }
  const ProjectFact& project = *project_fact;
  PassFacts f = person ? state_.Standing(project, *person) : PassFacts{};
  f.device_enabled = !device.disabled;
  f.score = e.score;
  f.liveness = e.liveness;
  if (face != nullptr) {
    if (e.person_id || e.id_number) f.face_matched = face->matched;  // 1:1 against the claim
    // No face, no liveness verdict: the pass fails on identification alone.
    if (face->liveness) f.liveness = face->live && e.liveness.value_or(true);
  }
  f.entering = direction == "in";
  f.exceptional = IsExceptionalPassMode(e.pass_mode);
  f.terminal_refused = e.terminal_opened == false;
  if (person) {
    if (auto o = project.onsite.find(*person); o != project.onsite.end()) {
      f.inside = o->second.inside;
      f.stale = e.time.unix_ms < o->second.since_ms;
    }
    if (auto l = project.last.find(*person); l != project.last.end()) {
      const std::int64_t window = project.policy.duplicate_window_s * 1000LL;
      f.duplicate = l->second.entering == f.entering && e.time.unix_ms >= l->second.time_ms &&
                    e.time.unix_ms - l->second.time_ms < window;
    }
  }
  const GateDecision decision = Decide(f, project.policy);

  PassAnswer a;
  a.event_id = e.event_id;
  a.project = device.project;
  a.person_id = person;
  a.direction = direction;
  a.time_ms = e.time.unix_ms;
  a.allow = decision.allow;
  a.reasons = decision.reasons;
  a.warnings = decision.warnings;
  if (decision.allow && f.duplicate) a.flags |= kFlagDuplicate;
  if (f.exceptional) a.flags |= kFlagExceptional;
  if (f.stale) a.flags |= kFlagStale;
  if (!decision.allow && e.terminal_opened == true) a.flags |= kFlagTerminalOpened;
  std::optional<double> score = e.score;
  std::optional<std::string> face_json;
  if (face != nullptr) {
    score = face->score;
    a.face_score = face->score;
    a.face_liveness = face->liveness;
    face_json = face->ToJson().dump();
  }

  auto insert = conn.Prepare(
      "INSERT INTO gate_events(device_id, event_id, project_code, time_ms, utc_offset, local_date, "
      "received_at, person_id, identified_by, score, direction, pass_mode, decision, reasons, "
      "warnings, operator, operator_reason, flags, face) "
      "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
      "ON CONFLICT(device_id, event_id) DO NOTHING");
  insert.Bind(1, device_id).Bind(2, e.event_id).Bind(3, device.project).Bind(4, e.time.unix_ms);
  insert.Bind(5, e.time.offset_minutes).Bind(6, LocalDateOf(e.time.unix_ms)).Bind(7, now);
  insert.Bind(8, person).Bind(9, identified_by).Bind(10, score).Bind(11, direction);
  insert.Bind(12, e.pass_mode).Bind(13, a.allow ? "allow" : "deny");
  insert.Bind(14, JsonArrayText(a.reasons)).Bind(15, JsonArrayText(a.warnings));
  insert.Bind(16, e.operator_name).Bind(17, e.operator_reason).Bind(18, a.flags);
  insert.Bind(19, face_json);
  ZZ_RETURN_IF_ERROR(insert.Run());
  if (conn.Changes() == 0) {  // this (device, event_id) is stored: a replay
    ZZ_ASSIGN_OR_RETURN(std::optional<PassAnswer> stored,
                        PassAnswer::Stored(conn, device_id, e.event_id));
    if (!stored) return Status::Internal("gate event neither inserted nor stored");
    return std::move(*stored);
  }
  a.seq = conn.LastInsertRowId();
  if (OnAnotherDay(e.time.unix_ms, now)) past_changes_.fetch_add(1, std::memory_order_acq_rel);

  const bool moves = a.allow && person && !f.duplicate && !f.stale;
  if (moves) {
    ZZ_RETURN_IF_ERROR(
        conn.Prepare(
                "INSERT INTO onsite(project_code, person_id, inside, since_ms, last_device_id, "
                "last_seq, auto_clocked_out) VALUES (?,?,?,?,?,?,0) "
                "ON CONFLICT(project_code, person_id) DO UPDATE SET inside = excluded.inside, "
                "since_ms = excluded.since_ms, last_device_id = excluded.last_device_id, "
                "last_seq = excluded.last_seq, auto_clocked_out = 0")
            .Bind(1, device.project)
            .Bind(2, *person)
            .Bind(3, f.entering ? 1 : 0)
            .Bind(4, e.time.unix_ms)
            .Bind(5, device_id)
            .Bind(6, a.seq)
            .Run());
  }
  // A claimed identity (ID card, person_id) with another enrolled person's face: evidence of a
  // borrowed ID card, in the pass's job (the face module records it and raises the alert).
  if (face != nullptr && face->enrolled_as && !face->matched && person && face_matcher_) {
    const ImpostorPass impostor{*person,        *face->enrolled_as, face->score, face->liveness,
                                device.project, device_id,          a.seq,       e.time.unix_ms};
    ZZ_RETURN_IF_ERROR(face_matcher_->RecordImpostor(conn, impostor));
  }
  // Listeners (the residence module, the alerts engine) see the pass before memory moves, as
  // they always have; whatever of this event fails after here, the undos put memory back.
  if (person) {
    const PassNotice notice{device.project, *person, a.allow, f.exited, e.time.unix_ms, a.seq};
    for (const auto& listener : pass_listeners_)
      ZZ_RETURN_IF_ERROR(listener(conn, notice));
  }
  if (a.allow && person && !f.stale) {
    std::optional<OnsiteFact> onsite;
    if (moves) onsite = OnsiteFact{f.entering, e.time.unix_ms, device_id, false};
    std::optional<LastPass> last;
    if (!f.duplicate) last = LastPass{e.time.unix_ms, f.entering};
    state_.RecordPass(conn, device.project, *person, onsite, last);
  }
  return a;
}

namespace {

// The error of one event in a batch answer, with its event_id when it had one.
json BatchError(const Status& s, const std::string& event_id) {
  json error = {{"code", s.code()}, {"message", s.message()}};
  if (!s.field().empty()) error["field"] = s.field();
  json out = {{"error", error}};
  if (!event_id.empty()) out["event_id"] = event_id;
  return out;
}

}  // namespace

void Gate::PublishPass(const PassAnswer& a) {
  if (a.replayed || !live_.has_subscribers()) return;  // no message to build for nobody
  json message = a.ToJson();
  message["type"] = "pass";
  message["project_code"] = a.project;
  message["time"] = FormatRfc3339(a.time_ms);
  {
    auto lock = state_.ReadLock();
    const ProjectFact* p = state_.project(a.project);
    message["onsite_count"] = p == nullptr ? 0 : p->inside_count;
    const PersonFact* n = a.person_id ? state_.person(*a.person_id) : nullptr;
    message["name"] = n == nullptr ? "" : n->name;
  }
  live_.Publish(a.project, message.dump());
}

void Gate::RecogniseFaces(std::int64_t device_id,
                          std::shared_ptr<std::vector<Result<GateEventInput>>> events,
                          std::function<void(FaceResults)> done) {
  struct Pending {
    FaceResults results;
    std::atomic<int> left{0};
    std::function<void(FaceResults)> done;
  };
  auto pending = std::make_shared<Pending>();
  pending->results.resize(events->size());
  pending->done = std::move(done);
  std::vector<size_t> with_face;
  for (size_t i = 0; i < events->size(); ++i) {
    if ((*events)[i].ok() && (*events)[i]->face_jpeg) with_face.push_back(i);
  }
  if (with_face.empty() || face_matcher_ == nullptr)
    return pending->done(std::move(pending->results));
  std::string project;
  {
    auto lock = state_.ReadLock();
    if (const DeviceFact* d = state_.device(device_id)) project = d->project;
  }
  pending->left = static_cast<int>(with_face.size());
  for (size_t i : with_face) {
    GateEventInput& e = *(*events)[i];
    FaceQuery query;
    query.project = project;
    query.jpeg = std::move(*e.face_jpeg);
    e.face_jpeg = std::string();  // still a face event; the photo itself is no longer needed
    query.claimed_person = e.person_id;
    if (e.id_number) {
      // The card read with the photo names the claim; an unknown number stays unknown_person.
      auto found = db_->Read([&](store::Connection& conn) {
        return registry_->FindPersonId(conn, e.id_type, *e.id_number);
      });
      if (found.ok() && *found) query.claimed_person = **found;
      if (found.ok() && !*found) query.claimed_person = 0;  // nobody: nothing to match against
    }
    face_matcher_->Identify(std::move(query), [pending, i](Result<FaceVerdict> verdict) {
      pending->results[i] = std::move(verdict);
      if (--pending->left == 0) pending->done(std::move(pending->results));
    });
  }
}

Gate::EventCounts Gate::event_counts() const {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  return EventCounts{allowed_.load(kRelaxed), denied_.load(kRelaxed), replayed_.load(kRelaxed),
                     refused_.load(kRelaxed)};
}

void Gate::CountAnswer(const PassAnswer& a) {
  (a.replayed ? replayed_ : a.allow ? allowed_ : denied_).fetch_add(1, std::memory_order_relaxed);
}

void Gate::CountRefused(size_t n) {
  refused_.fetch_add(n, std::memory_order_relaxed);
}

void Gate::SubmitEvent(const security::Principal& device, Result<GateEventInput> event,
                       AnswerDone done) {
  if (!event.ok()) {
    CountRefused(1);
    return done(event.status());
  }
  const std::int64_t device_id = device.device_id;
  if (!event->face_jpeg) {
    return WritePass(device_id, std::move(*event), std::nullopt, std::move(done));
  }
  auto inputs = std::make_shared<std::vector<Result<GateEventInput>>>();
  inputs->push_back(std::move(event));
  RecogniseFaces(device_id, inputs, [this, device_id, inputs, done](FaceResults faces) {
    std::optional<FaceVerdict> face;
    if (faces[0]) {
      if (!faces[0]->ok()) {
        CountRefused(1);
        return done(faces[0]->status());
      }
      face = std::move(*faces[0]).value();
    }
    WritePass(device_id, std::move(*(*inputs)[0]), std::move(face), done);
  });
}

void Gate::WritePass(std::int64_t device_id, GateEventInput input, std::optional<FaceVerdict> face,
                     AnswerDone done) {
  // One allocation for all that the job and its completion share.
  struct Pass {
    GateEventInput input;
    std::optional<FaceVerdict> face;
    AnswerDone done;
    PassAnswer answer;
  };
  auto pass = std::make_shared<Pass>(Pass{std::move(input), std::move(face), std::move(done), {}});
  db_->WriteAsync(
      [this, device_id, pass](store::Connection& conn) -> Status {
        auto result =
            ProcessEvent(conn, device_id, pass->input, pass->face ? &*pass->face : nullptr);
        if (!result.ok()) return result.status();
        pass->answer = std::move(result).value();
        return Status::Ok();
      },
      [this, pass](const Status& status) {
        if (!status.ok()) {
          CountRefused(1);
          return pass->done(status);
        }
        CountAnswer(pass->answer);
        PublishPass(pass->answer);
        pass->done(pass->answer.ToJsonText());
      },
      // ProcessEvent refuses before its first write, so a pass needs no savepoint of its own.
      store::Undo::kGroup);
}

void Gate::SubmitBatch(const security::Principal& device,
                       std::vector<Result<GateEventInput>> events, EventDone done) {
  const std::int64_t device_id = device.device_id;
  auto inputs = std::make_shared<std::vector<Result<GateEventInput>>>(std::move(events));
  RecogniseFaces(device_id, inputs, [this, device_id, inputs, done](FaceResults faces_in) {
    auto faces = std::make_shared<FaceResults>(std::move(faces_in));
    auto results = std::make_shared<std::vector<json>>();
    auto answers = std::make_shared<std::vector<PassAnswer>>();
    db_->WriteAsync(
        [this, device_id, inputs, faces, results, answers](store::Connection& conn) -> Status {
          results->clear();
          answers->clear();
          for (size_t i = 0; i < inputs->size(); ++i) {
            const auto& input = (*inputs)[i];
            if (!input.ok()) {
              const Status& s = input.status();
              const auto& id = s.details().value("event_id", json());
              results->push_back(BatchError(s, id.is_string() ? id.get<std::string>() : ""));
              continue;
            }
            const FaceVerdict* face = nullptr;
            if ((*faces)[i]) {
              if (!(*faces)[i]->ok()) {
                results->push_back(BatchError((*faces)[i]->status(), input->event_id));
                continue;
              }
              face = &(*faces)[i]->value();
            }
            // Each event is its own savepoint: one bad event never undoes its neighbours.
            ZZ_ASSIGN_OR_RETURN(store::Savepoint savepoint, store::Savepoint::Open(conn));
            auto answer = ProcessEvent(conn, device_id, *input, face);
            if (!answer.ok()) {
              ZZ_RETURN_IF_ERROR(savepoint.RollBack());
              results->push_back(BatchError(answer.status(), input->event_id));
            } else {
              ZZ_RETURN_IF_ERROR(savepoint.Release());
              results->push_back(answer->ToJson());
              answers->push_back(std::move(answer).value());
            }
          }
          return Status::Ok();
        },
        [this, results, answers, done, n = inputs->size()](const Status& status) {
          if (!status.ok()) {
            CountRefused(n);
            return done(status);
          }
          int allowed = 0, denied = 0, failed = 0;
          for (const json& r : *results) {
            if (r.contains("error")) {
              ++failed;
            } else if (r["decision"] == "allow") {
              ++allowed;
            } else {
              ++denied;
            }
          }
          CountRefused(failed);
          for (const PassAnswer& a : *answers) {
            CountAnswer(a);
            PublishPass(a);
          }
          done(json{{"results", std::move(*results)},
                    {"allowed", allowed},
                    {"denied", denied},
                    {"failed", failed}});
        });
  });
}

Result<PassTally> Gate::RecordPasses(const std::vector<DevicePass>& passes, size_t chunk) {
  // Jobs are queued without waiting, so the writer commits many of them per fsync. No savepoint
  // per event: ProcessEvent refuses an event before it writes anything, so a refused event
  // leaves nothing behind; a database error fails the whole job, whose savepoint takes its rows
  // and its undos take what it changed in memory.
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    size_t pending = 0;
    PassTally tally;
    Status failure;
    std::string first_rejection;
  };
  auto shared = std::make_shared<Shared>();
  chunk = std::max<size_t>(1, chunk);
  for (size_t begin = 0; begin < passes.size(); begin += chunk) {
    const size_t end = std::min(passes.size(), begin + chunk);
    auto part = std::make_shared<PassTally>();
    auto rejection = std::make_shared<std::string>();
    {
      std::lock_guard lock(shared->mu);
      ++shared->pending;
    }
    db_->WriteAsync(
        [this, &passes, begin, end, part, rejection](store::Connection& conn) -> Status {
          *part = PassTally{};
          for (size_t i = begin; i < end; ++i) {
            auto answer = ProcessEvent(conn, passes[i].device_id, passes[i].event, nullptr);
            if (!answer.ok()) {
              if (answer.status().kind() == StatusKind::kInternal) return answer.status();
              ++part->rejected;
              if (rejection->empty()) *rejection = answer.status().ToString();
            } else if (answer->allow) {
              ++part->allowed;
            } else {
              ++part->denied;
            }
          }
          return Status::Ok();
        },
        [shared, part, rejection](const Status& status) {
          std::lock_guard lock(shared->mu);
          if (!status.ok()) {
            if (shared->failure.ok()) shared->failure = status;
          } else {
            shared->tally.allowed += part->allowed;
            shared->tally.denied += part->denied;
            shared->tally.rejected += part->rejected;
            if (shared->first_rejection.empty()) shared->first_rejection = *rejection;
          }
          if (--shared->pending == 0) shared->cv.notify_all();
        });
  }
  std::unique_lock lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->pending == 0; });
  if (!shared->failure.ok()) return shared->failure;
  if (!shared->first_rejection.empty()) {
    spdlog::warn("event=bulk_passes_rejected count={} first=\"{}\"", shared->tally.rejected,
                 shared->first_rejection);
  }
  return shared->tally;
}

}  // namespace zhizhi::gate
