#include "basedata/entities.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <thread>
#include <tuple>

#include <sodium.h>

#include "base/text.h"
#include "linkage/clusters.h"
#include "linkage/person.h"

namespace zhizhi::basedata {

namespace {

using nlohmann::json;

// Entities written per writer job.
constexpr size_t kEntitiesPerJob = 10000;

std::uint64_t HashText(std::string_view text) {
  std::uint64_t h = 0x6a09e667f3bcc909ull;
  for (unsigned char c : text)
    h = linkage::MixBits(h ^ c);
  return h | 1;
}

std::vector<std::uint32_t> PersonRepresentatives(EntityPlan* plan,
                                                 const std::vector<StoredDecision>& decisions,
                                                 const linkage::LinkOptions& options) {
  const auto& records = plan->records;
  std::vector<linkage::PersonRecord> persons(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const LinkKeys& k = records[i].keys;
    linkage::PersonRecord& p = persons[i];
    if (!records[i].id_number.empty()) linkage::ParseIdNumber(records[i].id_number, &p);
    p.name = FromUtf8(k.name);
    p.birth = k.birth;
    p.sex = k.sex;
    p.phone = k.phone;
    p.house = k.house;
    p.village = k.village;
  }
  auto index_of = [&](std::int64_t id) -> std::optional<std::uint32_t> {
    auto it = std::lower_bound(records.begin(), records.end(), id,
                               [](const LoadedRecord& r, std::int64_t v) { return r.id < v; });
    if (it == records.end() || it->id != id) return std::nullopt;
    return static_cast<std::uint32_t>(it - records.begin());
  };
  std::vector<linkage::LinkDecision> link_decisions;
  for (const StoredDecision& d : decisions) {
    auto a = index_of(d.record_a), b = index_of(d.record_b);
    if (a && b) link_decisions.push_back({*a, *b, d.same});
  }
  linkage::LinkResult result = linkage::LinkPersons(persons, link_decisions, options);
  // A pair a reviewer decided on is not asked about again (a "different" pair stays apart and
  // would otherwise come back every run).
  std::set<std::pair<std::uint32_t, std::uint32_t>> decided;
  for (const linkage::LinkDecision& d : link_decisions)
    decided.emplace(std::min(d.a, d.b), std::max(d.a, d.b));
  for (const linkage::ScoredPair& pair : result.reviews) {
    if (decided.contains({std::min(pair.a, pair.b), std::max(pair.a, pair.b)})) continue;
    PlannedReview review;
    review.record_a = records[pair.a].id;
    review.record_b = records[pair.b].id;
    review.weight = pair.weight;
    review.probability = linkage::Model::Probability(pair.weight);
    review.reason = pair.reason;
    review.fields = json::array();
    for (const linkage::FieldWeight& f : linkage::ExplainPair(result.model, pair))
      review.fields.push_back({{"field", f.field}, {"level", f.level}, {"weight", f.weight}});
    plan->reviews.push_back(std::move(review));
  }
  plan->report = json::parse(result.report.ToJson());
  return std::move(result.entity);
}

// Houses: one per standardised door (house key) or standard address; an address that names no
// door stays alone.
std::vector<std::uint32_t> HouseRepresentatives(EntityPlan* plan) {
  const auto& records = plan->records;
  linkage::Clusters clusters(records.size());
  std::unordered_map<std::uint64_t, std::uint32_t> first;
  size_t unions = 0;
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    const std::uint64_t key = records[i].keys.house;
    if (key == 0) continue;
    auto [it, fresh] = first.emplace(key, i);
    if (!fresh) unions += clusters.Union(it->second, i);
  }
  // The same standard address, however the door was written.
  first.clear();
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    const auto key = static_cast<std::uint64_t>(records[i].keys.standard_address);
    if (key == 0) continue;
    auto [it, fresh] = first.emplace(key, i);
    if (!fresh && !clusters.Together(it->second, i)) unions += clusters.Union(it->second, i);
  }
  plan->report = {{"records", records.size()}, {"exact_links", unions}};
  return clusters.Representatives();
}

