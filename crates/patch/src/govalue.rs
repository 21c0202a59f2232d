//! Go `interface{}` semantics for JSON values, as upstream's strategic merge patch sees them.
//!
//! kube-apiserver decodes JSON into `map[string]interface{}` with integers as `int64` and every
//! other number as `float64`. Upstream compares such values with `==` (which panics on maps and
//! slices), uses them as Go map keys (which panics on maps and slices too) and prints them with
//! `%v`/`%s` in error messages. This module reproduces exactly those three behaviours, turning
//! the panics into [`PatchError::GoRuntime`].

use std::fmt::Write;

use serde_json::{Map, Number, Value};

use crate::PatchError;

/// The dynamic Go type of a decoded JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GoType {
    Nil,
    Bool,
    Int64,
    Float64,
    String,
    Slice,
    Map,
}

impl GoType {
    /// The name `reflect.TypeOf(v)` prints with `%s` (a nil interface prints as `%!s(<nil>)`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            GoType::Nil => "%!s(<nil>)",
            GoType::Bool => "bool",
            GoType::Int64 => "int64",
            GoType::Float64 => "float64",
            GoType::String => "string",
            GoType::Slice => SLICE,
            GoType::Map => MAP,
        }
    }
}

/// Go name of the decoded list type.
pub(crate) const SLICE: &str = "[]interface {}";
/// Go name of the decoded object type.
pub(crate) const MAP: &str = "map[string]interface {}";

/// The Go type `v` decodes to.
pub(crate) fn go_type(v: &Value) -> GoType {
    match v {
        Value::Null => GoType::Nil,
        Value::Bool(_) => GoType::Bool,
        Value::Number(n) if n.is_i64() => GoType::Int64,
        Value::Number(_) => GoType::Float64,
        Value::String(_) => GoType::String,
        Value::Array(_) => GoType::Slice,
        Value::Object(_) => GoType::Map,
    }
}

/// `mergepatch.ErrBadArgType(expected, actual)`.
pub(crate) fn bad_arg_type(expected: &'static str, actual: &Value) -> PatchError {
    PatchError::BadArgType {
        expected,
        actual: go_type(actual).name(),
    }
}

/// `mergepatch.ErrNoMergeKey(m, key)`.
pub(crate) fn no_merge_key(map: &Map<String, Value>, key: &str) -> PatchError {
    PatchError::NoMergeKey {
        map: format(&Value::Object(map.clone()), Verb::V),
        key: key.to_owned(),
    }
}

/// Go's `left == right` on two `interface{}` values: different dynamic types are unequal,
/// equal types compare by value, and comparing two maps or two slices panics.
pub(crate) fn go_eq(left: &Value, right: &Value) -> Result<bool, PatchError> {
    let (lt, rt) = (go_type(left), go_type(right));
    if lt != rt {
        return Ok(false);
    }
    Ok(match (left, right) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => number_eq(a, b),
        (Value::Object(_), _) => {
            return Err(PatchError::GoRuntime(
                "comparing uncomparable type map[string]interface {}",
            ));
        }
        _ => {
            return Err(PatchError::GoRuntime(
                "comparing uncomparable type []interface {}",
            ));
        }
    })
}

fn number_eq(a: &Number, b: &Number) -> bool {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => x == y,
        _ => a.as_f64() == b.as_f64(),
    }
}

/// Fails as Go does when `v` is used as a map key: maps and slices are unhashable.
pub(crate) fn check_hashable(v: &Value) -> Result<(), PatchError> {
    match v {
        Value::Object(_) => Err(PatchError::GoRuntime(
            "hash of unhashable type map[string]interface {}",
        )),
        Value::Array(_) => Err(PatchError::GoRuntime(
            "hash of unhashable type []interface {}",
        )),
        _ => Ok(()),
    }
}

/// Whether Go's set `{x: true for x in set}` contains `v` (all values already hashable).
pub(crate) fn set_contains(set: &[Value], v: &Value) -> Result<bool, PatchError> {
    check_hashable(v)?;
    for member in set {
        if go_eq(member, v)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The fmt verb a value is printed with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    /// `%v`
    V,
    /// `%s`
    S,
}

/// `fmt.Sprintf("%v"/"%s", v)` for a decoded JSON value.
pub(crate) fn format(v: &Value, verb: Verb) -> String {
    let mut out = String::new();
    write_value(&mut out, v, verb);
    out
}

/// `fmt.Sprint(slices)` for the `[][]interface{}` upstream prints in type errors.
pub(crate) fn format_slices(slices: &[&[Value]]) -> String {
    let mut out = String::from("[");
    for (i, s) in slices.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_list(&mut out, s, Verb::V);
    }
    out.push(']');
    out
}

