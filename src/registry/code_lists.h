// National code lists of the construction-worker platform (全国建筑工人管理服务信息平台) and the
// certificate/post rules of domain.md, so data can be pushed upstream unchanged.
//
// Thread-safety: immutable tables; all functions are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "registry/rulebook.h"

namespace zhizhi::registry {

struct Code {
  std::string_view code;
  std::string_view name;
};

const std::vector<Code>& IdTypes();           // 01–17
const std::vector<Code>& CorpTypes();         // 001–012
const std::vector<Code>& WorkRoles();         // 10, 20
const std::vector<Code>& WorkTypes();         // 010–350, 900
const std::vector<Code>& Nations();           // GB/T 3304: 01–56, 97, 98
const std::vector<Code>& CertificateKinds();  // special_operation, registered, safety_post, post

// Returns the name for `code` in `list`, or empty when the code is unknown.
std::string_view NameOf(const std::vector<Code>& list, std::string_view code);
bool Contains(const std::vector<Code>& list, std::string_view code);
// "010, 020, …" for error messages.
std::string CodeSummary(const std::vector<Code>& list, size_t max_items = 12);

// Certificate type codes valid for a certificate kind.
const std::vector<Code>& CertificateTypes(std::string_view kind);

// The post and work-type rules of the active rulebook (registry/rulebook.h).
const std::vector<PostRule>& PostRules();
const PostRule* FindPost(std::string_view code);
// Certificates a worker's work type needs before entering (domain.md); empty when none.
const CertificateRequirements& WorkTypeRequirements(std::string_view work_type);

// Resident ID numbers are id_type 01.
inline constexpr std::string_view kResidentIdType = "01";
inline constexpr std::string_view kManagerRole = "10";
inline constexpr std::string_view kWorkerRole = "20";
inline constexpr std::string_view kManagerWorkType = "900";

}  // namespace zhizhi::registry
