#include "store/migrations.h"

#include <string>

#include <spdlog/spdlog.h>

namespace zhizhi::store {

namespace {

// Times are unix milliseconds (INTEGER); calendar dates are 'YYYY-MM-DD' text, which sorts.
constexpr const char* kRegistrySchema = R"sql(
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL,
  role         TEXT NOT NULL,
  pii          INTEGER NOT NULL DEFAULT 0,
  token_hash   BLOB NOT NULL UNIQUE,       -- BLAKE2b of the token; the token itself is never stored
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  revoked_at   INTEGER
);

CREATE TABLE corps (
  uscc         TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  legal_person TEXT,
  address      TEXT,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE projects (
  code         TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  region_code  TEXT NOT NULL,
  address      TEXT,
  lat          REAL,
  lng          REAL,
  permit_no    TEXT,
  status       TEXT NOT NULL CHECK (status IN ('planned','active','suspended','completed')),
  start_date   TEXT,
  end_date     TEXT,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE project_corps (
  project_code TEXT NOT NULL REFERENCES projects(code),
  uscc         TEXT NOT NULL REFERENCES corps(uscc),
  corp_type    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (project_code, uscc)
) WITHOUT ROWID;

CREATE TABLE persons (
  id           INTEGER PRIMARY KEY,
  id_type      TEXT NOT NULL,
  id_hash      BLOB NOT NULL UNIQUE,        -- keyed BLAKE2b of (id_type, id_number): lookups
  id_cipher    BLOB NOT NULL,               -- secretbox(id_number): the only copy of the number
  id_masked    TEXT NOT NULL,
  name         TEXT NOT NULL,
  sex          TEXT CHECK (sex IN ('M','F')),
  birth_date   TEXT,
  nation       TEXT,
  phone        TEXT,
  id_address   TEXT,
  created_at   INTEGER NOT NULL
);

CREATE TABLE teams (
  id               INTEGER PRIMARY KEY,
  project_code     TEXT NOT NULL REFERENCES projects(code),
  name             TEXT NOT NULL,
  uscc             TEXT NOT NULL REFERENCES corps(uscc),
  leader_person_id INTEGER REFERENCES persons(id),
  created_at       INTEGER NOT NULL,
  UNIQUE (project_code, name)
);

CREATE TABLE certificates (
  id            INTEGER PRIMARY KEY,
  person_id     INTEGER NOT NULL REFERENCES persons(id),
  kind          TEXT NOT NULL,
  type_code     TEXT NOT NULL,
  number        TEXT NOT NULL,
  issuer        TEXT,
  valid_from    TEXT NOT NULL,
  valid_to      TEXT NOT NULL,
  revoked_at    INTEGER,
  revoke_reason TEXT,
  created_at    INTEGER NOT NULL,
  UNIQUE (kind, type_code, number)
);
CREATE INDEX certificates_by_person ON certificates(person_id);

CREATE TABLE enrolments (
  id           INTEGER PRIMARY KEY,
  project_code TEXT NOT NULL REFERENCES projects(code),
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  team_id      INTEGER REFERENCES teams(id),
  uscc         TEXT NOT NULL REFERENCES corps(uscc),
  work_role    TEXT NOT NULL CHECK (work_role IN ('10','20')),
  work_type    TEXT NOT NULL,
  post         TEXT,
  entry_date   TEXT NOT NULL,
  exit_date    TEXT,
  dorm_address TEXT,
  created_at   INTEGER NOT NULL,
  exited_at    INTEGER
);
-- At most one open enrolment of a person on a project.
CREATE UNIQUE INDEX enrolments_open ON enrolments(project_code, person_id) WHERE exit_date IS NULL;
CREATE INDEX enrolments_by_person ON enrolments(person_id);
)sql";

// Smart gate: devices, the event log (the system of record of every pass), on-site state, the
// roster change log terminals pull, blacklist and per-project gate policy.
constexpr const char* kGateSchema = R"sql(
ALTER TABLE api_tokens ADD COLUMN device_id INTEGER;
ALTER TABLE enrolments ADD COLUMN card_no TEXT;
ALTER TABLE enrolments ADD COLUMN exit_reason TEXT;

CREATE TABLE devices (
  id              INTEGER PRIMARY KEY,
  project_code    TEXT NOT NULL REFERENCES projects(code),
  serial          TEXT NOT NULL UNIQUE,
  direction       TEXT NOT NULL CHECK (direction IN ('in','out','both')),
  zone            TEXT,
  created_at      INTEGER NOT NULL,
  disabled_at     INTEGER,
  last_seen_at    INTEGER,
  clock_offset_ms INTEGER,
  firmware        TEXT,
  person_count    INTEGER,
  face_count      INTEGER
);

CREATE TABLE gate_events (
  seq             INTEGER PRIMARY KEY,
  device_id       INTEGER REFERENCES devices(id),   -- NULL for automatic clock-outs
  event_id        TEXT NOT NULL,
  project_code    TEXT NOT NULL,
  time_ms         INTEGER NOT NULL,                 -- the instant of the pass
  utc_offset      INTEGER NOT NULL,                 -- minutes, as the device wrote the time
  local_date      TEXT NOT NULL,                    -- China Standard Time date, for attendance
  received_at     INTEGER NOT NULL,
  person_id       INTEGER,
  identified_by   TEXT NOT NULL,                    -- terminal, id_card, face, auto
  score           REAL,
  direction       TEXT NOT NULL CHECK (direction IN ('in','out')),
  pass_mode       INTEGER,
  decision        TEXT NOT NULL CHECK (decision IN ('allow','deny')),
  reasons         TEXT NOT NULL,                    -- JSON array: deny reasons
  warnings        TEXT NOT NULL,                    -- JSON array: checks that only warned
  operator        TEXT,
  operator_reason TEXT,
  flags           INTEGER NOT NULL DEFAULT 0,       -- 1 duplicate, 2 exceptional mode, 4 auto clock-out, 8 replayed late
  UNIQUE (device_id, event_id)
);
CREATE INDEX gate_events_by_person ON gate_events(person_id, time_ms);
CREATE INDEX gate_events_by_project_day ON gate_events(project_code, local_date, person_id);

CREATE TABLE onsite (
  project_code     TEXT NOT NULL,
  person_id        INTEGER NOT NULL,
  inside           INTEGER NOT NULL,
  since_ms         INTEGER NOT NULL,
  last_device_id   INTEGER,
  last_seq         INTEGER,
  auto_clocked_out INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (project_code, person_id)
) WITHOUT ROWID;

CREATE TABLE roster_changes (
  version      INTEGER PRIMARY KEY,
  project_code TEXT NOT NULL,
  person_id    INTEGER NOT NULL,
  allowed      INTEGER NOT NULL,
  reason       TEXT,
  created_at   INTEGER NOT NULL
);
CREATE INDEX roster_changes_by_project ON roster_changes(project_code, version);

CREATE TABLE blacklist (
  person_id  INTEGER PRIMARY KEY REFERENCES persons(id),
  reason     TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT
);

CREATE TABLE gate_policies (
  project_code TEXT PRIMARY KEY REFERENCES projects(code),
  policy       TEXT NOT NULL,                       -- JSON, see gate/gate_policy.h
  updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Alerts: one table for every detector, with a life cycle and a history; leave and post-conflict
// exemptions are the data the detectors take into account.
constexpr const char* kAlertsSchema = R"sql(
CREATE TABLE alerts (
  id              INTEGER PRIMARY KEY,
  type            TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('red','orange','yellow','blue')),
  alert_key       TEXT NOT NULL,          -- the condition: one active alert per key
  subject_kind    TEXT NOT NULL CHECK (subject_kind IN ('person','project','device')),
  subject_id      TEXT NOT NULL,
  project_code    TEXT,
  person_id       INTEGER,
  device_id       INTEGER,
  message         TEXT NOT NULL,
  evidence        TEXT NOT NULL,          -- JSON array of links to the rows that prove it
  detail          TEXT NOT NULL,          -- JSON object of the measured facts
  status          TEXT NOT NULL CHECK (status IN ('open','acknowledged','resolved')),
  first_seen      INTEGER NOT NULL,
  last_seen       INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  resolved_at     INTEGER,
  resolved_by     TEXT,
  resolution      TEXT CHECK (resolution IN ('manual','auto')),
  note            TEXT
);
CREATE UNIQUE INDEX alerts_active_key ON alerts(alert_key) WHERE status != 'resolved';
CREATE INDEX alerts_active_person ON alerts(person_id, type) WHERE status != 'resolved';
CREATE INDEX alerts_active_project ON alerts(project_code, type) WHERE status != 'resolved';
CREATE INDEX alerts_by_project ON alerts(project_code, id);
CREATE INDEX alerts_by_person ON alerts(person_id, id);

CREATE TABLE alert_history (
  id        INTEGER PRIMARY KEY,
  alert_id  INTEGER NOT NULL REFERENCES alerts(id),
  at        INTEGER NOT NULL,
  action    TEXT NOT NULL,                -- opened, changed, acknowledged, resolved
  actor     TEXT NOT NULL,                -- a user/token name, or "system"
  note      TEXT
);
CREATE INDEX alert_history_by_alert ON alert_history(alert_id, id);

CREATE TABLE leaves (
  id           INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  project_code TEXT REFERENCES projects(code),  -- NULL: every project of the person
  from_date    TEXT NOT NULL,
  to_date      TEXT NOT NULL,
  reason       TEXT,
  approved_by  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  CHECK (from_date <= to_date)
);
CREATE INDEX leaves_by_person ON leaves(person_id, from_date);

CREATE TABLE post_exemptions (
  id           INTEGER PRIMARY KEY,
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  project_code TEXT NOT NULL REFERENCES projects(code),
  reason       TEXT NOT NULL,             -- a code of the rulebook's post_conflict.exemption_reasons
  note         TEXT,
  approved_by  TEXT NOT NULL,
  valid_to     TEXT,                      -- NULL: until revoked
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER
);
CREATE INDEX post_exemptions_by_person ON post_exemptions(person_id);
)sql";

// Faces: one row per face template (an ID-card chip photo or a live capture) with its embedding
// sealed like ID numbers; the photo itself only with `serve --keep-face-photos`. Gate events of
// face_image passes keep the recognition verdict (liveness, top candidates, quality).
constexpr const char* kFaceSchema = R"sql(
CREATE TABLE faces (
  id              INTEGER PRIMARY KEY,
  person_id       INTEGER NOT NULL REFERENCES persons(id),
  source          TEXT NOT NULL CHECK (source IN ('id_card','live')),
  status          TEXT NOT NULL CHECK (status IN ('active','duplicate','superseded','removed')),
  model           TEXT NOT NULL,                    -- embedding model (fr_feature:<hash>)
  embedding       BLOB NOT NULL,                    -- secretbox(512 × float32, little-endian)
  quality         TEXT NOT NULL,                    -- JSON, face/quality.h
  liveness        REAL,
  id_score        REAL,                             -- live: cosine against the ID-card photo
  duplicate_of    INTEGER REFERENCES persons(id),   -- the other person with the same face
  duplicate_score REAL,
  photo           BLOB,                             -- secretbox(JPEG), only when configured
  created_at      INTEGER NOT NULL,
  created_by      TEXT,
  changed_at      INTEGER
);
CREATE INDEX faces_by_person ON faces(person_id);

ALTER TABLE gate_events ADD COLUMN face TEXT;        -- JSON verdict of a face_image pass
)sql";

