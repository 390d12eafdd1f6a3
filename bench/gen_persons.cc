// Writes N persons with valid, unique resident ID numbers as CSV (the `persons` import format)
// to stdout: zhizhi_gen_persons N > persons.csv
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "base/civil_time.h"
#include "base/resident_id.h"

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1000000;
  static const char* kRegions[] = {"330114", "341221", "412726", "511321", "522425",
                                   "362430", "431224", "350623", "130625", "330327"};
  std::mt19937 rng(7);
  std::printf("id_type,id_number,name,phone,nation,id_address\n");
  // Unique by construction: (region, birth day, sequence) walks without repeats.
  const zhizhi::Date base = *zhizhi::Date::FromYmd(1960, 1, 1);
  for (long i = 0; i < n; ++i) {
    const long sequence = i % 1000;
    const long day = (i / 1000) % 14000;
    const long region = (i / 1000 / 14000) % 10;
    const std::string id = zhizhi::MakeResidentIdNumber(kRegions[region], base.AddDays(day),
                                                        static_cast<int>(sequence));
    std::printf("01,%s,工人%ld,13%09ld,01,浙江省杭州市钱塘区下沙街道%ld号\n", id.c_str(), i,
                static_cast<long>(rng() % 1000000000), i % 500);
  }
  return 0;
}
