// Everything an application needs to embed sluice.
#pragma once

#include "sluice/context.hpp"
#include "sluice/engine.hpp"
#include "sluice/error.hpp"
#include "sluice/options.hpp"
#include "sluice/stats.hpp"
