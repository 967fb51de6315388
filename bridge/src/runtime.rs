//! Runtime state shared by every entry point: handle table, lease table, operation table and
//! the completion queue (docs/transport.md "Layers").

use std::collections::HashMap;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use bytes::Bytes;
use crossbeam_utils::CachePadded;
use iroh::endpoint::{ConnectionError, VarInt};
use tokio::sync::oneshot;

use crate::abi::{aster_iroh_event, status};
use crate::cq::CompletionQueue;
use crate::node::{ConnObj, EndpointObj, HookObj};
use crate::stream::{RecvObj, SendObj};

/// Everything a handle can name. Ops clone the `Arc`, so freeing a handle while an op runs on
/// it is safe (include/aster_iroh.h, "Model").
#[derive(Clone)]
pub enum Obj {
    Endpoint(Arc<EndpointObj>),
    Conn(Arc<ConnObj>),
    Send(Arc<SendObj>),
    Recv(Arc<RecvObj>),
    Hook(Arc<HookObj>),
    Doc(Arc<crate::content::DocObj>),
}

/// Generational slab: handle = slot | generation << 32, generation never 0, so a stale or
/// doubly freed handle finds a different generation and yields NOT_FOUND instead of aliasing.
pub struct Slab<T> {
    slots: Vec<(u32, Option<T>)>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Slab<T> {
    pub const fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    pub fn insert(&mut self, v: T) -> u64 {
        let idx = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].1 = Some(v);
                i
            }
            None => {
                self.slots.push((1, Some(v)));
                (self.slots.len() - 1) as u32
            }
        };
        idx as u64 | (self.slots[idx as usize].0 as u64) << 32
    }

    fn slot(&self, h: u64) -> Option<usize> {
        let idx = (h & 0xffff_ffff) as usize;
        let gen = (h >> 32) as u32;
        match self.slots.get(idx) {
            Some((g, Some(_))) if *g == gen && gen != 0 => Some(idx),
            _ => None,
        }
    }

    pub fn get(&self, h: u64) -> Option<&T> {
        self.slot(h).and_then(|i| self.slots[i].1.as_ref())
    }

    pub fn remove(&mut self, h: u64) -> Option<T> {
        let i = self.slot(h)?;
        let v = self.slots[i].1.take();
        let g = &mut self.slots[i].0;
        *g = if *g == u32::MAX { 1 } else { *g + 1 };
        self.free.push(i as u32);
        v
    }

    pub fn drain(&mut self) -> Vec<T> {
        self.free.clear();
        let mut out = Vec::new();
        for (i, (g, v)) in self.slots.iter_mut().enumerate() {
            if let Some(v) = v.take() {
                *g = if *g == u32::MAX { 1 } else { *g + 1 };
                out.push(v);
            }
            self.free.push(i as u32);
        }
        out
    }
}

/// The single terminal result of an operation, turned into an event by `Shared::complete`.
pub struct Completion {
    pub status: i32,
    pub code: u64,
    pub objs: [Option<Obj>; 2],
    pub data: Option<Bytes>,
}

impl Completion {
    pub fn ok() -> Self {
        Self {
            status: status::OK,
            code: 0,
            objs: [None, None],
            data: None,
        }
    }
    pub fn status(status: i32) -> Self {
        Self {
            status,
            ..Self::ok()
        }
    }
    pub fn err(status: i32, msg: impl Into<String>) -> Self {
        let msg: String = msg.into();
        Self {
            status,
            data: Some(Bytes::from(msg.into_bytes())),
            ..Self::ok()
        }
    }
    pub fn with_code(mut self, code: u64) -> Self {
        self.code = code;
        self
    }
    pub fn with_data(mut self, data: Bytes) -> Self {
        self.data = Some(data);
        self
    }
    pub fn with_obj(mut self, i: usize, o: Obj) -> Self {
        self.objs[i] = Some(o);
        self
    }
}

/// Maps a noq connection error (noq-proto 0.16.0 src/connection/mod.rs `ConnectionError`) onto
/// `aster_iroh_status` (include/aster_iroh.h). Application close carries the peer's code and its
/// reason bytes verbatim (e.g. 403 `not admitted`); the rest carry a message.
pub fn conn_error(e: &ConnectionError) -> Completion {
    match e {
        ConnectionError::ApplicationClosed(ac) => Completion::status(status::CONN_APP_CLOSED)
            .with_code(ac.error_code.into_inner())
            .with_data(ac.reason.clone()),
        ConnectionError::ConnectionClosed(cc) => {
            Completion::err(status::CONN_TRANSPORT_CLOSED, e.to_string())
                .with_code(u64::from(cc.error_code))
        }
        ConnectionError::TransportError(te) => {
            Completion::err(status::CONN_TRANSPORT_CLOSED, e.to_string())
                .with_code(u64::from(te.code))
        }
        ConnectionError::VersionMismatch => {
            Completion::err(status::CONN_TRANSPORT_CLOSED, e.to_string())
        }
        ConnectionError::Reset => Completion::err(status::CONN_RESET, e.to_string()),
        ConnectionError::TimedOut => Completion::err(status::CONN_TIMED_OUT, e.to_string()),
        ConnectionError::LocallyClosed => {
            Completion::err(status::CONN_LOCALLY_CLOSED, e.to_string())
        }
        _ => Completion::err(status::INTERNAL, e.to_string()),
    }
}

