//! `SliceChange`: the writes a slice planner asks for, and recycling — turning a create plus a
//! delete into one update, so a slice keeps its name when its content is replaced.

use k8s_openapi::api::discovery::v1::EndpointSlice;

/// One write to the EndpointSlice API.
#[derive(Debug, Clone, PartialEq)]
pub enum SliceChange {
    /// Create this slice; it has a `generateName` and no name.
    Create(EndpointSlice),
    /// Replace the named slice with this one; it carries the resourceVersion it was planned from.
    Update(EndpointSlice),
    /// Delete the slice of this name.
    Delete(String),
}

/// Slices to create, update and delete, before they become [`SliceChange`]s.
#[derive(Debug, Default)]
pub struct SlicePlan {
    pub creates: Vec<EndpointSlice>,
    pub updates: Vec<EndpointSlice>,
    pub deletes: Vec<EndpointSlice>,
}

impl SlicePlan {
    /// Reuses slices about to be deleted for slices about to be created: each delete that
    /// `reusable` accepts takes the most recently planned create of the same address type, which
    /// then updates the deleted slice in place.
    pub fn recycle(&mut self, reusable: impl Fn(&EndpointSlice) -> bool) {
        let mut i = 0;
        while i < self.deletes.len() {
            let doomed = &self.deletes[i];
            let Some(pos) = self
                .creates
                .iter()
                .rposition(|c| c.address_type == doomed.address_type)
            else {
                i += 1;
                continue;
            };
            if !reusable(doomed) {
                i += 1;
                continue;
            }
            let doomed = self.deletes.remove(i);
            let mut slice = self.creates.remove(pos);
            slice.metadata.name = doomed.metadata.name;
            slice.metadata.resource_version = doomed.metadata.resource_version;
            self.updates.push(slice);
        }
    }

    /// The changes in order: creates, updates, deletes.
    pub fn into_changes(self) -> Vec<SliceChange> {
        let creates = self.creates.into_iter().map(SliceChange::Create);
        let updates = self.updates.into_iter().map(|mut s| {
            // The server keeps the managed fields; sending back a stale copy would overwrite them.
            s.metadata.managed_fields = None;
            SliceChange::Update(s)
        });
        let deletes = self
            .deletes
            .into_iter()
            .map(|s| SliceChange::Delete(s.metadata.name.unwrap_or_default()));
        creates.chain(updates).chain(deletes).collect()
    }
}