// Units: USCC first (two USCCs never join), then the same name in the same community, then the
// same name with the same phone.
std::vector<std::uint32_t> UnitRepresentatives(EntityPlan* plan) {
  const auto& records = plan->records;
  linkage::Clusters clusters(records.size());
  for (std::uint32_t i = 0; i < records.size(); ++i)
    if (!records[i].keys.uscc.empty()) clusters.SetIdentity(i, HashText(records[i].keys.uscc));
  size_t by_uscc = 0, by_name = 0, refused = 0;
  auto join_by = [&](auto key_of, size_t* count) {
    std::unordered_map<std::string, std::uint32_t> first;
    for (std::uint32_t i = 0; i < records.size(); ++i) {
      std::string key = key_of(records[i].keys);
      if (key.empty()) continue;
      auto [it, fresh] = first.emplace(std::move(key), i);
      if (fresh || clusters.Together(it->second, i)) continue;
      if (clusters.Union(it->second, i))
        ++*count;
      else
        ++refused;
    }
  };
  join_by([](const LinkKeys& k) { return k.uscc; }, &by_uscc);
  join_by(
      [](const LinkKeys& k) {
        return k.name.empty() || k.village == 0 ? std::string()
                                                : k.name + "|" + std::to_string(k.village);
      },
      &by_name);
  join_by(
      [](const LinkKeys& k) {
        return k.name.empty() || k.phone == 0 ? std::string()
                                              : k.name + "#" + std::to_string(k.phone);
      },
      &by_name);
  plan->report = {{"records", records.size()},
                  {"uscc_links", by_uscc},
                  {"name_links", by_name},
                  {"refused", refused}};
  return clusters.Representatives();
}

std::string MembersDigest(const EntityPlan& plan, const std::vector<std::uint32_t>& members) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, nullptr, 0, 16);
  for (std::uint32_t m : members) {
    const LoadedRecord& r = plan.records[m];
    const std::int64_t id = r.id;
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(&id), sizeof id);
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(r.digest.data()),
                              r.digest.size());
  }
  unsigned char out[16];
  crypto_generichash_final(&state, out, sizeof out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string FormatDate(std::int32_t yyyymmdd) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d-%02d", yyyymmdd / 10000, yyyymmdd / 100 % 100,
                yyyymmdd % 100);
  return text;
}

// One record's say on the golden record.
struct Voice {
  std::string source, source_id;
  int priority = 0;
  std::int64_t updated_at = 0;
  json fields;
  const LoadedRecord* record = nullptr;
};

// The value most records give, then the higher priority, then the newest; with provenance.
struct Candidate {
  std::string value;
  int agree = 0;
  const Voice* best = nullptr;
};

std::optional<Candidate> Survivor(const std::vector<Voice>& voices,
                                  const std::function<std::string(const Voice&)>& value_of,
                                  int* giving) {
  std::map<std::string, Candidate> by_value;
  *giving = 0;
  for (const Voice& v : voices) {
    std::string value = value_of(v);
    if (value.empty()) continue;
    ++*giving;
    Candidate& c = by_value[value];
    c.value = value;
    ++c.agree;
    if (c.best == nullptr || v.priority > c.best->priority ||
        (v.priority == c.best->priority && v.updated_at > c.best->updated_at))
      c.best = &v;
  }
  // Most records, then the higher priority, then the newest, then the longer value (a fuller
  // address, a full name).
  auto rank = [](const Candidate& c) {
    return std::make_tuple(c.agree, c.best->priority, c.best->updated_at, c.value.size());
  };
  std::optional<Candidate> winner;
  for (auto& [value, c] : by_value)
    if (!winner || rank(c) > rank(*winner)) winner = c;
  return winner;
}

