//! aster_iroh: iroh, iroh-blobs, iroh-docs and iroh-gossip behind a C ABI for Aster C++.
//! This crate holds no Aster logic (framing, codec, tickets, trust live in C++). The C header
//! is `include/aster_iroh.h`; every exported symbol is prefixed `aster_iroh_`.
//!
//! Shape (docs/transport.md "Layers"): opaque generational u64 handles, every
//! asynchronous call returns at once with an op id and later yields exactly one terminal event
//! on the completion queue, errors travel as status + message in the event, every entry point
//! runs under `catch_unwind`, and C++ never frees a Rust allocation (payloads are leases).
//!
//! `aster_iroh_blake3` lives in `blake3_only.rs`, built as its own small staticlib (the
//! `aster_blake3` example, without the `iroh` feature) that every C++ user of the bridge links.
#![cfg(feature = "iroh")]

mod abi;
mod content;
mod cq;
mod node;
mod runtime;
mod sigpipe;
mod stream;
mod trace;

use std::ffi::CStr;
use std::future::Future;
use std::mem::MaybeUninit;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::VarInt;
use iroh::{EndpointAddr, EndpointId, RelayMode};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;
use tokio::sync::oneshot;

use stream::{Attempt, WriteData};

pub use abi::{
    aster_iroh_addr_out, aster_iroh_bytes, aster_iroh_connect_cfg, aster_iroh_sockaddr, aster_iroh_endpoint_cfg, aster_iroh_event,
    aster_iroh_path_out, aster_iroh_runtime_cfg,
};
use abi::{
    kind, status, DOWNLOAD_HASH_SEQ, DOWNLOAD_PROGRESS, EP_CONTENT, EP_GATE, EP_PORTMAPPER,
    EP_SECRET_KEY, RELAY_CUSTOM, RELAY_DEFAULT, RELAY_DISABLED, RELAY_STAGING,
};
use node::{ConnectParams, EndpointParams, HookDecision};
use runtime::{conn_error, Completion, Deferred, Obj, Shared};

/// A write at least this long runs inline even while the runtime is busy
/// (`Shared::should_defer`).
const LARGE_WRITE: usize = 16 * 1024;

/// ABI version; bumped on any incompatible change to `aster_iroh.h`.
pub const ABI_VERSION: u32 = 15;

/// The opaque runtime (`struct aster_iroh_rt` in C).
#[allow(non_camel_case_types)]
pub struct aster_iroh_rt {
    shared: Arc<Shared>,
    tokio: Option<Arc<tokio::runtime::Runtime>>,
    /// current_thread flavour: the thread driving the runtime and the signal that stops it.
    driver: Option<(oneshot::Sender<()>, std::thread::JoinHandle<()>)>,
    flavor: u32,
}

impl aster_iroh_rt {
    /// Ends an operation submitted with an optional inline outcome: with `now` the outcome is
    /// written there (DONE, no event); otherwise it is queued as the op's one event (OK).
    unsafe fn settle(
        &self,
        kind: u32,
        user_data: u64,
        out_op: *mut u64,
        now: *mut aster_iroh_event,
        attempt: Attempt,
        op: u64,
        rx: Option<oneshot::Receiver<()>>,
    ) -> i32 {
        match attempt {
            Attempt::Done(c) => {
                if let Some(now) = now.as_mut() {
                    *now = self.shared.event_of(kind, 0, user_data, c);
                    if !out_op.is_null() {
                        *out_op = 0;
                    }
                    return status::DONE;
                }
                let (op, _rx) = if op != 0 {
                    (op, None)
                } else {
                    let (op, rx) = self.shared.register(kind, user_data, None);
                    (op, Some(rx))
                };
                self.shared.complete(op, c);
                if !out_op.is_null() {
                    *out_op = op;
                }
                status::OK
            }
            Attempt::Parked => {
                if !out_op.is_null() {
                    *out_op = op;
                }
                status::OK
            }
            Attempt::Pending(fut) => {
                let rx = rx.expect("a pending op was registered");
                self.shared.spawn_op(self.handle(), op, rx, fut);
                if !out_op.is_null() {
                    *out_op = op;
                }
                status::OK
            }
        }
    }

    /// Hands `run` to the runtime (`Shared::defer`); `op` (registered by the caller, 0 for
    /// none) is reported in `out_op` and its event follows.
    unsafe fn defer(
        &self,
        op: u64,
        out_op: *mut u64,
        run: impl FnOnce(&Arc<Shared>, &tokio::runtime::Handle) + Send + 'static,
    ) -> i32 {
        self.shared.defer(Deferred {
            op,
            run: Box::new(run),
        });
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    }

    /// A synchronous call's effect: now, or queued behind the deferred operations when
    /// `Shared::should_defer` says so (call order). Returns OK.
    fn now_or_deferred(&self, act: impl FnOnce(&Arc<Shared>) + Send + 'static) -> i32 {
        if self.shared.should_defer(false) {
            // SAFETY: a null out_op is never written.
            return unsafe { self.defer(0, std::ptr::null_mut(), move |shared, _| act(shared)) };
        }
        act(&self.shared);
        status::OK
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.tokio
            .as_ref()
            .expect("runtime present until shutdown")
            .handle()
    }
    fn submit<F>(&self, kind: u32, user_data: u64, out_op: *mut u64, fut: F) -> i32
    where
        F: Future<Output = Completion> + Send + 'static,
    {
        if self.shared.should_defer(false) {
            // Behind the deferred stream operations (call order), and spawned from the
            // runtime's own thread.
            let (op, epoch, rx) = self.shared.register_live(kind, user_data);
            // SAFETY: out_op is the caller's (null or writable).
            return unsafe {
                self.defer(op, out_op, move |shared, handle| {
                    if shared.op_live(op, epoch) {
                        shared.spawn_op(handle, op, rx, fut);
                    }
                })
            };
        }
        let op = self.shared.submit(self.handle(), kind, user_data, fut);
        if !out_op.is_null() {
            // SAFETY: caller passes a writable u64 or null.
            unsafe { *out_op = op };
        }
        status::OK
    }
}

/// Runs an entry point body under `catch_unwind`; a panic becomes PANIC
/// (docs/transport.md "Layers").
fn guard(f: impl FnOnce() -> i32) -> i32 {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(status::PANIC)
}

unsafe fn rt_ref<'a>(rt: *mut aster_iroh_rt) -> Option<&'a aster_iroh_rt> {
    rt.as_ref()
}

unsafe fn opt_cstr<'a>(p: *const c_char) -> Result<Option<&'a str>, i32> {
    if p.is_null() {
        return Ok(None);
    }
    match CStr::from_ptr(p).to_str() {
        Ok("") => Ok(None),
        Ok(s) => Ok(Some(s)),
        Err(_) => Err(status::INVALID_ARG),
    }
}

unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Option<&'a [T]> {
    if len == 0 {
        Some(&[])
    } else if ptr.is_null() {
        None
    } else {
        Some(std::slice::from_raw_parts(ptr, len))
    }
}

fn varint(code: u64) -> Option<VarInt> {
    VarInt::from_u64(code).ok()
}

macro_rules! get_obj {
    ($rt:expr, $h:expr, $variant:ident) => {
        match $rt.shared.get($h) {
            Some(Obj::$variant(o)) => o,
            _ => return status::NOT_FOUND,
        }
    };
}

#[no_mangle]
pub extern "C" fn aster_iroh_abi_version() -> u32 {
    ABI_VERSION
}

/// Static NUL-terminated name of a status code.
#[no_mangle]
pub extern "C" fn aster_iroh_status_name(s: i32) -> *const c_char {
    status::name(s).as_ptr() as *const c_char
}

// ---------------------------------------------------------------------------------------------
// Runtime

