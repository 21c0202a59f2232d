//! Watch: a chunked stream of `{"type":…,"object":…}` lines from a resourceVersion, filtered by
//! label and field selectors (an object leaving the selection is seen as DELETED, one entering
//! as ADDED), with bookmarks when asked and one-row Tables when a Table is asked for.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use jiff::Timestamp;
use kubelite_api::resources::ResourceInfo;
use kubelite_store::{Event, KeyValue, Revision};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::ApiServer;
use crate::http::Body;
use crate::negotiate::Output;
use crate::objects::{decode, prefix};
use crate::selection::Selection;
use crate::status::ApiError;

/// What a watch request asked for.
pub struct WatchRequest {
    pub resource: &'static ResourceInfo,
    pub namespace: Option<String>,
    pub resource_version: Option<String>,
    pub timeout: Option<Duration>,
    pub bookmarks: bool,
    pub output: Output,
    pub selection: Selection,
}

/// Turns an object into the representation the client asked for.
struct Renderer {
    resource: &'static ResourceInfo,
    output: Output,
    sent_columns: bool,
}

impl Renderer {
    /// The watch event line for the stored object `kv`.
    fn line(&mut self, event_type: &str, kv: &KeyValue) -> Result<Bytes, ApiError> {
        match self.output {
            Output::Object => raw_line(event_type, kv),
            _ => Ok(line(event_type, self.render(decode(kv)?))),
        }
    }

    fn render(&mut self, obj: Value) -> Value {
        match self.output {
            Output::Object => obj,
            Output::Metadata => crate::handlers::partial_metadata(&obj),
            Output::Table => {
                // kubectl prints headers once: later events carry no column definitions.
                let build = if self.sent_columns {
                    kubelite_table::table_without_columns
                } else {
                    kubelite_table::table
                };
                let mut table = build(
                    self.resource.plural,
                    std::slice::from_ref(&obj),
                    Timestamp::now(),
                    kubelite_table::IncludeObject::Metadata,
                );
                self.sent_columns = true;
                table["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"].clone();
                table
            }
        }
    }
}