fn write_list(out: &mut String, items: &[Value], verb: Verb) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_value(out, item, verb);
    }
    out.push(']');
}

fn write_value(out: &mut String, v: &Value, verb: Verb) {
    match v {
        Value::Object(map) => {
            // fmt prints maps with their keys sorted.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push_str("map[");
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, &map[k.as_str()], verb);
            }
            out.push(']');
        }
        Value::Array(items) => write_list(out, items, verb),
        Value::String(s) => out.push_str(s),
        Value::Null => out.push_str(match verb {
            Verb::V => "<nil>",
            Verb::S => "%!s(<nil>)",
        }),
        Value::Bool(_) | Value::Number(_) => {
            let text = match v {
                Value::Number(n) => match n.as_i64() {
                    Some(i) => i.to_string(),
                    None => go_float(n.as_f64().unwrap_or_default()),
                },
                _ => v.to_string(),
            };
            match verb {
                Verb::V => out.push_str(&text),
                Verb::S => {
                    let _ = write!(out, "%!s({}={text})", go_type(v).name());
                }
            }
        }
    }
}

/// `strconv.FormatFloat(f, 'g', -1, 64)`, which is what `%v` prints for a `float64`:
/// shortest digits, exponent form when the exponent is below -4 or at least 6.
fn go_float(f: f64) -> String {
    let sci = format!("{f:e}");
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return sci;
    };
    let exp: i32 = exp.parse().unwrap_or(0);
    if f != 0.0 && !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn formats_like_go_fmt() {
        let cases = [
            (json!({"b": 1, "a": "x"}), Verb::V, "map[a:x b:1]"),
            (
                json!({"a": [1, 2.5, null]}),
                Verb::V,
                "map[a:[1 2.5 <nil>]]",
            ),
            (json!({}), Verb::V, "map[]"),
            (json!([]), Verb::V, "[]"),
            (json!(true), Verb::V, "true"),
            (json!(5), Verb::S, "%!s(int64=5)"),
            (json!(1.5), Verb::S, "%!s(float64=1.5)"),
            (json!(false), Verb::S, "%!s(bool=false)"),
            (json!(null), Verb::S, "%!s(<nil>)"),
            (json!("merge"), Verb::S, "merge"),
            (json!({"a": 1}), Verb::S, "map[a:%!s(int64=1)]"),
            (json!(1_000_000.0), Verb::V, "1e+06"),
            (json!(123_456.0), Verb::V, "123456"),
            (json!(0.0001), Verb::V, "0.0001"),
            (json!(0.00001234), Verb::V, "1.234e-05"),
            (json!(80.0), Verb::V, "80"),
            (json!(1e21), Verb::V, "1e+21"),
            (json!(u64::MAX), Verb::V, "1.8446744073709552e+19"),
            (json!(-3), Verb::V, "-3"),
        ];
        for (value, verb, want) in cases {
            assert_eq!(format(&value, verb), want, "{value}");
        }
    }

    #[test]
    fn formats_slices_like_fmt_sprint() {
        let a = [json!("x"), json!(1)];
        let b: [Value; 0] = [];
        assert_eq!(format_slices(&[&a, &b]), "[[x 1] []]");
    }

    #[test]
    fn compares_like_go_interfaces() {
        assert!(go_eq(&json!(80), &json!(80)).unwrap());
        assert!(
            !go_eq(&json!(80), &json!(80.0)).unwrap(),
            "int64 != float64"
        );
        assert!(go_eq(&json!(80.5), &json!(80.5)).unwrap());
        assert!(!go_eq(&json!("80"), &json!(80)).unwrap());
        assert!(go_eq(&json!(null), &json!(null)).unwrap());
        assert!(
            !go_eq(&json!({}), &json!("a")).unwrap(),
            "different types never panic"
        );
        assert!(go_eq(&json!({}), &json!({})).is_err());
        assert!(go_eq(&json!([]), &json!([])).is_err());
    }

    #[test]
    fn hashing_rejects_maps_and_slices() {
        assert!(check_hashable(&json!("a")).is_ok());
        assert!(check_hashable(&json!(null)).is_ok());
        assert_eq!(
            check_hashable(&json!({})).unwrap_err().to_string(),
            "runtime error: hash of unhashable type map[string]interface {}"
        );
        assert!(check_hashable(&json!([1])).is_err());
    }
}
