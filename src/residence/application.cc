#include "residence/application.h"

#include <algorithm>

namespace zhizhi::residence {

using nlohmann::json;

bool IsKnownStatus(std::string_view s) {
  static constexpr std::string_view kAll[] = {status::kDraft,        status::kSubmitted,
                                              status::kAccepted,     status::kRejected,
                                              status::kDeregistered, status::kCancelled};
  return std::find(std::begin(kAll), std::end(kAll), s) != std::end(kAll);
}

namespace {

json Opt(const std::optional<std::string>& v) {
  return v ? json(*v) : json();
}

bool Blank(const std::optional<std::string>& v) {
  return !v || v->empty();
}

const char* EventField(const std::string& k) {
  if (k == kind::kChange) return "move_date";
  if (k == kind::kDeregistration) return "leave_date";
  return "arrival_date";
}

}  // namespace

json Application::ToJson() const {
  // Built by assignment: nlohmann's initializer lists copy every nested value, and this runs
  // twice per registration (the stored application and the message body).
  json a = json::object();
  json& applicant = a["applicant"];
  applicant["person_id"] = person_id;
  applicant["name"] = name;
  applicant["id_type"] = id_type;
  applicant["sex"] = Opt(sex);
  applicant["nation"] = Opt(nation);
  applicant["birth_date"] = Opt(birth_date);
  applicant["id_address"] = Opt(id_address);
  applicant["phone"] = Opt(phone);
  json& residence = a["residence"];
  residence["address"] = Opt(residence_address);
  residence["community_code"] = Opt(residence_community);
  residence["standard_address"] = Opt(residence_standard_address);
  residence["standard_address_id"] = residence_address_id ? json(*residence_address_id) : json();
  residence[EventField(kind)] = event_date ? json(event_date->ToString()) : json();
  residence["reason"] = reason;
  json& employer = a["employer"];
  employer["uscc"] = employer_uscc;
  employer["name"] = employer_name;
  json& project = a["project"];
  project["code"] = project_code;
  project["name"] = project_name;
  project["region_code"] = project_region;
  project["address"] = Opt(project_address);
  return a;
}

Result<Application> LoadApplication(store::Connection& conn, std::int64_t person_id,
                                    std::int64_t enrolment_id, const std::string& reason) {
  Application a;
  a.person_id = person_id;
  a.enrolment_id = enrolment_id;
  a.reason = reason;
  auto p = conn.Prepare(
      "SELECT name, id_type, id_masked, sex, nation, birth_date, id_address, phone FROM persons "
      "WHERE id = ?");
  p.Bind(1, person_id);
  if (!p.Step()) {
    ZZ_RETURN_IF_ERROR(p.status());
    return Status::NotFound("no person " + std::to_string(person_id));
  }
  a.name = p.Text(0);
  a.id_type = p.Text(1);
  a.id_masked = p.Text(2);
  if (auto sex = p.OptText(3)) a.sex = *sex == "M" ? "1" : "2";
  a.nation = p.OptText(4);
  a.birth_date = p.OptText(5);
  a.id_address = p.OptText(6);
  a.phone = p.OptText(7);

  auto e = conn.Prepare(
      "SELECT e.uscc, c.name, e.project_code, pr.name, pr.region_code, pr.address, "
      "e.dorm_address, e.dorm_community, e.dorm_standard, e.dorm_address_id "
      "FROM enrolments e JOIN corps c ON c.uscc = e.uscc "
      "JOIN projects pr ON pr.code = e.project_code WHERE e.id = ?");
  e.Bind(1, enrolment_id);
  if (!e.Step()) {
    ZZ_RETURN_IF_ERROR(e.status());
    return Status::NotFound("no enrolment " + std::to_string(enrolment_id));
  }
  a.employer_uscc = e.Text(0);
  a.employer_name = e.Text(1);
  a.project_code = e.Text(2);
  a.project_name = e.Text(3);
  a.project_region = e.Text(4);
  a.project_address = e.OptText(5);
  a.residence_address = e.OptText(6);
  a.residence_community = e.OptText(7);
  a.residence_standard_address = e.OptText(8);
  a.residence_address_id = e.OptInt(9);
  return a;
}

void SetAddress(Application& a, const std::optional<std::string>& address, bool require_community) {
  if (address != a.residence_address) {
    a.residence_community.reset();
    a.residence_standard_address.reset();
    a.residence_address_id.reset();
  }
  a.residence_address = address;
  a.community_required = require_community;
}

std::vector<std::string> Missing(const Application& a, bool face_verified) {
  std::vector<std::string> missing;
  auto need = [&](bool ok, const char* code) {
    if (!ok) missing.emplace_back(code);
  };
  if (a.kind == kind::kDeregistration) {
    need(a.event_date.has_value(), EventField(a.kind));
    return missing;
  }
  if (a.kind == kind::kRegistration) {
    need(!a.name.empty(), "name");
    need(!Blank(a.sex), "sex");
    need(!Blank(a.nation), "nation");
    need(!Blank(a.birth_date), "birth_date");
    need(!Blank(a.id_address), "id_address");
    need(!Blank(a.phone), "phone");
  }
  need(!Blank(a.residence_address), "residence_address");
  if (a.community_required && !Blank(a.residence_address)) {
    need(!Blank(a.residence_community), "residence_community");
  }
  need(a.event_date.has_value(), EventField(a.kind));
  need(!a.employer_uscc.empty() && !a.employer_name.empty(), "employer");
  need(!a.project_code.empty(), "project");
  if (a.kind == kind::kRegistration) need(face_verified, "face_verified");
  return missing;
}

}  // namespace zhizhi::residence
