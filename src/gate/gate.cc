// The gate's life cycle: construction, loading the state, housekeeping's thread, and the
// snapshots the fault tests compare.
#include "gate/gate.h"

#include <spdlog/spdlog.h>

#include "base/thread_name.h"
#include "gate/gate_internal.h"

namespace zhizhi::gate {

Gate::Gate(store::Database* db, registry::Registry* registry, const security::FieldCipher* cipher,
           GateOptions options)
    : db_(db), registry_(registry), cipher_(cipher), options_(options) {}

Gate::~Gate() {
  Stop();
}

Status Gate::Start() {
  ZZ_RETURN_IF_ERROR(db_->Write([this](store::Connection& conn) { return Load(conn); }));
  housekeeping_ = std::thread([this] {
    NameThisThread("zz-gate-house");
    HousekeepingLoop();
  });
  return Status::Ok();
}

void Gate::Stop() {
  {
    std::lock_guard lock(tick_mu_);
    stopping_ = true;
  }
  tick_cv_.notify_all();
  if (housekeeping_.joinable()) housekeeping_.join();
}

Status Gate::Load(store::Connection& conn) {
  ZZ_ASSIGN_OR_RETURN(GateData fresh, GateState::ReadAll(conn, internal::Today()));
  state_.Replace(conn, std::move(fresh));
  // Standings may have changed while the server was down (a certificate expired overnight).
  ZZ_RETURN_IF_ERROR(RecomputeAllStandings(conn, "load"));
  const GateData& st = state_.data();
  spdlog::info("event=gate_loaded projects={} persons={} devices={} roster_version={}",
               st.projects.size(), st.persons.size(), st.devices.size(), st.roster_version);
  return Status::Ok();
}

GateData Gate::MemorySnapshot() const {
  auto lock = state_.ReadLock();
  return state_.data();
}

Result<GateData> Gate::LoadSnapshot() const {
  GateData memory = MemorySnapshot();
  return db_->Read([&](store::Connection& conn) -> Result<GateData> {
    // Compared on the day the memory was computed for: standings are a function of the day.
    return GateState::ReadAll(conn, memory.today);
  });
}

}  // namespace zhizhi::gate
