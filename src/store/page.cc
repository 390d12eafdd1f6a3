#include "store/page.h"

#include <cstring>

#include <sodium.h>

#include "base/record_id.h"

namespace zhizhi::store {

namespace {
constexpr std::string_view kTag = "k:";
constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

Status NotOurCursor() {
  return Status::InvalidArgument("cursor", "cursor is not one this server issued for this list");
}

}  // namespace

std::string Page::NextCursor(std::string_view last_key) const {
  return EncodeCursor(list, last_key);
}

std::string EncodeCursor(std::string_view list, std::string_view key) {
  const std::string tagged = std::string(kTag) + std::string(list) + ":" + std::string(key);
  std::string out(sodium_base64_encoded_len(tagged.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(tagged.data()),
                    tagged.size(), kVariant);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> DecodeCursor(std::string_view list, std::string_view cursor) {
  std::string bin(cursor.size(), '\0');
  size_t len = 0;
  const bool ok =
      cursor.size() <= 512 &&
      sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), cursor.data(),
                        cursor.size(), nullptr, &len, nullptr, kVariant) == 0 &&
      len >= kTag.size() && std::string_view(bin).substr(0, kTag.size()) == kTag;
  const std::string prefix = std::string(kTag) + std::string(list) + ":";
  if (!ok || len < prefix.size() || bin.compare(0, prefix.size(), prefix) != 0) {
    return NotOurCursor();
  }
  return bin.substr(prefix.size(), len - prefix.size());
}

Result<std::int64_t> DecodeIdCursor(std::string_view list, std::string_view cursor) {
  ZZ_ASSIGN_OR_RETURN(const std::string key, DecodeCursor(list, cursor));
  if (auto id = ParseRecordId(key)) return *id;
  return NotOurCursor();
}

}  // namespace zhizhi::store