/// # Safety
/// `cfg` null or valid; `out` writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_new(
    cfg: *const aster_iroh_runtime_cfg,
    out: *mut *mut aster_iroh_rt,
) -> i32 {
    guard(|| {
        if out.is_null() {
            return status::INVALID_ARG;
        }
        trace::init_from_env();
        let mut workers = 2usize;
        let mut flavor = abi::RT_MULTI_THREAD;
        let mut flags = 0u32;
        let mut spin = 0u64;
        if let Some(c) = cfg.as_ref() {
            let size = c.struct_size as usize;
            if size < abi::RUNTIME_CFG_V1_SIZE {
                return status::INVALID_ARG;
            }
            if c.worker_threads > 0 {
                workers = c.worker_threads as usize;
            }
            flavor = c.flavor;
            flags = c.flags;
            // Versioned by size: callers from before `spin_us` pass 16 bytes.
            if size >= std::mem::size_of::<aster_iroh_runtime_cfg>() {
                spin = u64::from(c.spin_us);
            }
        }
        let Some(cq) = cq::CompletionQueue::new() else {
            return status::INTERNAL;
        };
        let mut builder = match flavor {
            abi::RT_MULTI_THREAD => {
                let mut b = tokio::runtime::Builder::new_multi_thread();
                b.worker_threads(workers);
                b
            }
            abi::RT_CURRENT_THREAD | abi::RT_CALLER_DRIVEN => {
                tokio::runtime::Builder::new_current_thread()
            }
            _ => return status::INVALID_ARG,
        };
        // Whether the runtime's thread sleeps, and how deferred operations wake it
        // (`RuntimeWake`: lazily when one thread drives the runtime).
        let spin = if flavor == abi::RT_CURRENT_THREAD { spin } else { 0 };
        let wake = Arc::new(runtime::RuntimeWake::new(
            flavor == abi::RT_CURRENT_THREAD,
            std::time::Duration::from_micros(spin),
        ));
        let (on_park, on_unpark) = (wake.clone(), wake.clone());
        let built = builder
            .enable_all()
            .thread_name("aster-iroh")
            // Workers and the blocking pool; the driver thread and a caller-driven caller block
            // it themselves (src/sigpipe.rs).
            .on_thread_start(sigpipe::block_on_this_thread)
            .on_thread_park(move || on_park.on_park())
            .on_thread_unpark(move || on_unpark.on_unpark())
            .build();
        let tokio = match built {
            Ok(t) => Arc::new(t),
            Err(_) => return status::INTERNAL,
        };
        let driver = if flavor == abi::RT_CURRENT_THREAD {
            // One thread drives the runtime (and every task on it) until shutdown.
            let (tx, rx) = oneshot::channel::<()>();
            let t = tokio.clone();
            let w = wake.clone();
            match std::thread::Builder::new()
                .name("aster-iroh".into())
                .spawn(move || {
                    sigpipe::block_on_this_thread();
                    w.drive_here();
                    t.block_on(async move {
                        let _ = rx.await;
                    })
                }) {
                Ok(j) => Some((tx, j)),
                Err(_) => return status::INTERNAL,
            }
        } else {
            None
        };
        if flavor == abi::RT_CALLER_DRIVEN {
            // The caller drains after every turn on its own thread: no eventfd wake-ups.
            cq.fd_wake.store(false, std::sync::atomic::Ordering::Relaxed);
        }
        // A caller-driven runtime is only ever called from its own thread: nothing to defer.
        let deferring = flags & abi::RT_DEFER_STREAM_OPS != 0 && flavor != abi::RT_CALLER_DRIVEN;
        let shared = Arc::new(Shared::new(cq, deferring, wake));
        if deferring {
            tokio.spawn(runtime::run_deferred(shared.clone(), tokio.handle().clone()));
        }
        // Polls the stream halves whose parked read or write was woken (stream.rs "Parked
        // operations").
        tokio.spawn(stream::run_parked(shared.clone()));
        if spin != 0 {
            tokio.spawn(runtime::run_spin(shared.clone()));
        }
        let rt = Box::new(aster_iroh_rt {
            shared,
            tokio: Some(tokio),
            driver,
            flavor,
        });
        *out = Box::into_raw(rt);
        status::OK
    })
}

/// Closes every endpoint (bounded by `timeout_ms`), drops all handles, pending ops (no events)
/// and leases, stops the tokio runtime and frees `rt`.
///
/// # Safety
/// `rt` from `aster_iroh_runtime_new`, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_shutdown(
    rt: *mut aster_iroh_rt,
    timeout_ms: u32,
) -> i32 {
    guard(|| {
        if rt.is_null() {
            return status::INVALID_ARG;
        }
        let mut rt = Box::from_raw(rt);
        let objs = rt.shared.drain_handles();
        rt.shared.drain_ops();
        rt.shared.drain_deferred();
        let timeout = Duration::from_millis(timeout_ms as u64);
        if let Some((stop, thread)) = rt.driver.take() {
            let _ = stop.send(());
            let _ = thread.join();
        }
        let tokio = rt.tokio.take().and_then(|t| Arc::try_unwrap(t).ok());
        if let Some(tokio) = tokio {
            let endpoints: Vec<_> = objs
                .iter()
                .filter_map(|o| match o {
                    Obj::Endpoint(e) => Some(e.clone()),
                    _ => None,
                })
                .collect();
            drop(objs);
            tokio.block_on(async {
                let _ = tokio::time::timeout(timeout, async {
                    for e in endpoints {
                        let _ = e.router.shutdown().await;
                    }
                })
                .await;
            });
            tokio.shutdown_timeout(timeout);
        }
        // After the tasks and connections are gone: no half is polled or woken any more, and
        // the queued ones hold wakers that hold the queue.
        rt.shared.parked.close();
        rt.shared.clear_events();
        rt.shared.drain_leases();
        status::OK
    })
}

/// The tokio runtime and shared state of a caller-driven `rt` (turn, drive); None for the
/// other flavours, a null `rt` or one shut down.
unsafe fn caller_driven<'a>(
    rt: *mut aster_iroh_rt,
) -> Option<(&'a Arc<tokio::runtime::Runtime>, Arc<Shared>)> {
    let r = rt_ref(rt)?;
    if r.driver.is_some() || r.flavor != abi::RT_CALLER_DRIVEN {
        return None;
    }
    Some((r.tokio.as_ref()?, r.shared.clone()))
}

/// Caller-driven runtime: runs ready tasks and polls the network once, then waits up to
/// `timeout_us` for more (returning early once an event is queued). Call it from one thread
/// only, never from inside a bridge callback; other flavours return INVALID_ARG.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_turn(rt: *mut aster_iroh_rt, timeout_us: u32) -> i32 {
    guard(|| {
        let Some((t, shared)) = caller_driven(rt) else {
            return status::INVALID_ARG;
        };
        sigpipe::block_once_on_this_thread();
        t.block_on(async move {
            if timeout_us == 0 {
                tokio::task::yield_now().await;
            } else {
                tokio::select! {
                    _ = shared.cq.notify.notified() => {}
                    _ = tokio::time::sleep(Duration::from_micros(timeout_us as u64)) => {}
                }
            }
        });
        status::OK
    })
}

/// The caller's step function for `aster_iroh_runtime_drive`.
pub type StepFn = Option<unsafe extern "C" fn(ctx: *mut std::ffi::c_void) -> i64>;

/// Caller-driven runtime: runs the caller's loop (`step`) inside `block_on` until it returns
/// < 0. Inside, tokio's thread-local scheduler context is set, so a task spawned or woken by
/// an aster_iroh call the step makes goes on the local run queue instead of unparking the
/// driver through its eventfd (tokio `current_thread::Handle::schedule`), which is what made
/// `aster_iroh_runtime_turn` cost one `write` per request (docs/transport.md "Thread shape").
///
/// # Safety
/// `rt` valid; `step` callable with `ctx` on this thread and never unwinds.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_drive(
    rt: *mut aster_iroh_rt,
    step: StepFn,
    ctx: *mut std::ffi::c_void,
    idle_wait_us: u32,
) -> i32 {
    guard(|| {
        let (Some((t, shared)), Some(step)) = (caller_driven(rt), step) else {
            return status::INVALID_ARG;
        };
        sigpipe::block_once_on_this_thread();
        let idle = Duration::from_micros(idle_wait_us.max(1) as u64);
        // The step pointer and context are the caller's; they stay valid for this call.
        let ctx = ctx as usize;
        // The loop is a task, not the block_on future: after a round with work it wakes itself
        // onto the back of the local run queue (`requeue`), behind the bridge tasks the round
        // spawned or woke, and tokio goes on polling tasks. The block_on future can only yield
        // through tokio's `defer` list, which makes the scheduler poll the network with a zero
        // timeout (`park_yield`) every time its run queue empties: once per round, 0.18
        // `epoll_wait` and 0.14 `recvmmsg` per request of the echo against raw iroh's 0.04
        // and 0.07 (tokio 1.50 `scheduler/current_thread` `block_on`, `has_pending_work`;
        // docs/transport.md "Measured 2026-12-04 (later)"). For a task the scheduler polls the
        // network only when nothing is ready or every `event_interval` task polls, as for raw
        // iroh's tasks.
        let drive = t.spawn(async move {
            // One timer for the whole drive, not a new `sleep(idle)` per idle wait: arming a
            // timer that is due before the time driver's next wake-up unparks the driver, an
            // eventfd write and a wasted epoll round per idle wait (tokio 1.x
            // src/runtime/time/mod.rs `Handle::reregister`). An interval that has fired is
            // re-armed later than that wake-up, so it never unparks; an idle wait therefore
            // lasts at most `idle`, sometimes less.
            let mut tick = idle_interval(idle);
            // The caller's descriptor (aster_iroh_runtime_drive_watch), registered with this
            // runtime's reactor for as long as it is watched: its readiness ends an idle wait.
            let mut watch = runtime::DRIVE_WATCH_UNSET;
            let mut watched: Option<AsyncFd<WatchedFd>> = None;
            loop {
                let n = step(ctx as *mut std::ffi::c_void);
                if n < 0 {
                    break;
                }
                if n > 0 {
                    requeue().await;
                    continue;
                }
                let want = shared.drive_watch.load(Ordering::Relaxed);
                if want != watch {
                    watch = want;
                    watched = None; // deregisters the previous descriptor first
                    let fd = (want & 0xffff_ffff) as u32;
                    if fd != u32::MAX {
                        watched = AsyncFd::with_interest(WatchedFd(fd as RawFd), Interest::READABLE)
                            .ok();
                    }
                    // A descriptor the reactor refused leaves the drive's own bound: what it
                    // stood for must still be polled that often.
                    tick = if fd != u32::MAX && watched.is_none() {
                        idle_interval(idle)
                    } else {
                        idle_interval(Duration::from_micros((want >> 32).max(1)))
                    };
                }
                tokio::select! {
                    biased;
                    _ = shared.cq.notify.notified() => {}
                    ready = async { watched.as_ref().expect("watched").readable().await },
                        if watched.is_some() => {
                        // Readiness is edge-triggered: cleared here, before the next step lets
                        // the caller's loop take what made it readable, so that anything
                        // arriving after that step is a new edge.
                        if let Ok(mut g) = ready {
                            g.clear_ready();
                        }
                    }
                    _ = tick.tick() => {}
                }
            }
        });
        if let Err(e) = t.block_on(drive) {
            if e.is_panic() {
                std::panic::resume_unwind(e.into_panic());
            }
            return status::INTERNAL;
        }
        status::OK
    })
}

