//! Schema-aware walks over `serde_json::Value` (structured-merge-diff `typed`): the field set
//! of a value, the comparison of two values, the apply merge, and removal of a set of paths.

use serde_json::{Map, Value};

use crate::fieldpath::{Path, PathElement, Set};
use crate::schema::{Shape, Ty, child_ty, is_named_field, key_default, shape_of, zero_fields};

/// The shape of a possibly-null value: `null` takes the declared shape, as an empty value.
fn shape_for(ty: Ty, v: &Value) -> Shape {
    if v.is_null() {
        let empty = match ty {
            Ty::Struct(_) | Ty::Map(_) => Value::Object(Map::new()),
            Ty::List(..) | Ty::Set => Value::Array(Vec::new()),
            _ => Value::Null,
        };
        return shape_of(ty, &empty);
    }
    shape_of(ty, v)
}

fn is_empty_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Object(m)) => m.is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(_) => false,
    }
}

/// The path element naming a list item, or an error text as upstream words it.
fn item_element(shape: Shape, item: &Value, strict: bool) -> Result<PathElement, String> {
    match shape {
        Shape::Set => Ok(PathElement::Value(item.clone())),
        Shape::List(keys, elem) => {
            let Value::Object(m) = item else {
                return Err("expected map, got non-map".to_string());
            };
            let mut fields = Vec::with_capacity(keys.len());
            for key in keys {
                match m.get(*key).cloned().or_else(|| key_default(elem, key)) {
                    Some(v) => fields.push(((*key).to_string(), v)),
                    None if strict => {
                        return Err(format!(
                            "associative list with keys has an element that omits key field {key:?} (and doesn't have default value)"
                        ));
                    }
                    None => {}
                }
            }
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(PathElement::Key(fields))
        }
        _ => Err("not a granular list".to_string()),
    }
}

fn list_elem_ty(shape: Shape) -> Ty {
    match shape {
        Shape::List(_, elem) => elem.ty(),
        _ => Ty::Scalar,
    }
}

/// The set of leaf and item paths a value sets (upstream `ToFieldSet`).
///
/// `strict` rejects list items without their keys and duplicate items, as apply does.
pub(crate) fn to_field_set(v: &Value, ty: Ty, strict: bool) -> Result<Set, String> {
    let mut set = Set::new();
    walk_fields(v, ty, &mut Vec::new(), &mut set, strict)?;
    Ok(set)
}

fn walk_fields(
    v: &Value,
    ty: Ty,
    path: &mut Path,
    set: &mut Set,
    strict: bool,
) -> Result<(), String> {
    let shape = shape_for(ty, v);
    match shape {
        Shape::Leaf => set.insert(path),
        Shape::Struct(_) | Shape::Map(_) => {
            let Value::Object(m) = v else { return Ok(()) };
            for (k, child) in m {
                path.push(PathElement::Field(k.clone()));
                walk_fields(child, child_ty(shape, k), path, set, strict)?;
                let empty_obj = matches!(child, Value::Object(o) if o.is_empty());
                if child.is_null() || empty_obj || !is_named_field(shape) {
                    set.insert(path);
                }
                path.pop();
            }
        }
        Shape::List(..) | Shape::Set => {
            let Value::Array(items) = v else {
                return Ok(());
            };
            let mut seen: Vec<PathElement> = Vec::new();
            let mut dups: Vec<PathElement> = Vec::new();
            let mut pes = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let pe = match item_element(shape, item, strict) {
                    Ok(pe) => pe,
                    Err(e) => {
                        return Err(format!(
                            "{}: element {i}: {e}",
                            crate::fieldpath::path_string(path)
                        ));
                    }
                };
                if seen.contains(&pe) {
                    if strict {
                        return Err(format!(
                            "{}: duplicate entries for key {pe}",
                            crate::fieldpath::path_string(path)
                        ));
                    }
                    if !dups.contains(&pe) {
                        dups.push(pe.clone());
                    }
                } else {
                    seen.push(pe.clone());
                }
                pes.push(pe);
            }
            for pe in &dups {
                path.push(pe.clone());
                set.insert(path);
                path.pop();
            }
            for (item, pe) in items.iter().zip(pes) {
                if dups.contains(&pe) {
                    continue;
                }
                path.push(pe);
                walk_fields(item, list_elem_ty(shape), path, set, strict)?;
                set.insert(path);
                path.pop();
            }
        }
    }
    Ok(())
}

/// Paths removed, modified and added going from `lhs` to `rhs` (upstream `Compare`).
#[derive(Debug, Default)]
pub(crate) struct Comparison {
    pub(crate) removed: Set,
    pub(crate) modified: Set,
    pub(crate) added: Set,
}

