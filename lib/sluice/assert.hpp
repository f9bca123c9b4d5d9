// Always-on assertions for invariants whose violation would lose or corrupt data: they stay in
// release builds and abort with the condition, the place, and a message, instead of going on.
#pragma once

#include <cstdio>
#include <cstdlib>

#define SLUICE_ASSERT(cond, msg)                                                                                \
  do {                                                                                                          \
    if (!(cond)) [[unlikely]] {                                                                                 \
      std::fprintf(stderr, "sluice: invariant violated at %s:%d: %s (%s)\n", __FILE__, __LINE__, (msg), #cond); \
      std::abort();                                                                                             \
    }                                                                                                           \
  } while (false)
