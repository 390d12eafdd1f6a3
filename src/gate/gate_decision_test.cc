#include "gate/gate_decision.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace zhizhi::gate {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;

// A registered, enrolled worker with everything in order, entering from outside.
PassFacts Good() {
  PassFacts f;
  f.identified = true;
  f.enrolled = true;
  f.score = 0.9;
  f.liveness = true;
  return f;
}

GatePolicy PolicyWith(std::string_view check, CheckMode mode) {
  GatePolicy policy;
  policy.modes[std::string(check)] = mode;
  return policy;
}

// Sets the fact that makes the configurable `check` fail.
void Break(PassFacts& f, std::string_view check) {
  if (check == reason::kCertificateMissing) f.certificates.missing = true;
  if (check == reason::kCertificateExpired) f.certificates.expired = true;
  if (check == reason::kTrainingMissing) f.training_ok = false;
  if (check == reason::kBlacklisted) f.blacklisted = true;
  if (check == reason::kFaceMismatch) f.score = 0.1;
  if (check == reason::kLivenessFailed) f.liveness = false;
  if (check == reason::kAntiPassback) f.inside = true;
  if (check == reason::kProjectCompleted) f.project_completed = true;
}

// ------------------------------------------------------------------------------------ Decide

TEST(GateDecisionTest, AllowsAGoodPass) {
  const GateDecision d = Decide(Good(), GatePolicy());
  EXPECT_TRUE(d.allow);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_TRUE(d.warnings.empty());
}

TEST(GateDecisionTest, EachDenyReasonAlone) {
  struct Case {
    std::string_view reason;
    void (*apply)(PassFacts&);
  };
  const std::vector<Case> cases = {
      {reason::kUnknownPerson, [](PassFacts& f) { f.identified = false; }},
      {reason::kNotEnrolled, [](PassFacts& f) { f.enrolled = false; }},
      {reason::kExited, [](PassFacts& f) { f.exited = true; }},
      {reason::kCertificateMissing, [](PassFacts& f) { f.certificates.missing = true; }},
      {reason::kCertificateExpired, [](PassFacts& f) { f.certificates.expired = true; }},
      {reason::kTrainingMissing, [](PassFacts& f) { f.training_ok = false; }},
      {reason::kBlacklisted, [](PassFacts& f) { f.blacklisted = true; }},
      {reason::kFaceMismatch, [](PassFacts& f) { f.score = 0.49; }},
      {reason::kLivenessFailed, [](PassFacts& f) { f.liveness = false; }},
      {reason::kDeviceUnknown, [](PassFacts& f) { f.device_enabled = false; }},
      {reason::kAntiPassback, [](PassFacts& f) { f.inside = true; }},
      {reason::kProjectCompleted, [](PassFacts& f) { f.project_completed = true; }},
  };
  ASSERT_EQ(cases.size(), 12u);  // every stable reason code of api-v1.md, and project_completed
  for (const Case& c : cases) {
    PassFacts f = Good();
    c.apply(f);
    const GateDecision d = Decide(f, GatePolicy());
    EXPECT_FALSE(d.allow) << c.reason;
    EXPECT_EQ(d.reasons, Strings{std::string(c.reason)}) << c.reason;
    EXPECT_TRUE(d.warnings.empty()) << c.reason;
  }
}

TEST(GateDecisionTest, AllReasonsThatApplyAreListedTogetherInAStableOrder) {
  PassFacts f = Good();
  f.device_enabled = false;
  f.exited = true;
  f.certificates = {true, true};
  f.training_ok = false;
  f.blacklisted = true;
  f.score = 0.2;
  f.liveness = false;
  f.inside = true;
  const GateDecision d = Decide(f, GatePolicy());
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.reasons, (Strings{"device_unknown", "exited", "certificate_missing",
                                "certificate_expired", "training_missing", "blacklisted",
                                "face_mismatch", "liveness_failed", "anti_passback"}));
  EXPECT_TRUE(d.warnings.empty());
}

