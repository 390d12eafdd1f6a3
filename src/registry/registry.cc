// Registry: what its files all use — the lookup key of an ID number and the form it is shown in
// (the methods live in one file per record kind; see registry.h).
#include "registry/registry.h"

namespace zhizhi::registry {

std::string Registry::LookupKey(const std::string& id_type, const std::string& id_number) const {
  return cipher_->LookupHash(id_type + ":" + id_number);
}

std::string Registry::ShownIdNumber(const std::string& sealed, const std::string& masked,
                                    bool full_ids) const {
  if (!full_ids) return masked;
  auto plain = cipher_->Unseal(sealed);
  return plain.ok() ? *plain : masked;
}

}  // namespace zhizhi::registry
