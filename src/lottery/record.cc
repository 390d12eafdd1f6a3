#include "lottery/record.h"

#include <algorithm>
#include <vector>

namespace zhizhi::lottery {

namespace {

using nlohmann::json;

Verdict Differs(std::string what) {
  return Verdict{false, std::move(what), 0};
}

// A record is six levels deep (results[i].flat[j]); a hostile one may be a million, and
// printing it in a message would recurse that deep.
constexpr int kMaxDepth = 16;

int Depth(const json& value) {
  int deepest = 0;
  std::vector<std::pair<const json*, int>> stack{{&value, 1}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (depth > kMaxDepth) return depth;
    if (node->is_structured())
      for (const auto& child : *node)
        stack.push_back({&child, depth + 1});
  }
  return deepest;
}

std::string TextAt(const json& object, const char* name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "flat is ["3-2-1201"] in the record, the draw gives ["5-1-0902"]"
std::string FirstFieldDifference(const json& recorded, const json& drawn) {
  for (const char* field : {"order", "household", "flat", "parking", "farm_room"}) {
    const json mine = recorded.is_object() && recorded.contains(field) ? recorded[field] : json();
    if (mine != drawn[field])
      return std::string(field) + " is " + (mine.is_null() ? "missing" : mine.dump()) +
             " in the record, the draw gives " + drawn[field].dump();
  }
  if (recorded.is_object() && recorded.size() != drawn.size())
    return "it has fields the algorithm does not give";
  return {};
}

}  // namespace

json MakeRecord(const RecordParts& parts) {
  json record = {{"algorithm", {{"name", kAlgorithmName}, {"version", kAlgorithmVersion}}},
                 {"title", parts.title},
                 {"inputs_hash", parts.inputs_hash},
                 {"commitment", parts.commitment},
                 {"seed",
                  {{"secret", parts.secret.empty() ? json() : json(parts.secret)},
                   {"entropy", parts.entropy.empty() ? json() : json(parts.entropy)},
                   {"value", parts.seed.empty() ? json() : json(parts.seed)}}},
                 {"inputs", parts.inputs},
                 {"results", json::array()}};
  if (!parts.committed_at.empty()) record["committed_at"] = parts.committed_at;
  for (const Allocation& allocation : parts.results)
    record["results"].push_back(allocation.ToJson());
  for (const auto& [name, value] : parts.extra.items())
    record[name] = value;
  return record;
}

Result<std::string> RecordHash(const json& record) {
  json signed_part = json::object();
  for (const char* field :
       {"algorithm", "title", "inputs_hash", "commitment", "seed", "inputs", "results"})
    signed_part[field] = record.contains(field) ? record[field] : json();
  ZZ_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(signed_part));
  return Sha256Hex(canonical);
}

Verdict VerifyRecord(const json& record) {
  if (!record.is_object()) return Differs("the record is not a JSON object");
  if (Depth(record) > kMaxDepth) return Differs("the record is nested deeper than a record can be");
  const json algorithm = record.value("algorithm", json());
  if (!algorithm.is_object() || algorithm.value("name", json()) != kAlgorithmName ||
      algorithm.value("version", json()) != kAlgorithmVersion)
    return Differs("algorithm: this verifier knows " + std::string(kAlgorithmName) + " version " +
                   std::to_string(kAlgorithmVersion) + ", the record names " + algorithm.dump());
  if (!record.contains("inputs")) return Differs("inputs: missing");
  auto inputs = Inputs::FromJson(record["inputs"]);
  if (!inputs.ok()) return Differs(inputs.status().field() + ": " + inputs.status().message());
  auto canonical = CanonicalJson(record["inputs"]);
  const std::string inputs_hash = InputsHash(*canonical);
  if (TextAt(record, "inputs_hash") != inputs_hash)
    return Differs("inputs_hash: the record says " + record["inputs_hash"].dump() +
                   ", its inputs hash to " + inputs_hash);
  const json seed = record.value("seed", json());
  if (!seed.is_object()) return Differs("seed: missing");
  const std::string secret = TextAt(seed, "secret");
  if (!IsHex256(secret))
    return Differs("seed.secret: not revealed (the draw is not over) or not 64 hex digits");
  if (!seed.contains("entropy") || !seed["entropy"].is_string())
    return Differs("seed.entropy: missing (the notary has not entered it)");
  const std::string entropy = seed["entropy"].get<std::string>();
  const std::string commitment = CommitmentOf(inputs_hash, secret);
  if (TextAt(record, "commitment") != commitment)
    return Differs("commitment: the record's " + record.value("commitment", json()).dump() +
                   " is not what its inputs and secret give (" + commitment +
                   "): the inputs or the secret changed after the commitment was published");
  const std::string value = SeedOf(commitment, secret, entropy);
  if (TextAt(seed, "value") != value)
    return Differs("seed.value: the record says " + seed.value("value", json()).dump() +
                   ", the commitment, secret and entropy give " + value);
  const json results = record.value("results", json());
  if (!results.is_array()) return Differs("results: missing");
  const std::vector<Allocation> drawn = RunDraw(*inputs, value);
  for (size_t i = 0; i < drawn.size() && i < results.size(); ++i) {
    const std::string difference = FirstFieldDifference(results[i], drawn[i].ToJson());
    if (!difference.empty())
      return Differs("results[" + std::to_string(i) + "] (order " + std::to_string(i + 1) +
                     "): " + difference);
  }
  if (results.size() != drawn.size())
    return Differs("results: the record has " + std::to_string(results.size()) +
                   " results, the draw gives " + std::to_string(drawn.size()));
  // The notary's sign-off, when there is one, is of exactly this record.
  const json notary = record.value("notary", json());
  if (notary.is_object() && notary.contains("record_hash")) {
    auto hash = RecordHash(record);
    if (!hash.ok() || notary["record_hash"] != *hash)
      return Differs("notary.record_hash: the notary signed " + notary["record_hash"].dump() +
                     ", this record hashes to " + (hash.ok() ? *hash : hash.status().message()));
  }
  return Verdict{true, {}, drawn.size()};
}

Result<json> DrawRecord(const json& inputs_document, const std::string& secret,
                        const std::string& entropy) {
  ZZ_ASSIGN_OR_RETURN(Inputs inputs, Inputs::FromJson(inputs_document));
  ZZ_ASSIGN_OR_RETURN(std::string canonical, CanonicalJson(inputs_document));
  RecordParts parts;
  parts.title = inputs.title;
  parts.inputs = inputs_document;
  parts.inputs_hash = InputsHash(canonical);
  parts.commitment = CommitmentOf(parts.inputs_hash, secret);
  parts.secret = secret;
  parts.entropy = entropy;
  parts.seed = SeedOf(parts.commitment, secret, entropy);
  parts.results = RunDraw(inputs, parts.seed);
  return MakeRecord(parts);
}

}  // namespace zhizhi::lottery