void Compose(Kind kind, const std::vector<Voice>& voices, PlannedEntity* e) {
  json golden = json::object();
  auto put = [&](const std::string& field, const std::function<std::string(const Voice&)>& of,
                 bool with_value = true) -> std::optional<Candidate> {
    int giving = 0;
    auto c = Survivor(voices, of, &giving);
    if (!c) return c;
    json entry = {{"source", c->best->source},
                  {"source_id", c->best->source_id},
                  {"agree", c->agree},
                  {"of", giving}};
    if (with_value) entry["value"] = c->value;
    golden[field] = std::move(entry);
    return c;
  };
  auto phone = [](const char* field) {
    return [field](const Voice& v) -> std::string {
      auto it = v.fields.find(field);
      return it != v.fields.end() && it->is_string() ? PhoneDigits(it->get<std::string>())
                                                     : std::string();
    };
  };
  auto raw = [](const char* field) {
    return [field](const Voice& v) -> std::string {
      auto it = v.fields.find(field);
      return it != v.fields.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
  };
  // The most frequent non-zero key among the records.
  auto common_key = [&](auto key_of) -> std::uint64_t {
    std::unordered_map<std::uint64_t, int> counts;
    std::uint64_t best = 0;
    int best_count = 0;
    for (const Voice& v : voices) {
      const std::uint64_t k = key_of(v.record->keys);
      if (k == 0) continue;
      const int n = ++counts[k];
      if (n > best_count || (n == best_count && k < best)) best = k, best_count = n;
    }
    return best;
  };
  const std::uint64_t village = common_key([](const LinkKeys& k) { return k.village; });
  if (village != 0) e->village = std::to_string(village);
  if (kind == Kind::kPerson) {
    // An ID number whose check digit holds wins over one that does not.
    auto valid = [](const Voice& v) {
      linkage::PersonRecord p;
      return linkage::ParseIdNumber(v.record->id_number, &p) && p.id_valid ? v.record->id_number
                                                                           : std::string();
    };
    auto id = put("id_number", valid, false);
    if (!id)
      id = put(
          "id_number", [](const Voice& v) { return v.record->id_number; }, false);
    if (id) e->id_number = id->value;
    if (auto c = put("name", [](const Voice& v) { return v.record->keys.name; }))
      e->name = c->value;
    put("sex", [](const Voice& v) {
      return v.record->keys.sex ? std::string(1, v.record->keys.sex) : std::string();
    });
    put("birth_date", [](const Voice& v) {
      return v.record->keys.birth ? FormatDate(v.record->keys.birth) : std::string();
    });
    if (auto c = put("phone", phone("phone"))) e->phone = c->value;
    if (auto c = put("address", raw("address"))) e->address = c->value;
  } else if (kind == Kind::kHouse) {
    if (auto c = put("address", raw("address"))) e->address = e->name = c->value;
    put("area", raw("area"));
    put("use", raw("use"));
    put("owner_name", raw("owner_name"));
    auto owner_id = put(
        "owner_id_number", [](const Voice& v) { return v.record->id_number; }, false);
    if (owner_id) e->id_number = owner_id->value;
    if (auto c = put("owner_phone", phone("owner_phone"))) e->phone = c->value;
  } else {
    put("uscc", [](const Voice& v) { return v.record->keys.uscc; });
    if (auto c = put("name", raw("name"))) e->name = c->value;
    if (auto c = put("address", raw("address"))) e->address = c->value;
    if (auto c = put("phone", phone("phone"))) e->phone = c->value;
    put("legal_person", raw("legal_person"));
  }
  const std::uint64_t house = common_key([](const LinkKeys& k) { return k.house; });
  if (house != 0) e->house_key = KeyToSql(house);
  e->golden = golden.dump();
}

}  // namespace

Result<EntityPlan> LoadForLinking(store::Database& db, const security::FieldCipher& cipher,
                                  Kind kind, std::vector<StoredDecision>* decisions,
                                  std::unordered_map<std::int64_t, std::string>* previous) {
  EntityPlan plan;
  plan.kind = kind;
  ZZ_RETURN_IF_ERROR(db.Read([&](store::Connection& conn) -> Status {
    ZZ_ASSIGN_OR_RETURN(plan.records, LoadRecords(conn, cipher, kind));
    auto d = conn.Prepare(
        "SELECT record_a, record_b, same FROM linkage_decisions WHERE kind = ? AND undone_at IS "
        "NULL ORDER BY id");
    d.Bind(1, KindName(kind));
    while (d.Step())
      decisions->push_back({d.Int(0), d.Int(1), d.Int(2) != 0});
    ZZ_RETURN_IF_ERROR(d.status());
    auto e = conn.Prepare("SELECT id, members FROM entities WHERE kind = ?");
    e.Bind(1, KindName(kind));
    while (e.Step())
      previous->emplace(e.Int(0), e.Blob(1));
    return e.status();
  }));
  return plan;
}