// Command screen (issue 6): passes of a day by decision, hour and person straight from one
// covering index — hourly charts, daily head-counts, today's attendance (gate/gate_stats.h).
constexpr const char* kScreenSchema = R"sql(
CREATE INDEX gate_events_by_day ON gate_events(local_date, decision, person_id, time_ms, flags);
-- Certificates near or past their end, for the district overview.
CREATE INDEX certificates_by_valid_to ON certificates(valid_to);
)sql";

// Security: users and their project assignments, sessions as api_tokens of a user, the
// hash-chained audit trail, the field-key check, and who registered a person.
constexpr const char* kSecuritySchema = R"sql(
CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,                -- crypto_pwhash_str: Argon2id with salt and cost
  role          TEXT NOT NULL CHECK (role IN ('district_admin','site_manager','police','inspector')),
  pii           INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  created_by    TEXT,
  disabled_at   INTEGER,
  password_changed_at INTEGER NOT NULL
);

CREATE TABLE user_projects (
  user_id      INTEGER NOT NULL REFERENCES users(id),
  project_code TEXT NOT NULL REFERENCES projects(code),
  PRIMARY KEY (user_id, project_code)
) WITHOUT ROWID;

-- A session is a token of a user; its role and pii come from the user row at every check.
ALTER TABLE api_tokens ADD COLUMN user_id INTEGER REFERENCES users(id);
CREATE INDEX api_tokens_by_user ON api_tokens(user_id) WHERE user_id IS NOT NULL;

