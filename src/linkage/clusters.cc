#include "linkage/clusters.h"

#include <algorithm>
#include <numeric>

namespace zhizhi::linkage {

Clusters::Clusters(size_t records)
    : parent_(records), size_(records, 1), identity_(records, 0), groups_(records) {
  std::iota(parent_.begin(), parent_.end(), 0u);
}

std::uint32_t Clusters::Find(std::uint32_t r) {
  while (parent_[r] != r) {
    parent_[r] = parent_[parent_[r]];  // path halving
    r = parent_[r];
  }
  return r;
}

bool Clusters::Conflicts(std::uint32_t a, std::uint32_t b) {
  const std::uint32_t ra = Find(a), rb = Find(b);
  if (ra == rb) return false;
  if (identity_[ra] != 0 && identity_[rb] != 0 && identity_[ra] != identity_[rb]) return true;
  for (const auto& [x, y] : cannot_) {
    const std::uint32_t rx = Find(x), ry = Find(y);
    if ((rx == ra && ry == rb) || (rx == rb && ry == ra)) return true;
  }
  return false;
}

bool Clusters::Union(std::uint32_t a, std::uint32_t b, bool force) {
  std::uint32_t ra = Find(a), rb = Find(b);
  if (ra == rb) return true;
  if (!force && Conflicts(ra, rb)) return false;
  if (size_[ra] < size_[rb]) std::swap(ra, rb);
  parent_[rb] = ra;
  size_[ra] += size_[rb];
  if (identity_[ra] == 0) identity_[ra] = identity_[rb];
  --groups_;
  return true;
}

std::vector<std::uint32_t> Clusters::Representatives() {
  const auto n = static_cast<std::uint32_t>(parent_.size());
  std::vector<std::uint32_t> smallest(n, n);
  for (std::uint32_t r = 0; r < n; ++r) {
    const std::uint32_t root = Find(r);
    smallest[root] = std::min(smallest[root], r);
  }
  std::vector<std::uint32_t> out(n);
  for (std::uint32_t r = 0; r < n; ++r)
    out[r] = smallest[Find(r)];
  return out;
}

}  // namespace zhizhi::linkage