/// Hashes an op id (a counter) with one multiply (Fibonacci hashing) instead of std's SipHash:
/// the op table is touched two or three times per operation, and its keys are our own
/// sequential ids, so there is nothing for a keyed hash to defend against.
#[derive(Default)]
struct OpIdHasher(u64);

impl std::hash::Hasher for OpIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type OpTable = HashMap<u64, OpEntry, std::hash::BuildHasherDefault<OpIdHasher>>;

struct OpEntry {
    kind: u32,
    user_data: u64,
    cancel: Option<oneshot::Sender<()>>,
    /// A parked op's stream half (`stream::read`, `stream::write`): kept alive while the op
    /// is pending, as a spawned op's future would keep it, so freeing the handle stays safe.
    _keep: Option<Obj>,
    /// Multishot ops (continuous accept): credits for further deliveries (back-pressure).
    credit: Option<Arc<tokio::sync::Semaphore>>,
    /// A parked call's cancel code (`Shared::attach_call`): `cancel` resets its request and
    /// stops its answer with it (`stream::abandon_parked_call`, on the recv half in `_keep`).
    abandon: Option<VarInt>,
}

/// A stream operation handed over by a thread outside the runtime, run in submission order on
/// the runtime (`Shared::defer`, docs/transport.md "Deferred submission").
/// `op` (0 for none) completes with PANIC if `run` panics.
pub struct Deferred {
    pub op: u64,
    pub run: Box<dyn FnOnce(&Arc<Shared>, &tokio::runtime::Handle) + Send>,
}

/// How a thread outside the runtime wakes `run_deferred` (docs/transport.md "Deferred
/// submission"). Waking a tokio task from another thread always writes the runtime's eventfd
/// (tokio 1.50 `scheduler/current_thread` `Schedule::schedule`: `inject.push` then
/// `driver.unpark()`), a syscall on the submitting thread and a spurious epoll round on the
/// runtime's. In the `lazy` mode (the current_thread flavour) that is paid only while the
/// runtime's thread sleeps: while it is busy the submitter only sets `pending`, and the
/// runtime's own thread wakes the task, without a syscall, at its next completion or before it
/// parks (tokio runs `on_thread_park` first and does not park when that scheduled a task).
/// `pending` and `idle` pair up as in Dekker's algorithm (both sides store, then load the
/// other's flag, all SeqCst), so at least one side sees the other and no queue is forgotten.
pub struct RuntimeWake {
    /// Set while the runtime's thread is parked (tokio's on_thread_park/unpark).
    idle: AtomicBool,
    pending: AtomicBool,
    lazy: bool,
    notify: tokio::sync::Notify,
    /// How long `run_spin` keeps polling after the last completion or deferred batch (zero:
    /// never spins).
    spin: std::time::Duration,
    /// Set while `run_spin` polls; cleared when it goes back to sleep.
    spinning: AtomicBool,
    spin_notify: tokio::sync::Notify,
    /// Completions emitted and deferred batches run on the runtime's thread (`run_spin`).
    activity: AtomicU64,
}

thread_local! {
    /// The `RuntimeWake` of the runtime this thread drives (current_thread flavour), else null.
    static DRIVEN_HERE: std::cell::Cell<*const RuntimeWake> = const { std::cell::Cell::new(std::ptr::null()) };
}

impl RuntimeWake {
    pub fn new(lazy: bool, spin: std::time::Duration) -> Self {
        Self {
            idle: AtomicBool::new(true),
            pending: AtomicBool::new(false),
            lazy,
            notify: tokio::sync::Notify::new(),
            spin,
            spinning: AtomicBool::new(false),
            spin_notify: tokio::sync::Notify::new(),
            activity: AtomicU64::new(0),
        }
    }

    /// Marks the calling thread as the one that drives this runtime (before `block_on`).
    pub fn drive_here(self: &Arc<Self>) {
        DRIVEN_HERE.with(|d| d.set(Arc::as_ptr(self)));
    }

