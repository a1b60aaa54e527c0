// libswscale imports directly; the header exists only to give the module one root.
#ifndef STRATA_CSWSCALE_SHIM_H
#define STRATA_CSWSCALE_SHIM_H
#include <libswscale/swscale.h>
#include <libavutil/pixfmt.h>
#endif
