//! Stream halves, shaped for many short streams (issue 8).
//!
//! Each half is a `noq` stream behind a mutex that any thread may lock. An operation first
//! tries to make progress right where it was submitted (usually the C++ io thread): noq
//! accepts a write into its send buffer, hands out buffered bytes, and opens a stream without
//! waiting whenever flow control allows, so most operations complete inline (`Attempt::Done`)
//! without crossing to a tokio worker. A read or write that must wait parks on its half
//! (`Attempt::Parked`, "Parked operations" below): the half's waker has it polled again and
//! completed straight into the completion queue, no task per operation. Only an open that
//! waits for stream credit becomes a future (`Attempt::Pending`) run by `Shared::spawn_op`.
//! At most one read and one write may be pending per half; another one while the first is
//! still an open operation completes with BUSY.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use crossbeam_utils::CachePadded;
use iroh::endpoint::{Connection, ReadError, RecvStream, SendStream, VarInt, WriteError};

use crate::abi::status;
use crate::runtime::{conn_error, Completion, Obj, Shared};

pub type OpFuture = Pin<Box<dyn Future<Output = Completion> + Send>>;

/// What an operation did when submitted.
pub enum Attempt {
    /// Completed inline; no task was spawned.
    Done(Completion),
    /// Must wait: run this future (it was registered as `op` already).
    Pending(OpFuture),
    /// Must wait, and is parked on its half (registered as `op` already): the half's waker
    /// has it completed, no task runs it ("Parked operations" below).
    Parked,
}

struct SendState {
    s: SendStream,
    /// Op id of the write in flight (0 = none; a cancelled op may linger: check the op table).
    pending: u64,
    /// FIN requested while a write was in flight: the write sends it when it completes.
    fin_after: bool,
    /// The write waiting on this half, if any ("Parked operations").
    parked: Option<ParkedWrite>,
    /// This half's `ParkWaker`, made by the first write that parks.
    waker: Option<Waker>,
}

struct RecvState {
    r: RecvStream,
    pending: u64,
    /// Bytes a read took from noq after its op had been cancelled: the next read returns them,
    /// so a cancelled read loses no data.
    stash: Option<Bytes>,
    /// The peer's RESET_STREAM code once noq reported it. noq reports a reset to exactly one
    /// read and answers every later read with `Ok(None)`, i.e. a clean FIN
    /// (noq-0.17.0:src/recv_stream.rs `poll_read_generic`: `all_data_read` is checked before
    /// the stored `reset`). A reset seen by a read whose result is not delivered — `gather`'s
    /// look-ahead after the first chunk, or a read whose op was cancelled meanwhile — would
    /// otherwise turn into a FIN, making a truncated stream look complete. Every read after
    /// the reset reports it again from here.
    reset: Option<VarInt>,
    /// The read waiting on this stream, if any ("Parked operations").
    parked: Option<ParkedRead>,
    /// This stream's `ParkWaker`, made by the first read that parks.
    waker: Option<Waker>,
}

pub struct SendObj {
    st: Mutex<SendState>,
    /// A write was submitted on this half before (`follows_another`).
    used: AtomicBool,
}

pub struct RecvObj {
    st: Mutex<RecvState>,
    used: AtomicBool,
}

impl SendObj {
    /// Whether an operation of the same kind was submitted on this half before: the stream
    /// carries a sequence of messages whose caller waits for each operation before the next
    /// (`Shared::should_defer`).
    pub fn follows_another(&self) -> bool {
        follows(&self.used)
    }
}

impl RecvObj {
    pub fn follows_another(&self) -> bool {
        follows(&self.used)
    }
}