TEST(GateDecisionTest, IdentityReasonsAreExclusiveAndSkipPersonChecks) {
  // Nobody identified: only per-event checks apply besides unknown_person.
  PassFacts f;
  f.device_enabled = false;
  f.identified = false;
  f.certificates = {true, true};
  f.training_ok = false;
  f.blacklisted = true;
  f.score = 0.0;
  f.liveness = false;
  f.inside = true;
  EXPECT_EQ(Decide(f, GatePolicy()).reasons,
            (Strings{"device_unknown", "unknown_person", "face_mismatch", "liveness_failed"}));

  // Not enrolled wins over exited (an enrolment that does not exist cannot have ended).
  PassFacts g = Good();
  g.enrolled = false;
  g.exited = true;
  g.blacklisted = true;
  EXPECT_EQ(Decide(g, GatePolicy()).reasons, (Strings{"not_enrolled", "blacklisted"}));
}

TEST(GateDecisionTest, FaceThresholdIsInclusiveAndMissingScoresAreNotChecked) {
  GatePolicy policy;
  policy.face_threshold = 0.8;
  PassFacts f = Good();
  f.score = 0.8;
  EXPECT_TRUE(Decide(f, policy).allow);
  f.score = 0.7999;
  EXPECT_EQ(Decide(f, policy).reasons, Strings{"face_mismatch"});
  f.score.reset();  // ID card: no face score
  f.liveness.reset();
  EXPECT_TRUE(Decide(f, policy).allow);
}

TEST(GateDecisionTest, AntiPassbackOnlyForEntering) {
  PassFacts f = Good();
  f.inside = true;
  f.entering = false;  // leaving while inside is the normal case
  EXPECT_TRUE(Decide(f, GatePolicy()).allow);
  f.inside = false;  // leaving while outside: a missed in, not a passback
  EXPECT_TRUE(Decide(f, GatePolicy()).allow);
}

TEST(GateDecisionTest, DuplicateAndStalePassesAreNotAntiPassback) {
  PassFacts f = Good();
  f.inside = true;
  f.duplicate = true;
  GateDecision d = Decide(f, GatePolicy());
  EXPECT_TRUE(d.allow);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_TRUE(d.warnings.empty());

  f.duplicate = false;
  f.stale = true;
  d = Decide(f, GatePolicy());
  EXPECT_TRUE(d.allow);
  EXPECT_TRUE(d.warnings.empty());

  // ... but a duplicate of a person who may not pass is still denied for that.
  f.stale = false;
  f.duplicate = true;
  f.blacklisted = true;
  EXPECT_EQ(Decide(f, GatePolicy()).reasons, Strings{"blacklisted"});
}

TEST(GateDecisionTest, WarnModeAllowsWithAWarningPerCheck) {
  for (std::string_view check : GatePolicy::ConfigurableChecks()) {
    PassFacts f = Good();
    Break(f, check);
    ASSERT_FALSE(Decide(f, GatePolicy()).allow) << check;
    const GateDecision d = Decide(f, PolicyWith(check, CheckMode::kWarn));
    EXPECT_TRUE(d.allow) << check;
    EXPECT_TRUE(d.reasons.empty()) << check;
    EXPECT_EQ(d.warnings, Strings{std::string(check)}) << check;
  }
}

TEST(GateDecisionTest, OffModeIgnoresTheCheck) {
  for (std::string_view check : GatePolicy::ConfigurableChecks()) {
    PassFacts f = Good();
    Break(f, check);
    const GateDecision d = Decide(f, PolicyWith(check, CheckMode::kOff));
    EXPECT_TRUE(d.allow) << check;
    EXPECT_TRUE(d.reasons.empty()) << check;
    EXPECT_TRUE(d.warnings.empty()) << check;
  }
}

