//! Completion queue: a deque under the handle table's lock, woken through an eventfd
//! (docs/transport.md "Layers").
//!
//! A producer pushes and, if `armed` was false, sets it and writes 1 to the eventfd: one
//! syscall per burst. `poll` drains; a poll that finds the queue empty (returns 0) clears the
//! eventfd counter and `armed` under the same lock, so a push after that always writes again
//! and no wakeup is lost. The consumer polls until 0 before it waits, so it only has to wait
//! for readability and drain.
//!
//! Why disarm on the empty poll and not on the poll that takes the last event: the consumer
//! polls again after dispatching what it took, and at 64 requests in flight the runtime queues
//! the next completions meanwhile. Disarmed at the emptying poll, each of those bursts cost the
//! runtime's thread an eventfd `write` and the io thread a `read` while the io thread was
//! awake anyway (0.18 writes per request in `aster_transport_bench --only bridge`,
//! docs/transport.md "Measured 2026-12-04 (later)").

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::abi::aster_iroh_event;

// Raw libc calls: the crate does not take a direct `libc` dependency so the seeded lockfile
// stays untouched. Values are Linux x86_64/aarch64.
extern "C" {
    fn eventfd(initval: u32, flags: i32) -> i32;
    fn read(fd: i32, buf: *mut u8, count: usize) -> isize;
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn close(fd: i32) -> i32;
}
const EFD_CLOEXEC: i32 = 0o2000000;
const EFD_NONBLOCK: i32 = 0o4000;

/// An event plus the payload pointer it carries; the pointer targets a lease that outlives the
/// event (released by C++ through `aster_iroh_lease_release`).
pub struct QueuedEvent(pub aster_iroh_event);
// SAFETY: the only raw pointer points into an immutable `Bytes` held by the lease table.
unsafe impl Send for QueuedEvent {}

/// The queued events. They live under the lock of the bridge's handle and lease table
/// (`Shared::handles`): an event's objects become handles and its payload a lease under the
/// same lock that queues it, one lock per event where the queue's own mutex made two.
pub type Queue = VecDeque<QueuedEvent>;

pub struct CompletionQueue {
    fd: i32,
    /// The queue's length as of its last change (written under the lock): lets `poll` answer
    /// "empty" without the lock, so an io thread that spins on it (docs/transport.md
    /// "Spinning") does not contend with the producer's pushes.
    queued: crossbeam_utils::CachePadded<AtomicUsize>,
    /// Whether a push has signalled since the last empty poll. Changed only under the queue's
    /// lock; atomic so that an empty poll with nothing to disarm skips the lock too.
    armed: AtomicBool,
    /// Wakes `aster_iroh_runtime_turn` (caller-driven runtime) when an event is queued.
    pub notify: tokio::sync::Notify,
    /// false for caller-driven runtimes (see `aster_iroh_runtime_turn`).
    pub fd_wake: std::sync::atomic::AtomicBool,
}

impl CompletionQueue {
    pub fn new() -> Option<Self> {
        // SAFETY: plain syscall.
        let fd = unsafe { eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK) };
        if fd < 0 {
            return None;
        }
        Some(Self {
            fd,
            queued: crossbeam_utils::CachePadded::new(AtomicUsize::new(0)),
            armed: AtomicBool::new(false),
            notify: tokio::sync::Notify::new(),
            fd_wake: std::sync::atomic::AtomicBool::new(true),
        })
    }

    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Queues `ev` into `queue`, whose lock the caller holds. True when the consumer must be
    /// woken: the caller then calls `signal` once it released the lock.
    #[must_use]
    pub fn push(&self, queue: &mut Queue, ev: aster_iroh_event) -> bool {
        queue.push_back(QueuedEvent(ev));
        self.queued.store(queue.len(), Ordering::Release);
        // `armed` changes only under the queue's lock (here and in `poll`), so a load and a
        // store do what a swap did without its locked instruction, once per event.
        let wake = !self.armed.load(Ordering::Relaxed);
        if wake {
            self.armed.store(true, Ordering::Release);
        }
        wake
    }

    /// Wakes the consumer after a `push` that asked for it.
    pub fn signal(&self) {
        self.notify.notify_one();
        if !self.fd_wake.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a local. EAGAIN (counter saturated) is harmless.
        unsafe { write(self.fd, &one as *const u64 as *const u8, 8) };
    }

    /// Empty and disarmed as of the last change: `poll` would take nothing and clear nothing.
    /// A push racing these loads sets `armed` itself and signals the eventfd, so skipping the
    /// lock then loses no wake-up.
    pub fn idle(&self) -> bool {
        self.queued.load(Ordering::Acquire) == 0 && !self.armed.load(Ordering::Acquire)
    }

    /// Moves up to `out.len()` events from `queue` (its lock held) into `out`; returns how
    /// many. Returning 0 re-arms the wake-up: the next push signals the eventfd (and `notify`)
    /// again.
    pub fn poll(
        &self,
        queue: &mut Queue,
        out: &mut [std::mem::MaybeUninit<aster_iroh_event>],
    ) -> usize {
        let mut n = 0;
        while n < out.len() {
            match queue.pop_front() {
                Some(QueuedEvent(ev)) => {
                    out[n].write(ev);
                    n += 1;
                }
                None => break,
            }
        }
        self.queued.store(queue.len(), Ordering::Release);
        if n == 0 && self.armed.load(Ordering::Relaxed) {
            // Caller-driven runtimes never write the eventfd: nothing to clear.
            if self.fd_wake.load(std::sync::atomic::Ordering::Relaxed) {
                let mut buf = [0u8; 8];
                // SAFETY: reads into a local buffer; EAGAIN when already clear is fine.
                unsafe { read(self.fd, buf.as_mut_ptr(), 8) };
            }
            self.armed.store(false, Ordering::Release);
        }
        n
    }

    /// Drops all queued events (runtime shutdown: nothing polls afterwards, so `armed` and the
    /// eventfd are left as they are); their leases are freed with the lease table.
    pub fn clear(&self, queue: &mut Queue) {
        queue.clear();
        self.queued.store(0, Ordering::Release);
    }
}

impl Drop for CompletionQueue {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor.
        unsafe { close(self.fd) };
    }
}