-- Who registered a person: a site manager sees the persons they registered before enrolling them.
ALTER TABLE persons ADD COLUMN registered_by INTEGER;

-- Append-only: each row's hash is a keyed BLAKE2b over the previous row's hash and this row.
CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,                -- unix ms
  actor      TEXT NOT NULL,                   -- user or token name
  role       TEXT NOT NULL,
  user_id    INTEGER,
  token_id   INTEGER,
  ip         TEXT,
  request_id TEXT,
  action     TEXT NOT NULL,                   -- person.read, person.create, session.create, ...
  target     TEXT,                            -- person:12, project:P1, user:3, ...
  persons    TEXT NOT NULL,                   -- JSON array of the person ids concerned
  detail     TEXT NOT NULL,                   -- JSON object
  hash       BLOB NOT NULL
);
CREATE INDEX audit_log_by_time ON audit_log(at);
-- Index of audit_log.persons for GET /api/v1/audit?person_id= (checked by audit verify).
CREATE TABLE audit_subjects (
  person_id INTEGER NOT NULL,
  seq       INTEGER NOT NULL,
  PRIMARY KEY (person_id, seq)
) WITHOUT ROWID;
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE OF
  seq, at, actor, role, user_id, token_id, ip, request_id, action, target, persons, detail
  ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_subjects_append_only BEFORE DELETE ON audit_subjects
  BEGIN SELECT RAISE(ABORT, 'audit_subjects is append-only'); END;

-- Facts about the data directory: key_check (a keyed hash proving which field key sealed it).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// Residence registration (流动人口居住登记): the registrations the platform drafts and submits for
// workers, their change and deregistration records with a history, and the sync outbox the
// police adapter sends from (one row per submission, written in the same transaction as the
// state change). Enrolments learn the date their dormitory address applies from (moves).
constexpr const char* kResidenceSchema = R"sql(
ALTER TABLE enrolments ADD COLUMN dorm_since TEXT;

CREATE TABLE residence_registrations (
  id                INTEGER PRIMARY KEY,
  kind              TEXT NOT NULL CHECK (kind IN ('registration','change','deregistration')),
  registration_id   INTEGER REFERENCES residence_registrations(id),  -- what a change or deregistration amends
  person_id         INTEGER NOT NULL REFERENCES persons(id),
  enrolment_id      INTEGER NOT NULL REFERENCES enrolments(id),
  project_code      TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN
                      ('draft','submitted','accepted','rejected','deregistered','cancelled')),
  residence_address TEXT,
  event_date        TEXT,               -- arrival (registration), move (change), leaving (deregistration)
  due_date          TEXT,
  application       TEXT NOT NULL,      -- JSON: the fields of the application, never the ID number
  missing           TEXT NOT NULL,      -- JSON array: what the application still lacks
  submissions       INTEGER NOT NULL DEFAULT 0,
  receipt_no        TEXT,
  reject_reason     TEXT,
  submitted_at      INTEGER,
  answered_at       INTEGER,
  closed_at         INTEGER,            -- deregistered or cancelled
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);
-- One live registration per person (looked up on every gate pass); changes and deregistrations
-- hang off it.
CREATE UNIQUE INDEX residence_live ON residence_registrations(person_id)
  WHERE kind = 'registration' AND status IN ('draft','submitted','accepted','rejected');
CREATE INDEX residence_by_person ON residence_registrations(person_id, id);
CREATE INDEX residence_by_project ON residence_registrations(project_code, id);
CREATE INDEX residence_by_registration ON residence_registrations(registration_id)
  WHERE registration_id IS NOT NULL;

CREATE TABLE residence_history (
  id              INTEGER PRIMARY KEY,
  registration_id INTEGER NOT NULL REFERENCES residence_registrations(id),
  at              INTEGER NOT NULL,
  action          TEXT NOT NULL,        -- drafted, updated, submitted, accepted, rejected, ...
  actor           TEXT NOT NULL,        -- a user/token name, "system" or the upstream target
  note            TEXT
);
CREATE INDEX residence_history_by_registration ON residence_history(registration_id, id);

CREATE TABLE sync_outbox (
  id               INTEGER PRIMARY KEY,
  target           TEXT NOT NULL,        -- police (HTTP adapter) or police_export (daily file)
  subject_id       INTEGER NOT NULL,     -- residence_registrations.id
  person_id        INTEGER NOT NULL,     -- one person's messages leave in order
  message_type     TEXT NOT NULL,        -- registration, change, deregistration
  idempotency_key  TEXT NOT NULL UNIQUE,
  payload          TEXT NOT NULL,        -- the exact request body
  signature        TEXT,                 -- hex HMAC-SHA256 over the canonical form (police)
  key_id           TEXT,
  signed_at        INTEGER,              -- X-ZZ-Timestamp of the signature
  state            TEXT NOT NULL CHECK (state IN ('pending','sent','failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_attempt_at  INTEGER,
  last_error       TEXT,
  last_http_status INTEGER,
  response         TEXT,                 -- the upstream answer (JSON)
  export_file      TEXT,                 -- police_export: the file the row went out in
  created_at       INTEGER NOT NULL,
  sent_at          INTEGER
);
CREATE INDEX sync_outbox_due ON sync_outbox(target, next_attempt_at) WHERE state = 'pending';
CREATE INDEX sync_outbox_by_subject ON sync_outbox(subject_id, id);
CREATE INDEX sync_outbox_unsent_by_person ON sync_outbox(person_id, id) WHERE state != 'sent';
)sql";

// The gate's write path (issue 3): every pass used to update two day indexes whose keys put the
// person before the time — (local_date, decision, person_id, …) and (project_code, local_date,
// person_id) — so each pass dirtied two index pages at random places of the day and a group commit
// of N passes wrote ~2N pages to the WAL. One index keyed by the time within a project's day takes
// their place: a pass appends at the end of its (day, project) range, so a commit dirties about one
// page per busy project. It still covers every figure of a day (district or project) and the daily
// attendance sheet; those now group or sort the day's rows instead of reading them in person order.
constexpr const char* kGateDayIndexSchema = R"sql(
DROP INDEX gate_events_by_day;
DROP INDEX gate_events_by_project_day;
CREATE INDEX gate_events_by_day_time
  ON gate_events(local_date, project_code, time_ms, decision, person_id, flags);
)sql";