/// Pending once, with the task's waker woken: the task goes to the back of the run queue
/// (unlike `tokio::task::yield_now`, which defers the wake-up until the scheduler has polled
/// the network).
fn requeue() -> impl Future<Output = ()> {
    let mut queued = false;
    std::future::poll_fn(move |cx| {
        if queued {
            return std::task::Poll::Ready(());
        }
        queued = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    })
}

/// The drive's bound on an idle wait; its first tick is one period away.
fn idle_interval(period: Duration) -> tokio::time::Interval {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick
}

/// A descriptor the caller owns, watched by a drive (never closed here).
struct WatchedFd(RawFd);

impl AsRawFd for WatchedFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// ABI 12. From a drive's step (the drive's thread): from the next idle wait on, readiness of
/// `fd` for reading ends the wait too, and a wait lasts at most `idle_wait_us`; `fd` < 0 stops
/// watching. The descriptor stays the caller's: it must stay open while watched or until the
/// drive returns. For the caller's own event loop, e.g. the epoll descriptor of Asio's
/// reactor, so that its timers and sockets wake the drive instead of a periodic tick
/// (docs/transport.md "Thread shape").
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_drive_watch(
    rt: *mut aster_iroh_rt,
    fd: i32,
    idle_wait_us: u32,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if r.flavor != abi::RT_CALLER_DRIVEN {
            return status::INVALID_ARG;
        }
        let fd_bits = if fd < 0 { u64::from(u32::MAX) } else { u64::from(fd as u32) };
        let bound = u64::from(idle_wait_us.clamp(1, u32::MAX - 1));
        r.shared.drive_watch.store((bound << 32) | fd_bits, Ordering::Relaxed);
        status::OK
    })
}

/// Ends a caller-driven runtime's idle wait (any thread).
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_wake(rt: *mut aster_iroh_rt) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if r.flavor != abi::RT_CALLER_DRIVEN {
            return status::INVALID_ARG;
        }
        r.shared.cq.notify.notify_one();
        status::OK
    })
}

/// Holds back (on != 0) or releases the runtime's wake-up for deferred stream operations.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_hold(rt: *mut aster_iroh_rt, on: i32) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        r.shared.set_hold(on != 0);
        status::OK
    })
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_runtime_event_fd(rt: *mut aster_iroh_rt) -> i32 {
    guard(|| match rt_ref(rt) {
        Some(r) => r.shared.cq.fd(),
        None => -1,
    })
}

/// Moves up to `max` events into `out`; never blocks. Returns the count.
///
/// # Safety
/// `rt` valid; `out` has room for `max` events.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_poll(
    rt: *mut aster_iroh_rt,
    out: *mut aster_iroh_event,
    max: usize,
) -> usize {
    catch_unwind(AssertUnwindSafe(|| {
        let Some(r) = rt_ref(rt) else { return 0 };
        if out.is_null() || max == 0 {
            return 0;
        }
        let out = std::slice::from_raw_parts_mut(out as *mut MaybeUninit<aster_iroh_event>, max);
        r.shared.poll_events(out)
    }))
    .unwrap_or(0)
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_lease_release(rt: *mut aster_iroh_rt, lease: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if r.shared.release_lease(lease) {
            status::OK
        } else {
            status::NOT_FOUND
        }
    })
}

/// Cancels a pending op: its one terminal event is CANCELLED (emitted now). NOT_FOUND when the
/// op already completed or was cancelled.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_cancel(rt: *mut aster_iroh_rt, op: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if r.shared.cancel(op) {
            status::OK
        } else {
            status::NOT_FOUND
        }
    })
}

/// Diagnostics: submits an op that completes OK at once, or whose future panics when `panic`
/// is non-zero (proves the PANIC path end to end).
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_debug_op(
    rt: *mut aster_iroh_rt,
    panic: u32,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        r.submit(kind::DEBUG, user_data, out_op, async move {
            if std::hint::black_box(panic != 0) {
                panic!("aster_iroh_debug_op asked to panic");
            }
            Completion::ok()
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Endpoint

/// Binds an endpoint; the ENDPOINT_CREATE event carries the endpoint handle in `h1`.
/// Never waits for a relay (`online()`), so it completes offline (`online()` waits for a
/// home relay: iroh 0.97.0 src/endpoint.rs `Endpoint::online`).
///
/// # Safety
/// `rt` valid; `cfg` valid for the call; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_create(
    rt: *mut aster_iroh_rt,
    cfg: *const aster_iroh_endpoint_cfg,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(c) = cfg.as_ref() else {
            return status::INVALID_ARG;
        };
        // Versioned by size: ABI 5 callers pass the struct without the relay CA roots.
        let size = c.struct_size as usize;
        if size < abi::ENDPOINT_CFG_V5_SIZE {
            return status::INVALID_ARG;
        }
        let mut relay_ca_roots = Vec::new();
        if size >= std::mem::size_of::<aster_iroh_endpoint_cfg>() && c.relay_ca_roots_len > 0 {
            if c.relay_ca_roots.is_null() {
                return status::INVALID_ARG;
            }
            for b in std::slice::from_raw_parts(c.relay_ca_roots, c.relay_ca_roots_len) {
                match slice(b.ptr, b.len) {
                    Some(s) => relay_ca_roots.push(s.to_vec()),
                    None => return status::INVALID_ARG,
                }
            }
        }
        let bind_v4 = match opt_cstr(c.bind_v4) {
            Ok(None) => None,
            Ok(Some(s)) => match s.parse::<std::net::SocketAddrV4>() {
                Ok(a) => Some(a),
                Err(_) => return status::INVALID_ARG,
            },
            Err(e) => return e,
        };
        let relay_mode = match c.relay_mode {
            RELAY_DISABLED => RelayMode::Disabled,
            RELAY_DEFAULT => RelayMode::Default,
            RELAY_STAGING => RelayMode::Staging,
            RELAY_CUSTOM => match opt_cstr(c.relay_url) {
                Ok(Some(s)) => match node::parse_relay(s) {
                    Ok(u) => RelayMode::custom([u]),
                    Err(_) => return status::INVALID_ARG,
                },
                _ => return status::INVALID_ARG,
            },
            _ => return status::INVALID_ARG,
        };
        let mut alpns = Vec::with_capacity(c.alpns_len);
        if c.alpns_len > 0 {
            if c.alpns.is_null() {
                return status::INVALID_ARG;
            }
            for b in std::slice::from_raw_parts(c.alpns, c.alpns_len) {
                match slice(b.ptr, b.len) {
                    Some(s) if !s.is_empty() => alpns.push(s.to_vec()),
                    _ => return status::INVALID_ARG,
                }
            }
        }
        let params = EndpointParams {
            secret_key: (c.flags & EP_SECRET_KEY != 0).then_some(c.secret_key),
            bind_v4,
            relay_mode,
            portmapper: c.flags & EP_PORTMAPPER != 0,
            gate: c.flags & EP_GATE != 0,
            hook_timeout: Duration::from_millis(if c.hook_timeout_ms == 0 {
                node::DEFAULT_HOOK_TIMEOUT_MS
            } else {
                c.hook_timeout_ms
            } as u64),
            max_bidi_streams: c.max_bidi_streams,
            idle_timeout_ms: c.idle_timeout_ms,
            alpns,
            content: c.flags & EP_CONTENT != 0,
            relay_ca_roots,
        };
        let weak = Arc::downgrade(&r.shared);
        r.submit(
            kind::ENDPOINT_CREATE,
            user_data,
            out_op,
            node::create_endpoint(weak, params),
        )
    })
}

/// Writes the endpoint id (32-byte ed25519 public key) into `out[32]`.
///
/// # Safety
/// `rt` valid; `out` has 32 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_id(rt: *mut aster_iroh_rt, ep: u64, out: *mut u8) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if out.is_null() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        std::ptr::copy_nonoverlapping(e.endpoint.id().as_bytes().as_ptr(), out, 32);
        status::OK
    })
}

/// Writes the 32-byte secret key (seed) into `out[32]`.
///
/// # Safety
/// `rt` valid; `out` has 32 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_secret(
    rt: *mut aster_iroh_rt,
    ep: u64,
    out: *mut u8,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if out.is_null() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let k = e.endpoint.secret_key().to_bytes();
        std::ptr::copy_nonoverlapping(k.as_ptr(), out, 32);
        status::OK
    })
}

