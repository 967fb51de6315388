/* aster_iroh.h — C ABI of the aster_iroh bridge crate (bridge/src/lib.rs).
 * Kept by hand; tests/unit/bridge compiles it as C and checks sizes against Rust.
 * Every symbol is prefixed aster_iroh_. No Rust allocation is ever freed by the caller. */
#ifndef ASTER_IROH_H
#define ASTER_IROH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this ABI; a mismatch with ASTER_IROH_ABI_VERSION means a stale library. */
#define ASTER_IROH_ABI_VERSION 1u
uint32_t aster_iroh_abi_version(void);

/* BLAKE3-256 of data[0..len) into out[32]. Returns 0, -1 on a null argument. */
int32_t aster_iroh_blake3(const uint8_t *data, size_t len, uint8_t *out);

#ifdef __cplusplus
}
#endif
#endif /* ASTER_IROH_H */