impl Comparison {
    /// Applies a filter (e.g. dropping reset fields) to all three sets.
    pub(crate) fn without(mut self, exclude: &dyn Fn(&mut Set)) -> Comparison {
        exclude(&mut self.removed);
        exclude(&mut self.modified);
        exclude(&mut self.added);
        self
    }
}

/// Compares two objects of type `ty`. Structs are seen as their Go zero value fills them.
pub(crate) fn compare(lhs: Option<&Value>, rhs: Option<&Value>, ty: Ty) -> Comparison {
    let mut c = Comparison::default();
    compare_node(lhs, rhs, ty, &mut Vec::new(), &mut c);
    c
}

fn leaf(lhs: Option<&Value>, rhs: Option<&Value>, path: &Path, c: &mut Comparison) {
    match (lhs, rhs) {
        (None, Some(_)) => c.added.insert(path),
        (Some(_), None) => c.removed.insert(path),
        (Some(l), Some(r)) if l != r => c.modified.insert(path),
        _ => {}
    }
}

/// An object's entries with the always-present fields of its struct filled in: a view over the
/// object, the missing fields' zero values kept beside it (nothing is copied).
struct Filled<'a> {
    map: Option<&'a Map<String, Value>>,
    zeros: Vec<(&'static str, Value)>,
}

impl<'a> Filled<'a> {
    fn of(v: Option<&'a Value>, shape: Shape) -> Option<Filled<'a>> {
        let map = v?.as_object();
        let zeros = zero_fields(shape)
            .filter(|(name, _)| map.is_none_or(|m| !m.contains_key(*name)))
            .collect();
        Some(Filled { map, zeros })
    }

    fn is_empty(&self) -> bool {
        self.map.is_none_or(Map::is_empty) && self.zeros.is_empty()
    }

    /// The object's own keys in order, then the filled-in ones.
    fn keys(&self) -> impl Iterator<Item = &str> {
        let own = self
            .map
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str));
        own.chain(self.zeros.iter().map(|(name, _)| *name))
    }

    fn get(&self, k: &str) -> Option<&Value> {
        self.map.and_then(|m| m.get(k)).or_else(|| {
            self.zeros
                .iter()
                .find(|(name, _)| *name == k)
                .map(|(_, zero)| zero)
        })
    }

    fn contains_key(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
}

fn compare_node(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    ty: Ty,
    path: &mut Path,
    c: &mut Comparison,
) {
    // Equal values have no added, removed or modified path below them: an unchanged subtree
    // (a status write's spec) is not walked.
    if let (Some(l), Some(r)) = (lhs, rhs)
        && l == r
    {
        return;
    }
    let ls = lhs.map(|v| shape_for(ty, v));
    let rs = rhs.map(|v| shape_for(ty, v));
    let shape = match (ls, rs) {
        (Some(l), Some(r)) if l != r => Shape::Leaf,
        (_, Some(s)) | (Some(s), None) => s,
        (None, None) => return,
    };
    match shape {
        Shape::Leaf => return leaf(lhs, rhs, path, c),
        Shape::Struct(_) | Shape::Map(_) => {
            let lm = Filled::of(lhs, shape);
            let rm = Filled::of(rhs, shape);
            let lempty = lm.as_ref().is_none_or(Filled::is_empty);
            let rempty = rm.as_ref().is_none_or(Filled::is_empty);
            if lempty && rempty {
                return leaf(lhs, rhs, path, c);
            }
            let mut keys: Vec<&str> = lm.iter().flat_map(Filled::keys).collect();
            for k in rm.iter().flat_map(Filled::keys) {
                if lm.as_ref().is_none_or(|m| !m.contains_key(k)) {
                    keys.push(k);
                }
            }
            for k in keys {
                path.push(PathElement::Field(k.to_string()));
                let l = lm.as_ref().and_then(|m| m.get(k));
                let r = rm.as_ref().and_then(|m| m.get(k));
                compare_node(l, r, child_ty(shape, k), path, c);
                path.pop();
            }
        }
        Shape::List(..) | Shape::Set => {
            if is_empty_value(lhs) && is_empty_value(rhs) {
                return leaf(lhs, rhs, path, c);
            }
            compare_items(lhs, rhs, shape, path, c);
        }
    }
    match (lhs, rhs) {
        (None, Some(_)) => c.added.insert(path),
        (Some(_), None) => c.removed.insert(path),
        _ => {}
    }
}

