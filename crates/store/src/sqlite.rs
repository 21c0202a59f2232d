//! The embedded durable [`Store`]: the in-memory engine in front of a SQLite file.
//!
//! Reads and watches are served from the engine's memory (so a list never touches the disk).
//! Every write is executed on one dedicated thread that owns the SQLite connection. The thread
//! takes every write waiting for it as one batch (group commit): the engine decides each write
//! in turn, the thread adds it to one SQLite transaction, commits that (WAL mode,
//! `synchronous = FULL`: one fsync for the batch), and only then are the writes applied in
//! memory, published to watchers and acknowledged. An acknowledged write thus survives
//! `kill -9` and power loss, and concurrent writers share the cost of the fsync. The thread
//! checkpoints the log into the database file when writes pause (100 ms), not inside the
//! commits of a burst.
//!
//! History across restarts: the last `history_limit` events are kept in the `log` table, so a
//! watch from a revision shortly before a restart still resumes without a re-list.

mod db;

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::config::Config;
use crate::engine::{Batch, Engine};
use crate::error::Error;
use crate::kv::{KeyValue, Revision};
use crate::store::{ListResult, Store};
use crate::watch::WatchStream;
use db::Db;

/// A unit of work for the writer thread: it decides and persists its write inside the open
/// batch, and returns how to answer its caller once the batch's commit is known.
type Job = Box<dyn FnOnce(&mut Batch<'_>, &mut Db) -> Reply + Send>;

/// Answers one caller, given the outcome of the batch's commit.
type Reply = Box<dyn FnOnce(Result<(), &Error>) + Send>;

/// The most writes committed together.
const MAX_BATCH: usize = 256;

/// How long the writer waits without a write before it checkpoints the log.
const CHECKPOINT_IDLE: Duration = Duration::from_millis(100);

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
        let batch_engine = Arc::clone(&engine);
        let writer = std::thread::Builder::new()
            .name("kubelite-store-sqlite".to_owned())
            .spawn(move || {
                // Whether commits since the last checkpoint wait in the log.
                let mut logged = false;
                loop {
                    let first = if logged {
                        match queue.recv_timeout(CHECKPOINT_IDLE) {
                            Ok(job) => job,
                            Err(mpsc::RecvTimeoutError::Timeout) => {
                                db.checkpoint();
                                logged = false;
                                continue;
                            }
                            Err(mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                    } else {
                        match queue.recv() {
                            Ok(job) => job,
                            Err(mpsc::RecvError) => break,
                        }
                    };
                    let jobs: Vec<Job> = std::iter::once(first)
                        .chain(queue.try_iter().take(MAX_BATCH - 1))
                        .collect();
                    commit_batch(&batch_engine, &mut db, jobs);
                    logged = true;
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

    /// Runs `write` on the writer thread, in the next batch, and waits for the batch's commit
    /// without blocking the runtime. If the caller stops waiting, the write still completes.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Batch<'_>, &mut Db) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let stopped = || Error::Backend("the SQLite writer thread has stopped".to_owned());
        let (reply, outcome) = oneshot::channel();
        let job: Job = Box::new(move |batch, db| {
            let result = write(batch, db);
            Box::new(move |committed: Result<(), &Error>| {
                let result = match (result, committed) {
                    (Ok(_), Err(err)) => Err(Error::Backend(err.to_string())),
                    (result, _) => result,
                };
                // The caller may have given up waiting; the write is done either way.
                let _ = reply.send(result);
            })
        });
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// Decides and persists `jobs` in one transaction, commits it, and only then publishes the
/// writes and answers the callers. If the transaction cannot be committed, no write of the
/// batch is published and every caller whose write was decided gets the error; if it cannot
/// even be opened, each write commits on its own.
fn commit_batch(engine: &Engine, db: &mut Db, jobs: Vec<Job>) {
    if let Err(err) = db.begin() {
        tracing::warn!("SQLite: cannot open a transaction for a batch of writes: {err}");
        // Each write then commits on its own (its savepoint is its transaction).
        for job in jobs {
            let mut batch = engine.batch();
            let reply = job(&mut batch, db);
            batch.publish();
            reply(Ok(()));
        }
        return;
    }
    let mut batch = engine.batch();
    let replies: Vec<Reply> = jobs.into_iter().map(|job| job(&mut batch, db)).collect();
    match db.commit() {
        Ok(()) => {
            batch.publish();
            for reply in replies {
                reply(Ok(()));
            }
        }
        Err(err) => {
            db.rollback();
            drop(batch);
            for reply in replies {
                reply(Err(&err));
            }
        }
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
        self.write(move |batch, db| {
            batch.create(key, Bytes::from(value), &mut |event| db.persist(event))
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
        self.write(move |batch, db| {
            batch.update(
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
        self.write(move |batch, db| {
            batch.delete(&key, expected_mod_revision, &mut |event| db.persist(event))
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
