//! Diagnostic logging of the iroh/noq stack, off unless `ASTER_IROH_TRACE` is set.
//!
//! iroh and noq-proto report path and packet events through `tracing`, but a library installs
//! no subscriber, so by default they go nowhere. `ASTER_IROH_TRACE=<EnvFilter directives>`
//! (e.g. `noq_proto::connection=trace,iroh::_events=debug,iroh::socket::remote_map=trace`,
//! see tracing-subscriber 0.3 `EnvFilter`) installs a global one that writes to stderr, so a
//! stall can be traced from any process that links the bridge (issue 14). Only the first
//! runtime of a process installs it; a subscriber installed by the host wins.
use std::sync::Once;

pub fn init_from_env() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let Ok(directives) = std::env::var("ASTER_IROH_TRACE") else {
            return;
        };
        if directives.is_empty() {
            return;
        }
        let filter = match tracing_subscriber::EnvFilter::try_new(&directives) {
            Ok(f) => f,
            Err(e) => {
                eprintln!("aster_iroh: ignoring ASTER_IROH_TRACE={directives:?}: {e}");
                return;
            }
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .try_init();
    });
}
