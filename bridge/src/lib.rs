//! aster_iroh: iroh, iroh-blobs, iroh-docs and iroh-gossip behind a C ABI for Aster C++.
//! This crate holds no Aster logic (framing, codec, tickets, trust live in C++). The C header
//! is `include/aster_iroh.h`; every exported symbol is prefixed `aster_iroh_`.
//!
//! Shape (shared/reference/iroh-transport.md §§3–4): opaque generational u64 handles, every
//! asynchronous call returns at once with an op id and later yields exactly one terminal event
//! on the completion queue, errors travel as status + message in the event, every entry point
//! runs under `catch_unwind`, and C++ never frees a Rust allocation (payloads are leases).
//!
//! `aster_iroh_blake3` lives in `blake3_only.rs`, built as its own small staticlib (the
//! `aster_blake3` example, without the `iroh` feature) that every C++ user of the bridge links.
#![cfg(feature = "iroh")]

mod abi;
mod cq;
mod node;
mod runtime;
mod stream;

use std::ffi::CStr;
use std::future::Future;
use std::mem::MaybeUninit;
use std::os::raw::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use iroh::endpoint::VarInt;
use iroh::{EndpointAddr, EndpointId, RelayMode};
use tokio::sync::oneshot;

pub use abi::{
    aster_iroh_bytes, aster_iroh_connect_cfg, aster_iroh_endpoint_cfg, aster_iroh_event,
    aster_iroh_runtime_cfg,
};
use abi::{
    kind, status, EP_GATE, EP_PORTMAPPER, EP_SECRET_KEY, RELAY_CUSTOM, RELAY_DEFAULT,
    RELAY_DISABLED, RELAY_STAGING,
};
use node::{ConnectParams, EndpointParams, HookDecision};
use runtime::{conn_error, Completion, Obj, Shared};
use stream::{RecvCmd, SendCmd};

/// ABI version; bumped on any incompatible change to `aster_iroh.h`.
pub const ABI_VERSION: u32 = 2;

/// The opaque runtime (`struct aster_iroh_rt` in C).
#[allow(non_camel_case_types)]
pub struct aster_iroh_rt {
    shared: Arc<Shared>,
    tokio: Option<tokio::runtime::Runtime>,
}

impl aster_iroh_rt {
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
        let op = self.shared.submit(self.handle(), kind, user_data, fut);
        if !out_op.is_null() {
            // SAFETY: caller passes a writable u64 or null.
            unsafe { *out_op = op };
        }
        status::OK
    }
}

/// Runs an entry point body under `catch_unwind`; a panic becomes PANIC (§4.6).
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

