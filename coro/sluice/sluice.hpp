// Everything an application needs to embed sluice.
#pragma once

#include "sluice/context.hpp"
#include "sluice/dead_letters.hpp"
#include "sluice/dedup_key_state.hpp"
#include "sluice/engine.hpp"
#include "sluice/error.hpp"
#include "sluice/observer.hpp"
#include "sluice/options.hpp"
#include "sluice/permanent_error.hpp"
#include "sluice/stats.hpp"
