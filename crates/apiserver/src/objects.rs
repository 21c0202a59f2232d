//! The generic registry: every create, read, update and delete of an object goes through here,
//! turning API semantics (uid, resourceVersion, defaulting, validation, allocation, graceful
//! deletion, finalizers) into compare-and-swap operations on the store.
//!
//! Objects are stored as JSON without `metadata.resourceVersion`; on the way out the revision of
//! the key's last write is written there, as kube-apiserver does over etcd.

use std::sync::Arc;

use jiff::Timestamp;
use kubelite_api::resources::ResourceInfo;
use kubelite_api::{defaults, validation};
use kubelite_store::{KeyValue, Revision, Store};
use serde_json::{Map, Value, json};

use crate::meta::{self, format_time};
use crate::selection::Selection;
use crate::service_alloc::ServiceAllocator;
use crate::status::ApiError;
use crate::strategy;

/// The storage key of an object.
pub fn key(r: &ResourceInfo, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) if r.namespaced => format!("/registry/{}/{ns}/{name}", r.qualified_plural()),
        _ => format!("/registry/{}/{name}", r.qualified_plural()),
    }
}

/// The key prefix of a collection (one namespace, or all).
pub fn prefix(r: &ResourceInfo, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) if r.namespaced => format!("/registry/{}/{ns}/", r.qualified_plural()),
        _ => format!("/registry/{}/", r.qualified_plural()),
    }
}

/// An object as read from the store, with its resourceVersion filled in.
pub fn decode(kv: &KeyValue) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(&kv.value)
        .map_err(|e| ApiError::internal(format!("decoding {}: {e}", kv.key)))?;
    meta::metadata_mut(&mut obj).insert(
        "resourceVersion".into(),
        Value::String(kv.mod_revision.to_string()),
    );
    Ok(obj)
}

/// The bytes to store for `obj`, whose `resourceVersion` (the store's revision is the version)
/// and `selfLink` are taken out first.
fn encode(obj: &mut Value) -> Vec<u8> {
    let meta = meta::metadata_mut(obj);
    meta.remove("resourceVersion");
    meta.remove("selfLink");
    serde_json::to_vec(obj).expect("JSON values serialise")
}

/// `obj` once [`encode`]d and stored as `kv`: what [`decode`] of `kv` gives, without decoding.
fn stored(mut obj: Value, kv: &KeyValue) -> Value {
    meta::metadata_mut(&mut obj).insert(
        "resourceVersion".into(),
        Value::String(kv.mod_revision.to_string()),
    );
    obj
}

/// Options every write carries.
#[derive(Debug, Clone, Default)]
pub struct WriteOptions {
    pub dry_run: bool,
    pub field_manager: String,
    /// The write is a server-side apply, whose managedFields are already computed.
    pub apply: bool,
}

/// Options of a delete, from the query and the `DeleteOptions` body.
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    pub grace_period_seconds: Option<i64>,
    pub precondition_uid: Option<String>,
    pub precondition_resource_version: Option<String>,
    pub dry_run: bool,
}

/// What a delete did.
pub enum Deleted {
    /// The object is gone; this was its last state.
    Gone(Value),
    /// The object is being deleted (graceful deletion or finalizers); this is its new state.
    Pending(Value),
}

/// A page of a list, as stored.
pub struct Page {
    pub items: Vec<KeyValue>,
    pub revision: Revision,
    /// Key to continue after, when the page was cut by `limit`.
    pub next: Option<String>,
}

/// The registry over one store.
pub struct Objects {
    pub store: Arc<dyn Store>,
    pub services: ServiceAllocator,
}

fn now() -> String {
    format_time(Timestamp::now())
}

fn qos_class(pod: &Value) -> &'static str {
    let containers = pod["spec"]["containers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut any = false;
    let mut guaranteed = !containers.is_empty();
    for c in &containers {
        let requests = c["resources"]["requests"].as_object();
        let limits = c["resources"]["limits"].as_object();
        if requests.is_some_and(|m| !m.is_empty()) || limits.is_some_and(|m| !m.is_empty()) {
            any = true;
        }
        for res in ["cpu", "memory"] {
            let limit = limits.and_then(|l| l.get(res));
            let request = requests.and_then(|r| r.get(res)).or(limit);
            if limit.is_none() || request != limit {
                guaranteed = false;
            }
        }
    }
    if guaranteed && any {
        "Guaranteed"
    } else if any {
        "Burstable"
    } else {
        "BestEffort"
    }
}

