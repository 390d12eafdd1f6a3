#include "registry/registry_input.h"

#include <algorithm>
#include <cctype>

#include "base/resident_id.h"
#include "base/text.h"
#include "base/uscc.h"
#include "registry/code_lists.h"

namespace zhizhi::registry {

namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Reads a required code from `list`, with an error that lists the valid codes.
std::string ReadCode(FieldReader& in, const std::string& field, const std::vector<Code>& list,
                     std::string_view what) {
  std::string value = in.Text(field, 32);
  if (in.ok() && !Contains(list, value)) {
    in.Fail(Status::InvalidArgument(field, "unknown " + std::string(what) + " \"" + value +
                                               "\"; valid codes: " + CodeSummary(list)));
  }
  return value;
}

std::optional<std::int64_t> ReadId(FieldReader& in, const std::string& field) {
  auto id = in.OptInteger(field);
  if (id && *id <= 0) {
    in.Fail(Status::InvalidArgument(field, field + " must be a positive integer"));
    return std::nullopt;
  }
  return id;
}

// Chinese mobile numbers (11 digits starting 1[3-9]) or landlines like 0571-86001234, with an
// optional +86 prefix.
bool IsPhoneNumber(std::string_view phone) {
  if (phone.rfind("+86", 0) == 0) phone.remove_prefix(3);
  if (phone.size() == 11 && phone[0] == '1' && phone[1] >= '3' && AllDigits(phone)) return true;
  size_t digits = 0;
  for (char c : phone) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (c != '-' && c != ' ') {
      return false;
    }
  }
  return phone.size() > 0 && phone[0] == '0' && digits >= 10 && digits <= 12;
}

}  // namespace

Status CheckRegionCode(const std::string& field, const std::string& code) {
  if (code.size() != 6 || !AllDigits(code)) {
    return Status::InvalidArgument(field, field + " must be a 6-digit GB/T 2260 region code");
  }
  static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                       35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                       53, 54, 61, 62, 63, 64, 65, 71, 81, 82};
  const int province = (code[0] - '0') * 10 + (code[1] - '0');
  if (std::find(std::begin(kProvinces), std::end(kProvinces), province) == std::end(kProvinces)) {
    return Status::InvalidArgument(field, "region code " + code + " names no province");
  }
  return Status::Ok();
}

Status CheckProjectCode(const std::string& field, const std::string& code) {
  const bool ok = !code.empty() && code.size() <= 32 &&
                  std::all_of(code.begin(), code.end(), [](unsigned char c) {
                    return std::isalnum(c) || c == '-' || c == '_';
                  });
  if (!ok) {
    return Status::InvalidArgument(field, field + " must be 1–32 letters, digits, '-' or '_'");
  }
  return Status::Ok();
}

Result<std::string> NormaliseNation(const std::string& field, const std::string& text) {
  for (const Code& c : Nations()) {
    if (c.code == text || c.name == text) return std::string(c.code);
    // "汉" for "汉族"
    if (c.name.size() > 3 && c.name.substr(c.name.size() - 3) == "族" &&
        c.name.substr(0, c.name.size() - 3) == text) {
      return std::string(c.code);
    }
  }
  return Status::InvalidArgument(
      field, "unknown nation \"" + text + "\"; use a GB/T 3304 code (01–56, 97, 98) or its name");
}

