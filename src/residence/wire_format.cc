#include "residence/wire_format.h"

#include <sodium.h>

#include "security/field_cipher.h"

namespace zhizhi::residence {

std::string CanonicalString(const CanonicalRequest& r) {
  std::string s;
  s.reserve(160 + r.path.size() + r.idempotency_key.size());
  s.append(kSignatureAlgorithm).append("\n");
  s.append(r.method).append("\n");
  s.append(r.path).append("\n");
  s.append(r.client_id).append("\n");
  s.append(r.key_id).append("\n");
  s.append(std::to_string(r.timestamp_ms)).append("\n");
  s.append(r.idempotency_key).append("\n");
  s.append(r.body_sha256_hex);
  return s;
}

namespace {

void Hmac(const WireKey& key, std::string_view message,
          unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, key.data(), key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&state, out);
}

}  // namespace

std::string HmacSha256Hex(const WireKey& key, std::string_view message) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  Hmac(key, message, mac);
  return security::ToHex(std::string_view(reinterpret_cast<const char*>(mac), sizeof mac));
}

bool SignatureMatches(const WireKey& key, std::string_view message, std::string_view hex) {
  auto received = security::FromHex(hex);
  if (!received.ok() || received->size() != crypto_auth_hmacsha256_BYTES) return false;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  Hmac(key, message, mac);
  return crypto_verify_32(mac, reinterpret_cast<const unsigned char*>(received->data())) == 0;
}

std::string EncryptField(const WireKey& key, std::string_view plaintext,
                         std::string_view associated_data) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  std::string box(kNonce + plaintext.size() + kTag, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, kNonce);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kNonce, &written, reinterpret_cast<const unsigned char*>(plaintext.data()),
      plaintext.size(), reinterpret_cast<const unsigned char*>(associated_data.data()),
      associated_data.size(), nullptr, nonce, key.data());
  box.resize(kNonce + written);
  return std::string(kIdCipherPrefix) + Base64(box);
}

Result<std::string> DecryptField(const WireKey& key, std::string_view field,
                                 std::string_view associated_data) {
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (!field.starts_with(kIdCipherPrefix)) {
    return Status::InvalidArgument("id_number_enc", "not an xc20p1 field");
  }
  ZZ_ASSIGN_OR_RETURN(std::string box, FromBase64(field.substr(kIdCipherPrefix.size())));
  if (box.size() < kNonce + kTag) {
    return Status::InvalidArgument("id_number_enc", "ciphertext too short");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(box.data());
  std::string plain(box.size() - kNonce - kTag, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &written, nullptr, nonce + kNonce,
          box.size() - kNonce, reinterpret_cast<const unsigned char*>(associated_data.data()),
          associated_data.size(), nonce, key.data()) != 0) {
    return Status::InvalidArgument("id_number_enc",
                                   "ciphertext does not open (wrong key or not this message's)");
  }
  plain.resize(written);
  return plain;
}

Result<WireKey> ParseWireKey(std::string_view hex, const std::string& field) {
  auto bytes = security::FromHex(hex);
  if (!bytes.ok() || bytes->size() != 32) {
    return Status::InvalidArgument(field, field + " must be 64 hex characters (32 bytes)");
  }
  WireKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string Base64(std::string_view bytes) {
  constexpr int kVariant = sodium_base64_VARIANT_ORIGINAL;
  std::string out(sodium_base64_encoded_len(bytes.size(), kVariant), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), kVariant);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

Result<std::string> FromBase64(std::string_view text) {
  std::string out(text.size() * 3 / 4 + 3, '\0');
  size_t written = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &written, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return Status::InvalidArgument("base64", "not base64");
  }
  out.resize(written);
  return out;
}

}  // namespace zhizhi::residence
