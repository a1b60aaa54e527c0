// OpenH264's API calls through a vtable (`(*enc)->EncodeFrame(enc, ...)`); these
// inline forwarders give Swift plain functions to call. Nothing else lives here.
#ifndef STRATA_COPENH264_SHIM_H
#define STRATA_COPENH264_SHIM_H
#include <stdbool.h>
#include <wels/codec_api.h>
#include <wels/codec_ver.h>

static inline int strata_enc_get_default_params(ISVCEncoder *e, SEncParamExt *p) { return (*e)->GetDefaultParams(e, p); }
static inline int strata_enc_initialize_ext(ISVCEncoder *e, const SEncParamExt *p) { return (*e)->InitializeExt(e, p); }
static inline int strata_enc_uninitialize(ISVCEncoder *e) { return (*e)->Uninitialize(e); }
static inline int strata_enc_encode_frame(ISVCEncoder *e, const SSourcePicture *pic, SFrameBSInfo *info) { return (*e)->EncodeFrame(e, pic, info); }
static inline int strata_enc_force_intra(ISVCEncoder *e, bool idr) { return (*e)->ForceIntraFrame(e, idr); }
static inline int strata_enc_set_option(ISVCEncoder *e, ENCODER_OPTION opt, void *v) { return (*e)->SetOption(e, opt, v); }

static inline long strata_dec_initialize(ISVCDecoder *d, const SDecodingParam *p) { return (*d)->Initialize(d, p); }
static inline long strata_dec_uninitialize(ISVCDecoder *d) { return (*d)->Uninitialize(d); }
static inline DECODING_STATE strata_dec_decode_frame2(ISVCDecoder *d, const unsigned char *src, int len, unsigned char **dst, SBufferInfo *info) { return (*d)->DecodeFrame2(d, src, len, dst, info); }
static inline DECODING_STATE strata_dec_decode_frame_no_delay(ISVCDecoder *d, const unsigned char *src, int len, unsigned char **dst, SBufferInfo *info) { return (*d)->DecodeFrameNoDelay(d, src, len, dst, info); }
static inline DECODING_STATE strata_dec_flush_frame(ISVCDecoder *d, unsigned char **dst, SBufferInfo *info) { return (*d)->FlushFrame(d, dst, info); }
static inline long strata_dec_set_option(ISVCDecoder *d, DECODER_OPTION opt, void *v) { return (*d)->SetOption(d, opt, v); }
static inline long strata_dec_get_option(ISVCDecoder *d, DECODER_OPTION opt, void *v) { return (*d)->GetOption(d, opt, v); }
#endif
