//! aster_iroh: iroh, iroh-blobs, iroh-docs and iroh-gossip behind a C ABI for Aster C++.
//! This crate holds no Aster logic (framing, codec, tickets, trust live in C++). The C header
//! is `include/aster_iroh.h`; every exported symbol is prefixed `aster_iroh_`.

use std::panic::catch_unwind;

/// ABI version; bumped on any incompatible change to `aster_iroh.h`.
pub const ABI_VERSION: u32 = 1;

#[no_mangle]
pub extern "C" fn aster_iroh_abi_version() -> u32 {
    ABI_VERSION
}

/// BLAKE3-256 of `len` bytes at `data` into `out[32]`. Returns 0, or -1 on a null argument.
/// Exposed so C++ (contract ids, registry keys) never hand-writes a hash.
///
/// # Safety
/// `data` must point to `len` readable bytes (may be null when `len == 0`); `out` to 32
/// writable bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blake3(data: *const u8, len: usize, out: *mut u8) -> i32 {
    catch_unwind(|| {
        if out.is_null() || (data.is_null() && len != 0) {
            return -1;
        }
        let input: &[u8] = if len == 0 { &[] } else { std::slice::from_raw_parts(data, len) };
        let hash = blake3::hash(input);
        std::ptr::copy_nonoverlapping(hash.as_bytes().as_ptr(), out, 32);
        0
    })
    .unwrap_or(-2)
}
