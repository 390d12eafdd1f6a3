#include "security/audit_log.h"

#include <algorithm>
#include <set>

#include "base/civil_time.h"

namespace zhizhi::security {

namespace {

using nlohmann::json;

constexpr size_t kMaxProblems = 100;

struct Row {
  std::int64_t seq = 0;
  std::int64_t at = 0;
  std::string actor;
  std::string role;
  std::optional<std::int64_t> user_id;
  std::optional<std::int64_t> token_id;
  std::optional<std::string> ip;
  std::optional<std::string> request_id;
  std::string action;
  std::optional<std::string> target;
  std::string persons;  // JSON array text, as stored
  std::string detail;   // JSON object text, as stored
};

void PutInt(std::string& out, std::int64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}
void PutText(std::string& out, std::string_view text) {
  out.push_back('s');
  PutInt(out, static_cast<std::int64_t>(text.size()));
  out.append(text);
}
void PutOptText(std::string& out, const std::optional<std::string>& text) {
  if (!text) {
    out.push_back('n');
    return;
  }
  PutText(out, *text);
}
void PutOptInt(std::string& out, const std::optional<std::int64_t>& v) {
  if (!v) {
    out.push_back('n');
    return;
  }
  out.push_back('i');
  PutInt(out, *v);
}

// Every field in a fixed order, each with a type tag and a length: no two rows encode alike.
std::string Canonical(std::string_view previous_hash, const Row& r) {
  std::string out = "zhizhi-audit-v1";
  PutText(out, previous_hash);
  PutInt(out, r.seq);
  PutInt(out, r.at);
  PutText(out, r.actor);
  PutText(out, r.role);
  PutOptInt(out, r.user_id);
  PutOptInt(out, r.token_id);
  PutOptText(out, r.ip);
  PutOptText(out, r.request_id);
  PutText(out, r.action);
  PutOptText(out, r.target);
  PutText(out, r.persons);
  PutText(out, r.detail);
  return out;
}

constexpr const char* kRowColumns =
    "seq, at, actor, role, user_id, token_id, ip, request_id, action, target, persons, detail, "
    "hash";

Row ReadRow(const store::Statement& s) {
  Row r;
  r.seq = s.Int(0);
  r.at = s.Int(1);
  r.actor = s.Text(2);
  r.role = s.Text(3);
  r.user_id = s.OptInt(4);
  r.token_id = s.OptInt(5);
  r.ip = s.OptText(6);
  r.request_id = s.OptText(7);
  r.action = s.Text(8);
  r.target = s.OptText(9);
  r.persons = s.Text(10);
  r.detail = s.Text(11);
  return r;
}

std::optional<std::string> NonEmpty(const std::string& s) {
  return s.empty() ? std::nullopt : std::optional(s);
}
std::optional<std::int64_t> NonZero(std::int64_t v) {
  return v == 0 ? std::nullopt : std::optional(v);
}

json RowJson(const Row& r) {
  auto opt = [](const auto& v) { return v ? json(*v) : json(); };
  return {{"seq", r.seq},
          {"at", FormatRfc3339(r.at)},
          {"actor", r.actor},
          {"role", r.role},
          {"user_id", opt(r.user_id)},
          {"ip", opt(r.ip)},
          {"request_id", opt(r.request_id)},
          {"action", r.action},
          {"target", opt(r.target)},
          {"persons", json::parse(r.persons, nullptr, false)},
          {"detail", json::parse(r.detail, nullptr, false)}};
}

}  // namespace

Actor Actor::Of(const Principal& principal, std::string_view remote, std::string_view request_id) {
  Actor actor;
  actor.name = principal.name;
  actor.role = principal.role;
  actor.user_id = principal.user_id;
  actor.token_id = principal.token_id;
  // "1.2.3.4:5678" or "::1:5678": the address is everything before the last colon.
  const size_t colon = remote.rfind(':');
  actor.ip = std::string(colon == std::string_view::npos ? remote : remote.substr(0, colon));
  if (actor.ip == "-") actor.ip.clear();
  actor.request_id = std::string(request_id);
  return actor;
}

Actor Actor::Command(std::string name) {
  Actor actor;
  actor.name = std::move(name);
  actor.role = "command_line";
  return actor;
}

Status AuditLog::Append(store::Connection& conn, const Actor& actor,
                        const AuditRecord& record) const {
  std::string previous;
  std::int64_t seq = 1;
  {
    auto last = conn.Prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
    if (last.Step()) {
      seq = last.Int(0) + 1;
      previous = last.Blob(1);
    } else if (!last.status().ok()) {
      return last.status();
    }
  }
  std::set<std::int64_t> persons(record.persons.begin(), record.persons.end());
  Row row;
  row.seq = seq;
  row.at = NowUnixMs();
  row.actor = actor.name.empty() ? "-" : actor.name;
  row.role = actor.role.empty() ? "-" : actor.role;
  row.user_id = NonZero(actor.user_id);
  row.token_id = NonZero(actor.token_id);
  row.ip = NonEmpty(actor.ip);
  row.request_id = NonEmpty(actor.request_id);
  row.action = record.action;
  row.target = NonEmpty(record.target);
  row.persons = json(std::vector<std::int64_t>(persons.begin(), persons.end())).dump();
  row.detail = record.detail.is_object() ? record.detail.dump() : json::object().dump();
  const std::string hash = cipher_->ChainHash(Canonical(previous, row));
  ZZ_RETURN_IF_ERROR(
      conn.Prepare("INSERT INTO audit_log(seq, at, actor, role, user_id, token_id, ip, "
                   "request_id, action, target, persons, detail, hash) "
                   "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)")
          .Bind(1, row.seq)
          .Bind(2, row.at)
          .Bind(3, row.actor)
          .Bind(4, row.role)
          .Bind(5, row.user_id)
          .Bind(6, row.token_id)
          .Bind(7, row.ip)
          .Bind(8, row.request_id)
          .Bind(9, row.action)
          .Bind(10, row.target)
          .Bind(11, row.persons)
          .Bind(12, row.detail)
          .BindBlob(13, hash)
          .Run());
  for (std::int64_t person : persons) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO audit_subjects(person_id, seq) VALUES (?,?)")
                           .Bind(1, person)
                           .Bind(2, seq)
                           .Run());
  }
  return Status::Ok();
}