/// Whether an update changes nothing but the resourceVersion it was read at (then nothing is
/// written). managedFields count: an apply that only takes ownership is a change.
fn same_ignoring_resource_version(a: &Value, b: &Value) -> bool {
    fn same_map(a: &Map<String, Value>, b: &Map<String, Value>, skip: Option<&str>) -> bool {
        let kept = |m: &Map<String, Value>| m.keys().filter(|k| Some(k.as_str()) != skip).count();
        kept(a) == kept(b)
            && a.iter()
                .filter(|(k, _)| Some(k.as_str()) != skip)
                .all(|(k, v)| match (k.as_str(), v, b.get(k)) {
                    ("metadata", Value::Object(m), Some(Value::Object(n))) if skip.is_none() => {
                        same_map(m, n, Some("resourceVersion"))
                    }
                    (_, v, w) => Some(v) == w,
                })
    }
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => same_map(a, b, None),
        _ => a == b,
    }
}

impl Objects {
    pub fn new(store: Arc<dyn Store>, services: ServiceAllocator) -> Self {
        Objects { store, services }
    }

    async fn get_kv(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> Result<KeyValue, ApiError> {
        self.store
            .get(&key(r, ns, name))
            .await?
            .ok_or_else(|| ApiError::not_found(&r.qualified_plural(), name).in_group(r.group))
    }

    pub async fn get(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
    ) -> Result<Value, ApiError> {
        decode(&self.get_kv(r, ns, name).await?)
    }

    /// Lists the stored objects of a collection that `selection` selects (all when `None`), at
    /// most `limit` of them, starting after the key `after`. Items stay as stored bytes: a
    /// response can be assembled without decoding them (see `rawjson`).
    pub async fn list(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        limit: Option<usize>,
        after: Option<String>,
        selection: Option<&Selection>,
    ) -> Result<Page, ApiError> {
        let prefix = prefix(r, ns);
        let selection = selection.filter(|s| !s.is_empty());
        let mut items = Vec::new();
        let mut cursor = after;
        let mut revision = 0;
        loop {
            let want = limit.map(|l| l.saturating_sub(items.len()).max(1));
            let page = self.store.list(&prefix, cursor.as_deref(), want).await?;
            if revision == 0 {
                revision = page.revision;
            }
            let count = page.items.len();
            for (i, kv) in page.items.into_iter().enumerate() {
                if let Some(sel) = selection
                    && !sel.selects(&kv)?
                {
                    cursor = Some(kv.key);
                    continue;
                }
                cursor = Some(kv.key.clone());
                items.push(kv);
                if limit.is_some_and(|l| items.len() >= l) {
                    let more = page.more || i + 1 < count;
                    let next = if more { cursor } else { None };
                    return Ok(Page {
                        items,
                        revision,
                        next,
                    });
                }
            }
            if !page.more || count == 0 {
                return Ok(Page {
                    items,
                    revision,
                    next: None,
                });
            }
        }
    }

    /// Every selected object of a collection, decoded, and the revision they reflect.
    pub async fn list_objects(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        selection: Option<&Selection>,
    ) -> Result<(Vec<Value>, Revision), ApiError> {
        let page = self.list(r, ns, None, None, selection).await?;
        let items = page
            .items
            .iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((items, page.revision))
    }

    async fn ensure_namespace_open(
        &self,
        r: &ResourceInfo,
        ns: &str,
        name: &str,
    ) -> Result<(), ApiError> {
        let ns_info =
            kubelite_api::resources::lookup("", "v1", "namespaces").expect("namespaces served");
        let Some(kv) = self.store.get(&key(ns_info, None, ns)).await? else {
            return Err(ApiError::not_found("namespaces", ns));
        };
        let namespace = decode(&kv)?;
        if meta::is_deleting(&namespace) || namespace["status"]["phase"] == "Terminating" {
            return Err(ApiError::forbidden(
                &r.qualified_plural(),
                name,
                format!(
                    "unable to create new content in namespace {ns} because it is being terminated"
                ),
            ));
        }
        Ok(())
    }

    fn invalid(r: &ResourceInfo, name: &str, errors: &[validation::FieldError]) -> ApiError {
        ApiError::invalid(r.kind, r.group, name, errors)
    }

    /// Creates `obj` (already checked against the URL's kind and namespace).
    pub async fn create(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        mut obj: Value,
        opts: &WriteOptions,
    ) -> Result<Value, ApiError> {
        let meta = meta::metadata_mut(&mut obj);
        if meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
            && let Some(prefix) = meta
                .get("generateName")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        {
            let name = format!("{prefix}{}", random_suffix());
            meta.insert("name".into(), Value::String(name));
        }
        if r.namespaced {
            if let Some(ns) = ns {
                meta.insert("namespace".into(), Value::String(ns.into()));
            }
        } else {
            meta.remove("namespace");
        }
        for k in [
            "resourceVersion",
            "selfLink",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            meta.remove(k);
        }
        meta.insert(
            "uid".into(),
            Value::String(uuid::Uuid::new_v4().to_string()),
        );
        meta.insert("creationTimestamp".into(), Value::String(now()));
        let name = meta::name(&obj).to_string();

        strategy::prepare_for_create(r.kind, &mut obj);
        defaults::apply_defaults(r.kind, &mut obj);
        if r.kind == "Pod" {
            obj["status"]["qosClass"] = json!(qos_class(&obj));
        }
        let errors = validation::validate_create(r.kind, &obj);
        if !errors.is_empty() {
            return Err(Self::invalid(r, &name, &errors));
        }
        if let (true, Some(ns)) = (r.namespaced, ns) {
            self.ensure_namespace_open(r, ns, &name).await?;
        }
        // Ownership is recorded before allocation, as kube-apiserver does: nobody owns the
        // ClusterIP and NodePorts the server fills in.
        let mut obj = if opts.apply {
            obj
        } else {
            kubelite_fieldmanager::update(r.kind, None, obj, &opts.field_manager, &now())
        };
        let claim = if r.kind == "Service" {
            Some(
                self.services
                    .claim(None, &mut obj)
                    .map_err(|e| Self::invalid(r, &name, &e))?,
            )
        } else {
            None
        };
        if opts.dry_run {
            if let Some(c) = claim {
                c.rollback();
            }
            return Ok(obj);
        }
        match self
            .store
            .create(&key(r, ns, &name), encode(&mut obj))
            .await
        {
            Ok(kv) => {
                if let Some(c) = claim {
                    c.commit();
                }
                Ok(stored(obj, &kv))
            }
            Err(e) => {
                if let Some(c) = claim {
                    c.rollback();
                }
                Err(match e {
                    kubelite_store::Error::AlreadyExists => {
                        ApiError::already_exists(&r.qualified_plural(), &name).in_group(r.group)
                    }
                    other => other.into(),
                })
            }
        }
    }

    /// Writes `new` over `old` (read at `old_rev`), running the update rules; returns the stored
    /// object. Nothing is written when the update changes nothing.
    async fn write_update(
        &self,
        r: &ResourceInfo,
        subresource: Option<&str>,
        old: &Value,
        old_rev: Revision,
        mut new: Value,
        opts: &WriteOptions,
    ) -> Result<Value, ApiError> {
        let name = meta::name(old).to_string();
        strategy::keep_system_metadata(old, &mut new);
        strategy::prepare_for_update(r.kind, subresource, old, &mut new);
        defaults::apply_defaults(r.kind, &mut new);
        let errors = match subresource {
            Some("binding") => Vec::new(),
            Some("status") => validation::validate_status_update(r.kind, old, &new),
            _ => validation::validate_update(r.kind, old, &new),
        };
        if !errors.is_empty() {
            return Err(Self::invalid(r, &name, &errors));
        }
        let mut new = match (opts.apply, subresource) {
            (true, _) => new,
            (false, Some("binding")) => new,
            (false, Some(sub)) => kubelite_fieldmanager::update_subresource(
                r.kind,
                Some(old),
                new,
                &opts.field_manager,
                sub,
                &now(),
            ),
            (false, None) => {
                kubelite_fieldmanager::update(r.kind, Some(old), new, &opts.field_manager, &now())
            }
        };
        let claim = if r.kind == "Service" && subresource.is_none() {
            Some(
                self.services
                    .claim(Some(old), &mut new)
                    .map_err(|e| Self::invalid(r, &name, &e))?,
            )
        } else {
            None
        };
        let finish = |claim: Option<crate::service_alloc::Claim<'_>>, ok: bool| {
            if let Some(c) = claim {
                if ok { c.commit() } else { c.rollback() }
            }
        };
        if same_ignoring_resource_version(old, &new) || opts.dry_run {
            finish(claim, false);
            return Ok(if opts.dry_run { new } else { old.clone() });
        }
        let k = key(r, meta::namespace(old), &name);
        if meta::is_deleting(&new) && meta::finalizers(&new).is_empty() && !held_back(r, &new) {
            // The last finalizer is gone: the object goes away.
            let result = self.store.delete(&k, Some(old_rev)).await;
            finish(claim, false);
            return match result {
                Ok(_) => {
                    if r.kind == "Service" {
                        self.services.release_all(old);
                    }
                    Ok(new)
                }
                Err(kubelite_store::Error::Conflict { .. }) => {
                    Err(ApiError::modified(&r.qualified_plural(), &name).in_group(r.group))
                }
                Err(kubelite_store::Error::NotFound) => {
                    Err(ApiError::not_found(&r.qualified_plural(), &name).in_group(r.group))
                }
                Err(e) => Err(e.into()),
            };
        }
        match self.store.update(&k, encode(&mut new), old_rev).await {
            Ok(kv) => {
                finish(claim, true);
                Ok(stored(new, &kv))
            }
            Err(e) => {
                finish(claim, false);
                Err(match e {
                    kubelite_store::Error::Conflict { .. } => {
                        ApiError::modified(&r.qualified_plural(), &name).in_group(r.group)
                    }
                    kubelite_store::Error::NotFound => {
                        ApiError::not_found(&r.qualified_plural(), &name).in_group(r.group)
                    }
                    other => other.into(),
                })
            }
        }
    }