/// Items of a list grouped by path element, in first-seen order.
fn group_items(v: Option<&Value>, shape: Shape) -> Vec<(PathElement, Vec<&Value>)> {
    let mut out: Vec<(PathElement, Vec<&Value>)> = Vec::new();
    let Some(Value::Array(items)) = v else {
        return out;
    };
    for item in items {
        let Ok(pe) = item_element(shape, item, false) else {
            continue;
        };
        match out.iter_mut().find(|(p, _)| *p == pe) {
            Some((_, group)) => group.push(item),
            None => out.push((pe, vec![item])),
        }
    }
    out
}

fn compare_items(
    lhs: Option<&Value>,
    rhs: Option<&Value>,
    shape: Shape,
    path: &mut Path,
    c: &mut Comparison,
) {
    let lg = group_items(lhs, shape);
    let rg = group_items(rhs, shape);
    let mut pes: Vec<&PathElement> = lg.iter().map(|(p, _)| p).collect();
    for (p, _) in &rg {
        if !lg.iter().any(|(q, _)| q == p) {
            pes.push(p);
        }
    }
    let elem = list_elem_ty(shape);
    for pe in pes {
        let l: &[&Value] = lg.iter().find(|(p, _)| p == pe).map_or(&[], |(_, g)| g);
        let r: &[&Value] = rg.iter().find(|(p, _)| p == pe).map_or(&[], |(_, g)| g);
        path.push(pe.clone());
        match (l.len(), r.len()) {
            (0..=1, 0..=1) => compare_node(l.first().copied(), r.first().copied(), elem, path, c),
            (2.., 2..) => {
                if l != r {
                    c.modified.insert(path);
                }
            }
            (2.., _) => {
                if let Some(first) = r.first() {
                    compare_node(None, Some(first), elem, path, c);
                }
                c.removed.insert(path);
            }
            (_, _) => {
                if let Some(first) = l.first() {
                    compare_node(Some(first), None, elem, path, c);
                }
                c.added.insert(path);
            }
        }
        path.pop();
    }
}

/// Merges an applied configuration into the live object (upstream `Merge` with keep-RHS).
pub(crate) fn merge(lhs: Option<&Value>, rhs: Option<&Value>, ty: Ty) -> Option<Value> {
    let ls = lhs.map(|v| shape_for(ty, v));
    let rs = rhs.map(|v| shape_for(ty, v));
    let shape = match (ls, rs) {
        (Some(l), Some(r)) if l != r => Shape::Leaf,
        (_, Some(s)) | (Some(s), None) => s,
        (None, None) => return None,
    };
    let keep_rhs = || rhs.or(lhs).cloned();
    match shape {
        Shape::Leaf => keep_rhs(),
        Shape::Struct(_) | Shape::Map(_) => {
            if is_empty_value(lhs) && is_empty_value(rhs) {
                return keep_rhs();
            }
            let empty = Map::new();
            let lm = lhs.and_then(Value::as_object).unwrap_or(&empty);
            let rm = rhs.and_then(Value::as_object).unwrap_or(&empty);
            let mut out = Map::new();
            for (k, l) in lm {
                if let Some(v) = merge(Some(l), rm.get(k), child_ty(shape, k)) {
                    out.insert(k.clone(), v);
                }
            }
            for (k, r) in rm {
                if !lm.contains_key(k)
                    && let Some(v) = merge(None, Some(r), child_ty(shape, k))
                {
                    out.insert(k.clone(), v);
                }
            }
            Some(Value::Object(out))
        }
        Shape::List(..) | Shape::Set => {
            if is_empty_value(lhs) && is_empty_value(rhs) {
                return keep_rhs();
            }
            Some(Value::Array(merge_items(lhs, rhs, shape)))
        }
    }
}

