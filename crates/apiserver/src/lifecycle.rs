//! The namespace lifecycle, run beside the API server as kube-controller-manager's namespace and
//! service-account controllers do: every active namespace gets a `default` ServiceAccount; a
//! namespace being deleted has its content removed, then its `kubernetes` finalizer, then goes.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kubelite_api::resources::{RESOURCES, lookup};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::ApiServer;
use crate::bootstrap::ensure;
use crate::meta;
use crate::objects::{DeleteOptions, WriteOptions, prefix};
use crate::status::ApiError;

/// Runs until `stop`: reacts to namespace changes, and retries while any namespace is still
/// terminating (its Pods may be waiting out their grace period).
pub async fn run(server: Arc<ApiServer>, stop: CancellationToken) {
    let ns_res = lookup("", "v1", "namespaces").expect("namespaces served");
    loop {
        let start = server.objects.store.current_revision();
        let pending = match reconcile_all(&server).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!("namespace lifecycle: {e}");
                true
            }
        };
        let mut watch = match server
            .objects
            .store
            .watch(&prefix(ns_res, None), start)
            .await
        {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!("namespace lifecycle watch: {e}");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        let retry = tokio::time::sleep(if pending {
            Duration::from_secs(1)
        } else {
            Duration::from_secs(3600)
        });
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = retry => {}
            _ = watch.next() => {}
        }
    }
}

/// Reconciles every namespace; true while one is still terminating.
async fn reconcile_all(server: &ApiServer) -> Result<bool, ApiError> {
    let ns_res = lookup("", "v1", "namespaces").expect("namespaces served");
    let (namespaces, _) = server.objects.list_objects(ns_res, None, None).await?;
    let mut pending = false;
    for ns in namespaces {
        let name = meta::name(&ns).to_string();
        if meta::is_deleting(&ns) {
            pending |= !finish_deletion(server, &name).await?;
        } else {
            ensure(
                &server.objects,
                "serviceaccounts",
                "",
                Some(&name),
                json!({"metadata": {"name": "default", "namespace": name}}),
            )
            .await
            .or_else(|e| {
                if e.code == 403 || e.code == 404 {
                    Ok(())
                } else {
                    Err(e)
                }
            })?;
        }
    }
    Ok(pending)
}

/// Deletes what is left in the namespace; once it is empty, removes the namespace. Returns
/// whether the namespace is gone.
async fn finish_deletion(server: &ApiServer, ns: &str) -> Result<bool, ApiError> {
    let mut remaining = 0;
    for r in RESOURCES.iter().filter(|r| r.namespaced) {
        let (objects, _) = server.objects.list_objects(r, Some(ns), None).await?;
        for obj in objects {
            remaining += 1;
            let name = meta::name(&obj).to_string();
            match server
                .objects
                .delete(r, Some(ns), &name, &DeleteOptions::default())
                .await
            {
                Ok(_) => {}
                Err(e) if e.code == 404 => {}
                Err(e) => return Err(e),
            }
        }
    }
    if remaining > 0 {
        // Check again on the next pass: graceful deletions may still be running.
        let left: usize = {
            let mut n = 0;
            for r in RESOURCES.iter().filter(|r| r.namespaced) {
                n += server
                    .objects
                    .list(r, Some(ns), Some(1), None, None)
                    .await?
                    .items
                    .len();
            }
            n
        };
        if left > 0 {
            return Ok(false);
        }
    }
    let ns_res = lookup("", "v1", "namespaces").expect("namespaces served");
    let opts = WriteOptions {
        field_manager: "kube-controller-manager".into(),
        ..Default::default()
    };
    let drop_finalizer = |current: Option<&Value>| -> Result<Value, ApiError> {
        let mut obj = current
            .cloned()
            .ok_or_else(|| ApiError::not_found("namespaces", ns))?;
        if let Some(f) = obj["spec"]["finalizers"].as_array_mut() {
            f.retain(|v| v != "kubernetes");
        }
        Ok(obj)
    };
    match server
        .objects
        .modify(ns_res, None, ns, Some("finalize"), &opts, &drop_finalizer)
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code == 404 => Ok(true),
        Err(e) => Err(e),
    }
}
