//! The embedded durable [`Store`]: the in-memory engine in front of a SQLite file.
//!
//! Reads and watches are served from the engine's memory (so a list never touches the disk).
//! Every write is executed on one dedicated thread that owns the SQLite connection: the engine
//! decides the write, the thread commits it (WAL mode, `synchronous = FULL`), and only then is
//! it applied in memory, published to watchers and acknowledged. An acknowledged write thus
//! survives `kill -9` and power loss.
//!
//! History across restarts: the last `history_limit` events are kept in the `log` table, so a
//! watch from a revision shortly before a restart still resumes without a re-list.

mod db;

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::Error;
use crate::kv::{KeyValue, Revision};
use crate::store::{ListResult, Store};
use crate::watch::WatchStream;
use db::Db;

/// A unit of work for the writer thread; it owns the reply channel of its caller.
type Job = Box<dyn FnOnce(&mut Db) + Send>;

/// A SQLite-backed store. All current keys are also held in memory.
#[derive(Debug)]
pub struct SqliteStore {
    engine: Arc<Engine>,
    /// `None` only while dropping, to stop the writer thread.
    jobs: Option<mpsc::Sender<Job>>,
    writer: Option<JoinHandle<()>>,
}

impl SqliteStore {
    /// Opens or creates the database at `path` with the default [`Config`].
    ///
    /// This loads every key into memory and blocks while doing so; call it before serving
    /// (or from `spawn_blocking`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::open_with_config(path, Config::default())
    }

    pub fn open_with_config(path: impl AsRef<Path>, config: Config) -> Result<Self, Error> {
        let path = path.as_ref();
        let mut db = Db::open(path, config.history_limit())?;
        let engine = Arc::new(Engine::new(&config, db.load()?));
        let (jobs, queue) = mpsc::channel::<Job>();
        let writer = std::thread::Builder::new()
            .name("kubelite-store-sqlite".to_owned())
            .spawn(move || {
                for job in queue {
                    job(&mut db);
                }
            })
            .map_err(|err| Error::Backend(format!("cannot start the SQLite writer: {err}")))?;
        tracing::debug!(
            path = %path.display(),
            revision = engine.revision(),
            "opened SQLite store"
        );
        Ok(SqliteStore {
            engine,
            jobs: Some(jobs),
            writer: Some(writer),
        })
    }

    /// Runs `write` on the writer thread and waits for its outcome without blocking the
    /// runtime. If the caller stops waiting, the write still completes.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&Engine, &mut Db) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let stopped = || Error::Backend("the SQLite writer thread has stopped".to_owned());
        let (reply, outcome) = oneshot::channel();
        let engine = Arc::clone(&self.engine);
        let job: Job = Box::new(move |db| {
            // The caller may have given up waiting; the write is done either way.
            let _ = reply.send(write(&engine, db));
        });
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

impl Drop for SqliteStore {
    /// Lets queued writes finish and closes the database.
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(writer) = self.writer.take()
            && writer.join().is_err()
        {
            tracing::error!("the SQLite writer thread panicked");
        }
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
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
        let key = key.to_owned();
        self.write(move |engine, db| {
            engine.create(key, Bytes::from(value), &mut |event| db.persist(event))
        })
        .await
    }

    async fn update(
        &self,
        key: &str,
        value: Vec<u8>,
        expected_mod_revision: Revision,
    ) -> Result<KeyValue, Error> {
        let key = key.to_owned();
        self.write(move |engine, db| {
            engine.update(
                key,
                Bytes::from(value),
                expected_mod_revision,
                &mut |event| db.persist(event),
            )
        })
        .await
    }

    async fn delete(
        &self,
        key: &str,
        expected_mod_revision: Option<Revision>,
    ) -> Result<(KeyValue, Revision), Error> {
        let key = key.to_owned();
        self.write(move |engine, db| {
            engine.delete(&key, expected_mod_revision, &mut |event| db.persist(event))
        })
        .await
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, Error> {
        self.engine.watch(prefix, from)
    }

    fn current_revision(&self) -> Revision {
        self.engine.revision()
    }
}
