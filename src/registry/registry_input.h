// Drafts of registry records as they arrive from outside, and the parsers that validate them.
// The API (JSON) and the CSV importer both go through these parsers, so a rule is written once.
// A parser checks everything that can be checked without the database (formats, checksums, code
// lists, date order); rules that need stored state (existence, duplicates) are checked by the
// Registry inside the write transaction.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/civil_time.h"
#include "base/field_reader.h"
#include "base/status.h"

namespace zhizhi::registry {

struct CorpDraft {
  std::string uscc;
  std::string name;
  std::optional<std::string> legal_person;
  std::optional<std::string> address;
};

struct ProjectDraft {
  std::string code;
  std::string name;
  std::string region_code;
  std::optional<std::string> address;
  std::optional<double> lat;
  std::optional<double> lng;
  std::optional<std::string> permit_no;
  std::string status;
  std::optional<Date> start_date;
  std::optional<Date> end_date;
};

// A change of a project (PATCH /api/v1/projects/{code}): what is given changes.
struct ProjectPatch {
  std::optional<std::string> name;
  std::optional<std::string> status;
  std::optional<Date> suspended_on;  // the day it stopped (with status suspended)
  std::optional<Date> completed_on;  // the day it passed completion acceptance (status completed)
  std::optional<Date> end_date;
};

struct ProjectCorpDraft {
  std::string uscc;
  std::string corp_type;
};

struct TeamDraft {
  std::string name;
  std::string uscc;
  std::optional<std::int64_t> leader_person_id;
};

struct PersonDraft {
  std::string id_type;
  std::string id_number;  // normalised (uppercase)
  std::string name;
  std::optional<std::string> sex;  // "M" / "F"
  std::optional<Date> birth_date;
  std::optional<std::string> nation;  // GB/T 3304 code
  std::optional<std::string> phone;
  std::optional<std::string> id_address;
};

struct CertificateDraft {
  std::string kind;
  std::string type_code;
  std::string number;
  std::optional<std::string> issuer;
  Date valid_from;
  Date valid_to;
};

struct EnrolmentDraft {
  std::int64_t person_id = 0;
  std::optional<std::int64_t> team_id;
  std::string uscc;
  std::string work_role;
  std::string work_type;
  std::optional<std::string> post;
  Date entry_date;
  std::optional<std::string> dorm_address;
  std::optional<std::string> card_no;  // real-name card (实名卡) number, for card readers
};

struct ExitDraft {
  Date exit_date;
  std::optional<std::string> reason;
};

struct RevokeDraft {
  std::string reason;
};

// Corrections and additions to a person's record (e.g. the phone or household address a
// residence registration still lacks). Absent fields stay as they are.
struct PersonUpdate {
  std::optional<std::string> name;
  std::optional<std::string> sex;  // only for ID types other than 01 (derived from the ID)
  std::optional<Date> birth_date;  // likewise
  std::optional<std::string> nation;
  std::optional<std::string> phone;
  std::optional<std::string> id_address;
};

// A move to another dormitory while enrolled (a residence change within 10 days).
struct DormMove {
  std::string dorm_address;
  std::optional<Date> moved_on;  // default: today
};

Result<CorpDraft> ParseCorp(FieldReader& in);
Result<ProjectDraft> ParseProject(FieldReader& in);
Result<ProjectPatch> ParseProjectPatch(FieldReader& in);
Result<ProjectCorpDraft> ParseProjectCorp(FieldReader& in);
Result<TeamDraft> ParseTeam(FieldReader& in);
Result<PersonDraft> ParsePerson(FieldReader& in);
Result<CertificateDraft> ParseCertificate(FieldReader& in);
// `person_id` is read by the caller (path parameter or CSV column), not here.
Result<EnrolmentDraft> ParseEnrolment(FieldReader& in, bool read_person_id);
Result<ExitDraft> ParseExit(FieldReader& in);
Result<RevokeDraft> ParseRevoke(FieldReader& in);
Result<PersonUpdate> ParsePersonUpdate(FieldReader& in);
Result<DormMove> ParseDormMove(FieldReader& in);

// Field checks shared with the importer.
Status CheckRegionCode(const std::string& field, const std::string& code);
Status CheckProjectCode(const std::string& field, const std::string& code);
// Accepts a GB/T 3304 code ("01") or its name ("汉族" or "汉"); returns the code.
Result<std::string> NormaliseNation(const std::string& field, const std::string& text);

}  // namespace zhizhi::registry