/// Merges list items: the result keeps the applied order for applied items and slots the
/// live-only items where they were relative to the items both sides share.
fn merge_items(lhs: Option<&Value>, rhs: Option<&Value>, shape: Shape) -> Vec<Value> {
    let index = |v: Option<&Value>| -> Vec<(PathElement, Value)> {
        let Some(Value::Array(items)) = v else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                item_element(shape, item, false)
                    .ok()
                    .map(|pe| (pe, item.clone()))
            })
            .collect()
    };
    let l = index(lhs);
    let r = index(rhs);
    let elem = list_elem_ty(shape);
    let find = |list: &[(PathElement, Value)], pe: &PathElement| -> Option<Value> {
        let mut hits = list.iter().filter(|(p, _)| p == pe);
        let first = hits.next()?;
        // A duplicated key on the live side merges as if absent, as upstream does.
        if hits.next().is_some() {
            None
        } else {
            Some(first.1.clone())
        }
    };
    let mut shared: std::collections::VecDeque<&PathElement> = r
        .iter()
        .map(|(p, _)| p)
        .filter(|p| l.iter().any(|(q, _)| q == *p))
        .collect();
    let mut next_shared = shared.pop_front();
    let mut merged_rhs: Vec<&PathElement> = Vec::new();
    let mut out = Vec::new();
    let (mut li, mut ri) = (0, 0);
    while li < l.len() || ri < r.len() {
        if li < l.len() && ri < r.len() {
            let pe = &l[li].0;
            if *pe == r[ri].0 {
                merged_rhs.push(pe);
                let lc = find(&l, pe);
                let rc = find(&r, pe);
                if let Some(v) = merge(lc.as_ref(), rc.as_ref(), elem) {
                    out.push(v);
                }
                li += 1;
                ri += 1;
                next_shared = shared.pop_front();
                continue;
            }
            let in_rhs = r.iter().any(|(p, _)| p == pe);
            if in_rhs && next_shared.is_some_and(|n| n != pe) {
                li += 1;
                continue;
            }
        }
        if li < l.len() {
            let pe = &l[li].0;
            if !r.iter().any(|(p, _)| p == pe) {
                if let Some(v) = merge(Some(&l[li].1), None, elem) {
                    out.push(v);
                }
                li += 1;
                continue;
            } else if merged_rhs.contains(&pe) {
                li += 1;
            }
        }
        if ri < r.len() {
            let pe = &r[ri].0;
            merged_rhs.push(pe);
            let lc = find(&l, pe);
            let rc = find(&r, pe);
            if let Some(v) = merge(lc.as_ref(), rc.as_ref(), elem) {
                out.push(v);
            }
            ri += 1;
            if next_shared.is_some_and(|n| n == pe) {
                next_shared = shared.pop_front();
            }
        }
    }
    out
}

/// Removes the paths in `set` from `v` (upstream `RemoveItems`); `None` when nothing is left.
pub(crate) fn remove_items(v: &Value, set: &Set, ty: Ty) -> Option<Value> {
    let shape = shape_for(ty, v);
    match (shape, v) {
        (Shape::Struct(_) | Shape::Map(_), Value::Object(m)) if !m.is_empty() => {
            let mut out = Map::new();
            for (k, child) in m {
                let pe = PathElement::Field(k.clone());
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let kept = match set.child(&pe) {
                    Some(sub) => {
                        remove_items(child, sub, child_ty(shape, k)).unwrap_or(Value::Null)
                    }
                    None => child.clone(),
                };
                out.insert(k.clone(), kept);
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        (Shape::List(..) | Shape::Set, Value::Array(items)) if !items.is_empty() => {
            let mut out = Vec::new();
            for item in items {
                let Ok(pe) = item_element(shape, item, false) else {
                    out.push(item.clone());
                    continue;
                };
                if set.has(std::slice::from_ref(&pe)) {
                    continue;
                }
                let kept = match set.child(&pe) {
                    Some(sub) => {
                        remove_items(item, sub, list_elem_ty(shape)).unwrap_or(Value::Null)
                    }
                    None => item.clone(),
                };
                out.push(kept);
            }
            (!out.is_empty()).then_some(Value::Array(out))
        }
        _ => Some(v.clone()),
    }
}

/// Adds named struct fields that have owned children as members (upstream
/// `EnsureNamedFieldsAreMembers`), so removing a set also removes emptied structs.
pub(crate) fn ensure_named_fields_are_members(set: &Set, ty: Ty) -> Set {
    let mut out = set.clone();
    let struct_like = matches!(ty, Ty::Struct(_) | Ty::Deduced);
    let children: Vec<(PathElement, Set)> = set
        .children()
        .iter()
        .map(|(p, s)| (p.clone(), s.clone()))
        .collect();
    for (pe, sub) in children {
        let sub_ty = match (&pe, ty) {
            (PathElement::Field(name), Ty::Struct(_) | Ty::Deduced) => {
                let shape = match ty {
                    Ty::Struct(s) => Shape::Struct(Some(s)),
                    _ => Shape::Struct(None),
                };
                child_ty(shape, name)
            }
            (PathElement::Field(_), Ty::Map(elem)) => elem.ty(),
            (_, Ty::List(_, elem)) => elem.ty(),
            _ => Ty::Scalar,
        };
        if struct_like && matches!(pe, PathElement::Field(_)) {
            out.members_mut().insert(pe.clone());
        }
        out.children_mut()
            .insert(pe, ensure_named_fields_are_members(&sub, sub_ty));
    }
    out
}

/// Drops `null` values left behind by merging and removal (the typed round trip drops them).
pub(crate) fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, child| !child.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}