TEST(GateDecisionTest, ModesApplyPerCheckOnly) {
  PassFacts f = Good();
  f.blacklisted = true;
  f.training_ok = false;
  GatePolicy policy;
  policy.modes["training_missing"] = CheckMode::kWarn;
  GateDecision d = Decide(f, policy);
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.reasons, Strings{"blacklisted"});
  EXPECT_EQ(d.warnings, Strings{"training_missing"});

  policy.modes["blacklisted"] = CheckMode::kOff;
  d = Decide(f, policy);
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.warnings, Strings{"training_missing"});
}

TEST(GateDecisionTest, IdentityChecksCannotBeConfiguredAway) {
  GatePolicy policy;
  for (std::string_view check :
       {reason::kUnknownPerson, reason::kNotEnrolled, reason::kExited, reason::kDeviceUnknown}) {
    policy.modes[std::string(check)] = CheckMode::kOff;  // not configurable: ignored
  }
  PassFacts f = Good();
  f.exited = true;
  f.device_enabled = false;
  EXPECT_EQ(Decide(f, policy).reasons, (Strings{"device_unknown", "exited"}));
  f = Good();
  f.enrolled = false;
  EXPECT_EQ(Decide(f, policy).reasons, Strings{"not_enrolled"});
  f = Good();
  f.identified = false;
  EXPECT_EQ(Decide(f, policy).reasons, Strings{"unknown_person"});
}

TEST(GateDecisionTest, ExceptionalPassesAreAllowedWithEveryFailingCheckAsWarning) {
  PassFacts f = Good();
  f.exceptional = true;
  f.device_enabled = false;
  f.exited = true;
  f.certificates = {true, true};
  f.training_ok = false;
  f.blacklisted = true;
  f.score = 0.2;
  f.liveness = false;
  f.inside = true;
  const GateDecision d = Decide(f, GatePolicy());
  EXPECT_TRUE(d.allow);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(d.warnings, (Strings{"device_unknown", "exited", "certificate_missing",
                                 "certificate_expired", "training_missing", "blacklisted",
                                 "face_mismatch", "liveness_failed", "anti_passback"}));

  PassFacts unknown;
  unknown.exceptional = true;
  const GateDecision u = Decide(unknown, GatePolicy());
  EXPECT_TRUE(u.allow);
  EXPECT_EQ(u.warnings, Strings{"unknown_person"});

  // A check that is off stays silent even for an exceptional pass.
  PassFacts g = Good();
  g.exceptional = true;
  g.blacklisted = true;
  const GateDecision off = Decide(g, PolicyWith(reason::kBlacklisted, CheckMode::kOff));
  EXPECT_TRUE(off.allow);
  EXPECT_TRUE(off.warnings.empty());
}

TEST(GateDecisionTest, MayPassIgnoresPerEventFacts) {
  PassFacts f = Good();
  f.score = 0.0;
  f.liveness = false;
  f.inside = true;
  EXPECT_TRUE(MayPass(f, GatePolicy()));
  f.blacklisted = true;
  EXPECT_FALSE(MayPass(f, GatePolicy()));
  EXPECT_TRUE(MayPass(f, PolicyWith(reason::kBlacklisted, CheckMode::kWarn)));
  PassFacts g = Good();
  g.exited = true;
  EXPECT_FALSE(MayPass(g, GatePolicy()));
}

TEST(GateDecisionTest, PassModes) {
  for (int mode = -1; mode <= 13; ++mode) {
    EXPECT_EQ(IsValidPassMode(mode), mode >= 1 && mode <= 11) << mode;
    EXPECT_EQ(IsExceptionalPassMode(mode), mode == 7 || mode == 8 || mode == 9) << mode;
  }
}

// ------------------------------------------------------------------------------------ requirements

constexpr std::int64_t kToday = 20'000;

CertificateFact Cert(std::string kind, std::string type, std::int64_t from, std::int64_t to,
                     bool revoked = false) {
  return CertificateFact{std::move(kind), std::move(type), from, to, revoked};
}