/// `follows_another`: a load and a store where a swap would be a locked instruction on every
/// operation. Two operations submitted at once on one half from two threads may both read
/// false; the flag only picks where the next operation runs (`Shared::should_defer`).
fn follows(used: &AtomicBool) -> bool {
    if used.load(Ordering::Relaxed) {
        return true;
    }
    used.store(true, Ordering::Relaxed);
    false
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn new_pair(send: SendStream, recv: RecvStream) -> (Obj, Obj) {
    let (send, recv) = new_halves(send, recv);
    (Obj::Send(send), Obj::Recv(recv))
}

/// The two halves of a bidi stream as the handle table's objects.
pub fn new_halves(send: SendStream, recv: RecvStream) -> (Arc<SendObj>, Arc<RecvObj>) {
    (new_send(send), new_recv(recv_state(recv)))
}

fn new_send(send: SendStream) -> Arc<SendObj> {
    Arc::new(SendObj {
        st: Mutex::new(SendState {
            s: send,
            pending: 0,
            fin_after: false,
            parked: None,
            waker: None,
        }),
        used: AtomicBool::new(false),
    })
}

fn recv_state(recv: RecvStream) -> RecvState {
    RecvState {
        r: recv,
        pending: 0,
        stash: None,
        reset: None,
        parked: None,
        waker: None,
    }
}

fn new_recv(st: RecvState) -> Arc<RecvObj> {
    Arc::new(RecvObj {
        st: Mutex::new(st),
        used: AtomicBool::new(false),
    })
}

/// An accepted stream's ACCEPT_BI completion: h1 its send half, h2 its recv half; with
/// `first_max` > 0 also the bytes readable at once (at most `first_max`) and, in `code`,
/// ACCEPT_FIN when its FIN came with them. The first read runs on the recv state before it is
/// shared, so without its lock. ABI 14: a request that came whole with its FIN has nothing
/// left to read, and its recv half is dropped here (h2 = 0) instead of becoming a handle the
/// consumer frees once it has the bytes, as a call's halves are (ABI 13, `call_completion`).
pub fn accepted(send: SendStream, recv: RecvStream, first_max: usize) -> Completion {
    let mut st = recv_state(recv);
    let mut done = Completion::ok();
    if first_max > 0 {
        done = first_bytes(done, &mut st, first_max);
    }
    let done = done.with_obj(0, Obj::Send(new_send(send)));
    if done.code & crate::abi::ACCEPT_FIN != 0 {
        done
    } else {
        done.with_obj(1, Obj::Recv(new_recv(st)))
    }
}

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

pub fn read_error(e: ReadError) -> Completion {
    match e {
        ReadError::Reset(code) => Completion::err(
            status::STREAM_RESET,
            format!("stream reset by peer: {code}"),
        )
        .with_code(code.into_inner()),
        ReadError::ConnectionLost(e) => conn_error(&e),
        e => Completion::err(status::INVALID_ARG, e.to_string()),
    }
}

pub fn write_error(e: WriteError) -> Completion {
    match e {
        WriteError::Stopped(code) => Completion::err(
            status::STREAM_STOPPED,
            format!("stream stopped by peer: {code}"),
        )
        .with_code(code.into_inner()),
        WriteError::ConnectionLost(e) => conn_error(&e),
        e => Completion::err(status::INVALID_ARG, e.to_string()),
    }
}

/// Writes as much of `data` as noq takes now (copied once, into noq's send buffer).
/// Returns how many bytes were taken, or the error.
fn write_now(s: &mut SendStream, data: &[u8]) -> Result<usize, WriteError> {
    let mut cx = noop_cx();
    let mut off = 0;
    while off < data.len() {
        match Pin::new(&mut *s).poll_write(&mut cx, &data[off..]) {
            Poll::Ready(Ok(0)) => break,
            Poll::Ready(Ok(n)) => off += n,
            Poll::Ready(Err(e)) => return Err(e),
            Poll::Pending => break,
        }
    }
    Ok(off)
}

/// Polls `write_chunks` on the owned remainder (no second copy; write_chunks is cancel-safe
/// and advances `rest` in place, noq-proto 0.16 `BytesArray::pop_chunk`).
fn poll_write_rest(
    s: &mut SendStream,
    rest: &mut Bytes,
    cx: &mut Context<'_>,
) -> Poll<Result<(), WriteError>> {
    while !rest.is_empty() {
        let fut = s.write_chunks(std::slice::from_mut(rest));
        tokio::pin!(fut);
        match fut.poll(cx) {
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        }
    }
    Poll::Ready(Ok(()))
}

/// The bytes of a write: borrowed from the caller (noq copies what it takes, and the rest is
/// copied once if the write must wait), or owned (a `Bytes` the caller handed over, which noq
/// keeps in its send buffer as it is: `write_chunks`, no copy at all).
pub enum WriteData<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl WriteData<'_> {
    pub fn len(&self) -> usize {
        match self {
            WriteData::Borrowed(d) => d.len(),
            WriteData::Owned(d) => d.len(),
        }
    }
}

/// Write (and FIN with `fin`). `register` allocates the op id when the write must wait.
pub fn write(
    obj: &Arc<SendObj>,
    shared: &Arc<Shared>,
    data: WriteData<'_>,
    fin: bool,
    register: impl FnOnce() -> (u64, u64),
) -> Attempt {
    let mut st = lock(&obj.st);
    if st.pending != 0 && shared.op_pending(st.pending) {
        return Attempt::Done(Completion::err(
            status::BUSY,
            "a write is already pending on this stream",
        ));
    }
    st.pending = 0;
    let mut rest = match data {
        WriteData::Borrowed(data) => {
            let off = match write_now(&mut st.s, data) {
                Ok(n) => n,
                Err(e) => return Attempt::Done(write_error(e)),
            };
            if off == data.len() {
                if fin {
                    let _ = st.s.finish();
                }
                return Attempt::Done(Completion::ok());
            }
            Bytes::copy_from_slice(&data[off..])
        }
        WriteData::Owned(data) => data,
    };
    // The rest waits: poll once more with the waker that will wake the parked write (noq
    // keeps the waker of the last poll that could not take everything).
    match poll_send(&mut st, obj, shared, |st, cx| poll_write_rest(&mut st.s, &mut rest, cx)) {
        Poll::Ready(Ok(())) => {
            if fin {
                let _ = st.s.finish();
            }
            return Attempt::Done(Completion::ok());
        }
        Poll::Ready(Err(e)) => return Attempt::Done(write_error(e)),
        Poll::Pending => {}
    }
    let (op, epoch) = register();
    st.pending = op;
    st.fin_after = fin;
    st.parked = Some(ParkedWrite { op, epoch, rest });
    Attempt::Parked
}

