//! List order: `$setElementOrder/<field>` and the ordering every merged list gets.
//!
//! Upstream's rule (`normalizeElementOrder`): items the patch mentions are sorted by the patch
//! (or `$setElementOrder`) order, live-only items by the live order, and the two runs are then
//! interleaved (`mergeSortedSlice`): a live-only item goes before the next patch item only when
//! both appear in the live list and the live-only item comes first there. Items missing from an
//! order list sort through Go's `sort.SliceStable` with upstream's lopsided comparator, which
//! [`crate::go_sort`] replays exactly.

use serde_json::{Map, Value};

use crate::PatchError;
use crate::cleanup::remove_directives;
use crate::directive::{DELETE, MARKER, SET_ELEMENT_ORDER, field_of_directive};
use crate::go_sort::slice_stable;
use crate::govalue::{GoType, MAP, SLICE, Verb, bad_arg_type, format, go_eq, no_merge_key};
use crate::list::{element_type, merge_list_field, partition_maps, partition_scalars};
use crate::schema::{TypeSchema, UNTAGGED};

/// `mergePatchIntoOriginal`: handles every `$setElementOrder/<field>` of `patch`, merging the
/// list it names into `original` and removing both from `patch`.
pub(crate) fn merge_ordered_lists(
    original: &mut Map<String, Value>,
    patch: &mut Map<String, Value>,
    schema: Option<&'static TypeSchema>,
) -> Result<(), PatchError> {
    let directives: Vec<String> = patch
        .keys()
        .filter(|k| k.starts_with(SET_ELEMENT_ORDER))
        .cloned()
        .collect();
    for directive in directives {
        let Some(order) = patch.shift_remove(&directive) else {
            continue;
        };
        let Value::Array(order) = order else {
            return Err(bad_arg_type(SLICE, &order));
        };
        let name = field_of_directive(&directive, SET_ELEMENT_ORDER)?;
        let live = list_at(original, &name)?;
        let patched = list_at(patch, &name)?;
        let field = schema.map_or(&UNTAGGED, |s| s.field(&name));
        let key = field.merge_key();
        validate_order(patched.as_deref().unwrap_or_default(), &order, key)?;

        let (merged, live_order) = match (&live, &patched) {
            (Some(live), None) => (live.clone(), live.clone()),
            (None, Some(patched)) => {
                let cleaned = remove_directives(Value::Array(patched.clone()));
                let Some(Value::Array(items)) = cleaned else {
                    continue;
                };
                (items, Vec::new())
            }
            (Some(live), Some(patched)) => {
                let merged = merge_list_field(live.clone(), patched.clone(), field, false)?;
                (merged.items, merged.live_order)
            }
            (None, None) => continue,
        };
        let (in_order, live_only) = if key.is_empty() {
            partition_scalars(merged, &order)?
        } else {
            partition_maps(merged, &order, key)?
        };
        let kind = element_type(&[
            live.as_deref().unwrap_or_default(),
            patched.as_deref().unwrap_or_default(),
        ])?;
        let items = normalize_element_order(in_order, live_only, &order, &live_order, key, kind)?;
        original.insert(name.clone(), Value::Array(items));
        patch.shift_remove(&name);
    }
    Ok(())
}

/// The list stored under `name`, failing as upstream's type assertion when it is something else.
fn list_at(map: &Map<String, Value>, name: &str) -> Result<Option<Vec<Value>>, PatchError> {
    match map.get(name) {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items.clone())),
        Some(other) => Err(bad_arg_type(SLICE, other)),
    }
}

/// `validatePatchWithSetOrderList`: the patch list's items (deletions aside) must appear in
/// `$setElementOrder`, in the same relative order.
fn validate_order(patch: &[Value], order: &[Value], key: &str) -> Result<(), PatchError> {
    if order.is_empty() || patch.is_empty() {
        return Ok(());
    }
    let kept = if key.is_empty() {
        patch.to_vec()
    } else {
        split_deletions(patch.to_vec())?.0
    };
    let (mut p, mut o) = (0, 0);
    while p < kept.len() && o < order.len() {
        if matches!(&kept[p], Value::Object(m) if m.contains_key(MARKER)) {
            p += 1;
            continue;
        }
        if merge_key_values_equal(&kept[p], &order[o], key)? {
            p += 1;
        }
        o += 1;
    }
    if p < kept.len() && o >= order.len() {
        return Err(PatchError::SetElementOrderMismatch {
            patch: format(&Value::Array(patch.to_vec()), Verb::V),
            order: format(&Value::Array(order.to_vec()), Verb::V),
        });
    }
    Ok(())
}

