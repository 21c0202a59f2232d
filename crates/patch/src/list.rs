//! Merging one list field: upstream's `mergeSliceHandler` and `mergeSlice`.
//!
//! Lists whose field has no merge strategy are replaced by the patch. Merge lists of scalars
//! are unioned without duplicates (or, for `$deleteFromPrimitiveList`, filtered); merge lists
//! of objects first apply the `$patch` items (`delete` removes by merge key, `replace` makes
//! the remaining patch items the whole list), then merge each patch item into the live item
//! with the same merge-key value or append it. The result is put in order by
//! [`crate::order::normalize_element_order`]: patch items in patch order, interleaved with the
//! live-only items in live order.

use serde_json::Value;

use crate::PatchError;
use crate::aliasing::SharedBacking;
use crate::directive::{DELETE, MARKER, MERGE, REPLACE};
use crate::govalue::{
    GoType, MAP, Verb, bad_arg_type, check_hashable, format, format_slices, go_eq, go_type,
    no_merge_key, set_contains,
};
use crate::map::merge_map;
use crate::order::normalize_element_order;
use crate::schema::{Field, TypeSchema};

/// A merged list, plus the live list as upstream's ordering step sees it afterwards
/// (see [`crate::aliasing`]).
pub(crate) struct MergedList {
    pub(crate) items: Vec<Value>,
    pub(crate) live_order: Vec<Value>,
}

/// `mergeSliceHandler`: merge when the field merges (or for a deletion list), else replace.
pub(crate) fn merge_list_field(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &'static Field,
    is_delete_list: bool,
) -> Result<MergedList, PatchError> {
    if field.merges() || is_delete_list {
        merge_list(original, patch, field, is_delete_list)
    } else {
        Ok(MergedList {
            items: patch,
            live_order: original,
        })
    }
}

/// `mergeSlice`.
fn merge_list(
    original: Vec<Value>,
    patch: Vec<Value>,
    field: &'static Field,
    is_delete_list: bool,
) -> Result<MergedList, PatchError> {
    if original.is_empty() && patch.is_empty() {
        return Ok(MergedList {
            items: original,
            live_order: Vec::new(),
        });
    }
    let kind = element_type(&[&original, &patch])?;
    let key = field.merge_key();
    let (merged, original, patch, live_order) = if kind != GoType::Map {
        if is_delete_list {
            return Ok(MergedList {
                items: delete_from_list(&original, &patch)?,
                live_order: original,
            });
        }
        let mut both = original.clone();
        both.extend(patch.iter().cloned());
        let merged = dedupe_scalars(both)?;
        let live_order = original.clone();
        (merged, original, patch, live_order)
    } else {
        if key.is_empty() {
            return Err(PatchError::NoMergeKeyForList(field.element_kind()));
        }
        let mut backing = SharedBacking::new(&original);
        let (original, patch) = apply_special_items(original, patch, key, &mut backing)?;
        let merged = merge_items(original.clone(), &patch, key, field.ty, &mut backing)?;
        (merged, original, patch, backing.into_view())
    };
    let (patch_items, live_only) = if key.is_empty() {
        partition_scalars(merged, &patch)?
    } else {
        partition_maps(merged, &patch, key)?
    };
    let items = normalize_element_order(patch_items, live_only, &patch, &original, key, kind)?;
    Ok(MergedList { items, live_order })
}

/// `sliceElementType`: the one Go type of all elements of `lists`.
pub(crate) fn element_type(lists: &[&[Value]]) -> Result<GoType, PatchError> {
    let mut found: Option<GoType> = None;
    for v in lists.iter().flat_map(|l| l.iter()) {
        let t = go_type(v);
        match found {
            // Upstream calls a method on the nil reflect.Type of a leading null.
            None if t == GoType::Nil => {
                return Err(PatchError::GoRuntime(
                    "invalid memory address or nil pointer dereference",
                ));
            }
            None if t == GoType::Slice => return Err(PatchError::NoListOfLists),
            None => found = Some(t),
            Some(prev) if prev != t => {
                return Err(PatchError::ElementTypesNotIdentical(format_slices(lists)));
            }
            Some(_) => {}
        }
    }
    found.ok_or(PatchError::NoElements)
}

/// `mergeSliceWithSpecialElements`: applies the `$patch` items of a list of objects and
/// returns the live list and the remaining patch items.
fn apply_special_items(
    mut original: Vec<Value>,
    patch: Vec<Value>,
    key: &str,
    backing: &mut SharedBacking,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let mut plain = Vec::with_capacity(patch.len());
    let mut replace = false;
    for item in patch {
        let Value::Object(map) = &item else {
            return Err(bad_arg_type(MAP, &item));
        };
        let Some(directive) = map.get(MARKER) else {
            plain.push(item);
            continue;
        };
        match directive.as_str() {
            Some(DELETE) => {
                let Some(value) = map.get(key) else {
                    return Err(no_merge_key(map, key));
                };
                while let Some(i) = find_by_key(&original, key, value)? {
                    original.remove(i);
                    backing.delete(i);
                }
            }
            Some(REPLACE) => replace = true,
            Some(MERGE) => return Err(PatchError::MergeDirectiveInList),
            _ => {
                return Err(PatchError::BadPatchType {
                    directive: format(directive, Verb::S),
                    map: format(&item, Verb::V),
                });
            }
        }
    }
    if replace {
        backing.detach();
        Ok((plain, Vec::new()))
    } else {
        Ok((original, plain))
    }
}