/// A write waiting on its half: the bytes noq has not taken yet.
struct ParkedWrite {
    op: u64,
    /// `Shared::cancel_epoch()` from before `op` was registered (`Shared::op_live`).
    epoch: u64,
    rest: Bytes,
}

fn poll_parked_write(obj: &Arc<SendObj>, shared: &Shared) {
    let mut st = lock(&obj.st);
    let Some(mut parked) = st.parked.take() else {
        return;
    };
    if !shared.op_live(parked.op, parked.epoch) {
        return; // cancelled: its CANCELLED event is out already
    }
    let polled = poll_send(&mut st, obj, shared, |st, cx| {
        catch_unwind(AssertUnwindSafe(|| poll_write_rest(&mut st.s, &mut parked.rest, cx)))
    });
    let c = match polled {
        Ok(Poll::Pending) => {
            st.parked = Some(parked);
            return;
        }
        Ok(Poll::Ready(r)) => {
            // Clear `pending` and apply a FIN asked for meanwhile under one lock, so a
            // finish() racing this completion is either seen here or applied by finish().
            if st.pending == parked.op {
                st.pending = 0;
                if std::mem::take(&mut st.fin_after) && r.is_ok() {
                    let _ = st.s.finish();
                }
            }
            match r {
                Ok(()) => Completion::ok(),
                Err(e) => write_error(e),
            }
        }
        Err(_) => Completion::err(status::PANIC, "panic inside the bridge operation"),
    };
    shared.complete(parked.op, c);
}

/// FIN after the data already written, or after the write in flight.
pub fn finish(obj: &SendObj, shared: &Shared) {
    let mut st = lock(&obj.st);
    if st.pending != 0 && shared.op_pending(st.pending) {
        st.fin_after = true;
    } else {
        let _ = st.s.finish();
    }
}

/// RESET_STREAM(code); returns the op of an interrupted write (the caller cancels it).
pub fn reset(obj: &SendObj, code: VarInt) -> u64 {
    let mut st = lock(&obj.st);
    let _ = st.s.reset(code);
    st.fin_after = false;
    st.parked = None;
    std::mem::take(&mut st.pending)
}

pub fn stopped(
    obj: &SendObj,
) -> impl Future<Output = Result<Option<VarInt>, iroh::endpoint::StoppedError>> + Send + 'static
{
    lock(&obj.st).s.stopped()
}

/// STOP_SENDING(code); returns the op of an interrupted read (the caller cancels it).
pub fn stop(obj: &RecvObj, code: VarInt) -> u64 {
    let mut st = lock(&obj.st);
    let _ = st.r.stop(code);
    st.stash = None;
    st.parked = None;
    std::mem::take(&mut st.pending)
}

/// After the first chunk arrived, takes whatever more is already buffered (up to `max`)
/// without waiting. noq hands out roughly one packet (~1.2 KB) per `read_chunk`, so without
/// this a bulk transfer costs one completion per packet. A single chunk stays zero-copy;
/// several are copied once into one buffer.
///
/// Returns the bytes and whether the stream's FIN was seen right behind them (then noq
/// regards the stream as read to its end: dropping it sends no STOP_SENDING).
fn gather(st: &mut RecvState, first: Bytes, max: usize) -> (Bytes, bool) {
    if first.len() >= max {
        return (first, false);
    }
    let mut fin = false;
    let mut cx = noop_cx();
    let mut buf: Option<BytesMut> = None;
    let mut total = first.len();
    while total < max {
        match poll_chunk(st, max - total, &mut cx) {
            Poll::Ready(Ok(Some(c))) => {
                let b = buf.get_or_insert_with(|| {
                    let mut b = BytesMut::with_capacity(max.min(1 << 20));
                    b.extend_from_slice(&first);
                    b
                });
                b.extend_from_slice(&c.bytes);
                total += c.bytes.len();
            }
            Poll::Ready(Ok(None)) => {
                fin = true;
                break;
            }
            // Errors and "nothing buffered" are reported by the next read (a reset from
            // `st.reset`, since noq reports it only once).
            _ => break,
        }
    }
    let data = match buf {
        Some(b) => b.freeze(),
        None => first,
    };
    (data, fin)
}

/// `accepted` (a just accepted stream's completion) with the bytes of `st` that can be read
/// at once (at most `max`) and `ACCEPT_FIN` in its code when the FIN came with them. Nothing
/// is added when nothing is readable yet or the read failed (a reset is kept in
/// `RecvState::reset`, so the next read reports it; other failures recur).
fn first_bytes(accepted: Completion, st: &mut RecvState, max: usize) -> Completion {
    let (data, fin) = match poll_chunk(st, max, &mut noop_cx()) {
        Poll::Ready(Ok(Some(c))) => gather(st, c.bytes, max),
        Poll::Ready(Ok(None)) => (Bytes::new(), true),
        _ => return accepted,
    };
    let c = if data.is_empty() { accepted } else { accepted.with_data(data) };
    if fin {
        c.with_code(crate::abi::ACCEPT_FIN)
    } else {
        c
    }
}