    /// PUT: replaces the object. A `resourceVersion` in `new` must match the stored one.
    pub async fn update(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        new: Value,
        opts: &WriteOptions,
    ) -> Result<(Value, bool), ApiError> {
        let kv = match self.store.get(&key(r, ns, name)).await? {
            Some(kv) => kv,
            None if strategy::allow_create_on_update(r.kind) && subresource.is_none() => {
                return Ok((self.create(r, ns, new, opts).await?, true));
            }
            None => return Err(ApiError::not_found(&r.qualified_plural(), name).in_group(r.group)),
        };
        if let Some(rv) = meta::resource_version(&new)
            && rv != kv.mod_revision.to_string()
        {
            return Err(ApiError::modified(&r.qualified_plural(), name).in_group(r.group));
        }
        let old = decode(&kv)?;
        Ok((
            self.write_update(r, subresource, &old, kv.mod_revision, new, opts)
                .await?,
            false,
        ))
    }

    /// Read-modify-write with retries on conflict: `change` turns the current object into the
    /// new one (PATCH, bindings, status changes). `create` makes the object when it is missing
    /// (server-side apply upsert).
    pub async fn modify(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        subresource: Option<&str>,
        opts: &WriteOptions,
        change: &(dyn Fn(Option<&Value>) -> Result<Value, ApiError> + Send + Sync),
    ) -> Result<(Value, bool), ApiError> {
        for _ in 0..16 {
            let Some(kv) = self.store.get(&key(r, ns, name)).await? else {
                if subresource.is_some() {
                    return Err(ApiError::not_found(&r.qualified_plural(), name).in_group(r.group));
                }
                let new = change(None)?;
                match self.create(r, ns, new, opts).await {
                    Err(e) if e.reason == "AlreadyExists" => continue,
                    other => return other.map(|o| (o, true)),
                }
            };
            let old = decode(&kv)?;
            let new = change(Some(&old))?;
            match self
                .write_update(r, subresource, &old, kv.mod_revision, new, opts)
                .await
            {
                Err(e) if e.code == 409 && e.reason == "Conflict" => continue,
                other => return other.map(|o| (o, false)),
            }
        }
        Err(ApiError::modified(&r.qualified_plural(), name).in_group(r.group))
    }