/// The endpoint's address as bytes: id, relay URL (text, not NUL-terminated) and direct
/// addresses. Lengths are written back; BUFFER_TOO_SMALL (nothing else written) when a
/// capacity is short.
///
/// # Safety
/// `rt` valid; `out` valid, its buffers writable for their capacities.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_addr(
    rt: *mut aster_iroh_rt,
    ep: u64,
    out: *mut aster_iroh_addr_out,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(o) = out.as_mut() else {
            return status::INVALID_ARG;
        };
        if (o.struct_size as usize) < std::mem::size_of::<aster_iroh_addr_out>() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let (relay, ips) = node::addr_parts(&e.endpoint);
        o.relay_len = relay.len();
        o.addrs_len = ips.len();
        if o.relay_cap < relay.len()
            || o.addrs_cap < ips.len()
            || (o.relay_url.is_null() && !relay.is_empty())
            || (o.addrs.is_null() && !ips.is_empty())
        {
            return status::BUFFER_TOO_SMALL;
        }
        o.id.copy_from_slice(e.endpoint.id().as_bytes());
        if !relay.is_empty() {
            std::ptr::copy_nonoverlapping(relay.as_ptr(), o.relay_url, relay.len());
        }
        for (i, a) in ips.iter().enumerate() {
            *o.addrs.add(i) = aster_iroh_sockaddr::from_std(a);
        }
        status::OK
    })
}

/// Graceful close: Router shutdown then endpoint close (waits for close acks, ≈3 s at most).
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_close(
    rt: *mut aster_iroh_rt,
    ep: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let e = get_obj!(r, ep, Endpoint);
        r.submit(kind::ENDPOINT_CLOSE, user_data, out_op, async move {
            let _ = e.router.shutdown().await;
            Completion::ok()
        })
    })
}

/// Releases the handle; an endpoint not yet closed is closed in the background.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_free(rt: *mut aster_iroh_rt, ep: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        match r.shared.get(ep) {
            Some(Obj::Endpoint(_)) => {}
            _ => return status::NOT_FOUND,
        }
        if let Some(Obj::Endpoint(e)) = r.shared.remove(ep) {
            r.handle().spawn(async move {
                let _ = e.router.shutdown().await;
            });
        }
        status::OK
    })
}

// ---------------------------------------------------------------------------------------------
// Connections

/// The caller's connect config, when it is there and at least as large as this version's
/// (shorter structs are refused; only `aster_iroh_endpoint_cfg` still takes an older size).
unsafe fn connect_cfg<'a>(cfg: *const aster_iroh_connect_cfg) -> Option<&'a aster_iroh_connect_cfg> {
    let c = cfg.as_ref()?;
    ((c.struct_size as usize) >= std::mem::size_of::<aster_iroh_connect_cfg>()).then_some(c)
}

/// The peer a connect config names: id, optional relay URL, direct addresses.
unsafe fn peer_addr(c: &aster_iroh_connect_cfg) -> Result<EndpointAddr, i32> {
    let id = EndpointId::from_bytes(&c.endpoint_id).map_err(|_| status::PARSE)?;
    let mut addr = EndpointAddr::new(id);
    if let Some(s) = opt_cstr(c.relay_url)? {
        addr = addr.with_relay_url(node::parse_relay(s).map_err(|_| status::PARSE)?);
    }
    if c.addrs_len > 0 {
        if c.addrs.is_null() {
            return Err(status::INVALID_ARG);
        }
        for a in std::slice::from_raw_parts(c.addrs, c.addrs_len) {
            addr = addr.with_ip_addr(a.to_std().ok_or(status::INVALID_ARG)?);
        }
    }
    Ok(addr)
}

/// Dials `cfg->endpoint_id` at the given relay/direct addresses on one ALPN. CONNECT event:
/// `h1` = connection, payload = remote id[32] + ALPN.
///
/// # Safety
/// `rt` valid; `cfg` valid for the call; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_connect(
    rt: *mut aster_iroh_rt,
    ep: u64,
    cfg: *const aster_iroh_connect_cfg,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(c) = connect_cfg(cfg) else {
            return status::INVALID_ARG;
        };
        let e = get_obj!(r, ep, Endpoint);
        let addr = match peer_addr(c) {
            Ok(a) => a,
            Err(st) => return st,
        };
        let alpn = match slice(c.alpn.ptr, c.alpn.len) {
            Some(s) if !s.is_empty() => s.to_vec(),
            _ => return status::INVALID_ARG,
        };
        let timeout = (c.timeout_ms > 0).then(|| Duration::from_millis(c.timeout_ms as u64));
        r.submit(
            kind::CONNECT,
            user_data,
            out_op,
            node::connect(
                e,
                ConnectParams {
                    addr,
                    alpn,
                    timeout,
                },
            ),
        )
    })
}

/// Pulls the next accepted connection (any served ALPN). ACCEPT event like CONNECT.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_accept_next(
    rt: *mut aster_iroh_rt,
    ep: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let e = get_obj!(r, ep, Endpoint);
        r.submit(kind::ACCEPT, user_data, out_op, node::accept_next(e))
    })
}

/// Answers a HOOK event: allow, or deny with an application close `code` and `reason`.
/// NOT_FOUND once answered or timed out.
///
/// # Safety
/// `rt` valid; `reason` readable for `reason_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_hook_respond(
    rt: *mut aster_iroh_rt,
    invocation: u64,
    allow: u32,
    code: u64,
    reason: *const u8,
    reason_len: usize,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(reason) = slice(reason, reason_len) else {
            return status::INVALID_ARG;
        };
        let Some(code) = varint(code) else {
            return status::INVALID_ARG;
        };
        match r.shared.get(invocation) {
            Some(Obj::Hook(_)) => {}
            _ => return status::NOT_FOUND,
        }
        let Some(Obj::Hook(h)) = r.shared.remove(invocation) else {
            return status::NOT_FOUND;
        };
        let tx = h.reply.lock().unwrap_or_else(|e| e.into_inner()).take();
        let decision = if allow != 0 {
            HookDecision::Allow
        } else {
            HookDecision::Deny {
                code,
                reason: reason.to_vec(),
            }
        };
        match tx.map(|tx| tx.send(decision).is_ok()) {
            Some(true) => status::OK,
            _ => status::NOT_FOUND,
        }
    })
}

/// Closes the connection with an application code and reason (sync).
///
/// # Safety
/// `rt` valid; `reason` readable for `reason_len` bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_conn_close(
    rt: *mut aster_iroh_rt,
    conn: u64,
    code: u64,
    reason: *const u8,
    reason_len: usize,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(reason) = slice(reason, reason_len) else {
            return status::INVALID_ARG;
        };
        let Some(code) = varint(code) else {
            return status::INVALID_ARG;
        };
        let c = get_obj!(r, conn, Conn);
        let reason = bytes::Bytes::copy_from_slice(reason);
        r.now_or_deferred(move |_| c.conn.close(code, &reason))
    })
}

/// Completes when the connection is closed; status/code/payload describe why (`aster_iroh_status`,
/// include/aster_iroh.h).
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_conn_closed(
    rt: *mut aster_iroh_rt,
    conn: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let c = get_obj!(r, conn, Conn);
        r.submit(kind::CONN_CLOSED, user_data, out_op, async move {
            let e = c.conn.closed().await;
            conn_error(&e)
        })
    })
}

/// The connection's selected network path now: kind (none/direct/relay), the peer's address
/// (direct) or the relay URL (written to the caller's buffer, not NUL-terminated), RTT in µs
/// (0 = unknown). BUFFER_TOO_SMALL (only the lengths written) when `relay_cap` is short.
///
/// # Safety
/// `rt` valid; `out` valid, its buffer writable for `relay_cap` bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_conn_path(
    rt: *mut aster_iroh_rt,
    conn: u64,
    out: *mut aster_iroh_path_out,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(o) = out.as_mut() else {
            return status::INVALID_ARG;
        };
        if (o.struct_size as usize) < std::mem::size_of::<aster_iroh_path_out>() {
            return status::INVALID_ARG;
        }
        let c = get_obj!(r, conn, Conn);
        let mut watcher = c.conn.paths();
        let p = node::selected_path(&iroh::Watcher::get(&mut watcher));
        let url = match &p.addr {
            Some(iroh::TransportAddr::Relay(u)) => u.to_string(),
            _ => String::new(),
        };
        o.relay_len = url.len();
        if o.relay_cap < url.len() || (o.relay_url.is_null() && !url.is_empty()) {
            return status::BUFFER_TOO_SMALL;
        }
        o.kind = p.kind();
        o.rtt_us = p.rtt_us;
        o.addr = match &p.addr {
            Some(iroh::TransportAddr::Ip(a)) => aster_iroh_sockaddr::from_std(a),
            _ => aster_iroh_sockaddr {
                ip: [0; 16],
                port: 0,
                family: 0,
                reserved: 0,
            },
        };
        if !url.is_empty() {
            std::ptr::copy_nonoverlapping(url.as_ptr(), o.relay_url, url.len());
        }
        status::OK
    })
}