Status AuditLog::Record(store::Database& db, const Actor& actor, const AuditRecord& record) const {
  return db.Write([&](store::Connection& conn) { return Append(conn, actor, record); });
}

Result<AuditLog::Verification> AuditLog::Verify(store::Connection& conn) const {
  Verification v;
  auto problem = [&](std::int64_t seq, std::string what) {
    if (v.problems.size() < kMaxProblems) v.problems.push_back({seq, std::move(what)});
  };
  static const std::string sql =
      std::string("SELECT ") + kRowColumns + " FROM audit_log ORDER BY seq";
  auto s = conn.Prepare(sql);
  std::string previous;  // the stored hash of the previous row
  std::int64_t expected_seq = 1;
  std::int64_t subjects = 0;
  while (s.Step()) {
    const Row row = ReadRow(s);
    const std::string stored = s.Blob(12);
    ++v.rows;
    if (row.seq > expected_seq) {
      const std::string gap =
          row.seq - 1 == expected_seq
              ? "row " + std::to_string(expected_seq) + " is"
              : "rows " + std::to_string(expected_seq) + "–" + std::to_string(row.seq - 1) + " are";
      problem(row.seq, gap + " missing before row " + std::to_string(row.seq));
    }
    if (cipher_->ChainHash(Canonical(previous, row)) != stored) {
      problem(row.seq, "row " + std::to_string(row.seq) +
                           " does not match its hash: it was changed, or a row before it was "
                           "removed or inserted");
    }
    // Every person of the row is in the index.
    const json persons = json::parse(row.persons, nullptr, false);
    if (!persons.is_array()) {
      problem(row.seq, "row " + std::to_string(row.seq) + " has a malformed persons list");
    } else {
      for (const json& p : persons) {
        if (!p.is_number_integer()) continue;
        ++subjects;
        auto found = conn.Prepare("SELECT 1 FROM audit_subjects WHERE person_id = ? AND seq = ?");
        found.Bind(1, p.get<std::int64_t>()).Bind(2, row.seq);
        if (!found.Step()) {
          problem(row.seq, "row " + std::to_string(row.seq) + ": person " +
                               std::to_string(p.get<std::int64_t>()) +
                               " is missing from the audit_subjects index");
        }
      }
    }
    previous = stored;
    v.head_seq = row.seq;
    expected_seq = row.seq + 1;
  }
  ZZ_RETURN_IF_ERROR(s.status());
  v.head_hash = ToHex(previous);
  ZZ_ASSIGN_OR_RETURN(std::int64_t indexed,
                      store::QueryInt(conn, "SELECT COUNT(*) FROM audit_subjects"));
  if (indexed != subjects) {
    problem(0, "audit_subjects holds " + std::to_string(indexed) + " entries, the rows name " +
                   std::to_string(subjects));
  }
  return v;
}

