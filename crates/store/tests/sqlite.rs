//! The conformance suite against `SqliteStore`, plus what only a durable backend must do:
//! keep data, revisions and history across reopen and across `kill -9`.

mod conformance;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use conformance::Harness;
use futures::StreamExt;
use kubelite_store::{Config, Error, Event, SqliteStore, Store};

fn open(config: Config) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_with_config(dir.path().join("store.db"), config).unwrap();
    Harness {
        store: Box::new(store),
        _guard: Some(dir),
    }
}

conformance_suite!(open);

fn reopen(path: &Path, config: Config) -> SqliteStore {
    SqliteStore::open_with_config(path, config).unwrap()
}

#[tokio::test]
async fn reopen_keeps_data_revision_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let config = Config {
        history_limit: 4,
        ..Config::default()
    };
    {
        let store = reopen(&path, config.clone());
        store.create("/a", b"a1".to_vec()).await.unwrap(); // 2
        store.create("/b", b"b1".to_vec()).await.unwrap(); // 3
        store.update("/a", b"a2".to_vec(), 2).await.unwrap(); // 4
        store.delete("/b", None).await.unwrap(); // 5
        store.create("/c", b"c1".to_vec()).await.unwrap(); // 6
        store.delete("/c", Some(6)).await.unwrap(); // 7
    }
    let store = reopen(&path, config.clone());
    assert_eq!(
        store.current_revision(),
        7,
        "the revision survives, even after deletes"
    );
    let page = store.list("/", None, None).await.unwrap();
    let items: Vec<_> = page
        .items
        .iter()
        .map(|kv| {
            (
                kv.key.as_str(),
                &kv.value[..],
                kv.create_revision,
                kv.mod_revision,
            )
        })
        .collect();
    assert_eq!(items, [("/a", &b"a2"[..], 2, 4)]);
    assert_eq!(page.revision, 7);

    // The last 4 events (4..=7) were persisted and are replayed after the restart.
    let mut watch = store.watch("/", 3).await.unwrap();
    let mut replayed = Vec::new();
    for _ in 0..4 {
        let event = watch.next().await.unwrap();
        let prev = match &event {
            Event::Put { prev, .. } => prev.as_ref().map(|prev| prev.mod_revision),
            Event::Delete { prev, .. } => Some(prev.mod_revision),
        };
        let kind = if matches!(event, Event::Put { .. }) {
            "PUT"
        } else {
            "DELETE"
        };
        replayed.push((event.revision(), kind, event.key().to_owned(), prev));
    }
    assert_eq!(
        replayed,
        [
            (4, "PUT", "/a".to_owned(), Some(2)),
            (5, "DELETE", "/b".to_owned(), Some(3)),
            (6, "PUT", "/c".to_owned(), None),
            (7, "DELETE", "/c".to_owned(), Some(6)),
        ]
    );
    assert!(matches!(
        store.watch("/", 2).await,
        Err(Error::Expired {
            requested: 2,
            oldest: 3
        })
    ));

    // New writes continue the sequence and a recreated key is a new incarnation.
    let recreated = store.create("/c", b"c2".to_vec()).await.unwrap();
    assert_eq!((recreated.create_revision, recreated.mod_revision), (8, 8));
    assert_eq!(watch.next().await.unwrap().revision(), 8);
    drop(watch);
    drop(store);

    // A smaller history limit on reopen forgets the older part of the log.
    let store = reopen(
        &path,
        Config {
            history_limit: 2,
            ..Config::default()
        },
    );
    assert_eq!(store.current_revision(), 8);
    assert!(matches!(
        store.watch("/", 5).await,
        Err(Error::Expired {
            requested: 5,
            oldest: 6
        })
    ));
    assert!(store.watch("/", 6).await.is_ok());
}

#[tokio::test]
async fn reopening_an_empty_database_starts_at_revision_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    drop(reopen(&path, Config::default()));
    let store = reopen(&path, Config::default());
    assert_eq!(store.current_revision(), 1);
    assert_eq!(
        store.create("/a", Vec::new()).await.unwrap().mod_revision,
        2
    );
}

#[test]
fn open_rejects_a_file_that_is_not_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    std::fs::write(&path, vec![b'x'; 4096]).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, Error::Backend(_)), "{err:?}");
}