Result<CorpDraft> ParseCorp(FieldReader& in) {
  CorpDraft d;
  const std::string uscc = in.Text("uscc", 32);
  d.name = in.Text("name", 100);
  d.legal_person = in.OptText("legal_person", 64);
  d.address = in.OptText("address", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_ASSIGN_OR_RETURN(auto code, UnifiedSocialCreditCode::Parse(uscc, "uscc"));
  d.uscc = code.str();
  return d;
}

Result<ProjectDraft> ParseProject(FieldReader& in) {
  ProjectDraft d;
  d.code = in.Text("code", 32);
  d.name = in.Text("name", 200);
  d.region_code = in.Text("region_code", 6);
  d.address = in.OptText("address", 200);
  if (const auto position = in.OptPosition()) {
    d.lat = position->lat;
    d.lng = position->lng;
  }
  d.permit_no = in.OptText("permit_no", 64);
  d.status = in.OptText("status", 16).value_or("planned");
  d.start_date = in.OptDate("start_date");
  d.end_date = in.OptDate("end_date");
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_RETURN_IF_ERROR(CheckProjectCode("code", d.code));
  ZZ_RETURN_IF_ERROR(CheckRegionCode("region_code", d.region_code));
  if (d.status != "planned" && d.status != "active" && d.status != "suspended" &&
      d.status != "completed") {
    return Status::InvalidArgument("status",
                                   "status must be planned, active, suspended or completed");
  }
  if (d.start_date && d.end_date && *d.end_date < *d.start_date) {
    return Status::InvalidArgument("end_date", "end_date is before start_date");
  }
  return d;
}

Result<ProjectPatch> ParseProjectPatch(FieldReader& in) {
  ProjectPatch p;
  p.name = in.OptText("name", 200);
  p.status = in.OptText("status", 16);
  p.suspended_on = in.OptDate("suspended_on");
  p.completed_on = in.OptDate("completed_on");
  p.end_date = in.OptDate("end_date");
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (p.name && p.name->empty()) return Status::InvalidArgument("name", "name must not be empty");
  if (p.status && *p.status != "planned" && *p.status != "active" && *p.status != "suspended" &&
      *p.status != "completed") {
    return Status::InvalidArgument("status",
                                   "status must be planned, active, suspended or completed");
  }
  if (!p.name && !p.status && !p.suspended_on && !p.completed_on && !p.end_date)
    return Status::InvalidArgument("",
                                   "nothing to change: name, status, suspended_on, "
                                   "completed_on or end_date");
  return p;
}

Result<ProjectCorpDraft> ParseProjectCorp(FieldReader& in) {
  ProjectCorpDraft d;
  const std::string uscc = in.Text("uscc", 32);
  d.corp_type = ReadCode(in, "corp_type", CorpTypes(), "corp type");
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_ASSIGN_OR_RETURN(auto code, UnifiedSocialCreditCode::Parse(uscc, "uscc"));
  d.uscc = code.str();
  return d;
}

Result<TeamDraft> ParseTeam(FieldReader& in) {
  TeamDraft d;
  d.name = in.Text("name", 64);
  const std::string uscc = in.Text("uscc", 32);
  d.leader_person_id = ReadId(in, "leader_person_id");
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_ASSIGN_OR_RETURN(auto code, UnifiedSocialCreditCode::Parse(uscc, "uscc"));
  d.uscc = code.str();
  return d;
}

namespace {

// "M" or "F" from the forms people send: M/F, male/female, 男/女.
Result<std::string> NormaliseSex(const std::string& sex) {
  if (sex == "M" || sex == "male" || sex == "男") return std::string("M");
  if (sex == "F" || sex == "female" || sex == "女") return std::string("F");
  return Status::InvalidArgument("sex", "sex must be male or female");
}

Status CheckPhone(const std::optional<std::string>& phone) {
  if (phone && !IsPhoneNumber(*phone)) {
    return Status::InvalidArgument("phone",
                                   "phone must be a mobile (1xxxxxxxxxx) or landline number");
  }
  return Status::Ok();
}

}  // namespace

Result<PersonDraft> ParsePerson(FieldReader& in) {
  PersonDraft d;
  d.id_type = ReadCode(in, "id_type", IdTypes(), "ID type");
  const std::string id_number = in.Text("id_number", 32);
  d.name = in.Text("name", 64);
  auto sex = in.OptText("sex", 8);
  d.birth_date = in.OptDate("birth_date");
  auto nation = in.OptText("nation", 16);
  d.phone = in.OptText("phone", 20);
  d.id_address = in.OptText("id_address", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());

  if (sex) {
    ZZ_ASSIGN_OR_RETURN(d.sex, NormaliseSex(*sex));
  }
  if (d.id_type == kResidentIdType) {
    ZZ_ASSIGN_OR_RETURN(auto id, ResidentIdNumber::Parse(id_number, "id_number"));
    const std::string derived_sex = id.sex() == Sex::kMale ? "M" : "F";
    if (d.sex && *d.sex != derived_sex) {
      return Status::InvalidArgument("sex", "sex does not match the ID number");
    }
    if (d.birth_date && *d.birth_date != id.birth_date()) {
      return Status::InvalidArgument("birth_date", "birth_date does not match the ID number");
    }
    d.id_number = id.str();
    d.sex = derived_sex;
    d.birth_date = id.birth_date();
  } else {
    const std::string upper = ToUpperAscii(id_number);
    const bool ok = upper.size() >= 5 && upper.size() <= 32 &&
                    std::all_of(upper.begin(), upper.end(), [](unsigned char c) {
                      return std::isalnum(c) || c == '(' || c == ')' || c == '-';
                    });
    if (!ok) {
      return Status::InvalidArgument("id_number",
                                     "id_number must be 5–32 letters, digits, '(' ')' or '-'");
    }
    d.id_number = upper;
    if (d.birth_date && *d.birth_date > TodayInChina()) {
      return Status::InvalidArgument("birth_date", "birth_date is in the future");
    }
  }
  if (nation) {
    ZZ_ASSIGN_OR_RETURN(d.nation, NormaliseNation("nation", *nation));
  }
  ZZ_RETURN_IF_ERROR(CheckPhone(d.phone));
  return d;
}

Result<CertificateDraft> ParseCertificate(FieldReader& in) {
  CertificateDraft d;
  d.kind = ReadCode(in, "kind", CertificateKinds(), "certificate kind");
  d.type_code = in.Text("type_code", 32);
  d.number = in.Text("number", 64);
  d.issuer = in.OptText("issuer", 100);
  d.valid_from = in.RequiredDate("valid_from");
  d.valid_to = in.RequiredDate("valid_to");
  ZZ_RETURN_IF_ERROR(in.Finish());
  const auto& types = CertificateTypes(d.kind);
  if (!Contains(types, d.type_code)) {
    return Status::InvalidArgument("type_code", "unknown type_code \"" + d.type_code + "\" for " +
                                                    d.kind + "; valid: " + CodeSummary(types, 20));
  }
  if (d.valid_to < d.valid_from) {
    return Status::InvalidArgument("valid_to", "valid_to is before valid_from");
  }
  return d;
}

Result<EnrolmentDraft> ParseEnrolment(FieldReader& in, bool read_person_id) {
  EnrolmentDraft d;
  if (read_person_id) {
    auto id = ReadId(in, "person_id");
    if (!id && in.ok()) in.Fail(Status::InvalidArgument("person_id", "person_id is required"));
    d.person_id = id.value_or(0);
  }
  d.team_id = ReadId(in, "team_id");
  const std::string uscc = in.Text("uscc", 32);
  d.work_role = ReadCode(in, "work_role", WorkRoles(), "work role");
  auto work_type = in.OptText("work_type", 8);
  d.post = in.OptText("post", 40);
  d.entry_date = in.RequiredDate("entry_date");
  d.dorm_address = in.OptText("dorm_address", 200);
  d.card_no = in.OptText("card_no", 32);
  ZZ_RETURN_IF_ERROR(in.Finish());
  ZZ_ASSIGN_OR_RETURN(auto code, UnifiedSocialCreditCode::Parse(uscc, "uscc"));
  d.uscc = code.str();

  if (d.work_role == kManagerRole) {
    if (!d.post)
      return Status::InvalidArgument("post", "post is required for a manager (work_role 10)");
    if (FindPost(*d.post) == nullptr) {
      std::string valid;
      for (const auto& rule : PostRules())
        valid += (valid.empty() ? "" : ", ") + std::string(rule.code);
      return Status::InvalidArgument("post", "unknown post \"" + *d.post + "\"; valid: " + valid);
    }
    d.work_type = work_type.value_or(std::string(kManagerWorkType));
    if (d.work_type != kManagerWorkType) {
      return Status::InvalidArgument("work_type", "a manager's work_type is 900");
    }
  } else {
    if (d.post) return Status::InvalidArgument("post", "post is only for managers (work_role 10)");
    if (!work_type)
      return Status::InvalidArgument("work_type", "work_type is required for a worker");
    d.work_type = *work_type;
    if (!Contains(WorkTypes(), d.work_type) || d.work_type == kManagerWorkType) {
      return Status::InvalidArgument("work_type", "unknown work_type \"" + d.work_type +
                                                      "\"; valid: 010–350 of the national list");
    }
  }
  if (d.entry_date > TodayInChina().AddDays(366)) {
    return Status::InvalidArgument("entry_date", "entry_date is more than a year ahead");
  }
  return d;
}

Result<ExitDraft> ParseExit(FieldReader& in) {
  ExitDraft d;
  d.exit_date = in.RequiredDate("exit_date");
  d.reason = in.OptText("reason", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (d.exit_date > TodayInChina()) {
    return Status::InvalidArgument("exit_date", "exit_date is in the future");
  }
  return d;
}

Result<RevokeDraft> ParseRevoke(FieldReader& in) {
  RevokeDraft d;
  d.reason = in.Text("reason", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());
  return d;
}

Result<PersonUpdate> ParsePersonUpdate(FieldReader& in) {
  PersonUpdate d;
  d.name = in.OptText("name", 64);
  auto sex = in.OptText("sex", 8);
  d.birth_date = in.OptDate("birth_date");
  auto nation = in.OptText("nation", 16);
  d.phone = in.OptText("phone", 20);
  d.id_address = in.OptText("id_address", 200);
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (!d.name && !sex && !d.birth_date && !nation && !d.phone && !d.id_address) {
    return Status::InvalidArgument("",
                                   "nothing to change: send name, sex, birth_date, nation, "
                                   "phone or id_address");
  }
  if (sex) {
    ZZ_ASSIGN_OR_RETURN(d.sex, NormaliseSex(*sex));
  }
  if (d.birth_date && *d.birth_date > TodayInChina()) {
    return Status::InvalidArgument("birth_date", "birth_date is in the future");
  }
  if (nation) {
    ZZ_ASSIGN_OR_RETURN(d.nation, NormaliseNation("nation", *nation));
  }
  ZZ_RETURN_IF_ERROR(CheckPhone(d.phone));
  return d;
}

Result<DormMove> ParseDormMove(FieldReader& in) {
  DormMove d;
  d.dorm_address = in.Text("dorm_address", 200);
  d.moved_on = in.OptDate("moved_on");
  ZZ_RETURN_IF_ERROR(in.Finish());
  if (d.moved_on && *d.moved_on > TodayInChina()) {
    return Status::InvalidArgument("moved_on", "moved_on is in the future");
  }
  return d;
}

}  // namespace zhizhi::registry
