//! Ownership bookkeeping for one write (structured-merge-diff `merge/update.go`): who loses
//! fields an update changed, what an applier owns, what apply prunes, and conflicts.

use serde_json::Value;

use crate::Conflict;
use crate::fieldpath::{PathElement, Set, path_string};
use crate::managed::{Managed, ManagerId, VersionedSet};
use crate::schema::Ty;
use crate::typed::{
    Comparison, compare, ensure_named_fields_are_members, merge, remove_items, to_field_set,
};

/// Computes ownership changes for one object type and version.
pub(crate) struct Updater {
    pub(crate) root: Ty,
    pub(crate) api_version: String,
    /// Drop `status` from every computed set (reset fields of the main resource).
    pub(crate) reset_status: bool,
}

impl Updater {
    /// Drops `status` from `set` when this update resets it.
    fn filter(&self, set: &mut Set) {
        if self.reset_status {
            let status = PathElement::Field("status".to_string());
            set.members_mut().remove(&status);
            set.children_mut().remove(&status);
        }
    }

    fn compare(&self, old: &Value, new: &Value) -> Comparison {
        compare(Some(old), Some(new), self.root).without(&|s| self.filter(s))
    }

    /// Takes changed fields away from every manager but `workflow`; with `force == false`
    /// fields another manager owns that changed are conflicts instead.
    fn update(
        &self,
        old: &Value,
        new: &Value,
        managed: &mut Managed,
        workflow: &ManagerId,
        force: bool,
    ) -> Result<Comparison, Vec<Conflict>> {
        let cmp = self.compare(old, new);
        let changed = cmp.modified.union(&cmp.added);
        let mut conflicts = Vec::new();
        let mut conflict_sets = Vec::new();
        for (id, vs) in &managed.fields {
            if id == workflow {
                continue;
            }
            let overlap = vs.set.intersection(&changed);
            if !overlap.is_empty() {
                for p in overlap.paths() {
                    conflicts.push(Conflict {
                        manager: id.manager.clone(),
                        field: path_string(&p),
                        operation: id.operation.as_str().to_string(),
                        api_version: vs.api_version.clone(),
                        subresource: id.subresource.clone(),
                        sort_key: id.encoded(),
                    });
                }
                conflict_sets.push((id.clone(), overlap));
            }
        }
        if !force && !conflicts.is_empty() {
            return Err(conflicts);
        }
        for (id, overlap) in conflict_sets {
            if let Some(vs) = managed.fields.get_mut(&id) {
                vs.set.subtract(&overlap);
            }
        }
        if !cmp.removed.is_empty() {
            for (id, vs) in managed.fields.iter_mut() {
                if id != workflow {
                    vs.set.subtract(&cmp.removed);
                }
            }
        }
        managed.fields.retain(|_, vs| !vs.set.is_empty());
        Ok(cmp)
    }

    /// Records a non-apply write by `manager` (upstream `Updater.Update`).
    pub(crate) fn record_update(
        &self,
        old: &Value,
        new: &Value,
        managed: &mut Managed,
        manager: &ManagerId,
    ) {
        let Ok(cmp) = self.update(old, new, managed, manager, true) else {
            return;
        };
        let mut set = managed
            .fields
            .get(manager)
            .map(|vs| vs.set.clone())
            .unwrap_or_default();
        set.subtract(&cmp.removed);
        set.extend(&cmp.modified);
        set.extend(&cmp.added);
        self.filter(&mut set);
        if set.is_empty() {
            managed.fields.remove(manager);
        } else {
            let vs = VersionedSet {
                set,
                api_version: self.api_version.clone(),
                applied: false,
            };
            managed.fields.insert(manager.clone(), vs);
        }
    }

    /// Merges `config` into `live` for `manager` (upstream `Updater.Apply`). Returns `None`
    /// when the object is unchanged.
    pub(crate) fn apply(
        &self,
        live: &Value,
        config: &Value,
        managed: &mut Managed,
        manager: &ManagerId,
        force: bool,
    ) -> Result<Option<Value>, crate::ApplyError> {
        let merged = merge(Some(live), Some(config), self.root).unwrap_or(Value::Null);
        let last = managed.fields.get(manager).map(|vs| vs.set.clone());
        let mut set = to_field_set(config, self.root, true).map_err(crate::ApplyError::Invalid)?;
        self.filter(&mut set);
        let vs = VersionedSet {
            set,
            api_version: self.api_version.clone(),
            applied: true,
        };
        managed.fields.insert(manager.clone(), vs);
        let merged = match last {
            Some(last) if !last.is_empty() => self.prune(&merged, managed, &last),
            _ => merged,
        };
        self.update(live, &merged, managed, manager, force)
            .map_err(crate::ApplyError::Conflicts)?;
        Ok((merged != *live).then_some(merged))
    }

    fn named(&self, set: &Set) -> Set {
        ensure_named_fields_are_members(set, self.root)
    }

    fn field_set(&self, v: &Value) -> Set {
        self.named(&to_field_set(v, self.root, false).unwrap_or_default())
    }

    fn remove(&self, v: &Value, set: &Set) -> Value {
        remove_items(v, set, self.root).unwrap_or(Value::Object(serde_json::Map::new()))
    }

    /// Removes what the applier owned last time and no longer applies, unless another
    /// manager owns it (upstream `prune`, `addBackOwnedItems`, `addBackDanglingItems`).
    fn prune(&self, merged: &Value, managed: &Managed, last: &Set) -> Value {
        let last = self.named(last);
        let pruned = self.remove(merged, &last);
        let owned = managed
            .fields
            .values()
            .fold(Set::new(), |acc, vs| acc.union(&vs.set));
        let merged_set = self.field_set(merged);
        let keep = self.field_set(&pruned).union(&self.named(&owned));
        let pruned = self.remove(merged, &merged_set.difference(&keep));
        let dangling = merged_set
            .difference(&self.field_set(&pruned))
            .intersection(&last);
        self.remove(merged, &dangling)
    }
}