/// `mergeSliceWithoutSpecialElements`: each patch item merges into the item with its merge-key
/// value, or is appended.
fn merge_items(
    mut items: Vec<Value>,
    patch: &[Value],
    key: &str,
    ty: Option<&'static TypeSchema>,
    backing: &mut SharedBacking,
) -> Result<Vec<Value>, PatchError> {
    for item in patch {
        let Value::Object(patch_map) = item else {
            return Err(bad_arg_type(MAP, item));
        };
        let Some(value) = patch_map.get(key) else {
            return Err(no_merge_key(patch_map, key));
        };
        match find_by_key(&items, key, value)? {
            Some(i) => {
                let Value::Object(live) = items[i].take() else {
                    return Err(PatchError::NotAMap(i));
                };
                items[i] = Value::Object(merge_map(live, patch_map.clone(), ty)?);
            }
            None => {
                backing.append(item);
                items.push(item.clone());
            }
        }
    }
    Ok(items)
}

/// `findMapInSliceBasedOnKeyValue`: the first object whose `key` equals `value`.
pub(crate) fn find_by_key(
    list: &[Value],
    key: &str,
    value: &Value,
) -> Result<Option<usize>, PatchError> {
    for (i, v) in list.iter().enumerate() {
        let Value::Object(map) = v else {
            return Err(PatchError::NotAMap(i));
        };
        if let Some(candidate) = map.get(key)
            && go_eq(candidate, value)?
        {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// `partitionPrimitivesByPresentInList`: (items in `by`, items not in `by`).
pub(crate) fn partition_scalars(
    items: Vec<Value>,
    by: &[Value],
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    by.iter().try_for_each(check_hashable)?;
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for v in items {
        if set_contains(by, &v)? {
            inside.push(v);
        } else {
            outside.push(v);
        }
    }
    Ok((inside, outside))
}

/// `partitionMapsByPresentInList`: (objects whose merge key appears in `by`, the others).
pub(crate) fn partition_maps(
    items: Vec<Value>,
    by: &[Value],
    key: &str,
) -> Result<(Vec<Value>, Vec<Value>), PatchError> {
    let (mut inside, mut outside) = (Vec::new(), Vec::new());
    for v in items {
        let Value::Object(map) = &v else {
            return Err(bad_arg_type(MAP, &v));
        };
        let Some(value) = map.get(key) else {
            return Err(no_merge_key(map, key));
        };
        if find_by_key(by, key, value)?.is_some() {
            inside.push(v);
        } else {
            outside.push(v);
        }
    }
    Ok((inside, outside))
}

/// `deleteFromSlice`: `current` without the values in `to_delete`.
fn delete_from_list(current: &[Value], to_delete: &[Value]) -> Result<Vec<Value>, PatchError> {
    to_delete.iter().try_for_each(check_hashable)?;
    let mut kept = Vec::with_capacity(current.len());
    for v in current {
        if !set_contains(to_delete, v)? {
            kept.push(v.clone());
        }
    }
    Ok(kept)
}

/// `deduplicateScalars`: removes repeats by moving the last element into each duplicate's
/// slot, so the order is scrambled exactly as upstream scrambles it before re-sorting.
fn dedupe_scalars(mut s: Vec<Value>) -> Result<Vec<Value>, PatchError> {
    let mut last = s.len() as isize - 1;
    let mut i = 0;
    while i < last {
        let mut j = i + 1;
        while j <= last {
            if go_eq(&s[i as usize], &s[j as usize])? {
                s[j as usize] = s[last as usize].clone();
                s.truncate(last as usize);
                last -= 1;
                j -= 1;
            }
            j += 1;
        }
        i += 1;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strings(v: &[&str]) -> Vec<Value> {
        v.iter().map(|s| json!(s)).collect()
    }

    #[test]
    fn dedupe_moves_the_last_item_into_the_hole() {
        let cases: [(&[&str], &[&str]); 5] = [
            (&[], &[]),
            (&["a"], &["a"]),
            (&["a", "b", "a"], &["a", "b"]),
            (&["a", "a", "b", "c"], &["a", "c", "b"]),
            (&["x", "y", "x", "y", "z"], &["x", "y", "z"]),
        ];
        for (input, want) in cases {
            assert_eq!(
                dedupe_scalars(strings(input)).unwrap(),
                strings(want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn element_type_errors() {
        let cases: [(Value, Value, &str); 4] = [
            (
                json!(["a"]),
                json!([1]),
                "list element types are not identical: [[a] [1]]",
            ),
            (json!([[1]]), json!([]), "lists of lists are not supported"),
            (
                json!([null, "a"]),
                json!([]),
                "runtime error: invalid memory address or nil pointer dereference",
            ),
            (
                json!([]),
                json!([]),
                "no elements in any of the given slices",
            ),
        ];
        for (a, b, want) in cases {
            let (a, b) = (a.as_array().unwrap().clone(), b.as_array().unwrap().clone());
            assert_eq!(element_type(&[&a, &b]).unwrap_err().to_string(), want);
        }
        let ints = [json!(1), json!(2)];
        assert_eq!(element_type(&[&ints]).unwrap(), GoType::Int64);
    }
}
