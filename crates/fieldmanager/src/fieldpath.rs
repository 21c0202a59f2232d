//! Field paths and sets of them (structured-merge-diff `fieldpath`), with the FieldsV1 encoding
//! used in `metadata.managedFields[].fieldsV1` and the `.spec.ports[port=80,...]` rendering used
//! in conflict messages.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::{Map, Value};

/// One step into a value.
#[derive(Clone, Debug)]
pub enum PathElement {
    /// A struct field or map key: `f:<name>`.
    Field(String),
    /// An associative-list item by its key fields, sorted by name: `k:{...}`.
    Key(Vec<(String, Value)>),
    /// A set item by its value: `v:<json>`.
    Value(Value),
    /// An atomic-list item by index: `i:<n>` (kept only for decoding foreign entries).
    Index(i64),
}

/// A path from the object root.
pub type Path = Vec<PathElement>;

fn rank(pe: &PathElement) -> u8 {
    match pe {
        PathElement::Field(_) => 0,
        PathElement::Key(_) => 1,
        PathElement::Value(_) => 2,
        PathElement::Index(_) => 3,
    }
}

impl Ord for PathElement {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (PathElement::Field(a), PathElement::Field(b)) => a.cmp(b),
            (PathElement::Key(a), PathElement::Key(b)) => cmp_fields(a, b),
            (PathElement::Value(a), PathElement::Value(b)) => cmp_values(a, b),
            (PathElement::Index(a), PathElement::Index(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

impl PartialOrd for PathElement {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for PathElement {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for PathElement {}

fn cmp_fields(a: &[(String, Value)], b: &[(String, Value)]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let c = x.0.cmp(&y.0).then_with(|| cmp_values(&x.1, &y.1));
        if c != Ordering::Equal {
            return c;
        }
    }
    a.len().cmp(&b.len())
}

fn value_rank(v: &Value) -> u8 {
    match v {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// The total order upstream `value.Compare` gives values: numbers, strings, bools, lists, maps, null.
pub(crate) fn cmp_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i.cmp(&j),
            _ => {
                let (p, q) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                p.partial_cmp(&q).unwrap_or(Ordering::Equal)
            }
        },
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let c = cmp_values(p, q);
                if c != Ordering::Equal {
                    return c;
                }
            }
            x.len().cmp(&y.len())
        }
        (Value::Object(x), Value::Object(y)) => {
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            for (p, q) in xs.iter().zip(&ys) {
                let c = p.0.cmp(q.0).then_with(|| cmp_values(p.1, q.1));
                if c != Ordering::Equal {
                    return c;
                }
            }
            xs.len().cmp(&ys.len())
        }
        _ => value_rank(a).cmp(&value_rank(b)),
    }
}

/// Go's `%v` of a value inside a path (`value.ToString`): strings quoted, numbers bare.
fn value_to_string(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::String(s) => go_quote(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(value_to_string).collect();
            format!("[{}]", parts.join(","))
        }
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}={}", value_to_string(v)))
            .collect(),
    }
}

/// Go's `%q` for the strings that occur in field paths.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl fmt::Display for PathElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathElement::Field(name) => write!(f, ".{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", value_to_string(v)))
                    .collect();
                write!(f, "[{}]", parts.join(","))
            }
            PathElement::Value(v) => write!(f, "[={}]", value_to_string(v)),
            PathElement::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// Renders a path as upstream `Path.String()`, e.g. `.spec.ports[port=80,protocol="TCP"].port`.
pub fn path_string(path: &[PathElement]) -> String {
    path.iter().map(|pe| pe.to_string()).collect()
}