/// Continuous watch of the connection's selected path: PATH events (status OK, code = kind,
/// payload = u64 rtt_us LE, u64 µs since this call LE, then the sockaddr (direct) or URL
/// (relay)) — first the path when
/// the op starts, then one per change — until the connection closes (terminal event with its
/// close status) or the op is cancelled (CANCELLED). `window` as for accept_each. Does not
/// keep the connection open.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_conn_path_watch(
    rt: *mut aster_iroh_rt,
    conn: u64,
    window: u32,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if window == 0 {
            return status::INVALID_ARG;
        }
        let started = std::time::Instant::now();
        let c = get_obj!(r, conn, Conn);
        let info = c.conn.to_info();
        drop(c); // the op holds only the weak ConnectionInfo
        let sem = Arc::new(tokio::sync::Semaphore::new(window as usize));
        let (op, rx) = r.shared.register(kind::PATH, user_data, Some(sem.clone()));
        let shared = r.shared.clone();
        r.shared
            .spawn_op(r.handle(), op, rx, node::path_watch(shared, op, info, sem, started));
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    })
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_conn_free(rt: *mut aster_iroh_rt, conn: u64) -> i32 {
    free_kind(rt, conn, |o| matches!(o, Obj::Conn(_)))
}

unsafe fn free_kind(rt: *mut aster_iroh_rt, h: u64, is: impl Fn(&Obj) -> bool) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        // The object is dropped after the handle table's lock is released; when stream
        // operations are deferred, on the runtime after the ones queued before it (dropping a
        // stream takes its connection's lock and wakes its driver).
        match r.shared.remove_if(h, is) {
            Some(o) => r.now_or_deferred(move |_| drop(o)),
            None => status::NOT_FOUND,
        }
    })
}

/// Frees `n_streams` stream halves (send or recv handles) and releases `n_leases` leases in one
/// call: one lock of each table and one deferred drop for the whole batch, where one
/// `aster_iroh_send_free`/`recv_free`/`lease_release` per handle took the handle table's lock
/// (contended with the runtime's thread) and queued a closure each. The C++ side gathers the
/// frees made while its io thread works through a held batch of events
/// (`RuntimeCore::release_later`). OK when every handle was found, else NOT_FOUND (the others
/// are freed anyway).
///
/// # Safety
/// `rt` valid; `streams` readable for `n_streams` and `leases` for `n_leases` entries (either
/// may be null when its count is 0).
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_release_many(
    rt: *mut aster_iroh_rt,
    streams: *const u64,
    n_streams: usize,
    leases: *const u64,
    n_leases: usize,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let (Some(streams), Some(leases)) = (slice(streams, n_streams), slice(leases, n_leases))
        else {
            return status::INVALID_ARG;
        };
        let (objs, missing, gone) = r.shared.remove_streams_and_leases(streams, leases);
        let released = gone.len();
        drop(gone);
        if !objs.is_empty() {
            r.now_or_deferred(move |_| drop(objs));
        }
        if missing == 0 && released == leases.len() {
            status::OK
        } else {
            status::NOT_FOUND
        }
    })
}

/// Registers an op id for the attempt helpers; remembers the cancel receiver for `settle`.
struct Registrar<'a> {
    shared: &'a Shared,
    kind: u32,
    user_data: u64,
    op: u64,
    rx: Option<oneshot::Receiver<()>>,
}

impl<'a> Registrar<'a> {
    fn new(r: &'a aster_iroh_rt, kind: u32, user_data: u64) -> Self {
        Self {
            shared: &r.shared,
            kind,
            user_data,
            op: 0,
            rx: None,
        }
    }
    fn register(&mut self) -> u64 {
        let (op, rx) = self.shared.register(self.kind, self.user_data, None);
        self.op = op;
        self.rx = Some(rx);
        op
    }
}

/// Opens a bidi stream. Beyond the peer's stream limit this waits for credit (never fails).
/// OPEN_BI event: `h1` = send half, `h2` = recv half.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_open_bi(
    rt: *mut aster_iroh_rt,
    conn: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    aster_iroh_open_bi_send(
        rt,
        conn,
        std::ptr::null(),
        0,
        0,
        user_data,
        out_op,
        std::ptr::null_mut(),
    )
}

/// Opens a bidi stream, writes `data` and (flags & SEND_FIN) finishes it: a whole request in
/// one operation. OPEN_BI event (or inline outcome in `*now`, returning DONE).
///
/// # Safety
/// `rt` valid; `data` readable for `len` bytes; `out_op`/`now` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_open_bi_send(
    rt: *mut aster_iroh_rt,
    conn: u64,
    data: *const u8,
    len: usize,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
    now: *mut aster_iroh_event,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(d) = slice(data, len) else {
            return status::INVALID_ARG;
        };
        let c = get_obj!(r, conn, Conn);
        if r.shared.should_defer(false) {
            let (op, epoch, rx) = r.shared.register_live(kind::OPEN_BI, user_data);
            let data = bytes::Bytes::copy_from_slice(d);
            return r.defer(op, out_op, move |shared, handle| {
                if !shared.op_live(op, epoch) {
                    return; // cancelled while queued: its CANCELLED event is out already
                }
                match stream::open_send(&c.conn, &data, flags, || op) {
                    Attempt::Done(done) => {
                        shared.complete(op, done);
                    }
                    Attempt::Pending(fut) => shared.spawn_op(handle, op, rx, fut),
                    Attempt::Parked => {}
                }
            });
        }
        let mut reg = Registrar::new(r, kind::OPEN_BI, user_data);
        let attempt = stream::open_send(&c.conn, d, flags, || {
            reg.register()
        });
        let (op, rx) = (reg.op, reg.rx.take());
        r.settle(kind::OPEN_BI, user_data, out_op, now, attempt, op, rx)
    })
}

/// ABI 11: a whole call in one operation: opens a bidi stream, writes `data` and (flags &
/// SEND_FIN) finishes it, then waits for the reply's first bytes. One OPEN_BI event: `h1` =
/// send half, `h2` = recv half, the bytes readable at once (at most `reply_max`; data/len/lease
/// as for READ, lease 0 when none) and, in `code`, ACCEPT_FIN when the reply's FIN came with
/// them. A failed read completes it without bytes; the next read reports the failure.
/// OPEN_NOWAIT as for open_bi_send. Cancelled before its event, it resets the send half and
/// stops the recv half with `cancel_code` (stream::open_call). Never completes inline.
///
/// # Safety
/// `rt` valid; `data` readable for `len` bytes; `out_op` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_open_bi_call(
    rt: *mut aster_iroh_rt,
    conn: u64,
    data: *const u8,
    len: usize,
    flags: u32,
    reply_max: usize,
    cancel_code: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(d) = slice(data, len) else {
            return status::INVALID_ARG;
        };
        let Some(code) = varint(cancel_code) else {
            return status::INVALID_ARG;
        };
        let Some((c, op, epoch)) = r.shared.conn_and_call_op(conn, kind::OPEN_BI, user_data)
        else {
            return status::NOT_FOUND;
        };
        let run = move |shared: &Arc<Shared>, handle: &tokio::runtime::Handle, data: &[u8]| {
            if !shared.op_live(op, epoch) {
                return; // cancelled while queued: its CANCELLED event is out already
            }
            match stream::open_call(&c.conn, data, flags, reply_max, code) {
                stream::CallStart::Done(done) => {
                    shared.complete(op, done);
                }
                stream::CallStart::Wait(fut) => {
                    if let Some(rx) = shared.arm_cancel(op) {
                        shared.spawn_op(handle, op, rx, fut);
                    }
                }
                stream::CallStart::Sent(send, recv) => {
                    let parked = stream::park_call(send, &recv, shared, reply_max, op, epoch, code);
                    if let Some(done) = parked {
                        if let Some(lost) = shared.complete(op, done) {
                            // Cancelled meanwhile: the answer's halves go as a cancel leaves
                            // them (a whole answer has none left).
                            if let [Some(Obj::Send(s)), Some(Obj::Recv(r))] = &lost.objs {
                                stream::abandon_call(s, r, code);
                            }
                        }
                    }
                }
            }
        };
        if r.shared.should_defer(false) {
            let data = bytes::Bytes::copy_from_slice(d);
            return r.defer(op, out_op, move |shared, handle| run(shared, handle, &data));
        }
        run(&r.shared, r.handle(), d);
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    })
}

/// The delivery credits a continuous accept holds (`aster_iroh_grant`): it takes every permit
/// its semaphore has when it runs out, and counts them down itself. One semaphore acquire per
/// accepted stream was its most expensive step after the accept (a future polled through
/// tokio's budget and a locked instruction, for every stream of a short call).
#[derive(Default)]
struct Credit {
    held: usize,
}

impl Credit {
    /// One credit; waits for a grant when none is held. False once the semaphore is closed.
    async fn take(&mut self, sem: &tokio::sync::Semaphore) -> bool {
        if self.held == 0 {
            match sem.acquire().await {
                Ok(p) => p.forget(),
                Err(_) => return false,
            }
            self.held = 1;
            let more = sem.available_permits().min(u32::MAX as usize) as u32;
            if more > 0 {
                if let Ok(p) = sem.try_acquire_many(more) {
                    p.forget();
                    self.held += more as usize;
                }
            }
        }
        self.held -= 1;
        true
    }
}