/// `mergeKeyValueEqual`.
fn merge_key_values_equal(left: &Value, right: &Value, key: &str) -> Result<bool, PatchError> {
    if key.is_empty() {
        return go_eq(left, right);
    }
    let Value::Object(l) = left else {
        return Err(bad_arg_type(MAP, left));
    };
    let Value::Object(r) = right else {
        return Err(bad_arg_type(MAP, right));
    };
    let lv = l.get(key).ok_or_else(|| no_merge_key(l, key))?;
    let rv = r.get(key).ok_or_else(|| no_merge_key(r, key))?;
    go_eq(lv, rv)
}

/// `normalizeElementOrder`: `patch_items` sorted by `patch_order`, `live_only` by
/// `live_order`, then interleaved.
pub(crate) fn normalize_element_order(
    patch_items: Vec<Value>,
    live_only: Vec<Value>,
    patch_order: &[Value],
    live_order: &[Value],
    key: &str,
    kind: GoType,
) -> Result<Vec<Value>, PatchError> {
    let patch_items = sort_by_order(patch_items, patch_order, key, kind)?;
    let live_only = sort_by_order(live_only, live_order, key, kind)?;
    interleave(live_only, patch_items, live_order, key, kind)
}

/// `normalizeSliceOrder`: sorts `items` by their position in `order`; for objects, items
/// marked `$patch: delete` go last.
fn sort_by_order(
    items: Vec<Value>,
    order: &[Value],
    key: &str,
    kind: GoType,
) -> Result<Vec<Value>, PatchError> {
    let (items, deletions) = if kind == GoType::Map {
        for v in items.iter().chain(order) {
            let Value::Object(map) = v else {
                return Err(bad_arg_type(MAP, v));
            };
            if !map.contains_key(key) {
                return Err(no_merge_key(map, key));
            }
        }
        split_deletions(items)?
    } else {
        (items, Vec::new())
    };
    // A lone item is never compared, so upstream never looks it up.
    let compared = items.len() >= 2;
    let mut keyed = Vec::with_capacity(items.len());
    for item in items {
        let position = if compared {
            position_in(order, &item, key, kind)?
        } else {
            None
        };
        keyed.push((position, item));
    }
    slice_stable(&mut keyed);
    let mut sorted: Vec<Value> = keyed.into_iter().map(|(_, v)| v).collect();
    sorted.extend(deletions);
    Ok(sorted)
}

/// `extractToDeleteItems`: (items, items marked `$patch: delete`).
fn split_deletions(items: Vec<Value>) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let (mut kept, mut deletions) = (Vec::new(), Vec::new());
    for v in items {
        let Value::Object(map) = &v else {
            return Err(bad_arg_type(MAP, &v));
        };
        if map.get(MARKER).and_then(Value::as_str) == Some(DELETE) {
            deletions.push(v);
        } else {
            kept.push(v);
        }
    }
    Ok((kept, deletions))
}

/// `mergeSortedSlice`: interleaves the sorted runs, live-only items first only when the live
/// order says so.
fn interleave(
    live_only: Vec<Value>,
    patch_items: Vec<Value>,
    live_order: &[Value],
    key: &str,
    kind: GoType,
) -> Result<Vec<Value>, PatchError> {
    let mut out = Vec::with_capacity(live_only.len() + patch_items.len());
    let mut left = live_only.into_iter().peekable();
    let mut right = patch_items.into_iter().peekable();
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => {
                let li = position_in(live_order, l, key, kind)?;
                let ri = position_in(live_order, r, key, kind)?;
                matches!((li, ri), (Some(li), Some(ri)) if li < ri)
            }
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    Ok(out)
}

/// `index`: where `item` (its merge-key value, for objects) first appears in `list`.
fn position_in(
    list: &[Value],
    item: &Value,
    key: &str,
    kind: GoType,
) -> Result<Option<usize>, PatchError> {
    let probe = comparable_part(item, key, kind);
    for (i, v) in list.iter().enumerate() {
        if go_eq(probe, comparable_part(v, key, kind))? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn comparable_part<'a>(v: &'a Value, key: &str, kind: GoType) -> &'a Value {
    static NIL: Value = Value::Null;
    if kind != GoType::Map {
        return v;
    }
    match v {
        Value::Object(map) => map.get(key).unwrap_or(&NIL),
        _ => &NIL,
    }
}
