//! The SQLite schema: how the current keys and the bounded event log are laid out on disk,
//! recovered on open, and extended by one transaction per batch of writes (a savepoint each).
//!
//! Tables:
//! - `kv(key, value, create_rev, mod_rev)`: the current value of every live key.
//! - `log(rev, key, value, create_rev, prev_value, prev_create_rev, prev_mod_rev)`: one row per
//!   revision (a delete has a NULL `value`), pruned to the newest `history_limit` rows in the
//!   same transaction. The newest row is never pruned, so `max(rev)` is the store revision and
//!   survives restarts even when every key has been deleted.

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::engine::Restored;
use crate::error::Error;
use crate::event::Event;
use crate::kv::{KeyValue, Revision};

/// Bumped whenever the on-disk layout changes incompatibly.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kv (
    key        TEXT PRIMARY KEY NOT NULL,
    value      BLOB NOT NULL,
    create_rev INTEGER NOT NULL,
    mod_rev    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    rev             INTEGER PRIMARY KEY NOT NULL,
    key             TEXT NOT NULL,
    value           BLOB,
    create_rev      INTEGER,
    prev_value      BLOB,
    prev_create_rev INTEGER,
    prev_mod_rev    INTEGER
);
";

fn backend(err: rusqlite::Error) -> Error {
    Error::Backend(err.to_string())
}

/// The log length (pages) at which a commit checkpoints on its own (SQLite's default is 1,000).
/// The writer checkpoints when idle instead ([`Db::checkpoint`]): a checkpoint in a commit
/// holds up every write queued behind it, so under a burst of writes it is put off until the
/// burst is over, up to a log of ~40 MB.
const WAL_CHECKPOINT_PAGES: u32 = 10_000;

/// The connection owned by the writer thread.
pub(super) struct Db {
    conn: Connection,
    history_limit: usize,
}