// The gate's write path again (issue 3), two indexes:
// - Migration 8's day index still scattered the passes of a busy second: gate terminals send
//   times to the second, and among equal times its keys were ordered by decision and person, so a
//   group commit's passes landed at random places of the current second's range (~160 pages at
//   13,000 passes a second) and dirtied ~40 index pages per commit instead of the last one or
//   two. With the pass's seq right after its time, equal times keep arrival order and a pass
//   appends again. The index still covers every figure of a day (the columns after seq are the
//   same).
// - Every pass asks for the person's active alerts (type, project). The partial index on active
//   alerts lacked the project, so SQLite preferred alerts_by_person and read each of the person's
//   alerts, resolved ones too, from the table. With the project and the status in it, the partial
//   index answers alone (a covering index).
constexpr const char* kGateWritePathSchema = R"sql(
DROP INDEX gate_events_by_day_time;
CREATE INDEX gate_events_by_day_seq
  ON gate_events(local_date, project_code, time_ms, seq, decision, person_id, flags);
DROP INDEX alerts_active_person;
CREATE INDEX alerts_active_person
  ON alerts(person_id, type, project_code, status) WHERE status != 'resolved';
)sql";

// Standard addresses (issue 25, docs/addresses.md): the district's door-plate (门楼牌) and
// floor/household (层户) addresses with the police system's codes, each standardised against the
// gazetteer on import; match_key (county|road|number|building|unit|room) is what a standardised
// address is looked up by. Enrolments keep their dormitory's standardised form next to the text.
constexpr const char* kAddressSchema = R"sql(
CREATE TABLE standard_addresses (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('door', 'household')),
  parent_id   INTEGER REFERENCES standard_addresses(id),
  county      TEXT NOT NULL,
  town        TEXT,
  village     TEXT NOT NULL,
  road        TEXT,
  number      TEXT,
  building    TEXT,
  unit        TEXT,
  room        TEXT,
  canonical   TEXT NOT NULL,
  match_key   TEXT NOT NULL,
  source_text TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX standard_addresses_by_key ON standard_addresses(match_key);
CREATE INDEX standard_addresses_by_village ON standard_addresses(village, id);
ALTER TABLE enrolments ADD COLUMN dorm_community TEXT;
ALTER TABLE enrolments ADD COLUMN dorm_standard TEXT;
ALTER TABLE enrolments ADD COLUMN dorm_address_id INTEGER;
)sql";

// Base data (issue 26, docs/basedata.md): the source systems' records of people, houses and
// units as each source last sent them (keyed by source and the source's own id; `digest` spots
// an unchanged row on re-import, `withdrawn` a row the source took back), the imports that brought
// them (key_*: the fields as record linkage compares them; standard_address_id: the district's
// standard address the record's address matched), and the golden records (entities) that
// record linkage makes of them. ID numbers are sealed like the registry's (id_cipher) with the same
// keyed lookup hash ("01:" + number), so a base-data person and a registered worker are found by
// one hash. Reviewers' decisions are kept forever (undone ones too, with who undid them); the
// review queue is the last linking run's. Links between entities are not stored: a person lives at
// the houses its records name (key_house), a unit is located at its house, and works for a unit
// when its workforce record carries the unit's USCC (key_uscc) — always as current as the records.
constexpr const char* kBaseDataSchema = R"sql(
CREATE TABLE basedata_imports (
  id           INTEGER PRIMARY KEY,
  source       TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('person', 'house', 'unit')),
  status       TEXT NOT NULL CHECK (status IN ('running', 'linked', 'failed')),
  actor        TEXT NOT NULL,
  mapping      TEXT NOT NULL,
  counts       TEXT NOT NULL,
  issues       TEXT NOT NULL,
  issue_count  INTEGER NOT NULL,
  linkage      TEXT,
  error        TEXT,
  created_at   INTEGER NOT NULL,
  finished_at  INTEGER
);
CREATE TABLE source_records (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('person', 'house', 'unit')),
  source      TEXT NOT NULL,
  source_id   TEXT NOT NULL,
  priority    INTEGER NOT NULL,
  digest      BLOB NOT NULL,
  withdrawn   INTEGER NOT NULL DEFAULT 0,
  import_id   INTEGER NOT NULL REFERENCES basedata_imports(id),
  line        INTEGER NOT NULL,
  fields      TEXT NOT NULL,
  id_cipher   BLOB,
  id_hash     BLOB,
  key_name    TEXT,
  key_birth   INTEGER,
  key_sex     TEXT,
  key_phone   INTEGER,
  key_house   INTEGER,
  key_village INTEGER,
  key_uscc    TEXT,
  standard_address_id INTEGER,
  entity_id   INTEGER,
  updated_at  INTEGER NOT NULL,
  UNIQUE (kind, source, source_id)
);
CREATE INDEX source_records_by_entity ON source_records(entity_id);
CREATE INDEX source_records_by_id_hash ON source_records(id_hash) WHERE id_hash IS NOT NULL;
CREATE INDEX source_records_by_house ON source_records(kind, key_house) WHERE key_house IS NOT NULL;
CREATE INDEX source_records_by_uscc ON source_records(kind, key_uscc) WHERE key_uscc IS NOT NULL;
CREATE TABLE entities (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT NOT NULL CHECK (kind IN ('person', 'house', 'unit')),
  golden       TEXT NOT NULL,
  id_cipher    BLOB,
  id_hash      BLOB,
  name         TEXT,
  phone        TEXT,
  address      TEXT,
  village      TEXT,
  house_key    INTEGER,
  records      INTEGER NOT NULL,
  members      BLOB NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX entities_by_kind ON entities(kind, id);
CREATE INDEX entities_by_phone ON entities(phone) WHERE phone IS NOT NULL;
CREATE INDEX entities_by_id_hash ON entities(id_hash) WHERE id_hash IS NOT NULL;
CREATE INDEX entities_by_village ON entities(kind, village, id);
CREATE INDEX entities_by_house ON entities(kind, house_key) WHERE house_key IS NOT NULL;
CREATE TABLE linkage_decisions (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('person', 'house', 'unit')),
  record_a    INTEGER NOT NULL REFERENCES source_records(id),
  record_b    INTEGER NOT NULL REFERENCES source_records(id),
  same        INTEGER NOT NULL CHECK (same IN (0, 1)),
  note        TEXT,
  actor       TEXT NOT NULL,
  decided_at  INTEGER NOT NULL,
  undone_by   TEXT,
  undone_at   INTEGER
);
CREATE INDEX linkage_decisions_in_force ON linkage_decisions(kind) WHERE undone_at IS NULL;
CREATE TABLE linkage_reviews (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  record_a     INTEGER NOT NULL,
  record_b     INTEGER NOT NULL,
  weight       REAL NOT NULL,
  probability  REAL NOT NULL,
  reason       TEXT NOT NULL,
  fields       TEXT NOT NULL
);
)sql";