    /// The deferred queue became non-empty.
    fn queue_filled(&self) {
        if !self.lazy {
            self.notify.notify_one();
            return;
        }
        self.pending.store(true, Ordering::SeqCst);
        if self.idle.load(Ordering::SeqCst) && self.pending.swap(false, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    /// tokio's on_thread_park: runs on the runtime's thread before it sleeps.
    pub fn on_park(&self) {
        self.idle.store(true, Ordering::SeqCst);
        if self.lazy && self.pending.swap(false, Ordering::SeqCst) {
            self.notify.notify_one();
        }
    }

    pub fn on_unpark(&self) {
        self.idle.store(false, Ordering::Relaxed);
    }

    /// On the runtime's own thread: wakes `run_deferred` if the io thread queued operations.
    fn take_pending(&self) {
        if self.pending.load(Ordering::Relaxed) && self.pending.swap(false, Ordering::AcqRel) {
            self.notify.notify_one();
        }
    }

    /// A completion is being emitted: on the runtime's own thread, picks up a pending queue.
    fn on_runtime_event(&self) {
        // Called for every completion: without a pending queue or spinning, no thread-local
        // lookup.
        if !self.lazy
            || (self.spin.is_zero() && !self.pending.load(Ordering::Relaxed))
            || DRIVEN_HERE.with(|d| d.get()) != self as *const Self
        {
            return;
        }
        self.take_pending();
        if !self.spin.is_zero() {
            self.activity.fetch_add(1, Ordering::Relaxed);
            if !self.spinning.load(Ordering::Relaxed) {
                self.spinning.store(true, Ordering::Relaxed);
                self.spin_notify.notify_one();
            }
        }
    }
}

/// The io thread and the runtime's thread both touch these tables for every operation: each
/// sits on cache lines of its own (`CachePadded`), else a lock taken on one thread invalidates
/// the line of its neighbours on the other (false sharing).
pub struct Shared {
    pub cq: CompletionQueue,
    /// Stream operations from outside the runtime wait here for `run_deferred` (only when the
    /// runtime was created with ASTER_IROH_RT_DEFER_STREAM_OPS).
    deferring: bool,
    /// Deferred operations queued or running; while non-zero every stream operation queues
    /// behind them, so call order holds.
    deferred_outstanding: CachePadded<AtomicUsize>,
    /// Whether the runtime's thread sleeps, and how the deferred queue's task is woken.
    wake: Arc<RuntimeWake>,
    deferred: CachePadded<Mutex<Vec<Deferred>>>,
    /// The io thread (`this_thread_token`) while it dispatches a batch of completions
    /// (`aster_iroh_runtime_hold`), else 0: its operations queue without waking the runtime
    /// until the batch is done or `HOLD_CAP` are queued, so the runtime takes them in one
    /// hand-over. Other threads' operations are never held: only the io thread releases.
    hold: CachePadded<AtomicUsize>,
    /// Stream halves whose parked read or write was woken, for `stream::run_parked`.
    pub parked: Arc<crate::stream::ParkQueue>,
    /// The handle table, the leases, the queued events and the pending ops, under one lock:
    /// an event that brings a stream and its first bytes (an accepted request, a call's
    /// answer) takes it once, and so does `aster_iroh_release_many` (docs/transport.md "One
    /// lock for handles and leases", "One lock for ops and events").
    handles: CachePadded<Mutex<Tables>>,
    /// Bumped by every `cancel` and `drain_ops` (`op_live`).
    cancels: CachePadded<AtomicU64>,
    /// `aster_iroh_runtime_drive_watch`: the descriptor (low 32 bits, u32::MAX for none) and
    /// the idle bound in µs (high 32 bits) the drive's idle waits use from their next wait on;
    /// `DRIVE_WATCH_UNSET` until the first call. Set and read on the drive's thread only (the
    /// step calls it), so Relaxed.
    pub drive_watch: AtomicU64,
}

/// `Shared::handles`: stream halves, connections, endpoints and docs by handle, and the
/// leases of bytes handed out.
#[derive(Default)]
struct Tables {
    objs: Slab<Obj>,
    leases: Slab<Bytes>,
    /// The pending operations. Under the same lock as the handles and the events: an op's
    /// completion removes its entry and queues its event (with the handles it brings) under
    /// one lock, and a call's start looks up its connection and registers its op under one.
    /// Every lock taken costs two locked instructions, and on this VM those were most of
    /// the bridge's time (docs/transport.md "Measured 2026-12-06 (stop 55)").
    ops: OpTable,
    /// The next op id (`take_op_id`).
    next_op: u64,
    /// The completion queue's events (`CompletionQueue`): queued under this lock, with the
    /// handles and the lease they carry.
    events: crate::cq::Queue,
}

impl Tables {
    /// The next op id.
    fn take_op_id(&mut self) -> u64 {
        let op = self.next_op;
        self.next_op += 1;
        op
    }

    /// An op without a cancel channel (`Shared::register_untasked`).
    fn register_untasked(&mut self, kind: u32, user_data: u64, keep: Option<Obj>) -> u64 {
        let op = self.take_op_id();
        self.ops.insert(
            op,
            OpEntry {
                kind,
                user_data,
                cancel: None,
                credit: None,
                _keep: keep,
                abandon: None,
            },
        );
        op
    }
}

/// `Shared::drive_watch` before any `aster_iroh_runtime_drive_watch`.
pub const DRIVE_WATCH_UNSET: u64 = u64::MAX;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    pub fn new(cq: CompletionQueue, deferring: bool, wake: Arc<RuntimeWake>) -> Self {
        Self {
            cq,
            deferring,
            deferred_outstanding: CachePadded::new(AtomicUsize::new(0)),
            wake,
            deferred: CachePadded::new(Mutex::new(Vec::new())),
            hold: CachePadded::new(AtomicUsize::new(0)),
            parked: Arc::new(crate::stream::ParkQueue::default()),
            handles: CachePadded::new(Mutex::new(Tables {
                next_op: 1,
                ..Tables::default()
            })),
            cancels: CachePadded::new(AtomicU64::new(0)),
            drive_watch: AtomicU64::new(DRIVE_WATCH_UNSET),
        }
    }

    pub fn insert(&self, o: Obj) -> u64 {
        Self::put(&mut lock(&self.handles).objs, o)
    }
    /// One object into the locked table. An endpoint learns its handle there, under the lock:
    /// cloning every object to look for one cost each stream half two atomic reference-count
    /// updates.
    fn put(table: &mut Slab<Obj>, o: Obj) -> u64 {
        let is_endpoint = matches!(o, Obj::Endpoint(_));
        let h = table.insert(o);
        if is_endpoint {
            if let Some(Obj::Endpoint(ep)) = table.get(h) {
                let _ = ep.handle.set(h);
            }
        }
        h
    }
    pub fn get(&self, h: u64) -> Option<Obj> {
        lock(&self.handles).objs.get(h).cloned()
    }
    pub fn remove(&self, h: u64) -> Option<Obj> {
        lock(&self.handles).objs.remove(h)
    }
    /// Removes the handle if its object is of the kind `is` accepts (one lookup).
    pub fn remove_if(&self, h: u64, is: impl Fn(&Obj) -> bool) -> Option<Obj> {
        let mut tables = lock(&self.handles);
        let handles = &mut tables.objs;
        match handles.get(h) {
            Some(o) if is(o) => handles.remove(h),
            _ => None,
        }
    }
    /// Removes every send or recv half among `hs` and releases the leases among `ls`, under
    /// one lock; returns the halves and the leases' bytes (to be dropped outside it), how many
    /// of `hs` were not stream halves or not there, and how many of `ls` were found.
    pub fn remove_streams_and_leases(
        &self,
        hs: &[u64],
        ls: &[u64],
    ) -> (Vec<Obj>, usize, Vec<Bytes>) {
        let mut out = Vec::with_capacity(hs.len());
        let mut gone = Vec::with_capacity(ls.len());
        let mut tables = lock(&self.handles);
        for &h in hs {
            if matches!(tables.objs.get(h), Some(Obj::Send(_) | Obj::Recv(_))) {
                out.extend(tables.objs.remove(h));
            }
        }
        for &l in ls {
            gone.extend(tables.leases.remove(l));
        }
        drop(tables);
        let missing = hs.len() - out.len();
        (out, missing, gone)
    }
    pub fn drain_handles(&self) -> Vec<Obj> {
        lock(&self.handles).objs.drain()
    }
    pub fn release_lease(&self, l: u64) -> bool {
        let gone = lock(&self.handles).leases.remove(l);
        gone.is_some()
    }
    pub fn drain_leases(&self) {
        let gone = lock(&self.handles).leases.drain();
        drop(gone);
    }

    /// Whether a stream operation called now goes to the runtime (`defer`) rather than running
    /// inline on the caller's thread. Inline is better when `inline_better`: for a large write
    /// (the copy into noq then overlaps the runtime's sending) and for a read or write that
    /// follows another on the same half (a stream of messages: its caller waits for each
    /// operation before the next, so a deferred one costs a round trip between the threads per
    /// message; server-stream msgs/s in `aster_rpc_bench local --shape current` fell from 360k
    /// to 40k). Otherwise deferring is better, busy or not: while the runtime is busy there is
    /// no wake-up, no contention for the connection's lock, and the connection driver sends
    /// what a whole batch wrote in full packets; while its thread sleeps, an inline write
    /// wakes the connection's driver there and the woken thread blocked on a lock the caller
    /// still held, two wake-ups of a sleeping thread on the request's path instead of one
    /// (docs/transport.md "Deferred submission": unary ×1 p50 ≈ 125 → 85 µs in one process).
    /// Once anything is deferred, everything is until the queue has run, so operations keep
    /// call order.
    pub fn should_defer(&self, inline_better: bool) -> bool {
        self.deferring && (self.deferred_outstanding.load(Ordering::Acquire) != 0 || !inline_better)
    }

    /// Whether the calling thread holds the runtime's wake-up (`set_hold`).
    fn held_here(&self) -> bool {
        let h = self.hold.load(Ordering::Relaxed);
        h != 0 && h == this_thread_token()
    }

    /// `aster_iroh_runtime_hold`: on, deferred operations wait for `off` (or `HOLD_CAP` of them)
    /// before the runtime is woken; off, a non-empty queue wakes it now.
    pub fn set_hold(&self, on: bool) {
        self.hold.store(if on { this_thread_token() } else { 0 }, Ordering::Relaxed);
        if !on && !lock(&self.deferred).is_empty() {
            self.wake.queue_filled();
        }
    }

    /// Queues `f` for `run_deferred`. Only the push onto an empty queue wakes the runtime, so
    /// the operations a caller submits while the runtime is busy travel in one hand-over.
    pub fn defer(&self, f: Deferred) {
        self.deferred_outstanding.fetch_add(1, Ordering::AcqRel);
        let wake = {
            let mut q = lock(&self.deferred);
            q.push(f);
            (q.len() == 1 && !self.held_here()) || q.len() == HOLD_CAP
        };
        if wake {
            self.wake.queue_filled();
        }
    }

    /// Drops deferred operations that never ran (runtime shutdown; like `drain_ops`, no events).
    pub fn drain_deferred(&self) {
        let queued = std::mem::take(&mut *lock(&self.deferred));
        drop(queued);
    }

    pub fn op_pending(&self, op: u64) -> bool {
        lock(&self.handles).ops.contains_key(&op)
    }

    /// For `op_live`: read before the op is registered.
    pub fn cancel_epoch(&self) -> u64 {
        self.cancels.load(Ordering::Acquire)
    }

    /// `op_pending` for an op nothing but `cancel` or `drain_ops` can end before its
    /// owner completes it (a deferred operation that has not run yet), given `cancel_epoch()`
    /// from before it was registered: while no cancel has happened since, it is pending
    /// without a look into the op table. The table's lock is taken by the io thread for every
    /// operation it registers; in the transport echo (64 in flight) `op_pending` was the
    /// runtime thread's most expensive function (3% of its samples) for five lookups per
    /// request, three of them from deferred operations.
    pub fn op_live(&self, op: u64, epoch: u64) -> bool {
        self.cancels.load(Ordering::Acquire) == epoch || self.op_pending(op)
    }

    /// Pushes one event; a non-empty payload becomes a lease the caller must release.
    #[allow(clippy::too_many_arguments)]
    pub fn push_event(
        &self,
        kind: u32,
        status: i32,
        op: u64,
        user_data: u64,
        h1: u64,
        h2: u64,
        code: u64,
        data: Option<Bytes>,
    ) {
        self.wake.on_runtime_event();
        let wake = {
            let mut tables = lock(&self.handles);
            let (ptr, len, lease) = match data {
                Some(b) if !b.is_empty() => {
                    let (ptr, len) = (b.as_ptr(), b.len());
                    (ptr, len, tables.leases.insert(b))
                }
                _ => (std::ptr::null(), 0, 0),
            };
            let ev = aster_iroh_event {
                kind,
                status,
                op,
                user_data,
                h1,
                h2,
                code,
                data: ptr,
                len,
                lease,
            };
            self.cq.push(&mut tables.events, ev)
        };
        if wake {
            self.cq.signal();
        }
    }

    /// Moves up to `out.len()` queued events into `out` (`CompletionQueue::poll`).
    pub fn poll_events(&self, out: &mut [std::mem::MaybeUninit<aster_iroh_event>]) -> usize {
        if self.cq.idle() {
            return 0;
        }
        let mut tables = lock(&self.handles);
        self.cq.poll(&mut tables.events, out)
    }

    /// Drops every queued event (runtime shutdown).
    pub fn clear_events(&self) {
        let mut tables = lock(&self.handles);
        self.cq.clear(&mut tables.events);
    }

    /// How many ops are pending.
    pub fn pending_ops(&self) -> usize {
        lock(&self.handles).ops.len()
    }

    /// Allocates an op id and registers it; exactly one terminal event follows, emitted by
    /// whoever removes the entry (`complete` or `cancel`). Returns the op and the
    /// receiver that tells its task it was cancelled.
    pub fn register(
        &self,
        kind: u32,
        user_data: u64,
        credit: Option<Arc<tokio::sync::Semaphore>>,
    ) -> (u64, oneshot::Receiver<()>) {
        let (tx, rx) = oneshot::channel();
        let mut tables = lock(&self.handles);
        let op = tables.take_op_id();
        tables.ops.insert(
            op,
            OpEntry {
                kind,
                user_data,
                cancel: Some(tx),
                credit,
                _keep: None,
                abandon: None,
            },
        );
        (op, rx)
    }

    /// `register` for an operation that checks `op_live` before it starts (a deferred one):
    /// also returns the cancel count read before the op existed, its `epoch`.
    pub fn register_live(&self, kind: u32, user_data: u64) -> (u64, u64, oneshot::Receiver<()>) {
        let epoch = self.cancel_epoch();
        let (op, rx) = self.register(kind, user_data, None);
        (op, epoch, rx)
    }

    /// The cancel channel of an op registered unarmed that is about to run as a task
    /// (`spawn_op`); None when it was cancelled meanwhile (its CANCELLED event is out).
    pub fn arm_cancel(&self, op: u64) -> Option<oneshot::Receiver<()>> {
        let mut tables = lock(&self.handles);
        let entry = tables.ops.get_mut(&op)?;
        let (tx, rx) = oneshot::channel();
        entry.cancel = Some(tx);
        Some(rx)
    }

    /// Registers an op that no task runs: whoever holds its state completes it (a parked
    /// read or write, stream.rs). `keep` stays alive until the op's terminal event. Returns
    /// the op and its `epoch` for `op_live` (the cancel count read before it was registered).
    pub fn register_parked(&self, kind: u32, user_data: u64, keep: Obj) -> (u64, u64) {
        self.register_untasked(kind, user_data, Some(keep))
    }

    /// An op without a cancel channel (`register_parked`; `conn_and_call_op` registers one
    /// too, unarmed: for an op that usually parks or completes where it starts, which arms
    /// one with `arm_cancel` only if it becomes a task; a oneshot channel per call was an
    /// allocation and its reference counts).
    fn register_untasked(&self, kind: u32, user_data: u64, keep: Option<Obj>) -> (u64, u64) {
        let epoch = self.cancel_epoch();
        let op = lock(&self.handles).register_untasked(kind, user_data, keep);
        (op, epoch)
    }

    /// A call's start (`aster_iroh_open_bi_call`): its connection's object (NOT_FOUND when `h`
    /// names none) and an op registered unarmed for it, with its `epoch`, under one lock.
    pub fn conn_and_call_op(
        &self,
        h: u64,
        kind: u32,
        user_data: u64,
    ) -> Option<(Arc<crate::node::ConnObj>, u64, u64)> {
        let epoch = self.cancel_epoch();
        let mut tables = lock(&self.handles);
        let conn = match tables.objs.get(h) {
            Some(Obj::Conn(c)) => c.clone(),
            _ => return None,
        };
        let op = tables.register_untasked(kind, user_data, None);
        Some((conn, op, epoch))
    }

    /// Turns a registered op into a call parked on its recv half `recv` (kept alive until the
    /// op's terminal event): `cancel` abandons it with `code` (outside the table's lock). False
    /// when the op is gone already (cancelled meanwhile): nothing is attached.
    pub fn attach_call(&self, op: u64, recv: Obj, code: VarInt) -> bool {
        match lock(&self.handles).ops.get_mut(&op) {
            Some(entry) => {
                entry._keep = Some(recv);
                entry.abandon = Some(code);
                true
            }
            None => false,
        }
    }

    /// Registers an operation and runs `fut` on the runtime.
    pub fn submit<F>(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        kind: u32,
        user_data: u64,
        fut: F,
    ) -> u64
    where
        F: Future<Output = Completion> + Send + 'static,
    {
        let (op, rx) = self.register(kind, user_data, None);
        self.spawn_op(rt, op, rx, fut);
        op
    }

    /// Runs the future of a registered op; its result completes the op unless the op was
    /// cancelled (then the future is dropped) or already completed by the future itself.
    pub fn spawn_op<F>(
        self: &Arc<Self>,
        rt: &tokio::runtime::Handle,
        op: u64,
        rx: oneshot::Receiver<()>,
        fut: F,
    ) where
        F: Future<Output = Completion> + Send + 'static,
    {
        let shared = self.clone();
        rt.spawn(async move {
            let outcome = tokio::select! {
                biased;
                _ = rx => return,  // cancelled: cancel() already emitted the terminal event
                r = CatchUnwind(fut) => r,
            };
            let c = outcome.unwrap_or_else(|()| {
                Completion::err(status::PANIC, "panic inside the bridge operation")
            });
            shared.complete(op, c);
        });
    }

    /// Turns a completion into an event record without queueing it (inline completion):
    /// objects become handles, a payload becomes a lease.
    pub fn event_of(&self, kind: u32, op: u64, user_data: u64, c: Completion) -> aster_iroh_event {
        if c.objs[0].is_none() && c.objs[1].is_none() && c.data.as_ref().is_none_or(|b| b.is_empty())
        {
            return aster_iroh_event {
                kind,
                status: c.status,
                op,
                user_data,
                h1: 0,
                h2: 0,
                code: c.code,
                data: std::ptr::null(),
                len: 0,
                lease: 0,
            };
        }
        Self::event_in(&mut lock(&self.handles), kind, op, user_data, c)
    }

    /// `event_of` with the table's lock held.
    fn event_in(
        tables: &mut Tables,
        kind: u32,
        op: u64,
        user_data: u64,
        c: Completion,
    ) -> aster_iroh_event {
        let [o1, o2] = c.objs;
        let h1 = o1.map(|o| Self::put(&mut tables.objs, o)).unwrap_or(0);
        let h2 = o2.map(|o| Self::put(&mut tables.objs, o)).unwrap_or(0);
        let (mut ptr, mut len, mut lease) = (std::ptr::null(), 0, 0);
        if let Some(b) = c.data.filter(|b| !b.is_empty()) {
            (ptr, len) = (b.as_ptr(), b.len());
            lease = tables.leases.insert(b);
        }
        aster_iroh_event {
            kind,
            status: c.status,
            op,
            user_data,
            h1,
            h2,
            code: c.code,
            data: ptr,
            len,
            lease,
        }
    }

    /// Emits the op's terminal event. Returns the completion back when the op is no longer
    /// pending (cancelled, or already completed).
    pub fn complete(&self, op: u64, c: Completion) -> Option<Completion> {
        self.wake.on_runtime_event();
        let (entry, wake) = {
            let mut tables = lock(&self.handles);
            let Some(entry) = tables.ops.remove(&op) else {
                return Some(c);
            };
            let ev = Self::event_in(&mut tables, entry.kind, op, entry.user_data, c);
            let wake = self.cq.push(&mut tables.events, ev);
            (entry, wake)
        };
        if wake {
            self.cq.signal();
        }
        drop(entry); // what it kept (a stream half) goes outside the lock
        None
    }

    /// A non-terminal event of a multishot op (status OK). Returns false once the op is gone
    /// (cancelled): the objects are dropped and the producer stops. Pushed under the op-table
    /// lock so it can never follow the op's terminal event.
    pub fn deliver(&self, op: u64, c: Completion) -> bool {
        self.wake.on_runtime_event();
        let wake = {
            let mut tables = lock(&self.handles);
            let Some(entry) = tables.ops.get(&op) else {
                drop(tables);
                drop(c); // its objects (stream halves) go outside the lock
                return false;
            };
            let (kind, user_data) = (entry.kind, entry.user_data);
            let ev = Self::event_in(&mut tables, kind, op, user_data, c);
            self.cq.push(&mut tables.events, ev)
        };
        if wake {
            self.cq.signal();
        }
        true
    }

    /// Returns `n` delivery credits to a multishot op.
    pub fn grant(&self, op: u64, n: u32) -> bool {
        let credit = lock(&self.handles).ops.get(&op).and_then(|e| e.credit.clone());
        match credit {
            Some(sem) => {
                sem.add_permits(n as usize);
                true
            }
            None => false,
        }
    }

    /// Cancels a pending op: emits CANCELLED now and makes the op task drop its future.
    pub fn cancel(&self, op: u64) -> bool {
        // Bumped before the op leaves the table, so an `op_live` that still sees the old
        // count ran before this cancel could have taken the op (a race either way).
        self.cancels.fetch_add(1, Ordering::AcqRel);
        let removed = lock(&self.handles).ops.remove(&op);
        let Some(mut entry) = removed else {
            return false;
        };
        if let Some(tx) = entry.cancel.take() {
            let _ = tx.send(());
        }
        if let (Some(code), Some(Obj::Recv(recv))) = (entry.abandon.take(), &entry._keep) {
            crate::stream::abandon_parked_call(recv, code);
        }
        self.push_event(
            entry.kind,
            status::CANCELLED,
            op,
            entry.user_data,
            0,
            0,
            0,
            None,
        );
        true
    }

    /// Forgets all pending ops without events (runtime shutdown).
    pub fn drain_ops(&self) {
        self.cancels.fetch_add(1, Ordering::AcqRel);
        let gone = std::mem::take(&mut lock(&self.handles).ops);
        drop(gone);
    }
}

/// Polls the inner future under `catch_unwind`, so a panic inside iroh becomes a PANIC event
/// instead of a lost operation (docs/transport.md "Layers").
struct CatchUnwind<F>(F);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field: it is never moved out of the pinned
        // wrapper (no Unpin impl, no method hands it out by value). This saves boxing every
        // waiting operation a second time (stream ops arrive boxed already).
        let inner = unsafe { self.map_unchecked_mut(|s| &mut s.0) };
        match catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

/// While held, the runtime is woken once this many operations are queued, so it works on one
/// part of the io thread's batch while the io thread produces the next.
const HOLD_CAP: usize = 16;

/// A non-zero number unique to the calling thread while it lives (its thread-local's address).
fn this_thread_token() -> usize {
    thread_local! { static TOKEN: u8 = const { 0 }; }
    TOKEN.with(|t| t as *const u8 as usize)
}

/// Runs deferred stream operations in submission order, as many as are queued per wake-up
/// (`Shared::defer`). One task per runtime created with ASTER_IROH_RT_DEFER_STREAM_OPS.
pub async fn run_deferred(shared: Arc<Shared>, handle: tokio::runtime::Handle) {
    let mut batch: Vec<Deferred> = Vec::new();
    loop {
        shared.wake.notify.notified().await;
        std::mem::swap(&mut batch, &mut *lock(&shared.deferred));
        // One subtraction per batch, not per operation: the counter's line is written by the
        // submitting thread for every operation, and each write here would pull it back.
        // Until it drops, new operations queue, which keeps call order as before.
        let n = batch.len();
        for d in batch.drain(..) {
            let run = d.run;
            if catch_unwind(AssertUnwindSafe(|| run(&shared, &handle))).is_err() && d.op != 0 {
                shared.complete(d.op, Completion::err(status::PANIC, "panic inside the bridge operation"));
            }
        }
        shared.deferred_outstanding.fetch_sub(n, Ordering::AcqRel);
        // Operations queued while this batch ran, if none of it emitted a completion.
        shared.wake.on_runtime_event();
    }
}

/// `run_spin` stops while more operations than this are pending: with many in flight both
/// threads are busy anyway, and a spin in their short gaps would only burn CPU.
const SPIN_MAX_OPS: usize = 16;

/// Runtimes of this process spinning now. At most one spins at a time, so a process with
/// many runtimes (a test with 200 consumers) never has more spinning threads than cores.
static SPINNERS: AtomicUsize = AtomicUsize::new(0);

struct SpinToken;
impl Drop for SpinToken {
    fn drop(&mut self) {
        SPINNERS.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Busy-polls the runtime for `RuntimeWake::spin` after the last completion or deferred batch
/// (docs/transport.md "Spinning"). While this task yields, tokio's current_thread scheduler
/// polls the network without blocking (`park_yield`, a zero-timeout epoll_wait) instead of
/// parking, and the runtime's thread never counts as idle: the io thread's deferred operations
/// are picked up here within one poll, without an eventfd write and the wake-up of a sleeping
/// thread (≈ 12–15 µs each on this VM, two per request answered in one process).
pub async fn run_spin(shared: Arc<Shared>) {
    let w = &shared.wake;
    loop {
        w.spin_notify.notified().await;
        if SPINNERS
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            // Given back on drop: the runtime's shutdown drops this task mid-spin.
            let _token = SpinToken;
            let mut seen = w.activity.load(Ordering::Relaxed);
            let mut last = std::time::Instant::now();
            loop {
                tokio::task::yield_now().await;
                w.take_pending();
                let a = w.activity.load(Ordering::Relaxed);
                let now = std::time::Instant::now();
                if a != seen {
                    seen = a;
                    last = now;
                    // Only after activity: an idle spin must not take the lock the io thread
                    // registers its operations under.
                    if shared.pending_ops() > SPIN_MAX_OPS {
                        break;
                    }
                } else if now.duration_since(last) >= w.spin {
                    break;
                }
            }
        }
        w.spinning.store(false, Ordering::Relaxed);
    }
}
