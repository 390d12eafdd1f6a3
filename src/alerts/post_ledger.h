// The post ledger (岗位台账): every key post and every post held on a project, with its holder,
// the holder's certificates and the open problems the alerts engine found — what an inspector
// prints before visiting a site. `zhizhi report posts` writes it as text or CSV.
//
// Thread-safety: stateless; give it a read connection.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "base/status.h"
#include "registry/rulebook.h"
#include "store/sqlite.h"

namespace zhizhi::alerts {

struct PostLedgerRow {
  std::string project_code, project_name, project_status;
  std::string uscc, corp_name;
  std::string post, post_name;
  bool key = false;
  bool required = false;
  std::optional<std::int64_t> person_id;
  std::string person_name, id_masked, entry_date;
  std::string certificates;  // "一级注册建造师 valid to 2027-05-01; …"
  std::string problems;      // "post_conflict: …; certificate_expiring: …"
};

// Rows for one project (`project` set) or every project, ordered by project, key posts first.
Result<std::vector<PostLedgerRow>> BuildPostLedger(store::Connection& conn,
                                                   const registry::Rulebook& rules,
                                                   const std::optional<std::string>& project,
                                                   const Date& today);

void WritePostLedgerText(std::ostream& out, const std::vector<PostLedgerRow>& rows);
// UTF-8 with a byte-order mark (so spreadsheet programs read the Chinese text), RFC 4180 quoting.
void WritePostLedgerCsv(std::ostream& out, const std::vector<PostLedgerRow>& rows);

}  // namespace zhizhi::alerts
