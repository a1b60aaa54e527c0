// x264_encoder_open is a macro that pastes the build number, which Swift cannot
// import; this forwarder gives it a stable name. Nothing else lives here.
#ifndef STRATA_CX264_SHIM_H
#define STRATA_CX264_SHIM_H
#include <stdint.h>
#include <x264.h>

static inline x264_t *strata_x264_encoder_open(x264_param_t *param) { return x264_encoder_open(param); }
#endif
