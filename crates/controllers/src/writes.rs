//! The API writes of the slice controllers: carrying out planned [`SliceChange`]s with
//! create/replace/delete, recording each result in the controller's expectations.

use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client, ResourceExt};

use crate::change::SliceChange;
use crate::error::{Error, is_not_found};
use crate::expectations::Expectations;
use crate::key::ObjectKey;
use crate::names::FIELD_MANAGER;

/// The parameters of every create and replace.
pub fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..Default::default()
    }
}

/// Carries out `changes` for `key` in order, stopping at the first failure.
pub async fn apply_slice_changes(
    client: &Client,
    key: &ObjectKey,
    changes: &[SliceChange],
    expectations: &mut Expectations,
) -> Result<(), Error> {
    let api: Api<EndpointSlice> = Api::namespaced(client.clone(), &key.namespace);
    for change in changes {
        match change {
            SliceChange::Create(slice) => {
                let made = api
                    .create(&post_params(), slice)
                    .await
                    .map_err(|e| Error::api("creating an EndpointSlice for", key.to_string(), e))?;
                tracing::debug!(%key, slice = made.name_any(), "created EndpointSlice");
                expectations.wrote(
                    key,
                    &made.name_any(),
                    &made.resource_version().unwrap_or_default(),
                );
            }
            SliceChange::Update(slice) => {
                let name = slice.name_any();
                let made = api
                    .replace(&name, &post_params(), slice)
                    .await
                    .map_err(|e| {
                        Error::api(
                            "updating EndpointSlice",
                            format!("{}/{name}", key.namespace),
                            e,
                        )
                    })?;
                tracing::debug!(%key, slice = name, "updated EndpointSlice");
                expectations.wrote(key, &name, &made.resource_version().unwrap_or_default());
            }
            SliceChange::Delete(name) => {
                match api.delete(name, &DeleteParams::default()).await {
                    Ok(_) => tracing::debug!(%key, slice = name, "deleted EndpointSlice"),
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => {
                        return Err(Error::api(
                            "deleting EndpointSlice",
                            format!("{}/{name}", key.namespace),
                            e,
                        ));
                    }
                }
                expectations.deleted(key, name);
            }
        }
    }
    Ok(())
}