/// JSON as Go's encoder writes it (HTML-safe escaping), used inside `k:` and `v:` keys.
fn go_json(v: &Value) -> String {
    let raw = serde_json::to_string(v).unwrap_or_default();
    raw.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

impl PathElement {
    /// The FieldsV1 key for this element.
    pub fn encode(&self) -> String {
        match self {
            PathElement::Field(name) => format!("f:{name}"),
            PathElement::Key(fields) => {
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{}:{}", go_json(&Value::String(k.clone())), go_json(v)))
                    .collect();
                format!("k:{{{}}}", parts.join(","))
            }
            PathElement::Value(v) => format!("v:{}", go_json(v)),
            PathElement::Index(i) => format!("i:{i}"),
        }
    }

    /// Parses a FieldsV1 key; `Ok(None)` for an unknown element type (ignored, as upstream).
    pub fn decode(s: &str) -> Result<Option<PathElement>, String> {
        let Some((kind, rest)) = s.split_once(':') else {
            return Err(format!("missing colon: {s}"));
        };
        match kind {
            "f" => Ok(Some(PathElement::Field(rest.to_string()))),
            "v" => serde_json::from_str(rest)
                .map(|v| Some(PathElement::Value(v)))
                .map_err(|e| e.to_string()),
            "k" => {
                let m: Map<String, Value> =
                    serde_json::from_str(rest).map_err(|e| e.to_string())?;
                let mut fields: Vec<(String, Value)> = m.into_iter().collect();
                fields.sort_by(|a, b| a.0.cmp(&b.0));
                Ok(Some(PathElement::Key(fields)))
            }
            "i" => rest
                .parse()
                .map(|i| Some(PathElement::Index(i)))
                .map_err(|e: std::num::ParseIntError| e.to_string()),
            _ if kind.len() == 1 => Ok(None),
            _ => Err(format!("missing colon: {s}")),
        }
    }
}

/// A set of paths, stored as a trie: `members` end here, `children` continue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Set {
    members: BTreeSet<PathElement>,
    children: BTreeMap<PathElement, Set>,
}

impl Set {
    pub fn new() -> Set {
        Set::default()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty() && self.children.is_empty()
    }

    pub fn insert(&mut self, path: &[PathElement]) {
        match path {
            [] => {}
            [last] => {
                self.members.insert(last.clone());
            }
            [first, rest @ ..] => self.children.entry(first.clone()).or_default().insert(rest),
        }
    }

    pub fn has(&self, path: &[PathElement]) -> bool {
        match path {
            [] => false,
            [last] => self.members.contains(last),
            [first, rest @ ..] => self.children.get(first).is_some_and(|c| c.has(rest)),
        }
    }

    /// The subset of paths under `pe`, without the prefix.
    pub fn with_prefix(&self, pe: &PathElement) -> Set {
        self.children.get(pe).cloned().unwrap_or_default()
    }

    pub(crate) fn child(&self, pe: &PathElement) -> Option<&Set> {
        self.children.get(pe)
    }

    pub fn union(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.extend(other);
        out
    }

    /// Adds `other`'s paths to this set.
    pub fn extend(&mut self, other: &Set) {
        for pe in &other.members {
            if !self.members.contains(pe) {
                self.members.insert(pe.clone());
            }
        }
        for (pe, set) in &other.children {
            match self.children.get_mut(pe) {
                Some(mine) => mine.extend(set),
                None => {
                    self.children.insert(pe.clone(), set.clone());
                }
            }
        }
    }

    pub fn difference(&self, other: &Set) -> Set {
        let mut out = self.clone();
        out.subtract(other);
        out
    }

    /// Takes `other`'s paths out of this set.
    pub fn subtract(&mut self, other: &Set) {
        if !other.members.is_empty() {
            self.members.retain(|pe| !other.members.contains(pe));
        }
        self.children.retain(|pe, set| {
            if let Some(o) = other.children.get(pe) {
                set.subtract(o);
            }
            !set.is_empty()
        });
    }

    pub fn intersection(&self, other: &Set) -> Set {
        let members = self.members.intersection(&other.members).cloned().collect();
        let mut children = BTreeMap::new();
        for (pe, set) in &self.children {
            if let Some(o) = other.children.get(pe) {
                let i = set.intersection(o);
                if !i.is_empty() {
                    children.insert(pe.clone(), i);
                }
            }
        }
        Set { members, children }
    }

