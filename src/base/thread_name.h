// Names the calling thread, so that `top -H`, `perf` and `/proc/PID/task/*/comm` say which of the
// server's threads is which (the writer, the checkpointer, the HTTP threads, …).
#pragma once

#include <pthread.h>

#include <string>

namespace zhizhi {

// Linux keeps at most 15 characters; a longer name is cut, never refused.
inline void NameThisThread(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace zhizhi
