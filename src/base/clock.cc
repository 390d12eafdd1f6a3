#include "base/clock.h"

#include "base/civil_time.h"

namespace zhizhi {

Clock SystemClock() {
  return [] { return NowUnixMs(); };
}

}  // namespace zhizhi