void PlanEntities(EntityPlan* plan, const std::vector<StoredDecision>& decisions,
                  const std::unordered_map<std::int64_t, std::string>& previous,
                  const linkage::LinkOptions& options) {
  std::vector<std::uint32_t> rep;
  switch (plan->kind) {
    case Kind::kPerson:
      rep = PersonRepresentatives(plan, decisions, options);
      break;
    case Kind::kHouse:
      rep = HouseRepresentatives(plan);
      break;
    case Kind::kUnit:
      rep = UnitRepresentatives(plan);
      break;
  }
  // Groups in record order; the largest choose their ids first.
  std::unordered_map<std::uint32_t, size_t> group_of;
  for (std::uint32_t i = 0; i < rep.size(); ++i) {
    auto [it, fresh] = group_of.emplace(rep[i], plan->entities.size());
    if (fresh) plan->entities.emplace_back();
    plan->entities[it->second].members.push_back(i);
  }
  std::vector<size_t> order(plan->entities.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return plan->entities[a].members.size() > plan->entities[b].members.size();
  });
  std::unordered_set<std::int64_t> claimed;
  for (size_t g : order) {
    PlannedEntity& e = plan->entities[g];
    std::map<std::int64_t, int> votes;
    for (std::uint32_t m : e.members)
      if (const std::int64_t id = plan->records[m].entity_id; id != 0 && previous.contains(id))
        ++votes[id];
    int best = 0;
    for (const auto& [id, n] : votes) {
      if (n > best && !claimed.contains(id)) e.id = id, best = n;
    }
    if (e.id != 0) claimed.insert(e.id);
    e.members_digest = MembersDigest(*plan, e.members);
    if (e.id != 0) {
      auto it = previous.find(e.id);
      e.changed = it == previous.end() || it->second != e.members_digest;
    }
  }
  for (const auto& [id, digest] : previous)
    if (!claimed.contains(id)) plan->retired.push_back(id);
  std::sort(plan->retired.begin(), plan->retired.end());
  size_t changed = 0;
  for (const PlannedEntity& e : plan->entities)
    changed += e.changed;
  plan->report["entities"] = plan->entities.size();
  plan->report["entities_changed"] = changed;
  plan->report["entities_retired"] = plan->retired.size();
}

namespace {

// The golden records of plan->entities[changed[begin, end)], from one read snapshot.
Status ComposeGoldens(store::Database& db, EntityPlan* plan, const std::vector<size_t>& changed,
                      size_t begin, size_t end) {
  return db.Read([&](store::Connection& conn) -> Status {
    std::vector<Voice> voices;
    for (size_t k = begin; k < end; ++k) {
      PlannedEntity& e = plan->entities[changed[k]];
      voices.clear();
      for (std::uint32_t m : e.members) {
        const LoadedRecord& r = plan->records[m];
        auto s = conn.Prepare(
            "SELECT source, source_id, priority, fields, updated_at FROM source_records "
            "WHERE id = ?");
        s.Bind(1, r.id);
        if (!s.Step()) {
          ZZ_RETURN_IF_ERROR(s.status());
          continue;  // not in this snapshot: written after the records were loaded
        }
        Voice v;
        v.source = s.Text(0);
        v.source_id = s.Text(1);
        v.priority = static_cast<int>(s.Int(2));
        v.fields = json::parse(s.Text(3), nullptr, false);
        v.updated_at = s.Int(4);
        v.record = &r;
        voices.push_back(std::move(v));
      }
      Compose(plan->kind, voices, &e);
    }
    return Status::Ok();
  });
}

}  // namespace