fn line(event_type: &str, object: Value) -> Bytes {
    let mut bytes =
        serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

/// The watch event line of the stored object `kv`, as [`line`] writes it for the decoded
/// object, assembled from the stored bytes (every watcher of a resource gets every event, so
/// this is the hot path of a watch).
fn raw_line(event_type: &str, kv: &KeyValue) -> Result<Bytes, ApiError> {
    let mut bytes = Vec::with_capacity(kv.value.len() + 64);
    bytes.extend_from_slice(b"{\"type\":\"");
    bytes.extend_from_slice(event_type.as_bytes());
    bytes.extend_from_slice(b"\",\"object\":");
    crate::rawjson::write_item(kv, false, &mut bytes)?;
    bytes.extend_from_slice(b"}\n");
    Ok(Bytes::from(bytes))
}

/// Maps one store event onto the watch event this watcher sees, if any: its type and the
/// object as stored, with the revision to show (a deleted object shows the delete's).
fn classify(
    event: &Event,
    selection: &Selection,
) -> Result<Option<(&'static str, KeyValue)>, ApiError> {
    match event {
        Event::Put { kv, prev } => {
            let now_in = selection.selects(kv)?;
            let was_in = match prev {
                Some(p) => selection.selects(p)?,
                None => false,
            };
            Ok(match (prev.is_some(), was_in, now_in) {
                (_, true, true) => Some(("MODIFIED", kv.clone())),
                (_, false, true) => Some(("ADDED", kv.clone())),
                (true, true, false) => Some(("DELETED", kv.clone())),
                _ => None,
            })
        }
        Event::Delete { prev, revision } => {
            if !selection.selects(prev)? {
                return Ok(None);
            }
            let mut kv = prev.clone();
            kv.mod_revision = *revision;
            Ok(Some(("DELETED", kv)))
        }
    }
}

fn bookmark(r: &ResourceInfo, revision: Revision) -> Value {
    json!({
        "kind": r.kind,
        "apiVersion": r.api_version(),
        "metadata": {"resourceVersion": revision.to_string()},
    })
}

/// Starts the watch and answers with its stream.
pub async fn watch(server: Arc<ApiServer>, req: WatchRequest) -> Result<Response<Body>, ApiError> {
    let r = req.resource;
    let key_prefix = prefix(r, req.namespace.as_deref());
    let mut renderer = Renderer {
        resource: r,
        output: req.output,
        sent_columns: false,
    };
    let mut initial: Vec<Bytes> = Vec::new();
    let start: Revision = match req.resource_version.as_deref() {
        None | Some("") | Some("0") => {
            // Start with the current state as ADDED events, as kube-apiserver does.
            let (objects, revision) = server
                .objects
                .list_objects(r, req.namespace.as_deref(), Some(&req.selection))
                .await?;
            for obj in objects {
                initial.push(line("ADDED", renderer.render(obj)));
            }
            revision
        }
        Some(rv) => rv
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv:?}")))?,
    };

    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let stream = match server.objects.store.watch(&key_prefix, start).await {
        Ok(s) => Some(s),
        Err(kubelite_store::Error::Expired { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let timeout = req.timeout.unwrap_or_else(|| {
        // kube-apiserver spreads watch lifetimes over [min-request-timeout, 2x].
        Duration::from_secs(1800 + rand::rng().random_range(0..1800))
    });
    let selection = req.selection;
    let bookmarks = req.bookmarks;
    tokio::spawn(async move {
        for chunk in initial {
            if tx.send(chunk).await.is_err() {
                return;
            }
        }
        let Some(mut stream) = stream else {
            let err = ApiError::gone(format!("too old resource version: {start}"));
            let _ = tx.send(line("ERROR", err.to_status())).await;
            return;
        };
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        tick.tick().await;
        let mut last = start;
        loop {
            tokio::select! {
                _ = &mut deadline => return,
                _ = tx.closed() => return,
                _ = tick.tick(), if bookmarks => {
                    if tx.send(line("BOOKMARK", bookmark(r, last))).await.is_err() {
                        return;
                    }
                }
                event = stream.next() => {
                    let Some(event) = event else {
                        // The store dropped a watcher that fell behind: the client re-lists.
                        return;
                    };
                    last = event.revision();
                    let sent = match classify(&event, &selection) {
                        Ok(Some((kind, kv))) => renderer.line(kind, &kv),
                        Ok(None) => continue,
                        Err(e) => Err(e),
                    };
                    match sent {
                        Ok(line) => {
                            if tx.send(line).await.is_err() {
                                return;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(line("ERROR", e.to_status())).await;
                            return;
                        }
                    }
                }
            }
        }
    });

    let body = StreamBody::new(
        tokio_stream::wrappers::ReceiverStream::new(rx)
            .map(|b| Ok::<_, std::io::Error>(Frame::data(b))),
    );
    let body = BodyExt::boxed(body);
    let mut resp = Response::new(body);
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;stream=watch"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rawjson::Part;

    fn kv(name: &str, labels: Value, rev: i64) -> KeyValue {
        let obj = json!({"metadata": {"name": name, "namespace": "default", "labels": labels}});
        KeyValue {
            key: format!("/registry/pods/default/{name}"),
            value: serde_json::to_vec(&obj).unwrap().into(),
            create_revision: 1,
            mod_revision: rev,
        }
    }

    #[test]
    fn selector_transitions() {
        let pods = kubelite_api::resources::lookup("", "v1", "pods").unwrap();
        let sel = Selection::parse(pods, Some("app=web"), None).unwrap();
        let web = kv("a", json!({"app": "web"}), 5);
        let other = kv("a", json!({"app": "db"}), 6);
        let added = Event::Put {
            kv: web.clone(),
            prev: None,
        };
        assert_eq!(classify(&added, &sel).unwrap().unwrap().0, "ADDED");
        let left = Event::Put {
            kv: other.clone(),
            prev: Some(web.clone()),
        };
        assert_eq!(classify(&left, &sel).unwrap().unwrap().0, "DELETED");
        let entered = Event::Put {
            kv: web.clone(),
            prev: Some(other.clone()),
        };
        assert_eq!(classify(&entered, &sel).unwrap().unwrap().0, "ADDED");
        let unrelated = Event::Put {
            kv: other.clone(),
            prev: Some(other.clone()),
        };
        assert!(classify(&unrelated, &sel).unwrap().is_none());
        let gone = Event::Delete {
            prev: web,
            revision: 9,
        };
        let (kind, obj) = classify(&gone, &sel).unwrap().unwrap();
        assert_eq!(kind, "DELETED");
        assert_eq!(obj.mod_revision, 9);
        assert_eq!(decode(&obj).unwrap()["metadata"]["resourceVersion"], "9");
    }

    #[test]
    fn field_selectors_read_only_what_they_name() {
        let pods = kubelite_api::resources::lookup("", "v1", "pods").unwrap();
        let sel = Selection::parse(pods, None, Some("spec.nodeName=n1")).unwrap();
        let pod = |node: &str, rev| {
            let obj = json!({"metadata": {"name": "a", "namespace": "default"},
                             "spec": {"nodeName": node}, "status": {"phase": "Pending"}});
            KeyValue {
                key: "/registry/pods/default/a".into(),
                value: serde_json::to_vec(&obj).unwrap().into(),
                create_revision: 1,
                mod_revision: rev,
            }
        };
        let bound = Event::Put {
            kv: pod("n1", 3),
            prev: Some(pod("", 2)),
        };
        assert_eq!(classify(&bound, &sel).unwrap().unwrap().0, "ADDED");
        let elsewhere = Event::Put {
            kv: pod("n2", 3),
            prev: Some(pod("", 2)),
        };
        assert!(classify(&elsewhere, &sel).unwrap().is_none());
        assert!(matches!(sel.part("spec"), Part::Members(m) if m == ["nodeName"]));
        assert!(matches!(sel.part("metadata"), Part::Skip));
        assert!(matches!(sel.part("status"), Part::Skip));
        let both = Selection::parse(pods, Some("app=x"), Some("metadata.name=a")).unwrap();
        assert!(matches!(both.part("metadata"), Part::Members(m) if m == ["labels", "name"]));
        assert!(matches!(both.part("spec"), Part::Skip));
    }

    #[test]
    fn event_lines_from_stored_bytes_are_those_of_the_decoded_object() {
        let obj = json!({"kind": "Pod", "apiVersion": "v1",
                         "metadata": {"name": "a", "labels": {"x": "é\"q"}, "managedFields": [{"manager": "m"}]},
                         "spec": {"n": [1, 2.5, null]}, "status": {}});
        let kv = KeyValue {
            key: "/registry/pods/default/a".into(),
            value: serde_json::to_vec(&obj).unwrap().into(),
            create_revision: 1,
            mod_revision: 12,
        };
        assert_eq!(
            raw_line("MODIFIED", &kv).unwrap(),
            line("MODIFIED", decode(&kv).unwrap())
        );
    }
}
