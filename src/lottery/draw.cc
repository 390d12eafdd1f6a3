#include "lottery/draw.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "security/field_cipher.h"

namespace zhizhi::lottery {

namespace {

// What is left of one pool (or of one flat type's part of it): indices in canonical order.
class Remaining {
 public:
  Remaining() = default;
  explicit Remaining(size_t size) {
    for (size_t i = 0; i < size; ++i)
      left_.push_back(i);
  }
  void Add(size_t item) { left_.push_back(item); }
  // Draws one of the items left; none when none is.
  std::optional<size_t> Draw(KeyStream& stream) {
    if (left_.empty()) return std::nullopt;
    return Take(stream.Below(static_cast<std::uint32_t>(left_.size())));
  }
  // Draws one of the items that `allowed` accepts; none when none is left.
  template <typename Allowed>
  std::optional<size_t> Draw(KeyStream& stream, Allowed allowed) {
    candidates_.clear();
    for (size_t i = 0; i < left_.size(); ++i)
      if (allowed(left_[i])) candidates_.push_back(i);
    if (candidates_.empty()) return std::nullopt;
    return Take(candidates_[stream.Below(static_cast<std::uint32_t>(candidates_.size()))]);
  }

 private:
  size_t Take(size_t position) {
    const size_t item = left_[position];
    left_.erase(left_.begin() + static_cast<std::ptrdiff_t>(position));
    return item;
  }
  std::vector<size_t> left_;
  std::vector<size_t> candidates_;
};

std::optional<std::string> IdOf(std::optional<size_t> index, const std::vector<std::string>& ids) {
  if (!index) return std::nullopt;
  return ids[*index];
}

}  // namespace

std::string InputsHash(const std::string& canonical_inputs) {
  return Sha256Hex(canonical_inputs);
}

std::string CommitmentOf(const std::string& inputs_hash, const std::string& secret) {
  return Sha256Hex("zhizhi-lottery/1|commit|" + inputs_hash + "|" + secret);
}

std::string SeedOf(const std::string& commitment, const std::string& secret,
                   const std::string& entropy) {
  return Sha256Hex("zhizhi-lottery/1|seed|" + commitment + "|" + secret + "|" + entropy);
}

Result<std::string> NewSecret() {
  ZZ_RETURN_IF_ERROR(security::InitSodium());
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof(bytes));
  return security::ToHex(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
}

bool IsHex256(std::string_view text) {
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

KeyStream::KeyStream(const std::string& seed_hex) {
  const auto key = security::FromHex(seed_hex);
  if (key.ok() && key->size() == key_.size()) std::copy(key->begin(), key->end(), key_.begin());
}

void KeyStream::Refill() {
  static const std::array<unsigned char, sizeof(block_)> kZeros{};
  static const unsigned char kNonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
  crypto_stream_chacha20_ietf_xor_ic(block_.data(), kZeros.data(), block_.size(), kNonce,
                                     static_cast<std::uint32_t>(counter_), key_.data());
  counter_ += block_.size() / 64;
  used_ = 0;
}

std::uint32_t KeyStream::NextWord() {
  if (used_ + 4 > block_.size()) Refill();
  const unsigned char* p = block_.data() + used_;
  used_ += 4;
  ++words_read_;
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

std::uint32_t KeyStream::Below(std::uint32_t n) {
  const std::uint64_t range = std::uint64_t{1} << 32;
  const std::uint64_t limit = range - range % n;
  for (;;) {
    const std::uint32_t word = NextWord();
    if (word < limit) return static_cast<std::uint32_t>(word % n);
  }
}

nlohmann::json Allocation::ToJson() const {
  const auto list = [](const std::vector<std::optional<std::string>>& items) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : items)
      out.push_back(item ? nlohmann::json(*item) : nullptr);
    return out;
  };
  return {{"order", order},
          {"household", household},
          {"flat", list(flat)},
          {"parking", list(parking)},
          {"farm_room", list(farm_room)}};
}

std::vector<Allocation> RunDraw(const Inputs& inputs, const std::string& seed_hex) {
  KeyStream stream(seed_hex);
  // 1. The order: tiers from the highest down, each tier's households (by id) shuffled.
  std::map<int, std::vector<const Household*>, std::greater<>> tiers;
  for (const Household& household : inputs.households)
    tiers[household.tier].push_back(&household);
  std::vector<const Household*> order;
  for (auto& [tier, members] : tiers) {
    for (size_t i = members.size(); i-- > 1;) {
      const std::uint32_t j = stream.Below(static_cast<std::uint32_t>(i + 1));
      std::swap(members[i], members[j]);
    }
    order.insert(order.end(), members.begin(), members.end());
  }
  // 2. In that order, each household's flats (by type, within its floor limit), then its parking
  // spaces, then its farm-tool rooms.
  // Each flat type's part of the flat pool, in pool order: a household's candidates are its
  // type's flats left (within its floor limit), exactly as the specification filters the pool.
  const std::vector<Flat>& pool = inputs.flats;
  std::vector<std::string> flat_ids;
  std::map<std::string, Remaining> flats;
  for (size_t i = 0; i < pool.size(); ++i) {
    flat_ids.push_back(pool[i].id);
    flats[pool[i].type].Add(i);
  }
  Remaining parking(inputs.parking.size()), farm_rooms(inputs.farm_rooms.size());
  std::vector<Allocation> allocations;
  allocations.reserve(order.size());
  for (const Household* household : order) {
    Allocation allocation;
    allocation.order = static_cast<int>(allocations.size()) + 1;
    allocation.household = household->id;
    for (const std::string& type : household->flats) {
      Remaining& left = flats[type];
      const auto drawn =
          household->max_floor
              ? left.Draw(stream, [&](size_t i) { return pool[i].floor <= *household->max_floor; })
              : left.Draw(stream);
      allocation.flat.push_back(IdOf(drawn, flat_ids));
    }
    for (int i = 0; i < household->parking; ++i)
      allocation.parking.push_back(IdOf(parking.Draw(stream), inputs.parking));
    for (int i = 0; i < household->farm_room; ++i)
      allocation.farm_room.push_back(IdOf(farm_rooms.Draw(stream), inputs.farm_rooms));
    allocations.push_back(std::move(allocation));
  }
  return allocations;
}

}  // namespace zhizhi::lottery
