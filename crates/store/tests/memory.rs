//! The conformance suite against `MemoryStore`.

mod conformance;

use conformance::Harness;
use kubelite_store::{Config, MemoryStore};

fn open(config: Config) -> Harness {
    Harness {
        store: Box::new(MemoryStore::with_config(config)),
        _guard: None,
    }
}

conformance_suite!(open);
