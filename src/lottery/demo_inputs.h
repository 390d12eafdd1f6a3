// Made-up inputs of a resettlement draw for demonstrations and tests (`zhizhi lottery demo`,
// `zhizhi demo`): N households entitled to one or two flats of types A (90 m²), B (120 m²) and
// C (140 m²), most to a parking space and a farm-tool room; a few households with a disabled or
// an elderly member drawing first on low floors; pools a little larger than the demand, in
// 18-storey buildings of two units. The same N and seed always give the same document.
//
// Thread-safety: a pure function.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace zhizhi::lottery {

nlohmann::json DemoInputs(int households, std::uint64_t seed = 1544);

}  // namespace zhizhi::lottery
