//! core/v1 Events as client-go's event recorder writes them, and its correlator's aggregation:
//! the first occurrence creates an Event named `<object>.<hex nanoseconds>` with `count: 1`; a
//! repeat (same source, object, type, reason and message) bumps `count` and `lastTimestamp` of
//! that Event instead of creating another. `kubectl describe` then shows `5s (x3 over 2m)`.
//!
//! No IO: the [`Correlator`] says what to write, `recorder` writes it.

use std::collections::HashMap;

use jiff::Timestamp;
use k8s_openapi::api::core::v1::{Event, EventSource, Node, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

/// A reference to `pod` for `involvedObject`.
pub fn pod_ref(pod: &Pod) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        namespace: pod.metadata.namespace.clone(),
        name: pod.metadata.name.clone(),
        uid: pod.metadata.uid.clone(),
        resource_version: pod.metadata.resource_version.clone(),
        ..Default::default()
    }
}

/// A reference to `node` for `involvedObject`. As upstream's node controllers do, the uid is
/// the node's name.
pub fn node_ref(node: &Node) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Node".into()),
        name: node.metadata.name.clone(),
        uid: node.metadata.name.clone(),
        ..Default::default()
    }
}

/// A new Event about `involved`, reported by `component` at `now`.
pub fn new_event(
    involved: &ObjectReference,
    type_: &str,
    reason: &str,
    message: &str,
    component: &str,
    now: Timestamp,
) -> Event {
    let name = involved.name.as_deref().unwrap_or_default();
    let namespace = involved
        .namespace
        .clone()
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".into());
    Event {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(namespace),
            ..Default::default()
        },
        involved_object: involved.clone(),
        type_: Some(type_.into()),
        reason: Some(reason.into()),
        message: Some(message.into()),
        source: Some(EventSource {
            component: Some(component.into()),
            host: None,
        }),
        reporting_component: Some(component.into()),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        ..Default::default()
    }
}

/// What to write for one occurrence.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Create this Event.
    Create(Box<Event>),
    /// Set `count` and `lastTimestamp` of the existing Event `namespace/name`.
    Bump {
        namespace: String,
        name: String,
        count: i32,
        last_timestamp: Timestamp,
    },
}

/// The Events written so far, by correlation key, for aggregating repeats.
#[derive(Debug, Default)]
pub struct Correlator {
    seen: HashMap<String, Seen>,
}

#[derive(Debug)]
struct Seen {
    namespace: String,
    name: String,
    count: i32,
    uid: String,
}

/// How many distinct events are remembered before the memory is dropped (client-go keeps an
/// LRU of 4096).
const MAX_REMEMBERED: usize = 4096;

impl Correlator {
    /// The write for `event` (as built by [`new_event`]) occurring: a create the first time,
    /// a bump of the earlier Event after that.
    pub fn observe(&mut self, event: Event) -> Write {
        let key = correlation_key(&event);
        if let Some(seen) = self.seen.get_mut(&key) {
            seen.count += 1;
            return Write::Bump {
                namespace: seen.namespace.clone(),
                name: seen.name.clone(),
                count: seen.count,
                last_timestamp: event
                    .last_timestamp
                    .map(|t| t.0)
                    .unwrap_or(Timestamp::UNIX_EPOCH),
            };
        }
        self.remember(&event);
        Write::Create(Box::new(event))
    }

    /// The Event `namespace/name` is gone from the server: forgets it and returns `event` to
    /// create in its place, remembered as a first occurrence.
    pub fn replace_lost(&mut self, namespace: &str, name: &str, event: Event) -> Event {
        self.seen
            .retain(|_, s| !(s.namespace == namespace && s.name == name));
        self.remember(&event);
        event
    }

    fn remember(&mut self, event: &Event) {
        if self.seen.len() >= MAX_REMEMBERED {
            self.seen.clear();
        }
        self.seen.insert(
            correlation_key(event),
            Seen {
                namespace: event.metadata.namespace.clone().unwrap_or_default(),
                name: event.metadata.name.clone().unwrap_or_default(),
                count: 1,
                uid: event.involved_object.uid.clone().unwrap_or_default(),
            },
        );
    }

    /// Forgets every Event about the object with this uid.
    pub fn forget(&mut self, uid: &str) {
        self.seen.retain(|_, s| s.uid != uid);
    }
}