/// Accepts the next bidi stream the peer opened. ACCEPT_BI event like OPEN_BI.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_accept_bi(
    rt: *mut aster_iroh_rt,
    conn: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let c = get_obj!(r, conn, Conn);
        r.submit(kind::ACCEPT_BI, user_data, out_op, async move {
            match c.conn.accept_bi().await {
                Ok((s, rcv)) => {
                    let (so, ro) = stream::new_pair(s, rcv);
                    Completion::ok().with_obj(0, so).with_obj(1, ro)
                }
                Err(e) => conn_error(&e),
            }
        })
    })
}

/// Continuous accept: one ACCEPT_BI event (status OK) per incoming bidi stream until the
/// connection closes (terminal event with its status) or the op is cancelled (CANCELLED).
/// At most `window` streams are delivered beyond the ones granted back with
/// `aster_iroh_grant` (back-pressure: unaccepted streams stay in noq, limited by the
/// connection's max_bidi_streams).
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_accept_bi_each(
    rt: *mut aster_iroh_rt,
    conn: u64,
    window: u32,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    accept_bi_each(rt, conn, window, 0, user_data, out_op)
}

/// `aster_iroh_accept_bi_each` whose ACCEPT_BI events also carry the bytes of the stream that
/// are readable at once (at most `first_max`; a lease like a READ's) and, in `code`,
/// `ACCEPT_FIN` when its FIN came with them. The read runs on the runtime thread as the stream
/// is accepted: a request usually arrives in the stream's first packet, so the consumer needs
/// no read of its own, and in the two-thread shapes no read that contends with the connection
/// driver for noq's connection lock (docs/transport.md "Accepting with the first bytes").
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_accept_bi_each_read(
    rt: *mut aster_iroh_rt,
    conn: u64,
    window: u32,
    first_max: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    accept_bi_each(rt, conn, window, first_max, user_data, out_op)
}

unsafe fn accept_bi_each(
    rt: *mut aster_iroh_rt,
    conn: u64,
    window: u32,
    first_max: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if window == 0 {
            return status::INVALID_ARG;
        }
        let c = get_obj!(r, conn, Conn);
        let sem = Arc::new(tokio::sync::Semaphore::new(window as usize));
        let (op, rx) = r
            .shared
            .register(kind::ACCEPT_BI, user_data, Some(sem.clone()));
        let shared = r.shared.clone();
        r.shared.spawn_op(r.handle(), op, rx, async move {
            let mut credit = Credit::default();
            loop {
                if !credit.take(&sem).await {
                    return Completion::err(status::INTERNAL, "credit closed");
                }
                match c.conn.accept_bi().await {
                    Ok((s, rcv)) => {
                        let done = stream::accepted(s, rcv, first_max);
                        if !shared.deliver(op, done) {
                            return Completion::ok(); // cancelled meanwhile; nothing to emit
                        }
                    }
                    Err(e) => return conn_error(&e),
                }
            }
        });
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    })
}

/// Continuous accept of connections on any served ALPN: one ACCEPT event (status OK) per
/// connection until the endpoint closes or the op is cancelled; `window` as for
/// `aster_iroh_accept_bi_each`.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_accept_each(
    rt: *mut aster_iroh_rt,
    ep: u64,
    window: u32,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if window == 0 {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let sem = Arc::new(tokio::sync::Semaphore::new(window as usize));
        let (op, rx) = r.shared.register(kind::ACCEPT, user_data, Some(sem.clone()));
        let shared = r.shared.clone();
        r.shared.spawn_op(r.handle(), op, rx, async move {
            let mut accept_rx = e.accept_rx.lock().await;
            let mut credit = Credit::default();
            loop {
                if !credit.take(&sem).await {
                    return Completion::err(status::INTERNAL, "credit closed");
                }
                match accept_rx.recv().await {
                    Some(conn) => {
                        if !shared.deliver(op, node::accepted(conn)) {
                            return Completion::ok();
                        }
                    }
                    None => {
                        return Completion::err(status::CONN_LOCALLY_CLOSED, "endpoint closed")
                    }
                }
            }
        });
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    })
}

/// Gives `n` more deliveries to a continuous accept op. NOT_FOUND once it ended.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_grant(rt: *mut aster_iroh_rt, op: u64, n: u32) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if r.shared.should_defer(false) {
            if !r.shared.op_pending(op) {
                return status::NOT_FOUND;
            }
            // Deferred too: the permits wake the accept task, a cross-thread wake-up each.
            return r.defer(0, std::ptr::null_mut(), move |shared, _| {
                shared.grant(op, n);
            });
        }
        if r.shared.grant(op, n) {
            status::OK
        } else {
            status::NOT_FOUND
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Streams

/// Writes `data` (copied); WRITE completes once noq accepted all bytes.
///
/// # Safety
/// `rt` valid; `data` readable for `len` bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_write(
    rt: *mut aster_iroh_rt,
    send: u64,
    data: *const u8,
    len: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    aster_iroh_send(rt, send, data, len, 0, user_data, out_op, std::ptr::null_mut())
}

/// Writes `data` and (flags & SEND_FIN) finishes the stream. With `now`, an outcome known at
/// once is written there and DONE returned (no event); else the WRITE event follows.
///
/// # Safety
/// `rt` valid; `data` readable for `len` bytes; `out_op`/`now` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_send(
    rt: *mut aster_iroh_rt,
    send: u64,
    data: *const u8,
    len: usize,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
    now: *mut aster_iroh_event,
) -> i32 {
    guard(|| {
        let Some(d) = slice(data, len) else {
            return status::INVALID_ARG;
        };
        send_bytes(rt, send, WriteData::Borrowed(d), flags, user_data, out_op, now)
    })
}

/// Bytes the caller hands over to `aster_iroh_send_owned`: noq keeps them in its send buffer
/// (until the peer acknowledged them) and `release(ctx)` runs once they are dropped.
struct ForeignBytes {
    data: *const u8,
    len: usize,
    release: Option<unsafe extern "C" fn(*mut std::ffi::c_void)>,
    ctx: *mut std::ffi::c_void,
}

// SAFETY: the caller of aster_iroh_send_owned promises the bytes stay readable and unchanged
// until `release`, and that `release` may run on any thread (aster_iroh.h).
unsafe impl Send for ForeignBytes {}
unsafe impl Sync for ForeignBytes {}

impl AsRef<[u8]> for ForeignBytes {
    fn as_ref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: readable for `len` bytes until released (see above).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for ForeignBytes {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            // SAFETY: the caller's function, called once, with its own context.
            unsafe { release(self.ctx) }
        }
    }
}

/// ABI 15: `aster_iroh_send` without a copy of `data`: the bridge owns the bytes until it
/// calls `release(ctx)`, exactly once whatever this returns (maybe before it returns, maybe
/// from another thread, after the peer acknowledged them).
///
/// # Safety
/// `rt` valid; `data` readable and unchanged for `len` bytes until `release(ctx)`;
/// `out_op`/`now` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_send_owned(
    rt: *mut aster_iroh_rt,
    send: u64,
    data: *const u8,
    len: usize,
    release: Option<unsafe extern "C" fn(*mut std::ffi::c_void)>,
    ctx: *mut std::ffi::c_void,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
    now: *mut aster_iroh_event,
) -> i32 {
    let owned = ForeignBytes { data, len, release, ctx };
    guard(move || {
        if owned.data.is_null() && owned.len != 0 {
            return status::INVALID_ARG;
        }
        let d = bytes::Bytes::from_owner(owned);
        send_bytes(rt, send, WriteData::Owned(d), flags, user_data, out_op, now)
    })
}

/// aster_iroh_send's and aster_iroh_send_owned's steps.
unsafe fn send_bytes(
    rt: *mut aster_iroh_rt,
    send: u64,
    data: WriteData<'_>,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
    now: *mut aster_iroh_event,
) -> i32 {
    let Some(r) = rt_ref(rt) else {
        return status::INVALID_ARG;
    };
    let s = get_obj!(r, send, Send);
    let fin = flags & abi::SEND_FIN != 0;
    let follows = s.follows_another();
    if r.shared.should_defer(data.len() >= LARGE_WRITE || follows) {
        let (op, epoch) = r
            .shared
            .register_parked(kind::WRITE, user_data, Obj::Send(s.clone()));
        // Deferred: the bytes must outlive this call, so borrowed ones are copied (once; noq
        // then keeps this copy as it is).
        let data = match data {
            WriteData::Borrowed(d) => bytes::Bytes::copy_from_slice(d),
            WriteData::Owned(d) => d,
        };
        return r.defer(op, out_op, move |shared, _| {
            if !shared.op_live(op, epoch) {
                return;
            }
            let registered = || (op, epoch);
            if let Attempt::Done(done) =
                stream::write(&s, shared, WriteData::Owned(data), fin, registered)
            {
                shared.complete(op, done);
            }
        });
    }
    let mut op = 0;
    let attempt = stream::write(&s, &r.shared, data, fin, || {
        let registered = r
            .shared
            .register_parked(kind::WRITE, user_data, Obj::Send(s.clone()));
        op = registered.0;
        registered
    });
    let st = r.settle(kind::WRITE, user_data, out_op, now, attempt, op, None);
    // ABI 14, SEND_RELEASE: the answer that ends a producer's call is written at once, and
    // its send half is freed with it instead of by a free of the caller's right after.
    if flags & abi::SEND_RELEASE != 0
        && st == status::DONE
        && !now.is_null()
        && (*now).status == status::OK
    {
        drop(s);
        let _ = aster_iroh_send_free(rt, send);
    }
    st
}