/// The completion of a plain read of `data`: with `fin_with_data`, a FIN seen right behind
/// the bytes is reported with them (status FIN); otherwise the next read reports it (noq
/// keeps answering "finished").
fn read_completion((data, fin): (Bytes, bool), fin_with_data: bool) -> Completion {
    if fin && fin_with_data {
        Completion::status(status::FIN).with_data(data)
    } else {
        Completion::ok().with_data(data)
    }
}

/// Every read of the bridge goes through here: a reset once seen stays the answer
/// (`RecvState::reset`).
fn poll_chunk(
    st: &mut RecvState,
    max: usize,
    cx: &mut Context<'_>,
) -> Poll<Result<Option<iroh::endpoint::Chunk>, ReadError>> {
    if let Some(code) = st.reset {
        return Poll::Ready(Err(ReadError::Reset(code)));
    }
    let fut = st.r.read_chunk(max);
    tokio::pin!(fut);
    let got = fut.poll(cx);
    if let Poll::Ready(Err(ReadError::Reset(code))) = got {
        st.reset = Some(code);
    }
    got
}

/// Chunks collected by a read-to-end; one chunk stays zero-copy.
struct ToEnd {
    chunks: Vec<Bytes>,
    total: usize,
    limit: usize,
}

impl ToEnd {
    /// Polls until FIN (Ready(Ok)), an error, or Pending.
    fn poll(&mut self, st: &mut RecvState, cx: &mut Context<'_>) -> Poll<Completion> {
        loop {
            match poll_chunk(st, usize::MAX, cx) {
                Poll::Ready(Ok(Some(c))) => {
                    self.total += c.bytes.len();
                    if self.total > self.limit {
                        let _ = st.r.stop(VarInt::from_u32(0));
                        return Poll::Ready(Completion::err(
                            status::TOO_LONG,
                            format!("stream longer than {} bytes", self.limit),
                        ));
                    }
                    self.chunks.push(c.bytes);
                }
                Poll::Ready(Ok(None)) => {
                    let data = match self.chunks.len() {
                        0 => Bytes::new(),
                        1 => self.chunks.pop().unwrap_or_default(),
                        _ => {
                            let mut b = BytesMut::with_capacity(self.total);
                            for c in &self.chunks {
                                b.extend_from_slice(c);
                            }
                            b.freeze()
                        }
                    };
                    return Poll::Ready(Completion::status(status::FIN).with_data(data));
                }
                Poll::Ready(Err(e)) => return Poll::Ready(read_error(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// Read up to `max` bytes, or (to_end) everything until FIN, at most `max` bytes.
/// A read-to-end completes with status FIN and the whole payload.
pub fn read(
    obj: &Arc<RecvObj>,
    shared: &Arc<Shared>,
    max: usize,
    flags: u32,
    register: impl FnOnce() -> (u64, u64),
) -> Attempt {
    let to_end = flags & crate::abi::RECV_TO_END != 0;
    let fin_with_data = flags & crate::abi::RECV_FIN_WITH_DATA != 0;
    let nowait = flags & crate::abi::RECV_NOWAIT != 0;
    let would_wait = || {
        Attempt::Done(Completion::err(status::BUSY, "nothing to read yet (RECV_NOWAIT)"))
    };
    let mut st = lock(&obj.st);
    if st.pending != 0 && shared.op_pending(st.pending) {
        return Attempt::Done(Completion::err(
            status::BUSY,
            "a read is already pending on this stream",
        ));
    }
    st.pending = 0;
    let mut cx = noop_cx();
    if to_end {
        let mut acc = ToEnd {
            chunks: Vec::new(),
            total: 0,
            limit: max,
        };
        if let Some(b) = st.stash.take() {
            acc.total = b.len();
            acc.chunks.push(b);
        }
        if let Poll::Ready(c) = acc.poll(&mut st, &mut cx) {
            return Attempt::Done(c);
        }
        if nowait {
            // What was gathered goes back for the next read.
            if !acc.chunks.is_empty() {
                let mut b = BytesMut::with_capacity(acc.total);
                for c in &acc.chunks {
                    b.extend_from_slice(c);
                }
                st.stash = Some(b.freeze());
            }
            return would_wait();
        }
        // Poll again with the waker that will wake the parked read: noq keeps the waker of
        // the last poll that found nothing, and the first poll's was a no-op.
        if let Poll::Ready(c) = poll_recv(&mut st, obj, shared, |st, cx| acc.poll(st, cx)) {
            return Attempt::Done(c);
        }
        let (op, epoch) = register();
        st.pending = op;
        st.parked = Some(ParkedRead {
            op,
            epoch,
            max,
            fin_with_data,
            to_end: Some(acc),
            call: None,
        });
        return Attempt::Parked;
    }
    if let Some(mut b) = st.stash.take() {
        if b.len() > max {
            st.stash = Some(b.split_off(max));
        }
        return Attempt::Done(Completion::ok().with_data(b));
    }
    match poll_chunk(&mut st, max, &mut cx) {
        Poll::Ready(Ok(Some(c))) => {
            let got = gather(&mut st, c.bytes, max);
            return Attempt::Done(read_completion(got, fin_with_data));
        }
        Poll::Ready(Ok(None)) => return Attempt::Done(Completion::status(status::FIN)),
        Poll::Ready(Err(e)) => return Attempt::Done(read_error(e)),
        Poll::Pending if nowait => return would_wait(),
        Poll::Pending => {}
    }
    let mut parked = ParkedRead {
        op: 0,
        epoch: 0,
        max,
        fin_with_data,
        to_end: None,
        call: None,
    };
    if let Poll::Ready(c) = poll_recv(&mut st, obj, shared, |st, cx| parked.poll(st, cx)) {
        return Attempt::Done(c);
    }
    (parked.op, parked.epoch) = register();
    st.pending = parked.op;
    st.parked = Some(parked);
    Attempt::Parked
}

// ---- Parked operations -----------------------------------------------------------------------
// A read or write that must wait is not a task: its state stays on its half
// (`RecvState::parked`, `SendState::parked`) and the half's waker, which noq holds while the
// operation waits, queues the half on `Shared::parked`. One task per runtime
// (`run_parked`) polls the queued halves and completes their operations straight into the
// completion queue. A spawned task per waiting operation cost a task allocation, a boxed future
// and a oneshot for cancellation every time (issue 8, "reads and writes completed straight
// from where the stream is polled"). A cancelled operation is forgotten when its half is next
// polled (`Shared::cancel` has emitted its event already).

/// A read waiting on its stream.
struct ParkedRead {
    op: u64,
    /// `Shared::cancel_epoch()` from before `op` was registered (`Shared::op_live`).
    epoch: u64,
    max: usize,
    fin_with_data: bool,
    /// A read-to-end and what it has gathered so far.
    to_end: Option<ToEnd>,
    /// The send half of a call waiting for its answer (`park_call`): the event carries both
    /// halves.
    call: Option<Arc<SendObj>>,
}

impl ParkedRead {
    fn poll(&mut self, st: &mut RecvState, cx: &mut Context<'_>) -> Poll<Completion> {
        if let Some(acc) = self.to_end.as_mut() {
            return acc.poll(st, cx);
        }
        Poll::Ready(match poll_chunk(st, self.max, cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(Some(c))) => {
                read_completion(gather(st, c.bytes, self.max), self.fin_with_data)
            }
            Poll::Ready(Ok(None)) => Completion::status(status::FIN),
            Poll::Ready(Err(e)) => read_error(e),
        })
    }
}

/// The stream half a `ParkWaker` wakes (weak: the waker lives in the half).
enum WeakHalf {
    Recv(std::sync::Weak<RecvObj>),
    Send(std::sync::Weak<SendObj>),
}

/// A woken half waiting in `ParkQueue`.
pub enum ParkedHalf {
    Recv(Arc<RecvObj>),
    Send(Arc<SendObj>),
}

/// The halves whose parked operation was woken, for `run_parked`. `None` once the runtime shut
/// down (`close`): a waker noq still holds then queues nothing. The wakers hold the queue
/// strongly (one reference count per waker, where a weak reference to `Shared` cost an upgrade
/// and a release at every wake-up); a queued half holds its waker, so `close` empties the
/// queue to leave no cycle behind.
pub struct ParkQueue {
    ready: CachePadded<Mutex<Option<Vec<ParkedHalf>>>>,
    notify: tokio::sync::Notify,
}

impl Default for ParkQueue {
    fn default() -> Self {
        Self {
            ready: CachePadded::new(Mutex::new(Some(Vec::new()))),
            notify: tokio::sync::Notify::new(),
        }
    }
}

impl ParkQueue {
    /// Ends the queue (runtime shutdown): drops what is queued, queues nothing after.
    pub fn close(&self) {
        let gone = lock(&self.ready).take();
        drop(gone);
    }
}

/// Wakes a parked read or write: queues its half for `run_parked`.
struct ParkWaker {
    half: WeakHalf,
    queue: Arc<ParkQueue>,
}

impl std::task::Wake for ParkWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // noq may call this with its connection lock held: take no lock of a stream here, and
        // drop no half (its noq stream would take that lock): a half is upgraded only to be
        // queued, and `run_parked` drops it.
        // Only the first half of a batch notifies: `run_parked` takes the whole queue per
        // notification, so the halves queued behind it are polled with it.
        let first = {
            let mut q = lock(&self.queue.ready);
            let Some(q) = q.as_mut() else {
                return; // shut down
            };
            let ready = match &self.half {
                WeakHalf::Recv(w) => w.upgrade().map(ParkedHalf::Recv),
                WeakHalf::Send(w) => w.upgrade().map(ParkedHalf::Send),
            };
            let Some(r) = ready else {
                return;
            };
            q.push(r);
            q.len() == 1
        };
        if first {
            self.queue.notify.notify_one();
        }
    }
}

fn park_waker(half: WeakHalf, shared: &Shared) -> Waker {
    Waker::from(Arc::new(ParkWaker {
        half,
        queue: shared.parked.clone(),
    }))
}

// A poll of a half with its own waker (made by its first poll): the waker is taken out of the
// half's state for the poll and put back after, not cloned for it (a clone and its drop were
// two more atomic reference-count changes per poll; noq clones the waker only when it does not
// hold this one already, `Waker::will_wake`).
fn poll_recv<R>(
    st: &mut RecvState,
    obj: &Arc<RecvObj>,
    shared: &Shared,
    poll: impl FnOnce(&mut RecvState, &mut Context<'_>) -> R,
) -> R {
    let waker = st
        .waker
        .take()
        .unwrap_or_else(|| park_waker(WeakHalf::Recv(Arc::downgrade(obj)), shared));
    let r = poll(st, &mut Context::from_waker(&waker));
    st.waker = Some(waker);
    r
}

fn poll_send<R>(
    st: &mut SendState,
    obj: &Arc<SendObj>,
    shared: &Shared,
    poll: impl FnOnce(&mut SendState, &mut Context<'_>) -> R,
) -> R {
    let waker = st
        .waker
        .take()
        .unwrap_or_else(|| park_waker(WeakHalf::Send(Arc::downgrade(obj)), shared));
    let r = poll(st, &mut Context::from_waker(&waker));
    st.waker = Some(waker);
    r
}

/// The runtime's task for parked operations (spawned with the runtime; ends with it).
pub async fn run_parked(shared: Arc<Shared>) {
    let mut ready = Vec::new();
    loop {
        shared.parked.notify.notified().await;
        match lock(&shared.parked.ready).as_mut() {
            Some(q) => std::mem::swap(&mut ready, q),
            None => return,
        }
        for half in ready.drain(..) {
            match half {
                ParkedHalf::Recv(obj) => poll_parked(&obj, &shared),
                ParkedHalf::Send(obj) => poll_parked_write(&obj, &shared),
            }
        }
    }
}

fn poll_parked(obj: &Arc<RecvObj>, shared: &Shared) {
    let mut st = lock(&obj.st);
    let Some(mut parked) = st.parked.take() else {
        return; // woken after it completed, or a second wake-up in the same batch
    };
    if !shared.op_live(parked.op, parked.epoch) {
        return; // cancelled: its CANCELLED event is out already
    }
    let polled = poll_recv(&mut st, obj, shared, |st, cx| {
        catch_unwind(AssertUnwindSafe(|| parked.poll(st, cx)))
    });
    let c = match polled {
        Ok(Poll::Pending) => {
            st.parked = Some(parked);
            return;
        }
        Ok(Poll::Ready(c)) => c,
        Err(_) => Completion::err(status::PANIC, "panic inside the bridge operation"),
    };
    if st.pending == parked.op {
        st.pending = 0;
    }
    let c = match parked.call.take() {
        Some(send) => call_completion(c, Some(send), obj),
        None => c,
    };
    // Completed under the stream lock: if `cancel` won the race, the bytes go back to the
    // stream's stash instead of being lost. A lost FIN needs no stash: noq keeps reporting
    // the end to the next read; a lost reset is kept in `st.reset`.
    if let Some(lost) = shared.complete(parked.op, c) {
        if lost.status == status::OK || lost.status == status::FIN {
            st.stash = lost.data;
        }
    }
}

/// Where `open_and_write`'s first attempt left a request.
enum Opened {
    /// Opened, the whole request written and (SEND_FIN) finished.
    Sent(SendStream, RecvStream),
    /// Must wait for stream credit or for noq to take the rest: `complete_open`.
    Later(PendingOpen),
    /// Failed, or BUSY under OPEN_NOWAIT.
    Done(Completion),
}

/// What a request that could not go at once still needs.
enum PendingOpen {
    /// No stream credit: open, then write all of it.
    Credit(Connection, Bytes),
    /// Opened; noq took only part of the request.
    Rest(SendStream, RecvStream, Bytes),
}

/// The common first step of `open_send` and `open_call`: opens a bidi stream and writes `data`
/// (then FIN with SEND_FIN) without waiting, as far as it can.
fn open_and_write(conn: &Connection, data: &[u8], flags: u32) -> Opened {
    let opened = {
        let fut = conn.open_bi();
        tokio::pin!(fut);
        fut.poll(&mut noop_cx())
    };
    match opened {
        Poll::Ready(Ok((mut s, r))) => {
            let off = match write_now(&mut s, data) {
                Ok(n) => n,
                Err(e) => {
                    let _ = s.reset(VarInt::from_u32(0));
                    return Opened::Done(write_error(e));
                }
            };
            if off < data.len() {
                let rest = Bytes::copy_from_slice(&data[off..]);
                return Opened::Later(PendingOpen::Rest(s, r, rest));
            }
            if flags & crate::abi::SEND_FIN != 0 {
                let _ = s.finish();
            }
            Opened::Sent(s, r)
        }
        Poll::Ready(Err(e)) => Opened::Done(conn_error(&e)),
        Poll::Pending if flags & crate::abi::OPEN_NOWAIT != 0 => Opened::Done(Completion::err(
            status::BUSY,
            "no stream credit now (the peer's stream limit is reached)",
        )),
        Poll::Pending => Opened::Later(PendingOpen::Credit(
            conn.clone(),
            Bytes::copy_from_slice(data),
        )),
    }
}

/// The rest of `open_and_write` as a task: opens (when it had no credit), writes what is left
/// and finishes (SEND_FIN). A task dropped before the request is complete resets the stream:
/// noq would FIN it on drop, and a truncated request must never look complete.
async fn complete_open(
    pending: PendingOpen,
    flags: u32,
) -> Result<(SendStream, RecvStream), Completion> {
    let (s, r, rest) = match pending {
        PendingOpen::Credit(conn, data) => match conn.open_bi().await {
            Ok((s, r)) => (s, r, data),
            Err(e) => return Err(conn_error(&e)),
        },
        PendingOpen::Rest(s, r, rest) => (s, r, rest),
    };
    let mut guard = ResetOnDrop(Some(s));
    if !rest.is_empty() {
        let Some(s) = guard.0.as_mut() else {
            return Err(Completion::err(status::INTERNAL, "stream gone"));
        };
        if let Err(e) = s.write_chunk(rest).await {
            return Err(write_error(e)); // the guard resets the stream
        }
    }
    let Some(mut s) = guard.0.take() else {
        return Err(Completion::err(status::INTERNAL, "stream gone"));
    };
    if flags & crate::abi::SEND_FIN != 0 {
        let _ = s.finish();
    }
    Ok((s, r))
}

/// Opens a bidi stream and writes `data` (then FIN with `fin`) before reporting it, so a
/// request is one operation. The event carries the send half in h1 and the recv half in h2.
pub fn open_send(
    conn: &Connection,
    data: &[u8],
    flags: u32,
    register: impl FnOnce() -> u64,
) -> Attempt {
    let opened = |s, r| {
        let (so, ro) = new_pair(s, r);
        Completion::ok().with_obj(0, so).with_obj(1, ro)
    };
    match open_and_write(conn, data, flags) {
        Opened::Sent(s, r) => Attempt::Done(opened(s, r)),
        Opened::Done(c) => Attempt::Done(c),
        Opened::Later(pending) => {
            let _ = register();
            Attempt::Pending(Box::pin(async move {
                match complete_open(pending, flags).await {
                    Ok((s, r)) => opened(s, r),
                    Err(c) => c,
                }
            }))
        }
    }
}

/// How a call (`aster_iroh_open_bi_call`) goes on after `open_call`'s first attempt.
pub enum CallStart {
    /// Failed (or BUSY under OPEN_NOWAIT): the op completes with this.
    Done(Completion),
    /// Opened and the whole request written: the op waits for the answer as a parked read
    /// (`park_call`).
    Sent(Arc<SendObj>, Arc<RecvObj>),
    /// Must wait for stream credit or for noq to take the rest of the request: a task.
    Wait(OpFuture),
}

/// A whole call in one operation: opens a bidi stream and writes `data` (then FIN with
/// SEND_FIN) at once if it can; the answer is then awaited as a parked read (`park_call`), so
/// the common case spawns no task. One event: h1 send half, h2 recv half, the answer's first
/// bytes (at most `reply_max`; code ACCEPT_FIN when its FIN came with them). A read that fails
/// completes it without bytes: the next read reports it (a reset is kept in
/// `RecvState::reset`). Against open + write + a read of its own, the caller makes one
/// operation and gets one event: in the two-thread shapes the open's event and the read's
/// submission each woke the other thread (docs/transport.md "A call in one operation").
pub fn open_call(
    conn: &Connection,
    data: &[u8],
    flags: u32,
    reply_max: usize,
    cancel_code: VarInt,
) -> CallStart {
    match open_and_write(conn, data, flags) {
        Opened::Sent(s, r) => {
            let (send, recv) = new_halves(s, r);
            CallStart::Sent(send, recv)
        }
        Opened::Done(c) => CallStart::Done(c),
        Opened::Later(pending) => CallStart::Wait(Box::pin(async move {
            match complete_open(pending, flags).await {
                Ok((s, r)) => await_answer(s, r, reply_max, cancel_code).await,
                Err(c) => c,
            }
        })),
    }
}

/// Parks the wait for the answer of a call `open_call` sent (its op `op`, registered before
/// the cancel count `epoch`): `poll_parked` completes it. Returns the completion when the
/// answer is readable at once. A parked call is attached to its op with the stream's lock held
/// (`Shared::attach_call`), so a cancel that takes the op finds it parked; the op keeps the
/// recv half, and the parked read the send half: one reference count each, where a cancel
/// closure holding both halves cost three and an allocation.
#[allow(clippy::too_many_arguments)]
pub fn park_call(
    send: Arc<SendObj>,
    recv: &Arc<RecvObj>,
    shared: &Arc<Shared>,
    reply_max: usize,
    op: u64,
    epoch: u64,
    code: VarInt,
) -> Option<Completion> {
    let mut st = lock(&recv.st);
    let mut parked = ParkedRead {
        op,
        epoch,
        max: reply_max.max(1),
        fin_with_data: true,
        to_end: None,
        call: Some(send),
    };
    if let Poll::Ready(c) = poll_recv(&mut st, recv, shared, |st, cx| parked.poll(st, cx)) {
        return Some(call_completion(c, parked.call.take(), recv));
    }
    st.pending = op;
    st.parked = Some(parked);
    if !shared.attach_call(op, Obj::Recv(recv.clone()), code) {
        // Cancelled meanwhile (its CANCELLED event is out already): abandoned here instead.
        abandon_locked(st, code);
    }
    None
}

/// What `Shared::cancel` does to a parked call (`park_call`): resets its request and stops its
/// answer with the call's cancel code, as the caller would have.
pub fn abandon_parked_call(recv: &RecvObj, code: VarInt) {
    abandon_locked(lock(&recv.st), code);
}

fn abandon_locked(mut st: MutexGuard<'_, RecvState>, code: VarInt) {
    let send = st.parked.take().and_then(|p| p.call);
    st.pending = 0;
    let _ = st.r.stop(code);
    drop(st);
    if let Some(send) = send {
        let _ = lock(&send.st).s.reset(code);
    }
}

/// A call's event from its answer's read: OK with the halves and the bytes read (ACCEPT_FIN in
/// code when the FIN came with them); a failed read leaves the failure to the next read.
/// With ACCEPT_FIN the call is over (its request finished, its answer read to the end): the
/// halves are dropped here instead of becoming handles that the caller frees at once (ABI 13).
/// `send`, if it is the last reference, drops under the recv half's lock, which is the order
/// every read takes too (recv state, then noq's connection).
fn call_completion(
    read: Completion,
    send: Option<Arc<SendObj>>,
    recv: &Arc<RecvObj>,
) -> Completion {
    let mut c = Completion::ok();
    if read.status == status::OK || read.status == status::FIN {
        if let Some(d) = read.data.filter(|d| !d.is_empty()) {
            c = c.with_data(d);
        }
        if read.status == status::FIN {
            return c.with_code(crate::abi::ACCEPT_FIN);
        }
    }
    if let Some(send) = send {
        c = c.with_obj(0, Obj::Send(send));
    }
    c.with_obj(1, Obj::Recv(recv.clone()))
}

/// What a cancelled call's task does to its halves (`AbandonOnDrop`): resets the send half and
/// stops the recv half with the call's cancel code, as the caller would have.
pub fn abandon_call(send: &SendObj, recv: &RecvObj, code: VarInt) {
    let _ = lock(&send.st).s.reset(code);
    let _ = lock(&recv.st).r.stop(code);
}

/// The wait for a call's answer when the call had to wait to be sent (`complete_open`), as
/// part of its task: the answer's first bytes, as `park_call` waits for them without one.
async fn await_answer(
    s: SendStream,
    r: RecvStream,
    reply_max: usize,
    cancel_code: VarInt,
) -> Completion {
    let (send, recv) = new_halves(s, r);
    let mut abandon = AbandonOnDrop {
        halves: Some((send.clone(), recv.clone())),
        code: cancel_code,
    };
    let max = reply_max.max(1);
    let read = std::future::poll_fn(|cx| {
        let mut st = lock(&recv.st);
        let mut once = ParkedRead {
            op: 0,
            epoch: 0,
            max,
            fin_with_data: true,
            to_end: None,
            call: None,
        };
        once.poll(&mut st, cx)
    })
    .await;
    abandon.halves = None;
    call_completion(read, Some(send), &recv)
}

/// Ends both halves of a call whose task was dropped before the answer came (cancelled).
struct AbandonOnDrop {
    halves: Option<(Arc<SendObj>, Arc<RecvObj>)>,
    code: VarInt,
}

impl Drop for AbandonOnDrop {
    fn drop(&mut self) {
        if let Some((send, recv)) = self.halves.take() {
            abandon_call(&send, &recv, self.code);
        }
    }
}

/// Resets a send half that is dropped before its request was complete (a cancelled or failed
/// open_bi_send or open_bi_call: `complete_open`): noq would FIN it on drop, and a truncated request must never look complete.
struct ResetOnDrop(Option<SendStream>);

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        if let Some(s) = self.0.as_mut() {
            let _ = s.reset(VarInt::from_u32(0));
        }
    }
}