// The alerts table rebuilt with `subject_kinds` allowed (SQLite cannot alter a CHECK): its rows
// and every index kept (rebuilds_tables).
std::string AlertsRebuiltFor(const std::string& subject_kinds) {
  return std::string(R"sql(
CREATE TABLE alerts_new (
  id              INTEGER PRIMARY KEY,
  type            TEXT NOT NULL,
  severity        TEXT NOT NULL CHECK (severity IN ('red','orange','yellow','blue')),
  alert_key       TEXT NOT NULL,
  subject_kind    TEXT NOT NULL
                  CHECK (subject_kind IN ()sql") +
         subject_kinds + R"sql()),
  subject_id      TEXT NOT NULL,
  project_code    TEXT,
  person_id       INTEGER,
  device_id       INTEGER,
  message         TEXT NOT NULL,
  evidence        TEXT NOT NULL,
  detail          TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('open','acknowledged','resolved')),
  first_seen      INTEGER NOT NULL,
  last_seen       INTEGER NOT NULL,
  acknowledged_at INTEGER,
  acknowledged_by TEXT,
  resolved_at     INTEGER,
  resolved_by     TEXT,
  resolution      TEXT CHECK (resolution IN ('manual','auto')),
  note            TEXT
);
INSERT INTO alerts_new SELECT id, type, severity, alert_key, subject_kind, subject_id,
  project_code, person_id, device_id, message, evidence, detail, status, first_seen, last_seen,
  acknowledged_at, acknowledged_by, resolved_at, resolved_by, resolution, note FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE UNIQUE INDEX alerts_active_key ON alerts(alert_key) WHERE status != 'resolved';
CREATE INDEX alerts_active_project ON alerts(project_code, type) WHERE status != 'resolved';
CREATE INDEX alerts_by_project ON alerts(project_code, id);
CREATE INDEX alerts_by_person ON alerts(person_id, id);
CREATE INDEX alerts_active_person
  ON alerts(person_id, type, project_code, status) WHERE status != 'resolved';
CREATE INDEX alerts_active_type ON alerts(type) WHERE status != 'resolved';
)sql";
}

// Alerts about base data (issue 26): their subjects are base-data entities — a person of the
// real population (`base_person`), a house, a unit — so the subject kinds widen.
const char* AlertSubjectsSchema() {
  static const std::string sql =
      AlertsRebuiltFor("'person','project','device','base_person','house','unit'");
  return sql.c_str();
}

// Security alerts (issue 24: a burst of refused calls) are about a user or a token.
const char* AlertPrincipalSubjectsSchema() {
  static const std::string sql =
      AlertsRebuiltFor("'person','project','device','base_person','house','unit','user','token'");
  return sql.c_str();
}

// The resettlement-housing lottery (issue 30, docs/lottery.md): a draw's inputs (the draft's
// parts until committed, then frozen), its commitment and sealed secret, the notary's entropy,
// the seed, and its results as they were drawn, one row each, so that a draw a crash stopped
// resumes after its last durable result and is checked against it.
constexpr const char* kLotterySchema = R"sql(
CREATE TABLE lotteries (
  id            INTEGER PRIMARY KEY,
  title         TEXT NOT NULL,
  status        TEXT NOT NULL
                CHECK (status IN ('draft', 'committed', 'drawing', 'drawn', 'signed')),
  inputs        TEXT NOT NULL,
  inputs_hash   TEXT,
  commitment    TEXT,
  secret_cipher BLOB,
  entropy       TEXT,
  seed          TEXT,
  interval_ms   INTEGER NOT NULL,
  total         INTEGER,
  created_by    TEXT NOT NULL,
  created_at    INTEGER NOT NULL,
  committed_by  TEXT,
  committed_at  INTEGER,
  entropy_by    TEXT,
  started_at    INTEGER,
  drawn_at      INTEGER,
  signed_by     TEXT,
  signed_at     INTEGER,
  statement     TEXT,
  record_hash   TEXT
);
CREATE TABLE lottery_results (
  lottery_id  INTEGER NOT NULL REFERENCES lotteries(id),
  ord         INTEGER NOT NULL,
  household   TEXT NOT NULL,
  allocation  TEXT NOT NULL,
  drawn_at    INTEGER NOT NULL,
  PRIMARY KEY (lottery_id, ord)
) WITHOUT ROWID;
)sql";