    /// Every member path, in upstream `Iterate` order (a node's members, then its children).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Path, out: &mut Vec<Path>) {
        for pe in &self.members {
            let mut p = prefix.clone();
            p.push(pe.clone());
            out.push(p);
        }
        for (pe, set) in &self.children {
            prefix.push(pe.clone());
            set.collect(prefix, out);
            prefix.pop();
        }
    }

    pub(crate) fn members_mut(&mut self) -> &mut BTreeSet<PathElement> {
        &mut self.members
    }

    pub(crate) fn children_mut(&mut self) -> &mut BTreeMap<PathElement, Set> {
        &mut self.children
    }

    pub(crate) fn children(&self) -> &BTreeMap<PathElement, Set> {
        &self.children
    }

    /// The FieldsV1 JSON object for this set.
    pub fn to_fields_v1(&self) -> Value {
        Value::Object(self.emit(false))
    }

    fn emit(&self, include_self: bool) -> Map<String, Value> {
        let mut out = Map::new();
        if include_self && !self.is_empty() {
            out.insert(".".to_string(), Value::Object(Map::new()));
        }
        // Members and children interleave in element order; a member that also has children
        // is written once, with a "." entry inside.
        let mut keys: BTreeSet<&PathElement> = self.members.iter().collect();
        keys.extend(self.children.keys());
        for pe in keys {
            let inner = match self.children.get(pe) {
                Some(child) => child.emit(self.members.contains(pe)),
                None => Map::new(),
            };
            out.insert(pe.encode(), Value::Object(inner));
        }
        out
    }

    /// Parses a FieldsV1 JSON object.
    pub fn from_fields_v1(v: &Value) -> Result<Set, String> {
        let Value::Object(m) = v else {
            return Err("FieldsV1 must be a JSON object".to_string());
        };
        Ok(Set::read(m).0)
    }

    /// Returns the subtree and whether the node itself is a member.
    fn read(m: &Map<String, Value>) -> (Set, bool) {
        let mut set = Set::new();
        let mut is_member = false;
        for (key, val) in m {
            if key == "." {
                is_member = true;
                continue;
            }
            let Ok(Some(pe)) = PathElement::decode(key) else {
                continue;
            };
            let empty = Map::new();
            let inner = match val {
                Value::Object(o) => o,
                _ => &empty,
            };
            let (grandchildren, child_member) = Set::read(inner);
            if child_member {
                set.members.insert(pe.clone());
            }
            if !grandchildren.is_empty() {
                set.children.insert(pe, grandchildren);
            }
        }
        if set.is_empty() {
            is_member = true;
        }
        (set, is_member)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_v1_round_trips_in_upstream_order() {
        let cases = [
            json!({"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}),
            json!({"f:spec": {"f:ports": {".": {}, "k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}}),
            json!({"f:metadata": {"f:finalizers": {"v:\"a\"": {}, "v:\"b\"": {}}}}),
            json!({"f:a": {}, "f:b": {"f:c": {}}}),
        ];
        for fields in cases {
            let set = Set::from_fields_v1(&fields).unwrap();
            assert_eq!(set.to_fields_v1().to_string(), fields.to_string());
        }
    }

    #[test]
    fn elements_encode_and_render_as_upstream() {
        let key = PathElement::Key(vec![
            ("port".to_string(), json!(80)),
            ("protocol".to_string(), json!("T<C>&P")),
        ]);
        assert_eq!(
            key.encode(),
            "k:{\"port\":80,\"protocol\":\"T\\u003cC\\u003e\\u0026P\"}"
        );
        assert_eq!(key.to_string(), "[port=80,protocol=\"T<C>&P\"]");
        assert_eq!(PathElement::Value(json!("x")).to_string(), "[=\"x\"]");
        let decoded = PathElement::decode("k:{\"protocol\":\"TCP\",\"port\":80}")
            .unwrap()
            .unwrap();
        assert_eq!(decoded.encode(), "k:{\"port\":80,\"protocol\":\"TCP\"}");
        assert!(PathElement::decode("z:1").unwrap().is_none());
        assert!(PathElement::decode("nocolon").is_err());
        assert!(PathElement::Field("z".into()) < PathElement::Key(vec![]));
        assert!(PathElement::Value(json!(2)) < PathElement::Value(json!("1")));
    }

    #[test]
    fn set_algebra() {
        let p = |s: &[&str]| -> Path {
            s.iter()
                .map(|x| PathElement::Field(x.to_string()))
                .collect()
        };
        let mut a = Set::new();
        a.insert(&p(&["spec", "type"]));
        a.insert(&p(&["spec", "selector"]));
        let mut b = Set::new();
        b.insert(&p(&["spec", "type"]));
        assert!(a.intersection(&b).has(&p(&["spec", "type"])));
        assert!(!a.difference(&b).has(&p(&["spec", "type"])));
        assert!(a.difference(&a).is_empty());
        assert_eq!(a.union(&b), a);
        assert_eq!(a.paths().len(), 2);
        assert!(
            a.with_prefix(&PathElement::Field("spec".into()))
                .has(&p(&["selector"]))
        );
    }
}
