//! iroh-blobs (in-memory store), iroh-gossip and iroh-docs (in memory) on an endpoint's Router,
//! as aster-rpc 0.1.2 runs them on every node (aster-rpc@0972ac9:core/src/lib.rs
//! `CoreNode::finalize`, `CoreBlobsClient`, `CoreDocsClient`, `CoreDoc`). Generic blob and
//! document operations only: which keys and blobs mean what is decided in C++.
//!
//! Packed payloads (little endian):
//! - collection listing: u32 count, then per entry u32 name_len, name, hash[32], u64 size;
//! - doc entries: u32 count, then per entry author[32], u32 key_len, key, content_hash[32],
//!   u64 content_len, u64 timestamp (µs since the epoch).

use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use futures_lite::StreamExt;
use iroh::address_lookup::memory::MemoryLookup;
use iroh::protocol::RouterBuilder;
use iroh::{Endpoint, EndpointAddr};
use iroh_blobs::api::downloader::{DownloadProgressItem, Downloader};
use iroh_blobs::api::proto::BlobStatus;
use iroh_blobs::api::Store as BlobStore;
use iroh_blobs::format::collection::Collection;
use iroh_blobs::get::request::get_verified_size;
use iroh_blobs::store::mem::MemStore;
use iroh_blobs::{BlobFormat, BlobsProtocol, Hash, HashAndFormat, ALPN as BLOBS_ALPN};
use iroh_docs::api::Doc;
use iroh_docs::engine::LiveEvent;
use iroh_docs::protocol::Docs;
use iroh_docs::store::Query;
use iroh_docs::{AuthorId, Capability, DocTicket, NamespaceId, ALPN as DOCS_ALPN};
use iroh_gossip::net::Gossip;
use iroh_gossip::ALPN as GOSSIP_ALPN;

use crate::abi::status;
use crate::runtime::{Completion, Obj};

/// The content protocols of one endpoint. The stores live as long as the endpoint object.
pub struct ContentNode {
    pub store: BlobStore,
    pub docs: Docs,
    #[allow(dead_code)]
    gossip: Gossip,
    /// Addresses of peers named by content operations (0.1.2 adds a MemoryLookup per ticket;
    /// one per endpoint is enough: aster-rpc@0972ac9:core/src/lib.rs `download_blob`).
    lookup: MemoryLookup,
}

pub struct DocObj {
    pub doc: Doc,
    pub store: BlobStore,
}

/// Builds the three protocols and registers them on the Router next to the queue handlers
/// (the same ALPNs 0.1.2 serves: `/iroh-bytes/4`, `/iroh-gossip/1`, `/iroh-sync/1`).
pub async fn spawn(
    endpoint: &Endpoint,
    rb: RouterBuilder,
) -> Result<(RouterBuilder, ContentNode), String> {
    let store: BlobStore = MemStore::new().into();
    let blobs = BlobsProtocol::new(&store, None);
    let gossip = Gossip::builder().spawn(endpoint.clone());
    let docs = Docs::memory()
        .spawn(endpoint.clone(), store.clone(), gossip.clone())
        .await
        .map_err(|e| format!("docs engine: {e:#}"))?;
    let lookup = MemoryLookup::new();
    if let Ok(l) = endpoint.address_lookup() {
        l.add(lookup.clone());
    }
    let rb = rb
        .accept(BLOBS_ALPN, blobs)
        .accept(GOSSIP_ALPN, gossip.clone())
        .accept(DOCS_ALPN, docs.clone());
    Ok((
        rb,
        ContentNode {
            store,
            docs,
            gossip,
            lookup,
        },
    ))
}

/// A peer named by id only: the addresses this endpoint already knows for it (from the
/// connection that found it), as 0.1.2 does (`join_and_subscribe_namespace`: `remote_info`).
async fn known_addr(endpoint: &Endpoint, peer: EndpointAddr) -> EndpointAddr {
    if !peer.is_empty() {
        return peer;
    }
    match endpoint.remote_info(peer.id).await {
        Some(info) => EndpointAddr::from_parts(info.id(), info.into_addrs().map(|a| a.into_addr())),
        None => peer,
    }
}

