//! Per-stream actors (shared/reference/iroh-transport.md §4.5): one task owns each stream half
//! and serves commands in submit order, `select!`ing so that `stop`/`reset` interrupt a pending
//! read/write. At most one read and one write may be pending per half; a second one while the
//! first is still an open operation completes with BUSY.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use iroh::endpoint::{ReadError, RecvStream, SendStream, StoppedError, VarInt, WriteError};
use tokio::sync::{mpsc, oneshot};

use crate::abi::status;
use crate::runtime::{conn_error, Completion, Shared};

pub type StoppedFuture = Pin<Box<dyn Future<Output = Result<Option<VarInt>, StoppedError>> + Send>>;

pub enum SendCmd {
    Write {
        op: u64,
        data: Bytes,
        reply: oneshot::Sender<Completion>,
    },
    Finish,
    Reset(VarInt),
    Stopped(oneshot::Sender<StoppedFuture>),
}

pub enum RecvCmd {
    Read {
        op: u64,
        max: usize,
        reply: oneshot::Sender<Completion>,
    },
    Stop(VarInt),
}

pub struct SendObj {
    pub tx: mpsc::UnboundedSender<SendCmd>,
}

pub struct RecvObj {
    pub tx: mpsc::UnboundedSender<RecvCmd>,
}

pub fn spawn_pair(
    shared: &Arc<Shared>,
    send: SendStream,
    recv: RecvStream,
) -> (Arc<SendObj>, Arc<RecvObj>) {
    let (stx, srx) = mpsc::unbounded_channel();
    let (rtx, rrx) = mpsc::unbounded_channel();
    tokio::spawn(send_actor(shared.clone(), send, srx));
    tokio::spawn(recv_actor(shared.clone(), recv, rrx));
    (Arc::new(SendObj { tx: stx }), Arc::new(RecvObj { tx: rtx }))
}

/// After the first chunk arrived, takes whatever more is already buffered (up to `max`)
/// without waiting. noq hands out roughly one packet (~1.2 KB) per `read_chunk`, so without
/// this a bulk transfer costs one completion-queue round trip per packet. A single chunk stays
/// zero-copy; several are copied once into one buffer.
fn gather(recv: &mut RecvStream, first: Bytes, max: usize) -> Bytes {
    if first.len() >= max {
        return first;
    }
    let mut waker_cx = Context::from_waker(Waker::noop());
    let mut buf: Option<BytesMut> = None;
    let mut total = first.len();
    loop {
        let room = max - total;
        if room == 0 {
            break;
        }
        let fut = recv.read_chunk(room);
        tokio::pin!(fut);
        match fut.as_mut().poll(&mut waker_cx) {
            Poll::Ready(Ok(Some(c))) => {
                let b = buf.get_or_insert_with(|| {
                    let mut b = BytesMut::with_capacity(max);
                    b.extend_from_slice(&first);
                    b
                });
                b.extend_from_slice(&c.bytes);
                total += c.bytes.len();
            }
            // FIN, errors and "nothing buffered" are reported by the next read.
            _ => break,
        }
    }
    match buf {
        Some(b) => b.freeze(),
        None => first,
    }
}

fn read_completion(r: Result<Option<iroh::endpoint::Chunk>, ReadError>) -> Completion {
    match r {
        Ok(Some(chunk)) => Completion::ok().with_data(chunk.bytes),
        Ok(None) => Completion::status(status::FIN),
        Err(ReadError::Reset(code)) => Completion::err(
            status::STREAM_RESET,
            format!("stream reset by peer: {code}"),
        )
        .with_code(code.into_inner()),
        Err(ReadError::ConnectionLost(e)) => conn_error(&e),
        Err(e) => Completion::err(status::INVALID_ARG, e.to_string()),
    }
}

fn write_completion(r: Result<(), WriteError>) -> Completion {
    match r {
        Ok(()) => Completion::ok(),
        Err(WriteError::Stopped(code)) => Completion::err(
            status::STREAM_STOPPED,
            format!("stream stopped by peer: {code}"),
        )
        .with_code(code.into_inner()),
        Err(WriteError::ConnectionLost(e)) => conn_error(&e),
        Err(e) => Completion::err(status::INVALID_ARG, e.to_string()),
    }
}

