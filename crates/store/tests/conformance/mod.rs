//! The behaviour every `Store` backend must show, written once and instantiated per backend
//! with `conformance_suite!`.

use std::time::Duration;

use futures::{FutureExt, StreamExt};
use kubelite_store::{Config, Error, Event, KeyValue, Revision, Store, WatchStream};

/// A store under test plus whatever must outlive it (e.g. its temporary directory).
pub struct Harness {
    pub store: Box<dyn Store>,
    pub _guard: Option<tempfile::TempDir>,
}

/// Instantiates one multi-threaded `#[tokio::test]` per conformance check, opening stores with `$open`
/// (a `fn(Config) -> Harness`).
#[macro_export]
macro_rules! conformance_suite {
    ($open:path) => {
        $crate::conformance_suite!(@tests $open;
            revisions_are_monotonic,
            create_only_if_absent,
            update_is_compare_and_swap,
            delete_honours_precondition,
            recreate_gets_new_create_revision,
            list_prefix_limit_and_continue,
            watch_replays_missed_events_then_live,
            watch_filters_by_prefix,
            watch_from_zero_is_live_only,
            watch_from_future_revision_skips_until_then,
            watch_expires_when_history_compacted,
            slow_watcher_is_ended_not_skipped,
            many_watchers_fan_out_by_prefix,
            concurrent_writers_serialise,
            dropping_the_store_ends_watches,
        );
    };
    (@tests $open:path; $($check:ident,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                conformance::$check(&$open).await;
            }
        )*
    };
}

type Open = dyn Fn(Config) -> Harness;

fn value(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn kv(key: &str, text: &str, create_revision: Revision, mod_revision: Revision) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: value(text).into(),
        create_revision,
        mod_revision,
    }
}

async fn next(stream: &mut WatchStream) -> Option<Event> {
    tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("watch event within 5s")
}

/// Asserts that nothing more is ready. Events are queued before a write is acknowledged, so
/// after the last write returned, anything pending would already be there.
async fn assert_idle(stream: &mut WatchStream) {
    let pending = stream.next().now_or_never();
    assert!(pending.is_none(), "unexpected watch item {pending:?}");
}

/// Human-readable summary of an event for table comparisons.
fn describe(event: &Event) -> String {
    match event {
        Event::Put { kv, prev } => format!(
            "{} PUT {}={} prev={:?}",
            kv.mod_revision,
            kv.key,
            String::from_utf8_lossy(&kv.value),
            prev.as_ref().map(|prev| (
                String::from_utf8_lossy(&prev.value).into_owned(),
                prev.mod_revision
            ))
        ),
        Event::Delete { prev, revision } => format!(
            "{revision} DELETE {} prev={:?}",
            prev.key,
            (
                String::from_utf8_lossy(&prev.value).into_owned(),
                prev.mod_revision
            )
        ),
    }
}

async fn collect(stream: &mut WatchStream, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    for _ in 0..count {
        let event = next(stream).await.expect("stream still open");
        seen.push(describe(&event));
    }
    seen
}

pub async fn revisions_are_monotonic(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    assert_eq!(
        store.current_revision(),
        1,
        "an empty store is at revision 1"
    );
    let created = store.create("/a", value("1")).await.unwrap();
    assert_eq!(created, kv("/a", "1", 2, 2));
    let other = store.create("/b", value("x")).await.unwrap();
    assert_eq!(other, kv("/b", "x", 3, 3));
    let updated = store.update("/a", value("2"), 2).await.unwrap();
    assert_eq!(updated, kv("/a", "2", 2, 4));
    let (deleted, revision) = store.delete("/a", None).await.unwrap();
    assert_eq!((deleted, revision), (kv("/a", "2", 2, 4), 5));
    assert_eq!(store.current_revision(), 5);
    assert_eq!(store.get("/a").await.unwrap(), None);
    assert_eq!(store.get("/b").await.unwrap(), Some(kv("/b", "x", 3, 3)));
}

pub async fn create_only_if_absent(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/a", value("first")).await.unwrap();
    let err = store.create("/a", value("second")).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists), "{err:?}");
    assert_eq!(err.to_string(), "key exists");
    assert_eq!(
        store.get("/a").await.unwrap(),
        Some(kv("/a", "first", 2, 2))
    );
    assert_eq!(
        store.current_revision(),
        2,
        "a failed write uses no revision"
    );
}