/// Finishes the send half (FIN after queued writes). Sync.
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_finish(rt: *mut aster_iroh_rt, send: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let s = get_obj!(r, send, Send);
        r.now_or_deferred(move |shared| stream::finish(&s, shared))
    })
}

/// Resets the send half with `code`, interrupting a pending write (it completes CANCELLED).
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_reset(rt: *mut aster_iroh_rt, send: u64, code: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(code) = varint(code) else {
            return status::INVALID_ARG;
        };
        let s = get_obj!(r, send, Send);
        r.now_or_deferred(move |shared| {
            let op = stream::reset(&s, code);
            if op != 0 {
                shared.cancel(op);
            }
        })
    })
}

/// Completes when the peer stops the stream (STREAM_STOPPED + code) or it is fully acked (OK).
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_stopped(
    rt: *mut aster_iroh_rt,
    send: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let s = get_obj!(r, send, Send);
        let fut = stream::stopped(&s);
        r.submit(kind::STOPPED, user_data, out_op, async move {
            match fut.await {
                Ok(Some(code)) => {
                    Completion::status(status::STREAM_STOPPED).with_code(code.into_inner())
                }
                Ok(None) => Completion::ok(),
                Err(iroh::endpoint::StoppedError::ConnectionLost(e)) => conn_error(&e),
                Err(e) => Completion::err(status::INTERNAL, e.to_string()),
            }
        })
    })
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_send_free(rt: *mut aster_iroh_rt, send: u64) -> i32 {
    free_kind(rt, send, |o| matches!(o, Obj::Send(_)))
}

/// Reads up to `max` bytes: READ event with OK + payload lease, or FIN at end of stream.
/// A second read while one is pending completes with BUSY.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_read(
    rt: *mut aster_iroh_rt,
    recv: u64,
    max: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    aster_iroh_recv(rt, recv, max, 0, user_data, out_op, std::ptr::null_mut())
}

/// Like `aster_iroh_read`; with flags & RECV_TO_END reads until FIN (status FIN, the whole
/// payload; TOO_LONG beyond `max` bytes). With `now`, an outcome known at once is written
/// there and DONE returned (no event).
///
/// # Safety
/// `rt` valid; `out_op`/`now` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_recv(
    rt: *mut aster_iroh_rt,
    recv: u64,
    max: usize,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
    now: *mut aster_iroh_event,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let to_end = flags & abi::RECV_TO_END != 0;
        if max == 0 && !to_end {
            return status::INVALID_ARG;
        }
        let s = get_obj!(r, recv, Recv);
        // A RECV_NOWAIT read is a probe whose answer the caller wants now: it stays inline.
        if flags & abi::RECV_NOWAIT == 0 && r.shared.should_defer(s.follows_another()) {
            let (op, epoch) = r
                .shared
                .register_parked(kind::READ, user_data, Obj::Recv(s.clone()));
            return r.defer(op, out_op, move |shared, _| {
                if !shared.op_live(op, epoch) {
                    return;
                }
                let registered = || (op, epoch);
                if let Attempt::Done(done) = stream::read(&s, shared, max, flags, registered) {
                    shared.complete(op, done);
                }
            });
        }
        let mut op = 0;
        let attempt = stream::read(&s, &r.shared, max, flags, || {
            let registered = r
                .shared
                .register_parked(kind::READ, user_data, Obj::Recv(s.clone()));
            op = registered.0;
            registered
        });
        r.settle(kind::READ, user_data, out_op, now, attempt, op, None)
    })
}

/// Sends STOP_SENDING with `code`, interrupting a pending read (it completes CANCELLED).
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_stop(rt: *mut aster_iroh_rt, recv: u64, code: u64) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(code) = varint(code) else {
            return status::INVALID_ARG;
        };
        let s = get_obj!(r, recv, Recv);
        r.now_or_deferred(move |shared| {
            let op = stream::stop(&s, code);
            if op != 0 {
                shared.cancel(op);
            }
        })
    })
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_recv_free(rt: *mut aster_iroh_rt, recv: u64) -> i32 {
    free_kind(rt, recv, |o| matches!(o, Obj::Recv(_)))
}

// ---------------------------------------------------------------------------------------------
// Blobs and docs (endpoints created with ASTER_IROH_EP_CONTENT; src/content.rs)

macro_rules! get_content {
    ($rt:expr, $h:expr) => {
        match $rt.shared.get($h) {
            Some(Obj::Endpoint(e)) => match e.content.clone() {
                Some(c) => (e, c),
                None => return status::INVALID_ARG,
            },
            _ => return status::NOT_FOUND,
        }
    };
}

unsafe fn hash32(p: *const u8) -> Option<[u8; 32]> {
    if p.is_null() {
        return None;
    }
    let mut a = [0u8; 32];
    std::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), 32);
    Some(a)
}

unsafe fn opt_bytes(b: *const aster_iroh_bytes) -> Result<Option<Vec<u8>>, i32> {
    match b.as_ref() {
        None => Ok(None),
        Some(b) if b.len == 0 => Ok(None),
        Some(b) => slice(b.ptr, b.len)
            .map(|s| Some(s.to_vec()))
            .ok_or(status::INVALID_ARG),
    }
}

/// Adds `data` as a raw blob (tagged `tag` when given). BLOB_ADD event, payload = hash[32].
///
/// # Safety
/// `rt` valid; `data` readable for `len`; `tag` null or valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blob_add(
    rt: *mut aster_iroh_rt,
    ep: u64,
    data: *const u8,
    len: usize,
    tag: *const aster_iroh_bytes,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(d) = slice(data, len) else {
            return status::INVALID_ARG;
        };
        let tag = match opt_bytes(tag) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let (_, c) = get_content!(r, ep);
        let d = d.to_vec();
        r.submit(kind::BLOB_ADD, user_data, out_op, content::blob_add(c, d, tag))
    })
}

/// Adds `n` named blobs and an iroh-blobs Collection over them (names in the given order),
/// tagged `tag` (HashSeq) when given. BLOB_ADD event, payload = the collection root hash[32].
///
/// # Safety
/// `rt` valid; `names`/`datas` arrays of `n`; `tag` null or valid; `out_op` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_blob_add_collection(
    rt: *mut aster_iroh_rt,
    ep: u64,
    names: *const aster_iroh_bytes,
    datas: *const aster_iroh_bytes,
    n: usize,
    tag: *const aster_iroh_bytes,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if n > 0 && (names.is_null() || datas.is_null()) {
            return status::INVALID_ARG;
        }
        let mut entries = Vec::with_capacity(n);
        for i in 0..n {
            let nb = &*names.add(i);
            let db = &*datas.add(i);
            let Some(name) = slice(nb.ptr, nb.len) else {
                return status::INVALID_ARG;
            };
            let Ok(name) = std::str::from_utf8(name) else {
                return status::INVALID_ARG;
            };
            let Some(d) = slice(db.ptr, db.len) else {
                return status::INVALID_ARG;
            };
            entries.push((name.to_owned(), d.to_vec()));
        }
        let tag = match opt_bytes(tag) {
            Ok(t) => t,
            Err(e) => return e,
        };
        let (_, c) = get_content!(r, ep);
        r.submit(
            kind::BLOB_ADD,
            user_data,
            out_op,
            content::add_collection(c, entries, tag),
        )
    })
}

/// Reads a complete local blob (at most `max` bytes, else TOO_LONG; NOT_FOUND when absent or
/// partial). BLOB_READ event, payload = the bytes.
///
/// # Safety
/// `rt` valid; `hash` 32 readable bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blob_read(
    rt: *mut aster_iroh_rt,
    ep: u64,
    hash: *const u8,
    max: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(h) = hash32(hash) else {
            return status::INVALID_ARG;
        };
        let (_, c) = get_content!(r, ep);
        r.submit(
            kind::BLOB_READ,
            user_data,
            out_op,
            content::blob_read(c, iroh_blobs::Hash::from_bytes(h), max),
        )
    })
}

