/* Compiles aster_iroh.h as C (not C++) and pins the layouts Rust asserts in bridge/src/abi.rs.
 * A drift between the hand-kept header and the crate fails the build here. */
#include <stddef.h>

#include "aster_iroh.h"

_Static_assert(sizeof(aster_iroh_bytes) == 16, "aster_iroh_bytes");
_Static_assert(sizeof(aster_iroh_event) == 72, "aster_iroh_event size");
_Static_assert(offsetof(aster_iroh_event, status) == 4, "event.status");
_Static_assert(offsetof(aster_iroh_event, op) == 8, "event.op");
_Static_assert(offsetof(aster_iroh_event, user_data) == 16, "event.user_data");
_Static_assert(offsetof(aster_iroh_event, h1) == 24, "event.h1");
_Static_assert(offsetof(aster_iroh_event, h2) == 32, "event.h2");
_Static_assert(offsetof(aster_iroh_event, code) == 40, "event.code");
_Static_assert(offsetof(aster_iroh_event, data) == 48, "event.data");
_Static_assert(offsetof(aster_iroh_event, len) == 56, "event.len");
_Static_assert(offsetof(aster_iroh_event, lease) == 64, "event.lease");
_Static_assert(sizeof(aster_iroh_runtime_cfg) == 20, "runtime_cfg");
_Static_assert(offsetof(aster_iroh_runtime_cfg, spin_us) == 16, "runtime_cfg.spin_us");
_Static_assert(sizeof(aster_iroh_endpoint_cfg) == 104, "endpoint_cfg size");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, secret_key) == 8, "endpoint_cfg.secret_key");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, relay_mode) == 40, "endpoint_cfg.relay_mode");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, max_bidi_streams) == 44, "max_bidi_streams");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, hook_timeout_ms) == 48, "hook_timeout_ms");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, bind_v4) == 56, "endpoint_cfg.bind_v4");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, relay_url) == 64, "endpoint_cfg.relay_url");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, alpns) == 72, "endpoint_cfg.alpns");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, alpns_len) == 80, "endpoint_cfg.alpns_len");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, relay_ca_roots) == 88, "endpoint_cfg.relay_ca_roots");
_Static_assert(offsetof(aster_iroh_endpoint_cfg, relay_ca_roots_len) == 96, "relay_ca_roots_len");
_Static_assert(sizeof(aster_iroh_sockaddr) == 20, "sockaddr size");
_Static_assert(offsetof(aster_iroh_sockaddr, port) == 16, "sockaddr.port");
_Static_assert(offsetof(aster_iroh_sockaddr, family) == 18, "sockaddr.family");
_Static_assert(sizeof(aster_iroh_connect_cfg) == 80, "connect_cfg size");
_Static_assert(offsetof(aster_iroh_connect_cfg, endpoint_id) == 8, "connect_cfg.endpoint_id");
_Static_assert(offsetof(aster_iroh_connect_cfg, relay_url) == 40, "connect_cfg.relay_url");
_Static_assert(offsetof(aster_iroh_connect_cfg, addrs) == 48, "connect_cfg.addrs");
_Static_assert(offsetof(aster_iroh_connect_cfg, addrs_len) == 56, "connect_cfg.addrs_len");
_Static_assert(offsetof(aster_iroh_connect_cfg, alpn) == 64, "connect_cfg.alpn");
_Static_assert(sizeof(aster_iroh_addr_out) == 88, "addr_out size");
_Static_assert(offsetof(aster_iroh_addr_out, id) == 4, "addr_out.id");
_Static_assert(offsetof(aster_iroh_addr_out, relay_url) == 40, "addr_out.relay_url");
_Static_assert(offsetof(aster_iroh_addr_out, addrs) == 64, "addr_out.addrs");
_Static_assert(offsetof(aster_iroh_addr_out, addrs_len) == 80, "addr_out.addrs_len");
_Static_assert(sizeof(aster_iroh_path_out) == 64, "path_out size");
_Static_assert(offsetof(aster_iroh_path_out, kind) == 4, "path_out.kind");
_Static_assert(offsetof(aster_iroh_path_out, addr) == 8, "path_out.addr");
_Static_assert(offsetof(aster_iroh_path_out, rtt_us) == 32, "path_out.rtt_us");
_Static_assert(offsetof(aster_iroh_path_out, relay_url) == 40, "path_out.relay_url");
_Static_assert(offsetof(aster_iroh_path_out, relay_len) == 56, "path_out.relay_len");

/* Called from the GoogleTest side so the object is linked and the header is used from C. */
size_t aster_iroh_c_event_size(void) { return sizeof(aster_iroh_event); }
uint32_t aster_iroh_c_abi_version(void) { return aster_iroh_abi_version(); }