async fn recv_actor(
    shared: Arc<Shared>,
    mut recv: RecvStream,
    mut rx: mpsc::UnboundedReceiver<RecvCmd>,
) {
    let mut next: Option<RecvCmd> = None;
    let mut rx_open = true;
    loop {
        let cmd = match next.take() {
            Some(c) => c,
            None if rx_open => match rx.recv().await {
                Some(c) => c,
                None => break,
            },
            None => break,
        };
        match cmd {
            RecvCmd::Stop(code) => {
                let _ = recv.stop(code);
            }
            RecvCmd::Read { op, max, reply } => {
                let mut reply = Some(reply);
                let mut stop_code = None;
                let mut done = None;
                {
                    let fut = recv.read_chunk(max);
                    tokio::pin!(fut);
                    loop {
                        let Some(r) = reply.as_mut() else { break };
                        tokio::select! {
                            biased;
                            c = rx.recv(), if rx_open => match c {
                                None => rx_open = false,
                                Some(RecvCmd::Stop(code)) => { stop_code = Some(code); break; }
                                Some(RecvCmd::Read { op: op2, max: m2, reply: r2 }) => {
                                    if shared.op_pending(op) {
                                        let _ = r2.send(Completion::err(status::BUSY,
                                            "a read is already pending on this stream"));
                                    } else {
                                        // The first read was cancelled; read_chunk is
                                        // cancel-safe, so no data is lost by switching.
                                        next = Some(RecvCmd::Read { op: op2, max: m2, reply: r2 });
                                        break;
                                    }
                                }
                            },
                            _ = r.closed() => break,
                            res = &mut fut => {
                                done = Some(res);
                                break;
                            }
                        }
                    }
                }
                if let Some(res) = done {
                    let c = match res {
                        Ok(Some(chunk)) => {
                            Completion::ok().with_data(gather(&mut recv, chunk.bytes, max))
                        }
                        other => read_completion(other),
                    };
                    if let Some(r) = reply.take() {
                        let _ = r.send(c);
                    }
                }
                if let Some(code) = stop_code {
                    let _ = recv.stop(code);
                    if let Some(r) = reply.take() {
                        let _ =
                            r.send(Completion::err(status::CANCELLED, "stream stopped locally"));
                    }
                }
            }
        }
    }
    // Dropping a partly read RecvStream sends STOP_SENDING 0 (noq 0.17 drop semantics).
}

async fn send_actor(
    shared: Arc<Shared>,
    mut send: SendStream,
    mut rx: mpsc::UnboundedReceiver<SendCmd>,
) {
    let mut deferred: VecDeque<SendCmd> = VecDeque::new();
    let mut rx_open = true;
    loop {
        let cmd = match deferred.pop_front() {
            Some(c) => c,
            None if rx_open => match rx.recv().await {
                Some(c) => c,
                None => break,
            },
            None => break,
        };
        match cmd {
            SendCmd::Finish => {
                let _ = send.finish();
            }
            SendCmd::Reset(code) => {
                let _ = send.reset(code);
            }
            SendCmd::Stopped(reply) => {
                let _ = reply.send(Box::pin(send.stopped()));
            }
            SendCmd::Write { op, data, reply } => {
                let mut reply = Some(reply);
                let mut reset_code = None;
                {
                    let fut = send.write_chunk(data);
                    tokio::pin!(fut);
                    loop {
                        let Some(r) = reply.as_mut() else { break };
                        tokio::select! {
                            biased;
                            c = rx.recv(), if rx_open => match c {
                                None => rx_open = false,
                                Some(SendCmd::Reset(code)) => { reset_code = Some(code); break; }
                                Some(SendCmd::Write { op: op2, data: d2, reply: r2 }) => {
                                    if shared.op_pending(op) {
                                        let _ = r2.send(Completion::err(status::BUSY,
                                            "a write is already pending on this stream"));
                                    } else {
                                        // The first write was cancelled (a prefix may have
                                        // been sent: C++ resets the stream in that case).
                                        deferred.push_front(SendCmd::Write { op: op2, data: d2, reply: r2 });
                                        break;
                                    }
                                }
                                // finish/stopped need the stream: run them after this write.
                                Some(other) => deferred.push_back(other),
                            },
                            _ = r.closed() => break,
                            res = &mut fut => {
                                if let Some(r) = reply.take() { let _ = r.send(write_completion(res)); }
                                break;
                            }
                        }
                    }
                }
                if let Some(code) = reset_code {
                    let _ = send.reset(code);
                    if let Some(r) = reply.take() {
                        let _ = r.send(Completion::err(status::CANCELLED, "stream reset locally"));
                    }
                }
            }
        }
    }
    // Dropping an unfinished SendStream finishes it (noq 0.17); C++ resets first on abnormal
    // teardown so a truncated request never looks complete (§3.4 "Drop semantics").
}
