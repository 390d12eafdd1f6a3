// From source records to entities (golden records), one linking run of one kind at a time:
//
//   PlanEntities   which records make one entity: persons by record linkage
//                  (linkage/person_linker.h) with the reviewers' decisions; houses by their
//                  standardised address (the same door, building, unit and room is one house);
//                  units by USCC, then — never across two USCCs — by the same name in the same
//                  community or with the same phone. Each entity keeps the id that most of its
//                  records had (largest entities choose first), so ids stay stable across runs;
//                  an entity whose records did not change is not rewritten.
//   WriteEntities  the golden record of each changed entity — per field, the value most of its
//                  records give, then the source of higher priority, then the newest, then the
//                  longer; each with its source and source id (provenance) — composed and written
//                  with source_records.entity_id in writer jobs of bounded size (a first run over
//                  a million records must not hold the writer, nor the memory, for its whole
//                  length); the reviews and retired ids go last.
//
// Thread-safety: plain functions; run on the linker's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "basedata/mapping.h"
#include "basedata/record_store.h"
#include "linkage/person_linker.h"
#include "security/field_cipher.h"
#include "store/database.h"

namespace zhizhi::basedata {

struct PlannedEntity {
  std::int64_t id = 0;                 // kept id, 0 for a new entity
  std::vector<std::uint32_t> members;  // indices into the loaded records, ascending
  std::string members_digest;
  bool changed = true;  // new, or its records changed since the last run
  // Filled for changed entities a chunk at a time while they are written (WriteEntities).
  std::string golden;     // JSON: {field: {value, source, source_id, agree, of}}
  std::string id_number;  // the golden ID number (person), "" if none
  std::optional<std::string> name, phone, address, village;
  std::optional<std::int64_t> house_key;
};

struct PlannedReview {
  std::int64_t record_a = 0, record_b = 0;
  double weight = 0, probability = 0;
  std::string reason;
  nlohmann::json fields;  // [{field, level, weight}]
};

struct EntityPlan {
  Kind kind = Kind::kPerson;
  std::vector<LoadedRecord> records;
  std::vector<PlannedEntity> entities;
  std::vector<std::int64_t> retired;  // ids of the last run that no entity kept
  std::vector<PlannedReview> reviews;
  nlohmann::json report = nlohmann::json::object();
};

// A reviewer's decision in force, by record ids.
struct StoredDecision {
  std::int64_t record_a = 0, record_b = 0;
  bool same = false;
};

// Reads the live records of `kind`, the decisions in force and the last run's entities.
Result<EntityPlan> LoadForLinking(store::Database& db, const security::FieldCipher& cipher,
                                  Kind kind, std::vector<StoredDecision>* decisions,
                                  std::unordered_map<std::int64_t, std::string>* previous);

// Decides the entities of plan->records (see above).
void PlanEntities(EntityPlan* plan, const std::vector<StoredDecision>& decisions,
                  const std::unordered_map<std::int64_t, std::string>& previous,
                  const linkage::LinkOptions& options);

// Composes the golden records of the changed entities and writes them, a chunk at a time (the
// golden records of a million entities are not held at once), then the retired ids and reviews.
Status WriteEntities(store::Database& db, const security::FieldCipher& cipher, EntityPlan* plan,
                     std::int64_t now_ms);

}  // namespace zhizhi::basedata