/// Downloads a blob, or with `DOWNLOAD_HASH_SEQ` a HashSeq with all its children, from the
/// peer `cfg` names (alpn ignored; timeout_ms bounds the whole download). With
/// `DOWNLOAD_PROGRESS`, non-terminal PROGRESS events (code = bytes of the request present so
/// far, local ones included) precede the terminal BLOB_DOWNLOAD event.
///
/// # Safety
/// `rt` valid; `cfg` valid; `hash` 32 readable bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blob_download(
    rt: *mut aster_iroh_rt,
    ep: u64,
    cfg: *const aster_iroh_connect_cfg,
    hash: *const u8,
    flags: u32,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(c) = connect_cfg(cfg) else {
            return status::INVALID_ARG;
        };
        if flags & !(DOWNLOAD_HASH_SEQ | DOWNLOAD_PROGRESS) != 0 {
            return status::INVALID_ARG;
        }
        let Some(h) = hash32(hash) else {
            return status::INVALID_ARG;
        };
        let addr = match peer_addr(c) {
            Ok(a) => a,
            Err(st) => return st,
        };
        let timeout = (c.timeout_ms > 0).then(|| Duration::from_millis(c.timeout_ms as u64));
        let (e, content) = get_content!(r, ep);
        let format = if flags & DOWNLOAD_HASH_SEQ != 0 {
            iroh_blobs::BlobFormat::HashSeq
        } else {
            iroh_blobs::BlobFormat::Raw
        };
        let (op, rx) = r.shared.register(kind::BLOB_DOWNLOAD, user_data, None);
        let progress = (flags & DOWNLOAD_PROGRESS != 0).then(|| {
            let shared = r.shared.clone();
            move |bytes: u64| {
                shared.deliver(op, Completion::status(status::PROGRESS).with_code(bytes))
            }
        });
        r.shared.spawn_op(
            r.handle(),
            op,
            rx,
            content::download(
                content,
                e.endpoint.clone(),
                iroh_blobs::Hash::from_bytes(h),
                format,
                addr,
                timeout,
                progress,
            ),
        );
        if !out_op.is_null() {
            *out_op = op;
        }
        status::OK
    })
}

/// The size of a blob as the peer `cfg` names proves it (the last chunk, verified; alpn
/// ignored, timeout_ms bounds it). BLOB_REMOTE_SIZE event, code = size; a peer without the
/// blob fails the request (CONNECT_FAILED with its message).
///
/// # Safety
/// `rt` valid; `cfg` valid; `hash` 32 readable bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blob_remote_size(
    rt: *mut aster_iroh_rt,
    ep: u64,
    cfg: *const aster_iroh_connect_cfg,
    hash: *const u8,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(c) = connect_cfg(cfg) else {
            return status::INVALID_ARG;
        };
        let Some(h) = hash32(hash) else {
            return status::INVALID_ARG;
        };
        let addr = match peer_addr(c) {
            Ok(a) => a,
            Err(st) => return st,
        };
        let timeout = (c.timeout_ms > 0).then(|| Duration::from_millis(c.timeout_ms as u64));
        let (e, content) = get_content!(r, ep);
        r.submit(
            kind::BLOB_REMOTE_SIZE,
            user_data,
            out_op,
            content::remote_size(
                content,
                e.endpoint.clone(),
                iroh_blobs::Hash::from_bytes(h),
                addr,
                timeout,
            ),
        )
    })
}

/// Lists a local iroh-blobs Collection. COLLECTION_LIST event, payload = u32 count, then per
/// entry u32 name_len, name, hash[32], u64 size (little endian).
///
/// # Safety
/// `rt` valid; `hash` 32 readable bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_collection_list(
    rt: *mut aster_iroh_rt,
    ep: u64,
    hash: *const u8,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(h) = hash32(hash) else {
            return status::INVALID_ARG;
        };
        let (_, c) = get_content!(r, ep);
        r.submit(
            kind::COLLECTION_LIST,
            user_data,
            out_op,
            content::collection_list(c, iroh_blobs::Hash::from_bytes(h)),
        )
    })
}

/// Creates a document (we hold its write capability). DOC_CREATE event: h1 = doc,
/// payload = namespace id[32].
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_doc_create(
    rt: *mut aster_iroh_rt,
    ep: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let (_, c) = get_content!(r, ep);
        r.submit(kind::DOC_CREATE, user_data, out_op, content::doc_create(c))
    })
}

/// Creates an author. AUTHOR_CREATE event, payload = author id[32].
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_author_create(
    rt: *mut aster_iroh_rt,
    ep: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let (_, c) = get_content!(r, ep);
        r.submit(kind::AUTHOR_CREATE, user_data, out_op, content::author_create(c))
    })
}

/// Sets `key` to `value` by `author`. DOC_SET event, payload = content hash[32].
///
/// # Safety
/// `rt` valid; `author` 32 bytes; key/value readable; `out_op` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_doc_set(
    rt: *mut aster_iroh_rt,
    doc: u64,
    author: *const u8,
    key: *const u8,
    key_len: usize,
    value: *const u8,
    value_len: usize,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(a) = hash32(author) else {
            return status::INVALID_ARG;
        };
        let (Some(k), Some(v)) = (slice(key, key_len), slice(value, value_len)) else {
            return status::INVALID_ARG;
        };
        if k.is_empty() {
            return status::INVALID_ARG;
        }
        let d = get_obj!(r, doc, Doc);
        let (k, v) = (k.to_vec(), v.to_vec());
        r.submit(kind::DOC_SET, user_data, out_op, content::doc_set(d, a, k, v))
    })
}

/// Opens the document for sync with any peer that knows its namespace. DOC_OPEN_SYNC event.
///
/// # Safety
/// `rt` valid; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_doc_open_sync(
    rt: *mut aster_iroh_rt,
    doc: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let d = get_obj!(r, doc, Doc);
        r.submit(kind::DOC_OPEN_SYNC, user_data, out_op, content::doc_open_sync(d))
    })
}

/// Joins `namespace` read-only with the peer `cfg` names as sync peer, then waits up to
/// cfg.timeout_ms (0 = no wait) for the first sync with it and the content it announced.
/// DOC_JOIN event: h1 = doc; code = ASTER_IROH_JOIN_* flags; payload = the sync error, if any.
///
/// # Safety
/// `rt` valid; `cfg` valid; `namespace` 32 bytes; `out_op` null or writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_doc_join(
    rt: *mut aster_iroh_rt,
    ep: u64,
    cfg: *const aster_iroh_connect_cfg,
    namespace: *const u8,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(c) = connect_cfg(cfg) else {
            return status::INVALID_ARG;
        };
        let Some(ns) = hash32(namespace) else {
            return status::INVALID_ARG;
        };
        let addr = match peer_addr(c) {
            Ok(a) => a,
            Err(st) => return st,
        };
        let (e, content) = get_content!(r, ep);
        let wait = Duration::from_millis(c.timeout_ms as u64);
        r.submit(
            kind::DOC_JOIN,
            user_data,
            out_op,
            content::doc_join(content, e.endpoint.clone(), ns, addr, wait),
        )
    })
}

/// Entries whose key equals (`prefix` = 0) or starts with (`prefix` != 0) `key`, across
/// authors, at most `limit` (0 = all). DOC_QUERY event, payload = u32 count, then per entry
/// author[32], u32 key_len, key, content_hash[32], u64 content_len, u64 timestamp.
///
/// # Safety
/// `rt` valid; `key` readable; `out_op` null or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn aster_iroh_doc_query(
    rt: *mut aster_iroh_rt,
    doc: u64,
    key: *const u8,
    key_len: usize,
    prefix: u32,
    limit: u64,
    user_data: u64,
    out_op: *mut u64,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(k) = slice(key, key_len) else {
            return status::INVALID_ARG;
        };
        let d = get_obj!(r, doc, Doc);
        let k = k.to_vec();
        r.submit(
            kind::DOC_QUERY,
            user_data,
            out_op,
            content::doc_query(d, prefix != 0, k, limit),
        )
    })
}

/// Writes the document's namespace id into `out[32]`.
///
/// # Safety
/// `rt` valid; `out` 32 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_doc_id(rt: *mut aster_iroh_rt, doc: u64, out: *mut u8) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if out.is_null() {
            return status::INVALID_ARG;
        }
        let d = get_obj!(r, doc, Doc);
        std::ptr::copy_nonoverlapping(d.doc.id().as_bytes().as_ptr(), out, 32);
        status::OK
    })
}

/// Releases the document handle (the document stays in the endpoint's store).
///
/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_doc_free(rt: *mut aster_iroh_rt, doc: u64) -> i32 {
    free_kind(rt, doc, |o| matches!(o, Obj::Doc(_)))
}

/// Writes the iroh-blobs ticket (`blob…` text) for `hash` at this endpoint's current address
/// (`hash_seq` != 0: HashSeq format) into `out` (not NUL-terminated); `*out_len` = its length.
/// BUFFER_TOO_SMALL (only `*out_len` written) when `cap` is short. Sync.
///
/// # Safety
/// `rt` valid; `hash` 32 bytes; `out` writable for `cap`; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_blob_ticket(
    rt: *mut aster_iroh_rt,
    ep: u64,
    hash: *const u8,
    hash_seq: u32,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        use iroh_tickets::Ticket;
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(h) = hash32(hash) else {
            return status::INVALID_ARG;
        };
        if out_len.is_null() {
            return status::INVALID_ARG;
        }
        let (e, _) = get_content!(r, ep);
        let format = if hash_seq != 0 {
            iroh_blobs::BlobFormat::HashSeq
        } else {
            iroh_blobs::BlobFormat::Raw
        };
        let t = iroh_blobs::ticket::BlobTicket::new(
            e.endpoint.addr(),
            iroh_blobs::Hash::from_bytes(h),
            format,
        )
        .serialize();
        *out_len = t.len();
        if cap < t.len() || (out.is_null() && !t.is_empty()) {
            return status::BUFFER_TOO_SMALL;
        }
        std::ptr::copy_nonoverlapping(t.as_ptr(), out, t.len());
        status::OK
    })
}