    /// DELETE of one object, with graceful deletion for Pods bound to a node and finalizers.
    pub async fn delete(
        &self,
        r: &ResourceInfo,
        ns: Option<&str>,
        name: &str,
        opts: &DeleteOptions,
    ) -> Result<Deleted, ApiError> {
        let plural = r.qualified_plural();
        for _ in 0..16 {
            let kv = self.get_kv(r, ns, name).await?;
            let old = decode(&kv)?;
            if let Some(uid) = &opts.precondition_uid
                && uid != meta::uid(&old)
            {
                return Err(ApiError::conflict(
                    &plural,
                    name,
                    format!(
                        "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                        meta::uid(&old)
                    ),
                )
                .in_group(r.group));
            }
            if let Some(rv) = &opts.precondition_resource_version
                && *rv != kv.mod_revision.to_string()
            {
                return Err(ApiError::conflict(&plural, name, format!("Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}", kv.mod_revision)).in_group(r.group));
            }
            let grace = self.grace_period(r, &old, opts);
            let waits = grace > 0 || !meta::finalizers(&old).is_empty() || r.kind == "Namespace";
            if waits {
                let already = meta::is_deleting(&old);
                let current = old["metadata"]["deletionGracePeriodSeconds"]
                    .as_i64()
                    .unwrap_or(0);
                if already && grace >= current {
                    return Ok(Deleted::Pending(old));
                }
                let mut new = old.clone();
                let when = Timestamp::now() + jiff::SignedDuration::from_secs(grace);
                let m = meta::metadata_mut(&mut new);
                m.insert("deletionTimestamp".into(), Value::String(format_time(when)));
                m.insert("deletionGracePeriodSeconds".into(), json!(grace));
                if r.kind == "Namespace" {
                    new["status"]["phase"] = json!("Terminating");
                }
                if opts.dry_run {
                    return Ok(Deleted::Pending(new));
                }
                match self
                    .store
                    .update(&kv.key, encode(&mut new), kv.mod_revision)
                    .await
                {
                    Ok(kv) => return Ok(Deleted::Pending(stored(new, &kv))),
                    Err(kubelite_store::Error::Conflict { .. }) => continue,
                    Err(kubelite_store::Error::NotFound) => {
                        return Err(ApiError::not_found(&plural, name).in_group(r.group));
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            if opts.dry_run {
                return Ok(Deleted::Gone(old));
            }
            match self.store.delete(&kv.key, Some(kv.mod_revision)).await {
                Ok(_) => {
                    if r.kind == "Service" {
                        self.services.release_all(&old);
                    }
                    return Ok(Deleted::Gone(old));
                }
                Err(kubelite_store::Error::Conflict { .. }) => continue,
                Err(kubelite_store::Error::NotFound) => {
                    return Err(ApiError::not_found(&plural, name).in_group(r.group));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::modified(&plural, name).in_group(r.group))
    }

    /// Seconds a delete waits: Pods on a node honour the grace period; everything else is
    /// immediate.
    fn grace_period(&self, r: &ResourceInfo, obj: &Value, opts: &DeleteOptions) -> i64 {
        if r.kind != "Pod" {
            return 0;
        }
        let bound = obj["spec"]["nodeName"]
            .as_str()
            .is_some_and(|n| !n.is_empty());
        let terminal = matches!(
            obj["status"]["phase"].as_str(),
            Some("Succeeded" | "Failed")
        );
        if !bound || terminal {
            return 0;
        }
        opts.grace_period_seconds
            .or_else(|| obj["spec"]["terminationGracePeriodSeconds"].as_i64())
            .unwrap_or(30)
            .max(0)
    }
}

/// Whether a deleting object with no finalizers left must still stay: a Pod in its grace period
/// (its node finishes it) or a Namespace whose content is still being removed.
fn held_back(r: &ResourceInfo, obj: &Value) -> bool {
    match r.kind {
        "Pod" => {
            obj["metadata"]["deletionGracePeriodSeconds"]
                .as_i64()
                .unwrap_or(0)
                > 0
        }
        "Namespace" => obj["spec"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty()),
        _ => false,
    }
}

fn random_suffix() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut rng = rand::rng();
    (0..5)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        let pods = kubelite_api::resources::lookup("", "v1", "pods").unwrap();
        let ns = kubelite_api::resources::lookup("", "v1", "namespaces").unwrap();
        let slices =
            kubelite_api::resources::lookup("discovery.k8s.io", "v1", "endpointslices").unwrap();
        assert_eq!(key(pods, Some("default"), "a"), "/registry/pods/default/a");
        assert_eq!(prefix(pods, None), "/registry/pods/");
        assert_eq!(key(ns, None, "default"), "/registry/namespaces/default");
        assert_eq!(
            prefix(slices, Some("x")),
            "/registry/endpointslices.discovery.k8s.io/x/"
        );
    }

    #[test]
    fn stored_object_is_what_decoding_the_store_gives() {
        let mut obj = json!({
            "kind": "Pod",
            "metadata": {"name": "a", "resourceVersion": "3", "selfLink": "/x", "labels": {"b": "1", "a": "2"}},
            "spec": {"n": 1.5, "m": -7, "list": [{"z": null}]},
        });
        let bytes = encode(&mut obj);
        let kv = KeyValue {
            key: "/registry/pods/default/a".into(),
            value: bytes.into(),
            create_revision: 4,
            mod_revision: 9,
        };
        let from_store = decode(&kv).unwrap();
        let kept = stored(obj, &kv);
        assert_eq!(kept, from_store);
        assert_eq!(
            serde_json::to_string(&kept).unwrap(),
            serde_json::to_string(&from_store).unwrap(),
            "same member order"
        );
        assert_eq!(kept["metadata"]["resourceVersion"], "9");
        assert!(kept["metadata"].get("selfLink").is_none());
    }

    #[test]
    fn unchanged_but_for_resource_version() {
        let a = json!({"metadata": {"name": "a", "resourceVersion": "1", "labels": {"x": "1"}}, "spec": {"n": 1}});
        let reordered = json!({"spec": {"n": 1}, "metadata": {"labels": {"x": "1"}, "name": "a"}});
        assert!(same_ignoring_resource_version(&a, &reordered));
        let relabelled = json!({"metadata": {"name": "a", "resourceVersion": "1", "labels": {"x": "2"}}, "spec": {"n": 1}});
        assert!(!same_ignoring_resource_version(&a, &relabelled));
        let more = json!({"metadata": {"name": "a", "resourceVersion": "1", "labels": {"x": "1"}}, "spec": {"n": 1}, "status": {}});
        assert!(!same_ignoring_resource_version(&a, &more));
        let nested = json!({"metadata": {"name": "a", "resourceVersion": "1", "labels": {"x": "1"}}, "spec": {"n": 1, "resourceVersion": "2"}});
        assert!(
            !same_ignoring_resource_version(&a, &nested),
            "only metadata's is ignored"
        );
    }

    #[test]
    fn qos() {
        assert_eq!(
            qos_class(&json!({"spec": {"containers": [{"name": "a"}]}})),
            "BestEffort"
        );
        assert_eq!(
            qos_class(
                &json!({"spec": {"containers": [{"resources": {"requests": {"cpu": "1"}}}]}})
            ),
            "Burstable"
        );
        assert_eq!(
            qos_class(
                &json!({"spec": {"containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
            ),
            "Guaranteed"
        );
    }

    #[test]
    fn suffixes() {
        let s = random_suffix();
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }
}