TEST(GateRequirementsTest, NoRequirementsNeverFail) {
  const RequirementCheck c = CheckRequirements({}, {}, kToday);
  EXPECT_FALSE(c.missing);
  EXPECT_FALSE(c.expired);
}

TEST(GateRequirementsTest, AnyOneCertificateOfAGroupSatisfiesIt) {
  const Requirements scaffolder = {{{"special_operation", "02"}, {"special_operation", "03"}}};
  for (const char* type : {"02", "03"}) {
    const RequirementCheck c = CheckRequirements(
        scaffolder, {Cert("special_operation", type, kToday - 10, kToday + 10)}, kToday);
    EXPECT_FALSE(c.missing) << type;
    EXPECT_FALSE(c.expired) << type;
  }
  // Another type, or the same type code of another kind, does not count.
  const RequirementCheck other =
      CheckRequirements(scaffolder,
                        {Cert("special_operation", "04", kToday - 10, kToday + 10),
                         Cert("post", "02", kToday - 10, kToday + 10)},
                        kToday);
  EXPECT_TRUE(other.missing);
  EXPECT_FALSE(other.expired);
  // One expired and one valid in the same group: satisfied.
  const RequirementCheck mixed =
      CheckRequirements(scaffolder,
                        {Cert("special_operation", "02", kToday - 800, kToday - 70),
                         Cert("special_operation", "03", kToday - 10, kToday + 10)},
                        kToday);
  EXPECT_FALSE(mixed.missing);
  EXPECT_FALSE(mixed.expired);
}

TEST(GateRequirementsTest, EveryGroupMustBeSatisfied) {
  const Requirements manager = {{{"registered", "constructor_1"}, {"registered", "constructor_2"}},
                                {{"safety_post", "B"}}};
  const auto constructor = Cert("registered", "constructor_2", kToday - 10, kToday + 10);
  const auto safety_b = Cert("safety_post", "B", kToday - 10, kToday + 10);
  RequirementCheck c = CheckRequirements(manager, {constructor, safety_b}, kToday);
  EXPECT_FALSE(c.missing);
  EXPECT_FALSE(c.expired);
  c = CheckRequirements(manager, {constructor}, kToday);
  EXPECT_TRUE(c.missing);
  EXPECT_FALSE(c.expired);
  c = CheckRequirements(manager, {safety_b}, kToday);
  EXPECT_TRUE(c.missing);
  // One group missing, the other expired: both reported.
  c = CheckRequirements(manager, {Cert("safety_post", "B", kToday - 800, kToday - 1)}, kToday);
  EXPECT_TRUE(c.missing);
  EXPECT_TRUE(c.expired);
}

TEST(GateRequirementsTest, ExpiredIsNotMissing) {
  const Requirements electrician = {{{"special_operation", "01"}}};
  const RequirementCheck c = CheckRequirements(
      electrician, {Cert("special_operation", "01", kToday - 800, kToday - 1)}, kToday);
  EXPECT_FALSE(c.missing);
  EXPECT_TRUE(c.expired);
}

TEST(GateRequirementsTest, ValidityBoundsAreInclusive) {
  const Requirements electrician = {{{"special_operation", "01"}}};
  for (const auto& cert : {Cert("special_operation", "01", kToday, kToday + 5),
                           Cert("special_operation", "01", kToday - 5, kToday),
                           Cert("special_operation", "01", kToday, kToday)}) {
    const RequirementCheck c = CheckRequirements(electrician, {cert}, kToday);
    EXPECT_FALSE(c.missing);
    EXPECT_FALSE(c.expired);
  }
}

TEST(GateRequirementsTest, RevokedAndNotYetValidCountAsExpired) {
  const Requirements electrician = {{{"special_operation", "01"}}};
  RequirementCheck c = CheckRequirements(
      electrician, {Cert("special_operation", "01", kToday - 5, kToday + 5, /*revoked=*/true)},
      kToday);
  EXPECT_FALSE(c.missing);
  EXPECT_TRUE(c.expired);
  c = CheckRequirements(electrician, {Cert("special_operation", "01", kToday + 1, kToday + 700)},
                        kToday);
  EXPECT_FALSE(c.missing);
  EXPECT_TRUE(c.expired);
  EXPECT_FALSE(Cert("special_operation", "01", kToday - 5, kToday + 5, true).ValidOn(kToday));
  EXPECT_TRUE(Cert("special_operation", "01", kToday - 5, kToday + 5).ValidOn(kToday));
}

