//! A volatile [`Store`] for tests and ephemeral clusters: the engine with nothing to persist.

use bytes::Bytes;

use crate::config::Config;
use crate::engine::{Engine, Restored};
use crate::error::Error;
use crate::kv::{KeyValue, Revision};
use crate::store::{ListResult, Store};
use crate::watch::WatchStream;

/// An in-memory store; everything is lost when it is dropped.
#[derive(Debug)]
pub struct MemoryStore {
    engine: Engine,
}

impl MemoryStore {
    /// An empty store (revision 1) with the default [`Config`].
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> Self {
        MemoryStore {
            engine: Engine::new(&config, Restored::empty()),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

/// Memory writes are visible as soon as they are applied.
fn volatile(_: &crate::Event) -> Result<(), Error> {
    Ok(())
}

#[async_trait::async_trait]
impl Store for MemoryStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, Error> {
        Ok(self.engine.get(key))
    }

    async fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: Option<usize>,
    ) -> Result<ListResult, Error> {
        Ok(self.engine.list(prefix, start_after, limit))
    }

    async fn create(&self, key: &str, value: Vec<u8>) -> Result<KeyValue, Error> {
        self.engine
            .create(key.to_owned(), Bytes::from(value), &mut volatile)
    }

    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue, Error> {
        self.engine.update(
            key.to_owned(),
            Bytes::from(value),
            expected_mod_revision,
            &mut volatile,
        )
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<(KeyValue, Revision), Error> {
        self.engine
            .delete(key, expected_mod_revision, &mut volatile)
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, Error> {
        self.engine.watch(prefix, from)
    }

    fn current_revision(&self) -> Revision {
        self.engine.revision()
    }
}
