// The draw: algorithm zhizhi-lottery, version 1 (docs/lottery.md is its specification, precise
// enough for an independent implementation; tools/lottery-verify.mjs is one).
//
//   inputs_hash = SHA-256(canonical inputs)
//   commitment  = SHA-256("zhizhi-lottery/1|commit|" inputs_hash "|" secret)     published first
//   seed        = SHA-256("zhizhi-lottery/1|seed|" commitment "|" secret "|" entropy)
// (hashes as lowercase hex text). The seed keys ChaCha20 (RFC 8439, zero nonce, counter from 0);
// its key stream, read as little-endian 32-bit words, drives rejection sampling (no modulo bias)
// and Fisher–Yates: first the order of the households within each priority tier, highest tier
// first, then, in that order, each household's flats, parking spaces and farm-tool rooms, each
// drawn from what is left of its pool that the household may have.
//
// Thread-safety: pure functions and a value type.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lottery/inputs.h"
#include "security/field_cipher.h"

namespace zhizhi::lottery {

inline constexpr const char* kAlgorithmName = "zhizhi-lottery";
inline constexpr int kAlgorithmVersion = 1;

using security::Sha256Hex;  // lowercase hex SHA-256

std::string InputsHash(const std::string& canonical_inputs);
std::string CommitmentOf(const std::string& inputs_hash, const std::string& secret);
std::string SeedOf(const std::string& commitment, const std::string& secret,
                   const std::string& entropy);
// A new secret: 32 random bytes (libsodium) as 64 lowercase hex digits.
Result<std::string> NewSecret();
// Whether `text` is 64 lowercase hex digits (a secret, a hash, a seed).
bool IsHex256(std::string_view text);

// ChaCha20's key stream as 32-bit words, and unbiased indices drawn from it.
class KeyStream {
 public:
  explicit KeyStream(const std::string& seed_hex);  // IsHex256(seed_hex)
  std::uint32_t NextWord();
  // A uniform index in [0, n), n ≥ 1: words at or above the largest multiple of n below 2^32
  // are skipped (rejection sampling). Always reads at least one word.
  std::uint32_t Below(std::uint32_t n);
  std::uint64_t words_read() const { return words_read_; }

 private:
  void Refill();
  std::array<unsigned char, 32> key_{};
  std::array<unsigned char, 1024> block_{};
  size_t used_ = sizeof(block_);
  std::uint64_t counter_ = 0;  // next ChaCha20 block
  std::uint64_t words_read_ = 0;
};

// One household's results, in draw order. An item is empty only when nothing the household may
// have was left (Inputs::Shortfalls() keeps a committed draw from that).
struct Allocation {
  int order = 0;  // 1-based
  std::string household;
  std::vector<std::optional<std::string>> flat, parking, farm_room;

  nlohmann::json ToJson() const;
};

// Runs the whole draw; the same inputs and seed always give the same allocations.
std::vector<Allocation> RunDraw(const Inputs& inputs, const std::string& seed_hex);

}  // namespace zhizhi::lottery
