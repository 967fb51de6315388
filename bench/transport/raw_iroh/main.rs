//! Raw iroh baseline for bench/transport: the same three workloads as the C++ benchmark
//! (64-byte ping-pong RTT on one stream; requests/s with 64 in flight, one bidi stream per
//! request: open, 64 B, FIN; the server reads to end and answers, FIN; the client reads to
//! end; 256 MiB bulk on one stream), written directly
//! against iroh 0.97 with the bridge's pins, lockfile and endpoint settings
//! (bridge/src/node.rs), so `aster_transport_bench` can print bridge ÷ raw iroh in one run.
//! Prints one JSON object. Usage:
//!   aster_raw_iroh_bench <requests> <bulk_mib> <current|multi:N>
use std::time::{Duration, Instant};

use bytes::Bytes;
use iroh::endpoint::{Connection, QuicTransportConfig, RecvStream, SendStream, VarInt};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, RelayMode};

const MSG: usize = 64;
const IN_FLIGHT: usize = 64;
const LATENCY_ROUNDS: usize = 5000;
const WARMUP: usize = 200;

#[derive(Debug, Clone)]
struct Serve;

impl ProtocolHandler for Serve {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let alpn = conn.alpn().to_vec();
        while let Ok((s, r)) = conn.accept_bi().await {
            match alpn.as_slice() {
                b"bench/bulk" => tokio::spawn(sink(s, r)),
                b"bench/rpc" => tokio::spawn(answer(s, r)),
                _ => tokio::spawn(echo(s, r)),
            };
        }
        Ok(())
    }
}

async fn echo(mut s: SendStream, mut r: RecvStream) {
    loop {
        match r.read_chunk(64 * 1024).await {
            Ok(Some(c)) => {
                if s.write_chunk(c.bytes).await.is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = s.finish();
                return;
            }
            Err(_) => return,
        }
    }
}

/// One request per stream, as an Aster unary call: read to FIN, reply, FIN.
async fn answer(mut s: SendStream, mut r: RecvStream) {
    if let Ok(req) = r.read_to_end(1 << 16).await {
        if s.write_all(&req).await.is_ok() {
            let _ = s.finish();
        }
    }
}

async fn sink(mut s: SendStream, mut r: RecvStream) {
    while let Ok(Some(_)) = r.read_chunk(64 * 1024).await {}
    let _ = s.write_all(&[1]).await;
    let _ = s.finish();
}

#[repr(C)]
struct Timeval {
    sec: i64,
    usec: i64,
}
#[repr(C)]
struct Rusage {
    utime: Timeval,
    stime: Timeval,
    rest: [i64; 14],
}
extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

/// User + system CPU time of this process (all threads) in µs (getrusage(2), RUSAGE_SELF).
fn cpu_us() -> f64 {
    let mut ru = Rusage {
        utime: Timeval { sec: 0, usec: 0 },
        stime: Timeval { sec: 0, usec: 0 },
        rest: [0; 14],
    };
    // SAFETY: getrusage writes one struct rusage (x86_64/aarch64 Linux layout above).
    unsafe { getrusage(0, &mut ru) };
    let us = |t: &Timeval| t.sec as f64 * 1e6 + t.usec as f64;
    us(&ru.utime) + us(&ru.stime)
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((p * (v.len() - 1) as f64) as usize).min(v.len() - 1)]
}

