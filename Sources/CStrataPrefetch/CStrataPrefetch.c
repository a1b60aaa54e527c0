// The prefetch hints are inline functions in include/CStrataPrefetch.h; this file gives the target a source.
#include "CStrataPrefetch.h"