/// Set in the child process of `acknowledged_writes_survive_kill_9` to the database path.
const CRASH_CHILD_DB: &str = "KUBELITE_STORE_CRASH_CHILD_DB";
/// How many acknowledged writes the parent waits for before killing the child.
const ACKS_BEFORE_KILL: usize = 200;

/// Re-executes this test binary as a child that writes as fast as it can and prints each
/// acknowledged write; the parent `kill -9`s it mid-stream and checks every acknowledged
/// write is in the reopened database.
/// Writes arriving together are committed together (one transaction per batch): every one of
/// them is acknowledged with its own revision and is on disk afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_all_durable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = std::sync::Arc::new(reopen(&path, Config::default()));
    let writes = (0..200).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let key = format!("/c/{i}");
            let kv = store.create(&key, key.clone().into_bytes()).await.unwrap();
            (key, kv.mod_revision)
        })
    });
    let mut acked = Vec::new();
    for write in futures::future::join_all(writes).await {
        acked.push(write.unwrap());
    }
    let mut revisions: Vec<i64> = acked.iter().map(|(_, rev)| *rev).collect();
    revisions.sort();
    assert_eq!(revisions, (2..=201).collect::<Vec<_>>());
    drop(store);
    let store = reopen(&path, Config::default());
    assert_eq!(store.current_revision(), 201);
    for (key, revision) in acked {
        let kv = store.get(&key).await.unwrap().unwrap();
        assert_eq!(kv.mod_revision, revision);
        assert_eq!(kv.value, key.into_bytes());
    }
}

#[test]
fn acknowledged_writes_survive_kill_9() {
    if let Some(path) = std::env::var_os(CRASH_CHILD_DB) {
        write_until_killed(Path::new(&path));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "acknowledged_writes_survive_kill_9",
            "--exact",
            "--nocapture",
        ])
        .env(CRASH_CHILD_DB, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines {
        let line = line.unwrap();
        let Some(ack) = line.strip_prefix("ack ") else {
            continue;
        };
        let (key, revision) = ack.split_once(' ').unwrap();
        acked.push((key.to_owned(), revision.parse::<i64>().unwrap()));
        if acked.len() == ACKS_BEFORE_KILL {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed: {status:?}");
    assert_eq!(acked.len(), ACKS_BEFORE_KILL);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        let last = acked.last().unwrap().1;
        assert!(store.current_revision() >= last);
        for (key, revision) in &acked {
            let kv = store
                .get(key)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{key} lost"));
            assert_eq!(kv.mod_revision, *revision, "{key}");
            // Every other write is an update: the value names the revision it was written at.
            assert_eq!(kv.value, format!("{key}@{revision}").into_bytes(), "{key}");
        }
        let next = store.create("/after-crash", Vec::new()).await.unwrap();
        assert!(next.mod_revision > last, "revisions are never reused");
        assert_eq!(next.mod_revision, store.current_revision());
    });
}

/// The child side: create `/kN`, then update it, printing each acknowledged write; never
/// returns (the parent kills the process).
fn write_until_killed(path: &Path) -> ! {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(path).unwrap();
        for i in 0u64.. {
            let key = format!("/k{i}");
            let next = store.current_revision() + 1;
            let created = store
                .create(&key, format!("{key}@{next}").into_bytes())
                .await
                .unwrap();
            let next = created.mod_revision + 1;
            let updated = store
                .update(
                    &key,
                    format!("{key}@{next}").into_bytes(),
                    created.mod_revision,
                )
                .await
                .unwrap();
            println!("ack {key} {}", updated.mod_revision);
        }
    });
    unreachable!("the parent kills this process")
}

/// The writer copies the log into the database file once writes pause (not in the commits of
/// a burst): after a pause, the database file alone holds the writes.
#[tokio::test]
async fn the_log_is_checkpointed_when_writes_pause() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.db");
    let store = SqliteStore::open(&path).unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    let value = vec![b'x'; 64 << 10];
    for i in 0..20 {
        store
            .create(&format!("/k/{i}"), value.clone())
            .await
            .unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::metadata(&path).unwrap().len() < empty + 20 * (64 << 10) {
        assert!(
            std::time::Instant::now() < deadline,
            "the database file did not take in the writes"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
