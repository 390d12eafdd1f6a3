// The police adapter's wire format (docs/residence.md, "Wire format"): how a message is signed
// and how ID numbers travel encrypted inside it. Both sides use these functions — the adapter
// that sends and the reference receiver (police_endpoint.h) — so the documentation, the sender
// and the check cannot drift apart.
//
// Signature: lowercase hex HMAC-SHA256 (libsodium crypto_auth_hmacsha256, 32-byte key) over the
// canonical form, eight lines joined with '\n' (no trailing newline):
//
//   ZZ1-HMAC-SHA256
//   POST
//   <request path, e.g. /floating-population/v1/messages>
//   <client id>
//   <key id>
//   <X-ZZ-Timestamp: unix milliseconds when the message was signed>
//   <Idempotency-Key>
//   <lowercase hex SHA-256 of the body bytes>
//
// ID numbers: XChaCha20-Poly1305 (IETF AEAD, libsodium) under a 32-byte key shared with the
// police system, a random 24-byte nonce per field, and the idempotency key as associated data
// (a ciphertext copied into another message does not open). The field is
// "xc20p1:" + base64(nonce ‖ ciphertext ‖ tag), standard base64 with padding.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "security/field_cipher.h"

namespace zhizhi::residence {

inline constexpr std::string_view kSignatureAlgorithm = "ZZ1-HMAC-SHA256";
inline constexpr std::string_view kIdCipherPrefix = "xc20p1:";

// Header names of a message.
inline constexpr const char* kHeaderClient = "X-ZZ-Client";
inline constexpr const char* kHeaderKeyId = "X-ZZ-Key-Id";
inline constexpr const char* kHeaderTimestamp = "X-ZZ-Timestamp";
inline constexpr const char* kHeaderIdempotency = "Idempotency-Key";
inline constexpr const char* kHeaderContentSha256 = "X-ZZ-Content-SHA256";
inline constexpr const char* kHeaderSignature = "X-ZZ-Signature";

using WireKey = std::array<unsigned char, 32>;

struct CanonicalRequest {
  std::string method = "POST";
  std::string path;
  std::string client_id;
  std::string key_id;
  std::int64_t timestamp_ms = 0;
  std::string idempotency_key;
  std::string body_sha256_hex;
};

std::string CanonicalString(const CanonicalRequest& request);
using security::Sha256Hex;
// Lowercase hex HMAC-SHA256 of `message`.
std::string HmacSha256Hex(const WireKey& key, std::string_view message);
// Constant-time comparison of a received signature with the expected one.
bool SignatureMatches(const WireKey& key, std::string_view message, std::string_view hex);

std::string EncryptField(const WireKey& key, std::string_view plaintext,
                         std::string_view associated_data);
// 400-style InvalidArgument when the text is not one of ours or does not open under the key.
Result<std::string> DecryptField(const WireKey& key, std::string_view field,
                                 std::string_view associated_data);

// 64 hex characters → key.
Result<WireKey> ParseWireKey(std::string_view hex, const std::string& field);

std::string Base64(std::string_view bytes);
Result<std::string> FromBase64(std::string_view text);

}  // namespace zhizhi::residence