fn store_err(what: &str, e: impl std::fmt::Display) -> Completion {
    Completion::err(status::STORE, format!("{what}: {e}"))
}

fn hash_payload(h: &Hash) -> Bytes {
    Bytes::copy_from_slice(h.as_bytes())
}

pub async fn blob_add(c: Arc<ContentNode>, data: Vec<u8>, tag: Option<Vec<u8>>) -> Completion {
    let tt = match c.store.add_slice(&data).await {
        Ok(t) => t,
        Err(e) => return store_err("add blob", e),
    };
    let hash = tt.hash;
    if let Some(tag) = tag {
        if let Err(e) = c.store.tags().set(tag, HashAndFormat::raw(hash)).await {
            return store_err("tag blob", e);
        }
    }
    Completion::ok().with_data(hash_payload(&hash))
}

/// Each (name, data) becomes a raw blob; the names and hashes become an iroh-blobs
/// `Collection` (a HashSeq whose first child is the names blob), tagged persistently.
/// Mirrors aster-rpc@0972ac9:core/src/lib.rs `CoreBlobsClient::add_collection`.
pub async fn add_collection(
    c: Arc<ContentNode>,
    entries: Vec<(String, Vec<u8>)>,
    tag: Option<Vec<u8>>,
) -> Completion {
    let mut temps = Vec::with_capacity(entries.len());
    let mut pairs: Vec<(String, Hash)> = Vec::with_capacity(entries.len());
    for (name, data) in entries {
        match c.store.add_slice(&data).await {
            Ok(t) => {
                pairs.push((name, t.hash));
                temps.push(t);
            }
            Err(e) => return store_err("add collection entry", e),
        }
    }
    let collection: Collection = pairs.into_iter().collect();
    let temp = match collection.store(&c.store).await {
        Ok(t) => t,
        Err(e) => return store_err("store collection", e),
    };
    let root = temp.hash();
    if let Some(tag) = tag {
        if let Err(e) = c.store.tags().set(tag, HashAndFormat::hash_seq(root)).await {
            return store_err("tag collection", e);
        }
    }
    drop(temps);
    drop(temp);
    Completion::ok().with_data(hash_payload(&root))
}

pub async fn blob_read(c: Arc<ContentNode>, hash: Hash, max: usize) -> Completion {
    match c.store.blobs().status(hash).await {
        Ok(BlobStatus::Complete { size }) => {
            if size > max as u64 {
                return Completion::err(status::TOO_LONG, format!("blob has {size} bytes"));
            }
        }
        Ok(_) => {
            return Completion::err(status::NOT_FOUND, "blob not complete in the local store")
        }
        Err(e) => return store_err("blob status", e),
    }
    match c.store.get_bytes(hash).await {
        Ok(b) => Completion::ok().with_data(b),
        Err(e) => store_err("read blob", e),
    }
}