// The lottery's roles (issue 30): the housing bureau's `lottery_operator` and the `notary` are
// users too. SQLite cannot alter a CHECK: the users table is rebuilt with its rows.
constexpr const char* kLotteryRolesSchema = R"sql(
CREATE TABLE users_new (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('district_admin','site_manager','police','inspector',
                                              'lottery_operator','notary')),
  pii           INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  created_by    TEXT,
  disabled_at   INTEGER,
  password_changed_at INTEGER NOT NULL
);
INSERT INTO users_new SELECT id, name, password_hash, role, pii, created_at, created_by,
  disabled_at, password_changed_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
)sql";

// Projects change state (issue 24, PATCH /api/v1/projects/{code}): the day a project stopped
// (kept while it is suspended) and the day it passed completion acceptance. Post exemptions and
// the gate follow them.
constexpr const char* kProjectStatesSchema = R"sql(
ALTER TABLE projects ADD COLUMN suspended_on TEXT;
ALTER TABLE projects ADD COLUMN completed_on TEXT;
)sql";

// Identity fraud signals (issue 24): a live face refused for not matching the claimed person
// (enrolment: their ID-card photo; gate: their enrolled faces) that is another enrolled person's
// face. Nothing of the face itself is kept (no embedding, no photo): the row is the evidence of
// the attempt behind the duplicate_identity alert — who was claimed, whose face it was, both
// scores, where and by whom.
constexpr const char* kIdentityAttemptsSchema = R"sql(
CREATE TABLE identity_attempts (
  id            INTEGER PRIMARY KEY,
  person_id     INTEGER NOT NULL REFERENCES persons(id),  -- the identity claimed (ID card shown)
  enrolled_as   INTEGER NOT NULL REFERENCES persons(id),  -- whose enrolled face it is
  channel       TEXT NOT NULL CHECK (channel IN ('enrolment','gate')),
  claim_score   REAL,             -- against the claimed person's ID photo (enrolment) or faces
  face_score    REAL NOT NULL,    -- against enrolled_as's faces
  liveness      REAL,
  project_code  TEXT,             -- gate: the device's project
  device_id     INTEGER,          -- gate: the device
  gate_seq      INTEGER,          -- gate: the pass (gate_events.seq)
  actor         TEXT,             -- enrolment: the user
  created_at    INTEGER NOT NULL
);
CREATE INDEX identity_attempts_by_person ON identity_attempts(person_id, enrolled_as);
)sql";

// Terminals of other vendors (docs/terminals.md). gate_events.flags gains 16: a vendor terminal
// opened for a pass the server denies.
constexpr const char* kTerminalVendorsSchema = R"sql(
ALTER TABLE devices ADD COLUMN vendor TEXT NOT NULL DEFAULT 'zhizhi'
  CHECK (vendor IN ('zhizhi','uface','hikvision','zkteco'));
ALTER TABLE devices ADD COLUMN downlink_address TEXT;      -- where the server reaches the device
ALTER TABLE devices ADD COLUMN downlink_username TEXT;
ALTER TABLE devices ADD COLUMN downlink_password BLOB;     -- sealed with the field key
ALTER TABLE devices ADD COLUMN callback_secret_hash BLOB;  -- Uface, Hikvision: the path's secret
ALTER TABLE devices ADD COLUMN bound_address TEXT;         -- ZKTeco: the IP it speaks from
ALTER TABLE devices ADD COLUMN attlog_stamp TEXT;          -- ZKTeco: the last stored upload's Stamp
CREATE UNIQUE INDEX devices_by_callback ON devices(callback_secret_hash)
  WHERE callback_secret_hash IS NOT NULL;
)sql";

// The roster each terminal of another maker holds (terminals/downlink.h): the roster version the
// device has applied, and how its last attempts went.
constexpr const char* kTerminalSyncSchema = R"sql(
ALTER TABLE devices ADD COLUMN roster_synced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN sync_error TEXT;
ALTER TABLE devices ADD COLUMN sync_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN synced_at INTEGER;
)sql";

// Five-colour warning and dispatch (issue 28, docs/dispatch.md). Areas are the district's streets
// and communities (from the gazetteer) and the grids (网格) under a community; a grid worker
// (new role) serves the grids of user_areas and says from the phone page whether they are on duty
// and where (duty). A work order belongs to one area, comes from an alert, an IoT alarm, a dispute
// case of the mediation system (source_id: its one code per case, 一案一码) or a person, and moves
// through received → assigned → in_progress → reported → finished → closed; every step is a row
// (client_id: the phone's own id of an action, so an action sent twice counts once), evidence
// photos are rows of their own. due_at is fixed when the order is made (working days of the
// holiday calendar), so a restart changes no deadline; escalated_at marks the one escalation.
// area_colours is each area's colour now, with the reasons, and area_colour_history every change.
// notifications is the outbox of messages to the people concerned (the webhook sender's queue).
constexpr const char* kDispatchSchema = R"sql(
CREATE TABLE users_new (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('district_admin','site_manager','police','inspector',
                                              'lottery_operator','notary','dispatcher',
                                              'grid_worker')),
  pii           INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  created_by    TEXT,
  disabled_at   INTEGER,
  password_changed_at INTEGER NOT NULL
);
INSERT INTO users_new SELECT id, name, password_hash, role, pii, created_at, created_by,
  disabled_at, password_changed_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;