// ------------------------------------------------------------------------------------ policy

TEST(GatePolicyTest, DefaultsDenyEverything) {
  const GatePolicy policy;
  for (std::string_view check : GatePolicy::ConfigurableChecks()) {
    EXPECT_EQ(policy.ModeOf(check), CheckMode::kDeny) << check;
  }
  const json j = policy.ToJson();
  EXPECT_EQ(j["face_threshold"], 0.5);
  EXPECT_EQ(j["duplicate_window_s"], 60);
  ASSERT_EQ(j["checks"].size(), 8u);
  for (const auto& [check, mode] : j["checks"].items())
    EXPECT_EQ(mode, "deny") << check;
}

TEST(GatePolicyTest, FromJsonReadsEveryField) {
  auto policy = GatePolicy::FromJson(json::parse(
      R"({"checks":{"blacklisted":"warn","face_mismatch":"off","anti_passback":"deny"},
          "face_threshold":0.75,"duplicate_window_s":120})"));
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  EXPECT_EQ(policy->ModeOf("blacklisted"), CheckMode::kWarn);
  EXPECT_EQ(policy->ModeOf("face_mismatch"), CheckMode::kOff);
  EXPECT_EQ(policy->ModeOf("anti_passback"), CheckMode::kDeny);
  EXPECT_EQ(policy->ModeOf("training_missing"), CheckMode::kDeny);
  EXPECT_DOUBLE_EQ(policy->face_threshold, 0.75);
  EXPECT_EQ(policy->duplicate_window_s, 120);

  auto empty = GatePolicy::FromJson(json::object());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->ToJson(), GatePolicy().ToJson());

  // Bounds are inclusive.
  auto edges = GatePolicy::FromJson(json::parse(R"({"face_threshold":0,"duplicate_window_s":0})"));
  ASSERT_TRUE(edges.ok());
  EXPECT_EQ(edges->duplicate_window_s, 0);
  edges = GatePolicy::FromJson(json::parse(R"({"face_threshold":1,"duplicate_window_s":3600})"));
  ASSERT_TRUE(edges.ok());
  EXPECT_EQ(edges->duplicate_window_s, 3600);
}

TEST(GatePolicyTest, FromJsonRejectsAnythingWrong) {
  struct Case {
    const char* body;
    const char* field;
  };
  const std::vector<Case> cases = {
      {R"({"checks":{"unknown_person":"off"}})", "checks.unknown_person"},  // not configurable
      {R"({"checks":{"exited":"warn"}})", "checks.exited"},
      {R"({"checks":{"device_unknown":"off"}})", "checks.device_unknown"},
      {R"({"checks":{"not_enrolled":"off"}})", "checks.not_enrolled"},
      {R"({"checks":{"no_such_check":"deny"}})", "checks.no_such_check"},
      {R"({"checks":{"blacklisted":"allow"}})", "checks.blacklisted"},
      {R"({"checks":{"blacklisted":"DENY"}})", "checks.blacklisted"},
      {R"({"checks":{"blacklisted":1}})", "checks.blacklisted"},
      {R"({"checks":{"blacklisted":null}})", "checks.blacklisted"},
      {R"({"checks":["blacklisted"]})", "checks"},
      {R"({"checks":"deny"})", "checks"},
      {R"({"face_threshold":-0.01})", "face_threshold"},
      {R"({"face_threshold":1.01})", "face_threshold"},
      {R"({"face_threshold":"0.5"})", "face_threshold"},
      {R"({"face_threshold":null})", "face_threshold"},
      {R"({"duplicate_window_s":-1})", "duplicate_window_s"},
      {R"({"duplicate_window_s":3601})", "duplicate_window_s"},
      {R"({"duplicate_window_s":1.5})", "duplicate_window_s"},
      {R"({"duplicate_window_s":"60"})", "duplicate_window_s"},
      {R"({"duplicate_window_s":18446744073709551615})", "duplicate_window_s"},
      {R"({"mode":"warn"})", "mode"},
  };
  for (const Case& c : cases) {
    auto policy = GatePolicy::FromJson(json::parse(c.body));
    ASSERT_FALSE(policy.ok()) << c.body;
    EXPECT_EQ(policy.status().kind(), StatusKind::kInvalid) << c.body;
    EXPECT_EQ(policy.status().field(), c.field) << c.body;
  }
  for (const char* body : {"[]", "null", "1", "\"deny\""}) {
    auto policy = GatePolicy::FromJson(json::parse(body));
    ASSERT_FALSE(policy.ok()) << body;
    EXPECT_EQ(policy.status().kind(), StatusKind::kInvalid) << body;
  }
}

