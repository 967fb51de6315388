//! SIGPIPE on the threads that run the runtime's tasks.
//!
//! A write to a TCP socket whose peer has reset it raises SIGPIPE, and the default action ends
//! the process. Rust programs never see this: std sets SIGPIPE to SIG_IGN before `main`
//! (library/std/src/sys/pal/unix/mod.rs, `reset_sigpipe`), and the crates under iroh rely on
//! it. Not every write path they take passes MSG_NOSIGNAL: std's `TcpStream::write` does, its
//! `write_vectored` is a plain `writev`, and tokio's `poll_write_vectored` (used by the TLS and
//! websocket layers of iroh's relay client) goes there. A C++ program linking this library
//! keeps the default action, so a relay that dies under a relay-only connection killed it with
//! exit 141 instead of letting iroh report the lost relay (CI of stop 35,
//! tests/network/scenario.sh `relay-dies-on-relay-only`).
//!
//! So every thread that polls the runtime's tasks blocks SIGPIPE: the write then fails with
//! EPIPE and iroh handles it as it does in a Rust program. Blocking it per thread, instead of
//! ignoring it process-wide, leaves the application's own threads as they were (`aster call
//! … | head` still ends quietly when `head` exits). The one exception is a caller-driven
//! runtime: its tasks run on the caller's thread, so that thread keeps SIGPIPE blocked from
//! its first `aster_iroh_runtime_turn`/`drive` on (include/aster_iroh.h says so).

use std::cell::Cell;

/// Adds SIGPIPE to this thread's blocked set (runtime workers, blocking pool, driver thread).
pub fn block_on_this_thread() {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

thread_local! {
    static BLOCKED: Cell<bool> = const { Cell::new(false) };
}

/// `block_on_this_thread` once per thread: the caller-driven entry points run per turn.
pub fn block_once_on_this_thread() {
    BLOCKED.with(|b| {
        if !b.get() {
            block_on_this_thread();
            b.set(true);
        }
    });
}