/// How often a download with progress reports (the first report comes at once).
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// Downloads `hash` from `peer`. With `progress`, each progress item of iroh-blobs'
/// downloader (bytes of the request present so far) is reported, at most every
/// PROGRESS_INTERVAL, before the completion (iroh-blobs 0.99.0 src/api/downloader.rs
/// `DownloadProgress::stream`, whose `complete` this loop follows).
pub async fn download(
    c: Arc<ContentNode>,
    endpoint: Endpoint,
    hash: Hash,
    format: BlobFormat,
    peer: EndpointAddr,
    timeout: Option<Duration>,
    progress: Option<impl Fn(u64) -> bool + Send + 'static>,
) -> Completion {
    let id = peer.id;
    let peer = known_addr(&endpoint, peer).await;
    if !peer.is_empty() {
        c.lookup.add_endpoint_info(peer);
    }
    let fut = async {
        // The downloader runs as long as this handle lives: keep it for the whole loop.
        let downloader = Downloader::new(&c.store, &endpoint);
        let mut items = downloader
            .download(HashAndFormat { hash, format }, vec![id])
            .stream()
            .await
            .map_err(|e| format!("{e:#}"))?;
        let mut last: Option<tokio::time::Instant> = None;
        while let Some(item) = items.next().await {
            match item {
                DownloadProgressItem::Error(e) => return Err(format!("{e:#}")),
                DownloadProgressItem::DownloadError => return Err("download error".to_string()),
                DownloadProgressItem::Progress(bytes) => {
                    if let Some(report) = &progress {
                        let now = tokio::time::Instant::now();
                        if last.map_or(true, |t| now - t >= PROGRESS_INTERVAL) {
                            last = Some(now);
                            report(bytes);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok::<(), String>(())
    };
    let res = match timeout {
        Some(t) => match tokio::time::timeout(t, fut).await {
            Ok(r) => r,
            Err(_) => return Completion::err(status::TIMEOUT, "download timed out"),
        },
        None => fut.await,
    };
    match res {
        Ok(()) => Completion::ok(),
        Err(e) => Completion::err(status::CONNECT_FAILED, format!("download: {e}")),
    }
}

/// The verified size of `hash` at `peer`: a request for its last chunk
/// (iroh-blobs 0.99.0 src/get/request.rs `get_verified_size`), on a connection of its own.
pub async fn remote_size(
    c: Arc<ContentNode>,
    endpoint: Endpoint,
    hash: Hash,
    peer: EndpointAddr,
    timeout: Option<Duration>,
) -> Completion {
    let id = peer.id;
    let peer = known_addr(&endpoint, peer).await;
    if !peer.is_empty() {
        c.lookup.add_endpoint_info(peer);
    }
    let fut = async {
        let conn = endpoint
            .connect(id, BLOBS_ALPN)
            .await
            .map_err(|e| format!("connect: {e:#}"))?;
        let res = get_verified_size(&conn, &hash).await;
        conn.close(0u32.into(), b"done");
        res.map(|(size, _)| size).map_err(|e| format!("{e:#}"))
    };
    let res = match timeout {
        Some(t) => match tokio::time::timeout(t, fut).await {
            Ok(r) => r,
            Err(_) => return Completion::err(status::TIMEOUT, "size request timed out"),
        },
        None => fut.await,
    };
    match res {
        Ok(size) => Completion::ok().with_code(size),
        Err(e) => Completion::err(status::CONNECT_FAILED, format!("blob size: {e}")),
    }
}

pub async fn collection_list(c: Arc<ContentNode>, hash: Hash) -> Completion {
    let collection = match Collection::load(hash, &c.store).await {
        Ok(col) => col,
        Err(e) => return Completion::err(status::NOT_FOUND, format!("load collection: {e:#}")),
    };
    let mut b = BytesMut::new();
    b.put_u32_le(collection.len() as u32);
    for (name, h) in collection.iter() {
        let size = match c.store.blobs().status(*h).await {
            Ok(BlobStatus::Complete { size }) => size,
            Ok(BlobStatus::Partial { size }) => size.unwrap_or(0),
            _ => 0,
        };
        b.put_u32_le(name.len() as u32);
        b.put_slice(name.as_bytes());
        b.put_slice(h.as_bytes());
        b.put_u64_le(size);
    }
    Completion::ok().with_data(b.freeze())
}

pub async fn doc_create(c: Arc<ContentNode>) -> Completion {
    match c.docs.api().create().await {
        Ok(doc) => {
            let id = doc.id();
            Completion::ok()
                .with_data(Bytes::copy_from_slice(id.as_bytes()))
                .with_obj(
                    0,
                    Obj::Doc(Arc::new(DocObj {
                        doc,
                        store: c.store.clone(),
                    })),
                )
        }
        Err(e) => store_err("create doc", e),
    }
}

pub async fn author_create(c: Arc<ContentNode>) -> Completion {
    match c.docs.api().author_create().await {
        Ok(a) => Completion::ok().with_data(Bytes::copy_from_slice(a.as_bytes())),
        Err(e) => store_err("create author", e),
    }
}

pub async fn doc_set(d: Arc<DocObj>, author: [u8; 32], key: Vec<u8>, value: Vec<u8>) -> Completion {
    let author = AuthorId::from(&author);
    match d
        .doc
        .set_bytes(author, Bytes::from(key), Bytes::from(value))
        .await
    {
        Ok(h) => Completion::ok().with_data(hash_payload(&h)),
        Err(e) => store_err("set entry", e),
    }
}

/// Opens the document for sync with any peer that knows its namespace (what `Doc::share`
/// does besides making a ticket: iroh-docs 0.97.0 src/api/actor.rs `doc_share`).
pub async fn doc_open_sync(d: Arc<DocObj>) -> Completion {
    match d.doc.start_sync(vec![]).await {
        Ok(()) => Completion::ok(),
        Err(e) => store_err("start sync", e),
    }
}

/// Flags in the DOC_JOIN event's `code`.
pub const JOIN_SYNC_FINISHED: u64 = 1;
pub const JOIN_CONTENT_READY: u64 = 2;
pub const JOIN_SYNC_FAILED: u64 = 4;

/// Imports a namespace read-only with `peer` as the sync peer, then waits up to `wait` for the
/// first sync with it to finish and the content it announced to arrive. Mirrors
/// aster-rpc@0972ac9:core/src/lib.rs `join_and_subscribe_namespace` (Capability::Read plus a
/// DocTicket naming the peer); the bounded wait is ours (0.1.2's shell waits in Python).
pub async fn doc_join(
    c: Arc<ContentNode>,
    endpoint: Endpoint,
    ns: [u8; 32],
    peer: EndpointAddr,
    wait: Duration,
) -> Completion {
    let peer_id = peer.id;
    let peer = known_addr(&endpoint, peer).await;
    if !peer.is_empty() {
        c.lookup.add_endpoint_info(peer.clone());
    }
    let ticket = DocTicket::new(Capability::Read(NamespaceId::from(&ns)), vec![peer]);
    let (doc, events) = match c.docs.api().import_and_subscribe(ticket).await {
        Ok(r) => r,
        Err(e) => return store_err("join doc", e),
    };
    let mut events = Box::pin(events);
    let mut flags = 0u64;
    let mut sync_error = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, events.next()).await {
            Err(_) | Ok(None) => break,
            Ok(Some(Err(_))) => break,
            Ok(Some(Ok(ev))) => match ev {
                LiveEvent::SyncFinished(s) if s.peer == peer_id => {
                    flags |= JOIN_SYNC_FINISHED;
                    if let Err(e) = s.result {
                        flags |= JOIN_SYNC_FAILED;
                        sync_error = e;
                        break;
                    }
                }
                LiveEvent::PendingContentReady if flags & JOIN_SYNC_FINISHED != 0 => {
                    flags |= JOIN_CONTENT_READY;
                    break;
                }
                _ => {}
            },
        }
    }
    let mut done = Completion::ok().with_code(flags).with_obj(
        0,
        Obj::Doc(Arc::new(DocObj {
            doc,
            store: c.store.clone(),
        })),
    );
    if !sync_error.is_empty() {
        done = done.with_data(Bytes::from(sync_error.into_bytes()));
    }
    done
}

pub async fn doc_query(d: Arc<DocObj>, prefix: bool, key: Vec<u8>, limit: u64) -> Completion {
    let q = if prefix {
        Query::key_prefix(key)
    } else {
        Query::key_exact(key)
    };
    let q = if limit > 0 { q.limit(limit) } else { q };
    let stream = match d.doc.get_many(q.build()).await {
        Ok(s) => s,
        Err(e) => return store_err("query", e),
    };
    let mut stream = Box::pin(stream);
    let mut b = BytesMut::new();
    b.put_u32_le(0);
    let mut n = 0u32;
    while let Some(entry) = stream.next().await {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => return store_err("query", e),
        };
        n += 1;
        b.put_slice(entry.author().as_bytes());
        b.put_u32_le(entry.key().len() as u32);
        b.put_slice(entry.key());
        b.put_slice(entry.content_hash().as_bytes());
        b.put_u64_le(entry.content_len());
        b.put_u64_le(entry.timestamp());
    }
    b[0..4].copy_from_slice(&n.to_le_bytes());
    let _ = &d.store;
    Completion::ok().with_data(b.freeze())
}