/// client-go's `getEventKey`: what makes two occurrences the same Event.
fn correlation_key(e: &Event) -> String {
    let o = &e.involved_object;
    let source = e.source.clone().unwrap_or_default();
    [
        source.component.unwrap_or_default(),
        source.host.unwrap_or_default(),
        o.kind.clone().unwrap_or_default(),
        o.namespace.clone().unwrap_or_default(),
        o.name.clone().unwrap_or_default(),
        o.field_path.clone().unwrap_or_default(),
        o.uid.clone().unwrap_or_default(),
        o.api_version.clone().unwrap_or_default(),
        e.type_.clone().unwrap_or_default(),
        e.reason.clone().unwrap_or_default(),
        e.message.clone().unwrap_or_default(),
    ]
    .join("\u{0}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn pod(name: &str, uid: &str) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("default".into()),
                uid: Some(uid.into()),
                resource_version: Some("42".into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn new_event_is_what_the_recorder_writes() {
        let now = at("2024-05-01T10:00:00.000000123Z");
        let ev = new_event(
            &pod_ref(&pod("whoami", "u1")),
            "Normal",
            "Scheduled",
            "Successfully assigned default/whoami to kubelite",
            "default-scheduler",
            now,
        );
        let got = serde_json::to_value(&ev).unwrap();
        let want = serde_json::json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "whoami.17cb550d96f2407b", "namespace": "default"},
            "involvedObject": {"apiVersion": "v1", "kind": "Pod", "namespace": "default",
                               "name": "whoami", "uid": "u1", "resourceVersion": "42"},
            "type": "Normal",
            "reason": "Scheduled",
            "message": "Successfully assigned default/whoami to kubelite",
            "source": {"component": "default-scheduler"},
            "reportingComponent": "default-scheduler",
            "firstTimestamp": "2024-05-01T10:00:00Z",
            "lastTimestamp": "2024-05-01T10:00:00Z",
            "count": 1,
        });
        assert_eq!(got, want);

        let node = Node {
            metadata: ObjectMeta {
                name: Some("kubelite".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let ev = new_event(
            &node_ref(&node),
            "Normal",
            "CIDRNotAvailable",
            "m",
            "cidrAllocator",
            now,
        );
        assert_eq!(ev.metadata.namespace.as_deref(), Some("default"));
        assert_eq!(ev.involved_object.uid.as_deref(), Some("kubelite"));
    }

    #[test]
    fn repeats_bump_the_first_event() {
        let mut c = Correlator::default();
        let failed = |p: &Pod, msg: &str, t: &str| {
            new_event(
                &pod_ref(p),
                "Warning",
                "FailedScheduling",
                msg,
                "default-scheduler",
                at(t),
            )
        };
        let a = pod("a", "ua");
        let first = failed(&a, "m1", "2024-05-01T10:00:00Z");
        let first_name = first.metadata.name.clone().unwrap();
        assert_eq!(c.observe(first.clone()), Write::Create(Box::new(first)));
        let bump = |count, t: &str| Write::Bump {
            namespace: "default".into(),
            name: first_name.clone(),
            count,
            last_timestamp: at(t),
        };
        // A later resourceVersion of the same Pod is still the same Event.
        let mut newer = pod("a", "ua");
        newer.metadata.resource_version = Some("43".into());
        assert_eq!(
            c.observe(failed(&newer, "m1", "2024-05-01T10:00:05Z")),
            bump(2, "2024-05-01T10:00:05Z")
        );
        assert_eq!(
            c.observe(failed(&a, "m1", "2024-05-01T10:00:09Z")),
            bump(3, "2024-05-01T10:00:09Z")
        );
        // Another message, or another Pod, is another Event.
        assert!(matches!(
            c.observe(failed(&a, "m2", "2024-05-01T10:00:10Z")),
            Write::Create(_)
        ));
        assert!(matches!(
            c.observe(failed(&pod("a", "other-uid"), "m1", "2024-05-01T10:00:10Z")),
            Write::Create(_)
        ));
        // A lost Event is created again; a forgotten object starts over.
        let again = failed(&a, "m1", "2024-05-01T10:00:11Z");
        assert_eq!(c.replace_lost("default", &first_name, again.clone()), again);
        assert!(matches!(
            c.observe(failed(&a, "m1", "2024-05-01T10:00:12Z")),
            Write::Bump { count: 2, .. }
        ));
        c.forget("ua");
        assert!(matches!(
            c.observe(failed(&a, "m1", "2024-05-01T10:00:13Z")),
            Write::Create(_)
        ));
    }
}