impl Db {
    /// Opens (creating if needed) the database at `path` in WAL mode with fsync on every
    /// commit, and checks or installs the schema.
    pub(super) fn open(path: &Path, history_limit: usize) -> Result<Self, Error> {
        let conn = Connection::open(path).map_err(backend)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .map_err(backend)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Backend(format!(
                "{}: cannot enable WAL journal mode (got {mode})",
                path.display()
            )));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; \
             PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES};"
        ))
        .map_err(backend)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(backend)?;
        match version {
            0 => conn
                .execute_batch(&format!(
                    "BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                ))
                .map_err(backend)?,
            SCHEMA_VERSION => {}
            other => {
                return Err(Error::Backend(format!(
                    "{}: unsupported schema version {other} (expected {SCHEMA_VERSION})",
                    path.display()
                )));
            }
        }
        Ok(Db {
            conn,
            history_limit,
        })
    }

    /// Reads back everything the engine needs: live keys, the revision and the retained log.
    pub(super) fn load(&self) -> Result<Restored, Error> {
        let mut kvs = BTreeMap::new();
        let mut stmt = self
            .conn
            .prepare("SELECT key, value, create_rev, mod_rev FROM kv")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |row| {
                Ok(KeyValue {
                    key: row.get(0)?,
                    value: Bytes::from(row.get::<_, Vec<u8>>(1)?),
                    create_revision: row.get(2)?,
                    mod_revision: row.get(3)?,
                })
            })
            .map_err(backend)?;
        for kv in rows {
            let kv = kv.map_err(backend)?;
            kvs.insert(kv.key.clone(), kv);
        }

        let last: Option<Revision> = self
            .conn
            .query_row("SELECT max(rev) FROM log", [], |row| row.get(0))
            .optional()
            .map_err(backend)?
            .flatten();
        let newest_kv = kvs.values().map(|kv| kv.mod_revision).max();
        let revision = last.into_iter().chain(newest_kv).fold(1, Revision::max);

        let oldest_kept = revision - self.history_limit as Revision;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rev, key, value, create_rev, prev_value, prev_create_rev, prev_mod_rev
                 FROM log WHERE rev > ?1 ORDER BY rev",
            )
            .map_err(backend)?;
        let history = stmt
            .query_map([oldest_kept], event_from_row)
            .map_err(backend)?
            .collect::<Result<Vec<Event>, _>>()
            .map_err(backend)?;
        let compacted = history
            .first()
            .map_or(revision, |event| event.revision() - 1);
        Ok(Restored {
            kvs,
            revision,
            history,
            compacted,
        })
    }

    /// Opens the transaction a batch of writes goes into.
    pub(super) fn begin(&mut self) -> Result<(), Error> {
        self.conn.execute_batch("BEGIN IMMEDIATE").map_err(backend)
    }

    /// Commits the open transaction: with `synchronous = FULL`, durable once this returns.
    pub(super) fn commit(&mut self) -> Result<(), Error> {
        self.conn.execute_batch("COMMIT").map_err(backend)
    }

    /// Copies what the log (WAL) holds into the database file, so that the next writes reuse
    /// the log from its start. Done when the writer is idle; a failure only leaves the log
    /// longer.
    pub(super) fn checkpoint(&mut self) {
        if let Err(err) = self.conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!("SQLite checkpoint: {err}");
        }
    }

    /// Abandons the open transaction.
    pub(super) fn rollback(&mut self) {
        if let Err(err) = self.conn.execute_batch("ROLLBACK") {
            tracing::error!("SQLite rollback: {err}");
        }
    }

    /// Adds `event` to the open transaction: updates `kv`, appends to `log`, prunes the log.
    /// On failure the transaction is as it was before the call.
    pub(super) fn persist(&mut self, event: &Event) -> Result<(), Error> {
        let revision = event.revision();
        let history_limit = self.history_limit;
        let sp = self.conn.savepoint().map_err(backend)?;
        match event {
            Event::Put { kv, prev } => {
                sp.prepare_cached(
                    "INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                         create_rev = excluded.create_rev, mod_rev = excluded.mod_rev",
                )
                .and_then(|mut stmt| {
                    stmt.execute(params![
                        kv.key,
                        &kv.value[..],
                        kv.create_revision,
                        kv.mod_revision
                    ])
                })
                .map_err(backend)?;
                append(&sp, revision, kv.key.as_str(), Some(kv), prev.as_ref())?;
            }
            Event::Delete { prev, .. } => {
                sp.prepare_cached("DELETE FROM kv WHERE key = ?1")
                    .and_then(|mut stmt| stmt.execute([&prev.key]))
                    .map_err(backend)?;
                append(&sp, revision, prev.key.as_str(), None, Some(prev))?;
            }
        }
        sp.prepare_cached("DELETE FROM log WHERE rev <= ?1")
            .and_then(|mut stmt| stmt.execute([revision - history_limit as Revision]))
            .map_err(backend)?;
        sp.commit().map_err(backend)
    }
}

fn append(
    tx: &Connection,
    revision: Revision,
    key: &str,
    kv: Option<&KeyValue>,
    prev: Option<&KeyValue>,
) -> Result<(), Error> {
    tx.prepare_cached(
        "INSERT INTO log (rev, key, value, create_rev, prev_value, prev_create_rev, prev_mod_rev)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            revision,
            key,
            kv.map(|kv| &kv.value[..]),
            kv.map(|kv| kv.create_revision),
            prev.map(|prev| &prev.value[..]),
            prev.map(|prev| prev.create_revision),
            prev.map(|prev| prev.mod_revision),
        ])
    })
    .map(drop)
    .map_err(backend)
}

fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Event> {
    let revision: Revision = row.get(0)?;
    let key: String = row.get(1)?;
    let value: Option<Vec<u8>> = row.get(2)?;
    let create_revision: Option<Revision> = row.get(3)?;
    let prev_value: Option<Vec<u8>> = row.get(4)?;
    let prev = match (prev_value, row.get(5)?, row.get(6)?) {
        (Some(value), Some(create_revision), Some(mod_revision)) => Some(KeyValue {
            key: key.clone(),
            value: Bytes::from(value),
            create_revision,
            mod_revision,
        }),
        _ => None,
    };
    match (value, create_revision, prev) {
        (Some(value), Some(create_revision), prev) => Ok(Event::Put {
            kv: KeyValue {
                key,
                value: Bytes::from(value),
                create_revision,
                mod_revision: revision,
            },
            prev,
        }),
        (None, _, Some(prev)) => Ok(Event::Delete { prev, revision }),
        _ => Err(rusqlite::Error::InvalidColumnType(
            2,
            format!("log row {revision} is neither a put nor a delete"),
            rusqlite::types::Type::Null,
        )),
    }
}