CREATE TABLE areas (
  code        TEXT PRIMARY KEY,
  level       TEXT NOT NULL CHECK (level IN ('street','community','grid')),
  name        TEXT NOT NULL,
  parent      TEXT REFERENCES areas(code),
  lat         REAL,
  lng         REAL,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX areas_by_parent ON areas(parent, code);

CREATE TABLE user_areas (
  user_id    INTEGER NOT NULL REFERENCES users(id),
  area_code  TEXT NOT NULL REFERENCES areas(code),
  PRIMARY KEY (user_id, area_code)
) WITHOUT ROWID;
CREATE INDEX user_areas_by_area ON user_areas(area_code, user_id);

CREATE TABLE duty (
  user_id     INTEGER PRIMARY KEY REFERENCES users(id),
  on_duty     INTEGER NOT NULL CHECK (on_duty IN (0, 1)),
  lat         REAL,
  lng         REAL,
  updated_at  INTEGER NOT NULL
);

CREATE TABLE work_orders (
  id           INTEGER PRIMARY KEY,
  title        TEXT NOT NULL,
  category     TEXT NOT NULL,
  priority     TEXT NOT NULL CHECK (priority IN ('red','orange','yellow','blue')),
  area_code    TEXT NOT NULL REFERENCES areas(code),
  source       TEXT NOT NULL CHECK (source IN ('alert','iot','dispute','manual')),
  source_id    TEXT,
  alert_id     INTEGER,
  description  TEXT,
  lat          REAL,
  lng          REAL,
  status       TEXT NOT NULL CHECK (status IN ('received','assigned','in_progress','reported',
                                               'finished','closed')),
  department   TEXT,
  assignee_id  INTEGER REFERENCES users(id),
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  due_at       INTEGER NOT NULL,
  finished_at  INTEGER,
  closed_at    INTEGER,
  escalated_at INTEGER,
  supervisions INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX work_orders_by_source ON work_orders(source, source_id)
  WHERE source_id IS NOT NULL;
CREATE INDEX work_orders_to_escalate ON work_orders(due_at)
  WHERE escalated_at IS NULL AND status NOT IN ('finished','closed');
CREATE INDEX work_orders_by_assignee ON work_orders(assignee_id, status, id);
CREATE INDEX work_orders_by_area ON work_orders(area_code, status);
CREATE INDEX work_orders_by_status ON work_orders(status, id);
CREATE INDEX work_orders_by_alert ON work_orders(alert_id) WHERE alert_id IS NOT NULL;

CREATE TABLE work_order_steps (
  id           INTEGER PRIMARY KEY,
  order_id     INTEGER NOT NULL REFERENCES work_orders(id),
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  action       TEXT NOT NULL,
  from_status  TEXT,
  to_status    TEXT NOT NULL,
  note         TEXT,
  detail       TEXT NOT NULL DEFAULT '{}',
  client_id    TEXT
);
CREATE INDEX work_order_steps_by_order ON work_order_steps(order_id, id);
CREATE UNIQUE INDEX work_order_steps_by_client ON work_order_steps(order_id, client_id)
  WHERE client_id IS NOT NULL;

CREATE TABLE work_order_photos (
  id          INTEGER PRIMARY KEY,
  order_id    INTEGER NOT NULL REFERENCES work_orders(id),
  step_id     INTEGER NOT NULL REFERENCES work_order_steps(id),
  media_type  TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       BLOB NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX work_order_photos_by_order ON work_order_photos(order_id, id);

CREATE TABLE area_colours (
  area_code    TEXT PRIMARY KEY REFERENCES areas(code),
  colour       TEXT NOT NULL CHECK (colour IN ('red','orange','yellow','blue','green')),
  reasons      TEXT NOT NULL,
  indicators   TEXT NOT NULL,
  rulebook     TEXT NOT NULL,
  since        INTEGER NOT NULL,
  computed_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE area_colour_history (
  id         INTEGER PRIMARY KEY,
  area_code  TEXT NOT NULL,
  colour     TEXT NOT NULL,
  previous   TEXT,
  reasons    TEXT NOT NULL,
  rulebook   TEXT NOT NULL,
  at         INTEGER NOT NULL
);
CREATE INDEX area_colour_history_by_area ON area_colour_history(area_code, id);

CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  order_id    INTEGER REFERENCES work_orders(id),
  recipient   TEXT NOT NULL,
  kind        TEXT NOT NULL,
  text        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  sent_at     INTEGER,
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT
);
CREATE INDEX notifications_pending ON notifications(id) WHERE sent_at IS NULL;
)sql";

// IoT (issue 27, docs/iot.md): the devices that publish to the broker (the password only as
// Mosquitto's hash), the parts behind a fire panel's transmission device with their status and
// analog values, every alarm with its recovery and the verdict of the person on duty, and the
// crane operator sessions. Alerts about an IoT device have the subject kind `iot_device`.
const char* IotSchema() {
  static const std::string sql =
      AlertsRebuiltFor(
          "'person','project','device','base_person','house','unit','user','token','iot_device'") +
      R"sql(
CREATE TABLE iot_devices (
  id             INTEGER PRIMARY KEY,
  kind           TEXT NOT NULL CHECK (kind IN ('fire_panel','uitd','smoke_detector',
                                               'electrical_fire','water_pressure','tower_crane')),
  serial         TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  password_hash  TEXT NOT NULL,
  project_code   TEXT REFERENCES projects(code),
  address        TEXT,
  community_code TEXT,
  model          TEXT,
  created_at     INTEGER NOT NULL,
  created_by     TEXT NOT NULL,
  state          TEXT NOT NULL DEFAULT 'never' CHECK (state IN ('never','online','offline')),
  first_seen     INTEGER,
  last_seen      INTEGER,
  latest         TEXT,
  CHECK (project_code IS NOT NULL OR address IS NOT NULL)
);
CREATE INDEX iot_devices_project ON iot_devices(project_code) WHERE project_code IS NOT NULL;
CREATE INDEX iot_devices_community ON iot_devices(community_code);
CREATE TABLE iot_parts (
  device_id      INTEGER NOT NULL REFERENCES iot_devices(id),
  part           TEXT NOT NULL,
  system_type    INTEGER NOT NULL,
  system_address INTEGER NOT NULL,
  part_type      INTEGER NOT NULL,
  part_address   INTEGER NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  status         INTEGER,
  first_seen     INTEGER,
  last_seen      INTEGER,
  analogs        TEXT,
  PRIMARY KEY (device_id, part)
) WITHOUT ROWID;
CREATE TABLE iot_alarms (
  id           INTEGER PRIMARY KEY,
  device_id    INTEGER NOT NULL REFERENCES iot_devices(id),
  part         TEXT,
  type         TEXT NOT NULL,
  alert_id     INTEGER REFERENCES alerts(id),
  raised_at    INTEGER NOT NULL,
  recovered_at INTEGER,
  verdict      TEXT CHECK (verdict IN ('real','false')),
  verdict_by   TEXT,
  verdict_at   INTEGER,
  note         TEXT
);
CREATE INDEX iot_alarms_device ON iot_alarms(device_id, id);
CREATE INDEX iot_alarms_open ON iot_alarms(device_id, type, part) WHERE recovered_at IS NULL;
CREATE TABLE crane_sessions (
  id           INTEGER PRIMARY KEY,
  device_id    INTEGER NOT NULL REFERENCES iot_devices(id),
  project_code TEXT NOT NULL,
  person_id    INTEGER NOT NULL REFERENCES persons(id),
  score        REAL,
  started_at   INTEGER NOT NULL,
  ended_at     INTEGER,
  end_reason   TEXT
);
CREATE INDEX crane_sessions_device ON crane_sessions(device_id, id);
CREATE UNIQUE INDEX crane_sessions_open ON crane_sessions(device_id) WHERE ended_at IS NULL;
)sql";
  return sql.c_str();
}

}  // namespace

