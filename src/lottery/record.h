// The record of a draw (api-v1.md "Resettlement-housing lottery", docs/lottery.md "Record"): one
// JSON document that holds everything needed to re-run the draw — the algorithm, the inputs, the
// commitment, the seed's parts and the results — and its verification, which trusts nothing in
// it: the inputs are hashed again, the commitment and the seed recomputed, the draw re-run, and
// the first difference is named.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "lottery/draw.h"
#include "lottery/inputs.h"

namespace zhizhi::lottery {

struct RecordParts {
  std::string title;
  nlohmann::json inputs;
  std::string inputs_hash;
  std::string commitment;
  std::string committed_at;  // RFC 3339, informational
  std::string secret;        // empty until the draw is over
  std::string entropy;       // empty until the notary entered it
  std::string seed;          // empty until then
  std::vector<Allocation> results;
  nlohmann::json extra = nlohmann::json::object();  // drawn_at, notary, … (informational)
};

nlohmann::json MakeRecord(const RecordParts& parts);

struct Verdict {
  bool verified = false;
  std::string difference;  // the first, when not verified
  size_t results = 0;      // results re-derived
};

// Re-runs a record. A record that is not even shaped like one is a difference too. When the
// record carries a notary's sign-off, its `record_hash` must be the record's (RecordHash).
Verdict VerifyRecord(const nlohmann::json& record);

// What a notary signs: SHA-256 (hex) of the canonical JSON of the record's `algorithm`, `title`,
// `inputs_hash`, `commitment`, `seed`, `inputs` and `results` (docs/lottery.md, "Record").
Result<std::string> RecordHash(const nlohmann::json& record);

// Draws a whole record from inputs, a secret and entropy in one go (the demo, the tests).
Result<nlohmann::json> DrawRecord(const nlohmann::json& inputs_document, const std::string& secret,
                                  const std::string& entropy);

}  // namespace zhizhi::lottery
