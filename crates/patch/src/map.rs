//! Merging one object: upstream's `mergeMap`.
//!
//! Order of work, as upstream: a `$patch` marker decides for the whole object (`replace` takes
//! the patch as is, `delete` leaves `{}`); `$retainKeys` drops live keys it does not list;
//! `$setElementOrder` lists are merged and ordered (see [`crate::order`]); then every other
//! patch key is applied: `null` deletes, a new key takes the patch value (minus nulls and
//! `$patch` objects), a value of another type replaces, objects recurse, lists go to
//! [`crate::list`], and scalars replace. `$deleteFromPrimitiveList/<f>` is applied to `f`.

use serde_json::{Map, Value};

use crate::PatchError;
use crate::cleanup::{discard_nulls, remove_directives};
use crate::directive::{
    DELETE, DELETE_FROM_PRIMITIVE_LIST, MARKER, REPLACE, RETAIN_KEYS, SET_ELEMENT_ORDER,
    field_of_directive,
};
use crate::govalue::{Verb, check_hashable, format, go_type};
use crate::list::merge_list_field;
use crate::order::merge_ordered_lists;
use crate::schema::{TypeSchema, UNTAGGED};

/// `mergeMap` with the server-side options (parallel lists merged, unmatched nulls ignored).
pub(crate) fn merge_map(
    mut original: Map<String, Value>,
    mut patch: Map<String, Value>,
    schema: Option<&'static TypeSchema>,
) -> Result<Map<String, Value>, PatchError> {
    if let Some(directive) = patch.get(MARKER) {
        return match directive.as_str() {
            Some(REPLACE) => {
                patch.shift_remove(MARKER);
                Ok(patch)
            }
            Some(DELETE) => Ok(Map::new()),
            _ => Err(PatchError::BadPatchType {
                directive: format(directive, Verb::S),
                map: format(&Value::Object(patch.clone()), Verb::V),
            }),
        };
    }
    apply_retain_keys(&mut original, &mut patch)?;
    merge_ordered_lists(&mut original, &mut patch, schema)?;

    for (key, patch_value) in patch {
        let (key, is_delete_list) = if key.starts_with(DELETE_FROM_PRIMITIVE_LIST) {
            let field = field_of_directive(&key, DELETE_FROM_PRIMITIVE_LIST)?;
            // Upstream keeps the directive key itself when the field part is empty.
            (if field.is_empty() { key } else { field }, true)
        } else {
            (key, false)
        };
        if patch_value.is_null() {
            original.shift_remove(&key);
            continue;
        }
        let same_type = original
            .get(&key)
            .map(|live| go_type(live) == go_type(&patch_value));
        match same_type {
            None | Some(false) => {
                if !is_delete_list {
                    set_from_patch(&mut original, key, patch_value);
                }
            }
            Some(true) => {
                let field = schema.map_or(&UNTAGGED, |s| s.field(&key));
                let Some(live) = original.get_mut(&key) else {
                    continue;
                };
                *live = match (live.take(), patch_value) {
                    (Value::Object(l), Value::Object(p)) => {
                        Value::Object(merge_map(l, p, field.ty)?)
                    }
                    (Value::Array(l), Value::Array(p)) => {
                        Value::Array(merge_list_field(l, p, field, is_delete_list)?.items)
                    }
                    (_, p) => p,
                };
            }
        }
    }
    Ok(original)
}

/// Stores a patch value where the live object has nothing (or something of another type).
fn set_from_patch(original: &mut Map<String, Value>, key: String, mut value: Value) {
    discard_nulls(&mut value);
    match remove_directives(value) {
        Some(v) => {
            original.insert(key, v);
        }
        None => {
            original.shift_remove(&key);
        }
    }
}

/// `applyRetainKeysDirective`: with `$retainKeys`, every non-null patch key must be listed,
/// and live keys that are not listed are dropped.
fn apply_retain_keys(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
) -> Result<(), PatchError> {
    let Some(retain) = patch.shift_remove(RETAIN_KEYS) else {
        return Ok(());
    };
    let Value::Array(retain) = retain else {
        return Err(PatchError::BadPatchFormatForRetainKeys);
    };
    retain.iter().try_for_each(check_hashable)?;
    let retained = |k: &str| retain.iter().any(|v| v.as_str() == Some(k));
    for (k, v) in patch.iter() {
        if v.is_null()
            || k.starts_with(DELETE_FROM_PRIMITIVE_LIST)
            || k.starts_with(SET_ELEMENT_ORDER)
        {
            continue;
        }
        if !retained(k) {
            return Err(PatchError::BadPatchFormatForRetainKeys);
        }
    }
    original.retain(|k, _| retained(k));
    Ok(())
}