// The register of roads (街路巷, issue 25, docs/addresses.md): the names a county's roads, streets
// and lanes officially have, with the police system's code. A road typed one character off one
// registered road of its county is read as that road.
constexpr const char* kStandardRoadsSchema = R"sql(
CREATE TABLE standard_roads (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  county      TEXT NOT NULL,
  town        TEXT,
  name        TEXT NOT NULL,
  source_text TEXT NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX standard_roads_by_county ON standard_roads(county, name);
)sql";

// No query looks source records up by their ID number's hash (look-ups go through the entities'
// id_hash; the rows are read whole for linking): the index cost a quarter of an import's store
// (docs/benchmarks.md, issue 26).
constexpr const char* kSourceRecordsIndexSchema = R"sql(
DROP INDEX IF EXISTS source_records_by_id_hash;
)sql";

// The self-reference of standard_addresses (a household's door plate, parent_id) is a foreign
// key: with foreign keys on, SQLite looks for child rows of every row inserted into the parent
// table, and without an index on the child column that look-up read the table — an address import
// into a populated database cost 3.7× per row (docs/benchmarks.md, issue 26). A partial index
// cannot serve a foreign key.
constexpr const char* kStandardAddressParentSchema = R"sql(
CREATE INDEX standard_addresses_by_parent ON standard_addresses(parent_id);
)sql";

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1, "registry", kRegistrySchema},
      {2, "gate", kGateSchema},
      {3, "alerts", kAlertsSchema},
      {4, "security", kSecuritySchema},
      {5, "faces", kFaceSchema},
      {6, "screen", kScreenSchema},
      {7, "residence", kResidenceSchema},
      {8, "gate_day_index", kGateDayIndexSchema},
      {9, "gate_write_path", kGateWritePathSchema},
      {10, "addresses", kAddressSchema},
      {11, "basedata", kBaseDataSchema},
      {12, "alert_subjects", AlertSubjectsSchema(), /*rebuilds_tables=*/true},
      {13, "lottery", kLotterySchema},
      {14, "lottery_roles", kLotteryRolesSchema, /*rebuilds_tables=*/true},
      {15, "project_states", kProjectStatesSchema},
      {16, "alert_principal_subjects", AlertPrincipalSubjectsSchema(), /*rebuilds_tables=*/true},
      {17, "identity_attempts", kIdentityAttemptsSchema},
      {18, "terminal_vendors", kTerminalVendorsSchema},
      {19, "terminal_sync", kTerminalSyncSchema},
      {20, "dispatch", kDispatchSchema, /*rebuilds_tables=*/true},
      {21, "iot", IotSchema(), /*rebuilds_tables=*/true},
      {22, "standard_roads", kStandardRoadsSchema},
      {23, "source_records_unused_index", kSourceRecordsIndexSchema},
      {24, "standard_addresses_by_parent", kStandardAddressParentSchema},
  };
  return migrations;
}

Result<int> ApplyMigrations(Connection& conn) {
  ZZ_ASSIGN_OR_RETURN(std::int64_t current, QueryInt(conn, "PRAGMA user_version"));
  const auto& all = Migrations();
  const int newest = all.empty() ? 0 : all.back().version;
  if (current > newest) {
    return Status::Internal("database schema version " + std::to_string(current) +
                            " is newer than this binary knows (" + std::to_string(newest) + ")");
  }
  for (const Migration& migration : all) {
    if (migration.version <= current) continue;
    // Outside a transaction, or SQLite ignores it.
    if (migration.rebuilds_tables) ZZ_RETURN_IF_ERROR(conn.Exec("PRAGMA foreign_keys=OFF"));
    ZZ_RETURN_IF_ERROR(conn.Exec("BEGIN IMMEDIATE"));
    Status status = conn.Exec(migration.sql);
    if (status.ok() && migration.rebuilds_tables) {
      auto check = conn.Prepare("PRAGMA foreign_key_check");
      if (check.Step()) {
        status = Status::Internal("the rebuild breaks a foreign key of table " + check.Text(0));
      } else if (!check.status().ok()) {
        status = check.status();
      }
    }
    if (status.ok()) {
      status = conn.Exec("PRAGMA user_version=" + std::to_string(migration.version));
    }
    if (!status.ok()) {
      // The migration's error is what matters; a failed ROLLBACK leaves the connection's
      // transaction open, and the database is closed right after this error anyway.
      conn.Exec("ROLLBACK").IgnoreError();
      if (migration.rebuilds_tables) conn.Exec("PRAGMA foreign_keys=ON").IgnoreError();
      return Status::Internal("migration " + std::to_string(migration.version) + " (" +
                              migration.name + ") failed: " + status.message());
    }
    ZZ_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    if (migration.rebuilds_tables) ZZ_RETURN_IF_ERROR(conn.Exec("PRAGMA foreign_keys=ON"));
    spdlog::info("event=schema_migrated version={} name={}", migration.version, migration.name);
    current = migration.version;
  }
  return static_cast<int>(current);
}

}  // namespace zhizhi::store