unsafe fn slice<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
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
        let mut workers = 2usize;
        if let Some(c) = cfg.as_ref() {
            if (c.struct_size as usize) < std::mem::size_of::<aster_iroh_runtime_cfg>() {
                return status::INVALID_ARG;
            }
            if c.worker_threads > 0 {
                workers = c.worker_threads as usize;
            }
        }
        let Some(cq) = cq::CompletionQueue::new() else {
            return status::INTERNAL;
        };
        let tokio = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("aster-iroh")
            .enable_all()
            .build()
        {
            Ok(t) => t,
            Err(_) => return status::INTERNAL,
        };
        let rt = Box::new(aster_iroh_rt {
            shared: Arc::new(Shared::new(cq)),
            tokio: Some(tokio),
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
        let timeout = Duration::from_millis(timeout_ms as u64);
        if let Some(tokio) = rt.tokio.take() {
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
        rt.shared.cq.clear();
        rt.shared.drain_leases();
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
        r.shared.cq.poll(out)
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
/// Never waits for a relay (`online()`), so it completes offline (§3.2).
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
        if (c.struct_size as usize) < std::mem::size_of::<aster_iroh_endpoint_cfg>() {
            return status::INVALID_ARG;
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

/// Writes the 64-hex endpoint id plus NUL into `out[65]`.
///
/// # Safety
/// `rt` valid; `out` has 65 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_id(
    rt: *mut aster_iroh_rt,
    ep: u64,
    out: *mut c_char,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if out.is_null() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let s = e.endpoint.id().to_string();
        std::ptr::copy_nonoverlapping(s.as_ptr(), out as *mut u8, 64);
        *out.add(64) = 0;
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

/// LF text address `id\nrelay_or_empty\naddr\naddr...` (§3.3) into `buf` (not NUL-terminated).
/// `*out_len` receives the length; BUFFER_TOO_SMALL when `cap` is less (nothing written).
///
/// # Safety
/// `rt` valid; `buf` has `cap` writable bytes; `out_len` writable.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_endpoint_addr(
    rt: *mut aster_iroh_rt,
    ep: u64,
    buf: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if out_len.is_null() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let s = node::addr_text(&e.endpoint);
        *out_len = s.len();
        if cap < s.len() || buf.is_null() {
            return status::BUFFER_TOO_SMALL;
        }
        std::ptr::copy_nonoverlapping(s.as_ptr(), buf, s.len());
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
        let Some(c) = cfg.as_ref() else {
            return status::INVALID_ARG;
        };
        if (c.struct_size as usize) < std::mem::size_of::<aster_iroh_connect_cfg>() {
            return status::INVALID_ARG;
        }
        let e = get_obj!(r, ep, Endpoint);
        let id: EndpointId = match opt_cstr(c.endpoint_id) {
            Ok(Some(s)) => match s.parse() {
                Ok(id) => id,
                Err(_) => return status::PARSE,
            },
            _ => return status::INVALID_ARG,
        };
        let mut addr = EndpointAddr::new(id);
        match opt_cstr(c.relay_url) {
            Ok(None) => {}
            Ok(Some(s)) => match node::parse_relay(s) {
                Ok(u) => addr = addr.with_relay_url(u),
                Err(_) => return status::PARSE,
            },
            Err(e) => return e,
        }
        if c.addrs_len > 0 {
            if c.addrs.is_null() {
                return status::INVALID_ARG;
            }
            for &p in std::slice::from_raw_parts(c.addrs, c.addrs_len) {
                match opt_cstr(p) {
                    Ok(Some(s)) => match s.parse::<std::net::SocketAddr>() {
                        Ok(a) => addr = addr.with_ip_addr(a),
                        Err(_) => return status::PARSE,
                    },
                    _ => return status::INVALID_ARG,
                }
            }
        }
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
        c.conn.close(code, reason);
        status::OK
    })
}

/// Completes when the connection is closed; status/code/payload describe why (§4.6).
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
        match r.shared.get(h) {
            Some(o) if is(&o) => {}
            _ => return status::NOT_FOUND,
        }
        match r.shared.remove(h) {
            Some(_) => status::OK,
            None => status::NOT_FOUND,
        }
    })
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
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let c = get_obj!(r, conn, Conn);
        let shared = r.shared.clone();
        r.submit(kind::OPEN_BI, user_data, out_op, async move {
            match c.conn.open_bi().await {
                Ok((s, rcv)) => {
                    let (so, ro) = stream::spawn_pair(&shared, s, rcv);
                    Completion::ok()
                        .with_obj(0, Obj::Send(so))
                        .with_obj(1, Obj::Recv(ro))
                }
                Err(e) => conn_error(&e),
            }
        })
    })
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
        let shared = r.shared.clone();
        r.submit(kind::ACCEPT_BI, user_data, out_op, async move {
            match c.conn.accept_bi().await {
                Ok((s, rcv)) => {
                    let (so, ro) = stream::spawn_pair(&shared, s, rcv);
                    Completion::ok()
                        .with_obj(0, Obj::Send(so))
                        .with_obj(1, Obj::Recv(ro))
                }
                Err(e) => conn_error(&e),
            }
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Streams

/// Copies `data` and writes it; WRITE completes once noq accepted all bytes.
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
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        let Some(d) = slice(data, len) else {
            return status::INVALID_ARG;
        };
        let s = get_obj!(r, send, Send);
        let data = Bytes::copy_from_slice(d);
        let (tx, rx) = oneshot::channel();
        let mut op = 0u64;
        let st = r.submit(kind::WRITE, user_data, &mut op, async move {
            match rx.await {
                Ok(c) => c,
                Err(_) => Completion::err(status::INTERNAL, "stream actor gone"),
            }
        });
        if !out_op.is_null() {
            *out_op = op;
        }
        // Queued synchronously, so writes, finish and reset keep submit order in the actor.
        let _ = s.tx.send(SendCmd::Write {
            op,
            data,
            reply: tx,
        });
        st
    })
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
        let _ = s.tx.send(SendCmd::Finish);
        status::OK
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
        let _ = s.tx.send(SendCmd::Reset(code));
        status::OK
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
        let (tx, rx) = oneshot::channel();
        let _ = s.tx.send(SendCmd::Stopped(tx));
        r.submit(kind::STOPPED, user_data, out_op, async move {
            let Ok(fut) = rx.await else {
                return Completion::err(status::INTERNAL, "stream actor gone");
            };
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
    guard(|| {
        let Some(r) = rt_ref(rt) else {
            return status::INVALID_ARG;
        };
        if max == 0 {
            return status::INVALID_ARG;
        }
        let s = get_obj!(r, recv, Recv);
        let (tx, rx) = oneshot::channel();
        let mut op = 0u64;
        let st = r.submit(kind::READ, user_data, &mut op, async move {
            match rx.await {
                Ok(c) => c,
                Err(_) => Completion::err(status::INTERNAL, "stream actor gone"),
            }
        });
        if !out_op.is_null() {
            *out_op = op;
        }
        let _ = s.tx.send(RecvCmd::Read { op, max, reply: tx });
        st
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
        let _ = s.tx.send(RecvCmd::Stop(code));
        status::OK
    })
}

/// # Safety
/// `rt` valid.
#[no_mangle]
pub unsafe extern "C" fn aster_iroh_recv_free(rt: *mut aster_iroh_rt, recv: u64) -> i32 {
    free_kind(rt, recv, |o| matches!(o, Obj::Recv(_)))
}