Result<json> AuditLog::Query(store::Connection& conn, std::optional<std::int64_t> person_id,
                             std::int64_t from_ms, std::int64_t to_ms, const store::Page& page,
                             bool security_only) const {
  // ?6: only the security events (their actions' prefixes).
  static const std::string kind =
      " AND (?6 = 0 OR action LIKE 'session.%' OR action LIKE 'password.%' OR action LIKE 'user.%' "
      "OR action LIKE 'access.%' "
      "OR action LIKE 'key.%' OR action LIKE 'audit.%')";
  static const std::string by_person =
      std::string("SELECT ") + kRowColumns +
      " FROM audit_log WHERE seq IN (SELECT seq FROM audit_subjects WHERE person_id = ?1 AND "
      "seq > ?2) AND at >= ?3 AND at < ?4" +
      kind + " ORDER BY seq LIMIT ?5";
  static const std::string all = std::string("SELECT ") + kRowColumns +
                                 " FROM audit_log WHERE seq > ?2 AND at >= ?3 AND at < ?4" + kind +
                                 " ORDER BY seq LIMIT ?5";  // ?1 unused: same bindings
  auto s = conn.Prepare(person_id ? by_person : all);
  s.Bind(1, person_id).Bind(2, page.after_id).Bind(3, from_ms).Bind(4, to_ms).Bind(5, page.limit);
  s.Bind(6, security_only ? 1 : 0);
  json items = json::array();
  std::int64_t last = 0;
  while (s.Step()) {
    const Row row = ReadRow(s);
    last = row.seq;
    items.push_back(RowJson(row));
  }
  ZZ_RETURN_IF_ERROR(s.status());
  json out = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (out["items"].size() == static_cast<size_t>(page.limit) && last > 0) {
    out["next_cursor"] = page.NextCursor(std::to_string(last));
  }
  return out;
}

Status AuditLog::Rehash(store::Connection& conn, const FieldCipher& next) const {
  ZZ_ASSIGN_OR_RETURN(Verification v, Verify(conn));
  if (!v.problems.empty()) {
    return Status::Rule("audit_chain_broken", "",
                        "the audit chain does not verify (" + v.problems.front().what +
                            "); run `zhizhi audit verify` before rotating the key");
  }
  static const std::string sql =
      std::string("SELECT ") + kRowColumns + " FROM audit_log ORDER BY seq";
  std::vector<std::pair<std::int64_t, std::string>> hashes;
  {
    auto s = conn.Prepare(sql);
    std::string previous;
    while (s.Step()) {
      std::string hash = next.ChainHash(Canonical(previous, ReadRow(s)));
      hashes.emplace_back(s.Int(0), hash);
      previous = std::move(hash);
    }
    ZZ_RETURN_IF_ERROR(s.status());
  }
  for (const auto& [seq, hash] : hashes) {
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE audit_log SET hash = ? WHERE seq = ?")
                           .BindBlob(1, hash)
                           .Bind(2, seq)
                           .Run());
  }
  return Status::Ok();
}

}  // namespace zhizhi::security