pub async fn update_is_compare_and_swap(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/a", value("1")).await.unwrap();
    store.update("/a", value("2"), 2).await.unwrap();
    match store.update("/a", value("stale"), 2).await {
        Err(Error::Conflict { current }) => assert_eq!(current, Some(kv("/a", "2", 2, 3))),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let err = store.update("/missing", value("x"), 2).await.unwrap_err();
    assert!(matches!(err, Error::NotFound), "{err:?}");
    assert_eq!(store.current_revision(), 3);
    assert_eq!(store.get("/a").await.unwrap(), Some(kv("/a", "2", 2, 3)));
}

pub async fn delete_honours_precondition(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/a", value("1")).await.unwrap();
    match store.delete("/a", Some(1)).await {
        Err(Error::Conflict { current }) => assert_eq!(current, Some(kv("/a", "1", 2, 2))),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        store.delete("/a", Some(2)).await.unwrap(),
        (kv("/a", "1", 2, 2), 3)
    );
    for expected in [None, Some(3)] {
        let err = store.delete("/a", expected).await.unwrap_err();
        assert!(matches!(err, Error::NotFound), "{expected:?}: {err:?}");
    }
    assert_eq!(store.current_revision(), 3);
}

pub async fn recreate_gets_new_create_revision(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/a", value("1")).await.unwrap();
    store.delete("/a", None).await.unwrap();
    let mut watch = store.watch("/a", 3).await.unwrap();
    let recreated = store.create("/a", value("2")).await.unwrap();
    assert_eq!(recreated, kv("/a", "2", 4, 4));
    assert_eq!(collect(&mut watch, 1).await, ["4 PUT /a=2 prev=None"]);
    let err = store.update("/a", value("3"), 2).await.unwrap_err();
    assert!(
        matches!(err, Error::Conflict { .. }),
        "old incarnation: {err:?}"
    );
}

pub async fn list_prefix_limit_and_continue(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    for key in [
        "/r/pods/b/y",
        "/r/svc/a/s",
        "/r/pods/a/x",
        "/r/podsx/a",
        "/r/pods/b/z",
    ] {
        store.create(key, value(key)).await.unwrap();
    }
    let keys = |items: &[KeyValue]| items.iter().map(|kv| kv.key.clone()).collect::<Vec<_>>();
    type Case<'a> = (&'a str, Option<&'a str>, Option<usize>, &'a [&'a str], bool);
    let cases: &[Case] = &[
        (
            "/r/pods/",
            None,
            None,
            &["/r/pods/a/x", "/r/pods/b/y", "/r/pods/b/z"],
            false,
        ),
        (
            "/r/pods/",
            None,
            Some(0),
            &["/r/pods/a/x", "/r/pods/b/y", "/r/pods/b/z"],
            false,
        ),
        (
            "/r/pods/",
            None,
            Some(2),
            &["/r/pods/a/x", "/r/pods/b/y"],
            true,
        ),
        (
            "/r/pods/",
            Some("/r/pods/b/y"),
            Some(2),
            &["/r/pods/b/z"],
            false,
        ),
        (
            "/r/pods/",
            None,
            Some(3),
            &["/r/pods/a/x", "/r/pods/b/y", "/r/pods/b/z"],
            false,
        ),
        ("/r/pods/", Some("/r/pods/b/z"), None, &[], false),
        ("/r/pods/", Some("/a"), Some(1), &["/r/pods/a/x"], true),
        (
            "/r/pods/b/",
            None,
            None,
            &["/r/pods/b/y", "/r/pods/b/z"],
            false,
        ),
        (
            "/r/pods",
            None,
            None,
            &["/r/pods/a/x", "/r/pods/b/y", "/r/pods/b/z", "/r/podsx/a"],
            false,
        ),
        ("/nothing/", None, None, &[], false),
        (
            "",
            Some("/r/pods/b/z"),
            None,
            &["/r/podsx/a", "/r/svc/a/s"],
            false,
        ),
    ];
    for (prefix, start_after, limit, expected, more) in cases {
        let page = store.list(prefix, *start_after, *limit).await.unwrap();
        let case = format!("list({prefix:?}, {start_after:?}, {limit:?})");
        assert_eq!(keys(&page.items), *expected, "{case}");
        assert_eq!(page.more, *more, "{case}");
        assert_eq!(page.revision, 6, "{case}");
    }
    let first = store.list("/r/svc/", None, None).await.unwrap();
    assert_eq!(first.items, [kv("/r/svc/a/s", "/r/svc/a/s", 3, 3)]);
}

pub async fn watch_replays_missed_events_then_live(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/p/a", value("a1")).await.unwrap();
    store.create("/p/b", value("b1")).await.unwrap();
    let seen = store.current_revision();
    store.update("/p/a", value("a2"), 2).await.unwrap();
    store.delete("/p/b", Some(3)).await.unwrap();
    store.create("/p/c", value("c1")).await.unwrap();

    let mut watch = store.watch("/p/", seen).await.unwrap();
    assert_eq!(
        collect(&mut watch, 3).await,
        [
            "4 PUT /p/a=a2 prev=Some((\"a1\", 2))",
            "5 DELETE /p/b prev=(\"b1\", 3)",
            "6 PUT /p/c=c1 prev=None",
        ]
    );
    assert_idle(&mut watch).await;
    store.update("/p/c", value("c2"), 6).await.unwrap();
    assert_eq!(
        collect(&mut watch, 1).await,
        ["7 PUT /p/c=c2 prev=Some((\"c1\", 6))"]
    );
    assert_idle(&mut watch).await;
}

pub async fn watch_filters_by_prefix(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/pods/ns1/a", value("old")).await.unwrap();
    let mut ns1 = store.watch("/pods/ns1/", 1).await.unwrap();
    let mut pods = store.watch("/pods/", 0).await.unwrap();
    store.create("/pods/ns2/b", value("b")).await.unwrap();
    store.create("/podsx/c", value("c")).await.unwrap();
    store.delete("/pods/ns1/a", None).await.unwrap();
    assert_eq!(
        collect(&mut ns1, 2).await,
        [
            "2 PUT /pods/ns1/a=old prev=None",
            "5 DELETE /pods/ns1/a prev=(\"old\", 2)"
        ]
    );
    assert_eq!(
        collect(&mut pods, 2).await,
        [
            "3 PUT /pods/ns2/b=b prev=None",
            "5 DELETE /pods/ns1/a prev=(\"old\", 2)"
        ]
    );
    assert_idle(&mut ns1).await;
    assert_idle(&mut pods).await;
}

pub async fn watch_from_zero_is_live_only(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    store.create("/a", value("before")).await.unwrap();
    let mut watch = store.watch("", 0).await.unwrap();
    assert_idle(&mut watch).await;
    store.create("/b", value("after")).await.unwrap();
    assert_eq!(collect(&mut watch, 1).await, ["3 PUT /b=after prev=None"]);
}

pub async fn watch_from_future_revision_skips_until_then(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    let mut watch = store.watch("", 3).await.unwrap();
    store.create("/a", value("2")).await.unwrap();
    store.create("/b", value("3")).await.unwrap();
    store.create("/c", value("4")).await.unwrap();
    assert_eq!(collect(&mut watch, 1).await, ["4 PUT /c=4 prev=None"]);
}

pub async fn watch_expires_when_history_compacted(open: &Open) {
    let harness = open(Config {
        history_limit: 3,
        ..Config::default()
    });
    let store = &*harness.store;
    for key in ["/a", "/b", "/c", "/d", "/e"] {
        store.create(key, value(key)).await.unwrap();
    }
    // Revisions 2..=6 were written; only 4, 5 and 6 are retained.
    match store.watch("/", 2).await {
        Err(err @ Error::Expired { .. }) => {
            assert!(
                matches!(
                    err,
                    Error::Expired {
                        requested: 2,
                        oldest: 3
                    }
                ),
                "{err:?}"
            );
            assert_eq!(err.to_string(), "too old resource version: 2 (3)");
        }
        other => panic!("expected Expired, got {other:?}"),
    }
    let mut watch = store.watch("/", 3).await.unwrap();
    assert_eq!(
        collect(&mut watch, 3).await,
        [
            "4 PUT /c=/c prev=None",
            "5 PUT /d=/d prev=None",
            "6 PUT /e=/e prev=None"
        ]
    );
    assert!(
        store.watch("/", 0).await.is_ok(),
        "from now is always served"
    );
}

pub async fn slow_watcher_is_ended_not_skipped(open: &Open) {
    let harness = open(Config {
        watch_buffer: 4,
        ..Config::default()
    });
    let store = &*harness.store;
    let mut slow = store.watch("/", 0).await.unwrap();
    let mut fast = store.watch("/", 0).await.unwrap();
    let mut fast_seen = Vec::new();
    for i in 0..10 {
        store.create(&format!("/k{i}"), value("v")).await.unwrap();
        fast_seen.push(next(&mut fast).await.unwrap().revision());
    }
    assert_eq!(fast_seen, (2..=11).collect::<Vec<_>>());
    let mut slow_seen = Vec::new();
    while let Some(event) = next(&mut slow).await {
        slow_seen.push(event.revision());
    }
    assert_eq!(slow_seen, [2, 3, 4, 5], "a gap-free prefix, then the end");
    // The store keeps working and a fresh watch can resume where the slow one stopped.
    let mut resumed = store.watch("/", 5).await.unwrap();
    assert_eq!(next(&mut resumed).await.unwrap().revision(), 6);
}

pub async fn many_watchers_fan_out_by_prefix(open: &Open) {
    let harness = open(Config::default());
    let store = &*harness.store;
    let prefixes = ["/pods/", "/pods/ns1/", "/services/", "/"];
    let mut watchers = Vec::new();
    for i in 0..400 {
        let prefix = prefixes[i % prefixes.len()];
        watchers.push((prefix, store.watch(prefix, 0).await.unwrap()));
    }
    // Watchers that go away must not disturb the rest.
    watchers.truncate(300);
    let keys = [
        "/pods/ns1/a",
        "/pods/ns2/b",
        "/services/ns1/s",
        "/nodes/n1",
        "/pods/ns1/c",
    ];
    for key in keys {
        store.create(key, value(key)).await.unwrap();
    }
    for (prefix, watcher) in &mut watchers {
        let expected: Vec<String> = keys
            .iter()
            .enumerate()
            .filter(|(_, key)| key.starts_with(*prefix))
            .map(|(i, key)| format!("{} PUT {key}={key} prev=None", i + 2))
            .collect();
        assert_eq!(collect(watcher, expected.len()).await, expected, "{prefix}");
        assert_idle(watcher).await;
    }
}

pub async fn concurrent_writers_serialise(open: &Open) {
    let harness = open(Config::default());
    let store: std::sync::Arc<dyn Store> = harness.store.into();
    store.create("/counter", value("0")).await.unwrap();
    let mut watch = store.watch("/", 0).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut revisions = Vec::new();
            for i in 0..10 {
                let created = store.create(&format!("/t{task}/{i}"), value("x")).await;
                revisions.push(created.unwrap().mod_revision);
                // Read-modify-write with CAS retries, as GuaranteedUpdate does.
                loop {
                    let current = store.get("/counter").await.unwrap().unwrap();
                    let n: u32 = std::str::from_utf8(&current.value)
                        .unwrap()
                        .parse()
                        .unwrap();
                    let next = value(&(n + 1).to_string());
                    match store.update("/counter", next, current.mod_revision).await {
                        Ok(updated) => break revisions.push(updated.mod_revision),
                        Err(Error::Conflict { .. }) => continue,
                        Err(err) => panic!("{err:?}"),
                    }
                }
            }
            revisions
        }));
    }
    let mut revisions = Vec::new();
    for task in tasks {
        revisions.extend(task.await.unwrap());
    }
    revisions.sort();
    assert_eq!(
        revisions,
        (3..=162).collect::<Vec<_>>(),
        "distinct and contiguous"
    );
    let counter = store.get("/counter").await.unwrap().unwrap();
    assert_eq!(&counter.value[..], b"80", "no lost update");
    let mut seen = Vec::new();
    for _ in 0..160 {
        seen.push(next(&mut watch).await.unwrap().revision());
    }
    assert_eq!(seen, revisions, "watch order is revision order");
}

pub async fn dropping_the_store_ends_watches(open: &Open) {
    let harness = open(Config::default());
    let mut watch = harness.store.watch("/", 0).await.unwrap();
    harness.store.create("/a", value("1")).await.unwrap();
    drop(harness);
    assert_eq!(
        next(&mut watch).await.map(|event| event.revision()),
        Some(2)
    );
    assert_eq!(next(&mut watch).await, None);
}
