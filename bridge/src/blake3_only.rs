//! The hash-only product of the bridge crate: `aster_iroh_blake3` and nothing else, built as a
//! small staticlib (`cargo rustc --example aster_blake3 --no-default-features`) so that
//! aster_contract can hash without the iroh stack. CMake links it (target `aster::blake3`)
//! wherever the C header's `aster_iroh_blake3` is used, including beside the full bridge.

use std::panic::catch_unwind;

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
        let input: &[u8] = if len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(data, len)
        };
        let hash = blake3::hash(input);
        std::ptr::copy_nonoverlapping(hash.as_bytes().as_ptr(), out, 32);
        0
    })
    .unwrap_or(-2)
}
