#include "app/security_commands.h"

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "accounts/accounts.h"
#include "app/platform.h"
#include "app/retention.h"
#include "base/civil_time.h"
#include "base/field_reader.h"
#include "security/audit_log.h"
#include "security/key_rotation.h"

namespace zhizhi::app {

namespace {

struct UserFlags {
  std::string data;
  std::string name;
  std::string role;
  std::vector<std::string> projects;
  std::vector<std::string> areas;
  bool pii = false;
  std::string password_file;  // else read from stdin
};

// The password from a file (first line) or standard input, never from the command line (it
// would show in `ps` and shell history).
Result<std::string> ReadPassword(const std::string& file) {
  std::string line;
  if (!file.empty()) {
    std::ifstream in(file);
    if (!std::getline(in, line))
      return Status::InvalidArgument("password-file", "cannot read " + file);
  } else {
    if (::isatty(STDIN_FILENO)) std::fprintf(stderr, "password: ");
    if (!std::getline(std::cin, line))
      return Status::InvalidArgument("password", "no password on stdin");
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.pop_back();
  return line;
}

int UserAdd(const UserFlags& flags) {
  SetUpLogging("warn");
  auto password = ReadPassword(flags.password_file);
  if (!password.ok()) return Fail(password.status());
  nlohmann::json body = {
      {"name", flags.name}, {"password", *password}, {"role", flags.role}, {"pii", flags.pii}};
  if (!flags.projects.empty()) body["projects"] = flags.projects;
  if (!flags.areas.empty()) body["areas"] = flags.areas;
  JsonFieldReader in(body);
  auto draft = accounts::ParseUser(in);
  if (!draft.ok()) return Fail(draft.status());
  auto platform = Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto user = (*platform)->accounts().CreateUser(*draft, security::Actor::Command("user add"));
  if (!user.ok()) return Fail(user.status());
  std::printf("user %s created (id %lld, role %s)\n", flags.name.c_str(),
              static_cast<long long>((*user)["id"].get<std::int64_t>()), flags.role.c_str());
  return 0;
}

int UserSetDisabled(const UserFlags& flags, bool disabled) {
  SetUpLogging("warn");
  auto platform = Platform::Open(flags.data);
  if (!platform.ok()) return Fail(platform.status());
  auto& accounts = (*platform)->accounts();
  auto id = accounts.FindUserId(flags.name);
  if (!id.ok()) return Fail(id.status());
  if (!*id) return Fail(Status::NotFound("no user named " + flags.name));
  auto user = accounts.SetDisabled(
      **id, disabled, security::Actor::Command(disabled ? "user disable" : "user enable"));
  if (!user.ok()) return Fail(user.status());
  std::printf("user %s %s%s\n", flags.name.c_str(), disabled ? "disabled" : "enabled",
              disabled ? "; its sessions are revoked" : "");
  return 0;
}

struct KeysFlags {
  std::string data;
  std::string new_key_file;
};

int KeysRotate(const std::string& data, const std::string& new_key_file) {
  SetUpLogging("warn");
  auto platform = Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto report = security::RotateFieldKey(p.db(), p.mutable_cipher(), data, new_key_file,
                                         security::Actor::Command("keys rotate"));
  if (!report.ok()) return Fail(report.status());
  std::printf(
      "field key rotated: %lld sealed values re-sealed, %lld audit rows re-hashed\n"
      "new key: %s\n",
      static_cast<long long>(report->sealed_values), static_cast<long long>(report->audit_rows),
      report->new_key_path.c_str());
  if (!report->old_key_path.empty()) {
    std::printf("old key kept at %s for backups taken before now; delete it when they expire\n",
                report->old_key_path.c_str());
  } else {
    std::printf("set ZHIZHI_FIELD_KEY to the content of %s before the next start\n",
                report->new_key_path.c_str());
  }
  return 0;
}

int AuditVerify(const std::string& data) {
  SetUpLogging("warn");
  auto platform = Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto v = p.db().Read([&](store::Connection& conn) { return p.audit().Verify(conn); });
  if (!v.ok()) return Fail(v.status());
  // The run is a security event of its own, appended after the head it verified (so that head,
  // written down elsewhere, still pins the chain).
  Status recorded = p.audit().Record(p.db(), security::Actor::Command("audit verify"),
                                     {"audit.verify",
                                      "",
                                      {},
                                      {{"rows", v->rows},
                                       {"head_seq", v->head_seq},
                                       {"head_hash", v->head_hash},
                                       {"intact", v->problems.empty()},
                                       {"problems", v->problems.size()}}});
  if (!recorded.ok()) return Fail(recorded);
  if (v->problems.empty()) {
    std::printf("audit chain intact: %lld rows, head seq %lld hash %s\n",
                static_cast<long long>(v->rows), static_cast<long long>(v->head_seq),
                v->head_hash.c_str());
    return 0;
  }
  for (const auto& problem : v->problems) {
    std::printf("TAMPERED row %lld: %s\n", static_cast<long long>(problem.seq),
                problem.what.c_str());
  }
  std::printf("audit chain broken: %zu problem(s) in %lld rows\n", v->problems.size(),
              static_cast<long long>(v->rows));
  return 2;
}

struct RetentionFlags {
  std::string data;
  int gate_events_days = 730;
};

int RetentionRun(const std::string& data, int gate_events_days) {
  SetUpLogging("warn");
  auto platform = Platform::Open(data);
  if (!platform.ok()) return Fail(platform.status());
  auto& p = **platform;
  auto report = RunRetention(p.db(), p.audit(), security::Actor::Command("retention run"),
                             {{"gate_events", gate_events_days}}, NowUnixMs());
  if (!report.ok()) return Fail(report.status());
  for (const auto& [rule, rows] : report->deleted) {
    std::printf("%s: %lld rows deleted\n", rule.c_str(), static_cast<long long>(rows));
  }
  return 0;
}

}  // namespace

Command AddUserCommand(CLI::App& app) {
  auto flags = std::make_shared<UserFlags>();
  auto* user_cmd = app.add_subcommand("user", "manage users (stop the server first)");
  user_cmd->require_subcommand(1);
  auto* user_add = user_cmd->add_subcommand("add",
                                            "create a user; the password is read from "
                                            "stdin or --password-file");
  user_add->add_option("--data", flags->data, "data directory")->required();
  user_add->add_option("name", flags->name, "login name")->required();
  user_add
      ->add_option("--role", flags->role,
                   "district_admin, site_manager, police, inspector, lottery_operator, notary")
      ->required();
  user_add->add_option("--project", flags->projects, "a project of a site manager (repeatable)");
  user_add->add_option("--area", flags->areas,
                       "a grid or community a grid worker serves (repeatable)");
  user_add->add_flag("--pii", flags->pii, "may see full ID numbers");
  user_add->add_option("--password-file", flags->password_file, "first line is the password");
  auto* user_disable = user_cmd->add_subcommand("disable", "disable a user and end its sessions");
  user_disable->add_option("--data", flags->data, "data directory")->required();
  user_disable->add_option("name", flags->name, "login name")->required();
  auto* user_enable = user_cmd->add_subcommand("enable", "enable a disabled user");
  user_enable->add_option("--data", flags->data, "data directory")->required();
  user_enable->add_option("name", flags->name, "login name")->required();
  return {user_cmd, [flags, user_add, user_disable] {
            if (*user_add) return UserAdd(*flags);
            if (*user_disable) return UserSetDisabled(*flags, true);
            return UserSetDisabled(*flags, false);
          }};
}

Command AddKeysCommand(CLI::App& app) {
  auto flags = std::make_shared<KeysFlags>();
  auto* keys_cmd = app.add_subcommand("keys", "the field key");
  keys_cmd->require_subcommand(1);
  auto* keys_rotate = keys_cmd->add_subcommand(
      "rotate", "new field key: every sealed value and the audit chain re-done in one transaction");
  keys_rotate->add_option("--data", flags->data, "data directory")->required();
  keys_rotate->add_option("--new-key-file", flags->new_key_file,
                          "where to write the new key when ZHIZHI_FIELD_KEY holds the key");
  return {keys_cmd, [flags] { return KeysRotate(flags->data, flags->new_key_file); }};
}

Command AddAuditCommand(CLI::App& app) {
  auto data = std::make_shared<std::string>();
  auto* audit_cmd = app.add_subcommand("audit", "the audit trail");
  audit_cmd->require_subcommand(1);
  auto* audit_verify = audit_cmd->add_subcommand(
      "verify", "walk the hash chain; exit 2 and name the rows when it was tampered with");
  audit_verify->add_option("--data", *data, "data directory")->required();
  return {audit_cmd, [data] { return AuditVerify(*data); }};
}

Command AddRetentionCommand(CLI::App& app) {
  auto flags = std::make_shared<RetentionFlags>();
  auto* retention_cmd = app.add_subcommand("retention", "data retention");
  retention_cmd->require_subcommand(1);
  auto* retention_run = retention_cmd->add_subcommand("run", "delete what is past its rule now");
  retention_run->add_option("--data", flags->data, "data directory")->required();
  retention_run
      ->add_option("--gate-events-days", flags->gate_events_days, "keep gate events this many days")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  return {retention_cmd, [flags] { return RetentionRun(flags->data, flags->gate_events_days); }};
}

}  // namespace zhizhi::app