async fn run(requests: usize, bulk_bytes: usize) -> anyhow::Result<String> {
    let server_ep = Endpoint::empty_builder()
        .relay_mode(RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0".parse::<std::net::SocketAddr>()?)?
        .transport_config(
            QuicTransportConfig::builder()
                .max_concurrent_bidi_streams(VarInt::from_u32(1024))
                .build(),
        )
        .bind()
        .await?;
    let router = Router::builder(server_ep.clone())
        .accept(b"bench/echo".to_vec(), Serve)
        .accept(b"bench/bulk".to_vec(), Serve)
        .accept(b"bench/rpc".to_vec(), Serve)
        .spawn();
    let client = Endpoint::empty_builder()
        .relay_mode(RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0".parse::<std::net::SocketAddr>()?)?
        .bind()
        .await?;
    let mut addr = iroh::EndpointAddr::new(server_ep.id());
    for a in server_ep.bound_sockets() {
        addr = addr.with_ip_addr(a);
    }
    let echo_conn = client.connect(addr.clone(), b"bench/echo").await?;

    // 1. latency on one stream
    let (mut s, mut r) = echo_conn.open_bi().await?;
    let msg = Bytes::from(vec![7u8; MSG]);
    let mut rtts = Vec::with_capacity(LATENCY_ROUNDS);
    for i in 0..LATENCY_ROUNDS + WARMUP {
        let t = Instant::now();
        s.write_chunk(msg.clone()).await?;
        let mut got = 0;
        while got < MSG {
            match r.read_chunk(64 * 1024).await? {
                Some(c) => got += c.bytes.len(),
                None => anyhow::bail!("early FIN"),
            }
        }
        if i >= WARMUP {
            rtts.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let _ = s.finish();
    let p50 = percentile(&mut rtts, 0.50);
    let p99 = percentile(&mut rtts, 0.99);

    // 1b. latency with one stream per request, as a unary RPC call opens one
    let conn = client.connect(addr.clone(), b"bench/rpc").await?;
    let mut srtts = Vec::with_capacity(LATENCY_ROUNDS);
    for i in 0..LATENCY_ROUNDS + WARMUP {
        let t = Instant::now();
        let (mut s, mut r) = conn.open_bi().await?;
        s.write_chunk(msg.clone()).await?;
        s.finish()?;
        let back = r.read_to_end(1 << 16).await?;
        anyhow::ensure!(back.len() == MSG, "short echo");
        if i >= WARMUP {
            srtts.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let sp50 = percentile(&mut srtts, 0.50);

    // 2. requests/s, 64 in flight, one stream per request
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cpu0 = cpu_us();
    let t = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..IN_FLIGHT {
        let conn = conn.clone();
        let next = next.clone();
        let msg = msg.clone();
        workers.push(tokio::spawn(async move {
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                let (mut s, mut r) = conn.open_bi().await?;
                s.write_chunk(msg.clone()).await?;
                s.finish()?;
                let back = r.read_to_end(1 << 16).await?;
                anyhow::ensure!(back.len() == MSG, "short echo");
            }
            anyhow::Ok(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    let cpu_per_req = (cpu_us() - cpu0) / requests as f64;
    let rps = requests as f64 / secs;

    // 3. bulk
    let bulk = client.connect(addr, b"bench/bulk").await?;
    let (mut s, mut r) = bulk.open_bi().await?;
    let buf = Bytes::from(vec![0x5au8; 64 << 10]);
    let t = Instant::now();
    let mut sent = 0;
    while sent < bulk_bytes {
        s.write_chunk(buf.clone()).await?;
        sent += buf.len();
    }
    s.finish()?;
    let ack = r.read_to_end(16).await?;
    anyhow::ensure!(ack.len() == 1, "no ack");
    let mbps = (bulk_bytes as f64 / 1e6) / t.elapsed().as_secs_f64();

    conn.close(VarInt::from_u32(0), b"done");
    echo_conn.close(VarInt::from_u32(0), b"done");
    bulk.close(VarInt::from_u32(0), b"done");
    let _ = tokio::time::timeout(Duration::from_secs(1), router.shutdown()).await;
    client.close().await;
    Ok(format!(
        "{{\"rtt_p50_us\": {p50:.1}, \"rtt_p99_us\": {p99:.1}, \"rtt_stream_p50_us\": {sp50:.1}, \
         \"rps_64\": {rps:.0}, \"bulk_mbps\": {mbps:.1}, \"cpu_us_per_req\": {cpu_per_req:.1}}}"
    ))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let requests = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(20000);
    let bulk_mib: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(256);
    let shape = args.get(3).map(String::as_str).unwrap_or("current");
    let rt = if let Some(n) = shape.strip_prefix("multi:") {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n.parse().unwrap_or(2))
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let rt = rt.expect("tokio runtime");
    match rt.block_on(run(requests, bulk_mib << 20)) {
        Ok(json) => println!("{json}"),
        Err(e) => {
            eprintln!("raw iroh bench failed: {e:#}");
            std::process::exit(1);
        }
    }
}