TEST(GatePolicyTest, ToJsonRoundTrips) {
  GatePolicy policy;
  policy.modes["certificate_missing"] = CheckMode::kWarn;
  policy.modes["liveness_failed"] = CheckMode::kOff;
  policy.modes["anti_passback"] = CheckMode::kWarn;
  policy.face_threshold = 0.625;
  policy.duplicate_window_s = 5;
  const json first = policy.ToJson();
  auto back = GatePolicy::FromJson(first);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToJson(), first);
  for (std::string_view check : GatePolicy::ConfigurableChecks()) {
    EXPECT_EQ(back->ModeOf(check), policy.ModeOf(check)) << check;
  }
  EXPECT_DOUBLE_EQ(back->face_threshold, 0.625);
  EXPECT_EQ(back->duplicate_window_s, 5);
  // Through text as well (how it is stored in gate_policies).
  auto stored = GatePolicy::FromJson(json::parse(first.dump()));
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->ToJson(), first);
}

}  // namespace
}  // namespace zhizhi::gate

namespace zhizhi::gate {
namespace {

TEST(GateDecideTest, NobodyIsLockedIn) {
  // An exited, blacklisted person with a poor face score still gets out; the failures are
  // recorded as warnings.
  PassFacts f;
  f.identified = true;
  f.enrolled = true;
  f.exited = true;
  f.blacklisted = true;
  f.score = 0.1;
  f.entering = false;
  const GateDecision d = Decide(f, GatePolicy{});
  EXPECT_TRUE(d.allow);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(d.warnings, (std::vector<std::string>{"exited", "blacklisted", "face_mismatch"}));
  // The same person coming in is denied for all of it.
  f.entering = true;
  const GateDecision in = Decide(f, GatePolicy{});
  EXPECT_FALSE(in.allow);
  EXPECT_EQ(in.reasons, (std::vector<std::string>{"exited", "blacklisted", "face_mismatch"}));
}

}  // namespace
}  // namespace zhizhi::gate

namespace zhizhi::gate {
namespace {

TEST(GateDecisionTest, ADoorAVendorTerminalKeptShutIsADenyEvenOnTheWayOut) {
  GatePolicy policy;
  PassFacts f = Good();
  f.terminal_refused = true;
  GateDecision d = Decide(f, policy);
  EXPECT_FALSE(d.allow);
  EXPECT_EQ(d.reasons, std::vector<std::string>{"terminal_refused"});
  f.entering = false;  // a way out is otherwise recorded, not gated
  d = Decide(f, policy);
  EXPECT_FALSE(d.allow) << "nobody passed: the record follows the door";
  f.exceptional = true;
  EXPECT_FALSE(Decide(f, policy).allow);
  f = Good();
  f.entering = false;
  EXPECT_TRUE(Decide(f, policy).allow);
}

}  // namespace
}  // namespace zhizhi::gate