Status WriteEntities(store::Database& db, const security::FieldCipher& cipher, EntityPlan* plan_ptr,
                     std::int64_t now_ms) {
  EntityPlan& plan = *plan_ptr;
  const char* kind = KindName(plan.kind);
  std::vector<size_t> changed;
  for (size_t i = 0; i < plan.entities.size(); ++i)
    if (plan.entities[i].changed) changed.push_back(i);
  double compose_seconds = 0;
  for (size_t start = 0; start < changed.size(); start += kEntitiesPerJob) {
    const size_t end = std::min(changed.size(), start + kEntitiesPerJob);
    const auto composing = std::chrono::steady_clock::now();
    {
      // Two halves on two read connections: composing is reading and parsing.
      const size_t middle = start + (end - start) / 2;
      Status other;
      std::thread half([&] { other = ComposeGoldens(db, &plan, changed, middle, end); });
      Status mine = ComposeGoldens(db, &plan, changed, start, middle);
      half.join();
      ZZ_RETURN_IF_ERROR(mine);
      ZZ_RETURN_IF_ERROR(other);
    }
    compose_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - composing).count();
    ZZ_RETURN_IF_ERROR(db.Write([&](store::Connection& conn) -> Status {
      for (size_t k = start; k < end; ++k) {
        const PlannedEntity& e = plan.entities[changed[k]];
        std::optional<std::string> sealed, hash;
        if (!e.id_number.empty()) {
          sealed = cipher.Seal(e.id_number);
          hash = IdLookupHash(cipher, e.id_number);
        }
        auto s = e.id == 0
                     ? conn.Prepare(
                           "INSERT INTO entities(golden, id_cipher, id_hash, name, phone, "
                           "address, village, house_key, records, members, updated_at, kind) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")
                     : conn.Prepare(
                           "UPDATE entities SET golden = ?1, id_cipher = ?2, id_hash = ?3, "
                           "name = ?4, phone = ?5, address = ?6, village = ?7, house_key = ?8, "
                           "records = ?9, members = ?10, updated_at = ?11 WHERE id = ?12");
        s.Bind(1, e.golden);
        if (sealed)
          s.BindBlob(2, *sealed).BindBlob(3, *hash);
        else
          s.BindNull(2).BindNull(3);
        s.Bind(4, e.name)
            .Bind(5, e.phone)
            .Bind(6, e.address)
            .Bind(7, e.village)
            .Bind(8, e.house_key)
            .Bind(9, static_cast<std::int64_t>(e.members.size()))
            .BindBlob(10, e.members_digest)
            .Bind(11, now_ms);
        if (e.id == 0)
          s.Bind(12, kind);
        else
          s.Bind(12, e.id);
        ZZ_RETURN_IF_ERROR(s.Run());
        const std::int64_t id = e.id == 0 ? conn.LastInsertRowId() : e.id;
        for (std::uint32_t m : e.members) {
          if (plan.records[m].entity_id == id) continue;
          ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE source_records SET entity_id = ? WHERE id = ?")
                                 .Bind(1, id)
                                 .Bind(2, plan.records[m].id)
                                 .Run());
        }
      }
      return Status::Ok();
    }));
    for (size_t k = start; k < end; ++k) {  // written: the memory goes
      PlannedEntity& e = plan.entities[changed[k]];
      std::string().swap(e.golden);
      std::string().swap(e.id_number);
      e.name.reset(), e.phone.reset(), e.address.reset();
    }
  }
  plan.report["compose_seconds"] = std::round(compose_seconds * 100) / 100;
  return db.Write([&](store::Connection& conn) -> Status {
    for (std::int64_t id : plan.retired)
      ZZ_RETURN_IF_ERROR(conn.Prepare("DELETE FROM entities WHERE id = ?").Bind(1, id).Run());
    ZZ_RETURN_IF_ERROR(conn.Prepare("UPDATE source_records SET entity_id = NULL WHERE kind = ? "
                                    "AND withdrawn = 1 AND entity_id IS NOT NULL")
                           .Bind(1, kind)
                           .Run());
    ZZ_RETURN_IF_ERROR(
        conn.Prepare("DELETE FROM linkage_reviews WHERE kind = ?").Bind(1, kind).Run());
    for (const PlannedReview& r : plan.reviews) {
      ZZ_RETURN_IF_ERROR(conn.Prepare("INSERT INTO linkage_reviews(kind, record_a, record_b, "
                                      "weight, probability, reason, fields) VALUES "
                                      "(?, ?, ?, ?, ?, ?, ?)")
                             .Bind(1, kind)
                             .Bind(2, r.record_a)
                             .Bind(3, r.record_b)
                             .Bind(4, r.weight)
                             .Bind(5, r.probability)
                             .Bind(6, r.reason)
                             .Bind(7, r.fields.dump())
                             .Run());
    }
    return Status::Ok();
  });
}

}  // namespace zhizhi::basedata
