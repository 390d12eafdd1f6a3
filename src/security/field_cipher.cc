#include "security/field_cipher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <sodium.h>

namespace zhizhi::security {

namespace {

constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES] = {'z', 'h', 'i', 'z', 'h', 'i', 'F', 'C'};

Result<FieldCipher::Key> KeyFromHex(std::string_view hex, const std::string& where) {
  auto bytes = FromHex(hex);
  if (!bytes.ok() || bytes->size() != FieldCipher::kKeyBytes) {
    return Status::Internal(where + " must hold exactly 64 hex characters (a 32-byte key)");
  }
  FieldCipher::Key key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return key;
}

std::string KeyHex(const FieldCipher::Key& key) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(key.data()), key.size())) + "\n";
}

}  // namespace

Status InitSodium() {
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  return Status::Ok();
}

FieldCipher::Key FieldCipher::GenerateKey() {
  // Without libsodium there is no safe key to make, and no Status to carry the news: stop.
  if (!InitSodium().ok()) std::abort();
  Key key;
  randombytes_buf(key.data(), key.size());
  return key;
}

// O_EXCL, so two processes starting at once cannot both write one.
Status FieldCipher::WriteKeyFile(const std::string& path, const Key& key) {
  std::string hex = KeyHex(key);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return Status::Conflict("key_exists", "", path + " already exists");
    return Status::Internal("cannot create " + path + ": " + std::strerror(errno));
  }
  const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  sodium_memzero(hex.data(), hex.size());
  if (!written || !synced) return Status::Internal("cannot write " + path);
  return Status::Ok();
}

Result<FieldCipher::Key> FieldCipher::LoadKey(const std::string& data_dir) {
  ZZ_RETURN_IF_ERROR(InitSodium());
  if (const char* env = std::getenv(kKeyEnvironment); env != nullptr && *env != '\0') {
    return KeyFromHex(env, kKeyEnvironment);
  }
  const std::string path = data_dir + "/" + kKeyFileName;
  if (::access(path.c_str(), F_OK) != 0) {
    Key key = GenerateKey();
    Status status = WriteKeyFile(path, key);
    sodium_memzero(key.data(), key.size());
    if (!status.ok() && status.code() != "key_exists") return status;
  }
  return ReadKeyFile(path);
}

Result<FieldCipher::Key> FieldCipher::ReadKeyFile(const std::string& path) {
  std::ifstream in(path);
  std::string hex;
  if (!(in >> hex)) return Status::Internal("cannot read " + path);
  auto key = KeyFromHex(hex, path);
  sodium_memzero(hex.data(), hex.size());
  return key;
}

Result<FieldCipher> FieldCipher::ForDataDir(const std::string& data_dir) {
  ZZ_ASSIGN_OR_RETURN(Key key, LoadKey(data_dir));
  FieldCipher cipher = FromMasterKey(key);
  sodium_memzero(key.data(), key.size());
  return cipher;
}

FieldCipher FieldCipher::FromMasterKey(const Key& master) {
  if (!InitSodium().ok()) std::abort();  // as in GenerateKey
  FieldCipher cipher;
  crypto_kdf_derive_from_key(cipher.seal_key_.data(), cipher.seal_key_.size(), 1, kKdfContext,
                             master.data());
  crypto_kdf_derive_from_key(cipher.hash_key_.data(), cipher.hash_key_.size(), 2, kKdfContext,
                             master.data());
  crypto_kdf_derive_from_key(cipher.chain_key_.data(), cipher.chain_key_.size(), 3, kKdfContext,
                             master.data());
  return cipher;
}

std::string FieldCipher::Seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, seal_key_.data());
  return out;
}

Result<std::string> FieldCipher::Unseal(std::string_view sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Status::Internal("sealed field is truncated");
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const auto* boxed = nonce + crypto_secretbox_NONCEBYTES;
  const size_t boxed_len = sealed.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(boxed_len - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), boxed, boxed_len,
                                 nonce, seal_key_.data()) != 0) {
    return Status::Internal("sealed field failed authentication (wrong key or tampered data)");
  }
  return plain;
}

std::string FieldCipher::LookupHash(std::string_view text) const {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     hash_key_.data(), hash_key_.size());
  return out;
}

std::string FieldCipher::ChainHash(std::string_view text) const {
  std::string out(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                     reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                     chain_key_.data(), chain_key_.size());
  return out;
}

std::string FieldCipher::KeyCheck() const {
  return ChainHash(std::string_view("zhizhi field key check\0", 23));
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  return ToHex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

Result<std::string> FromHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return Status::InvalidArgument("hex", "odd number of hex digits");
  std::string out(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("hex", "not a hex digit");
    out[i] = static_cast<char>(hi << 4 | lo);
  }
  return out;
}

}  // namespace zhizhi::security
