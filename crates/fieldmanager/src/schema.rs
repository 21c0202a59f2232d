//! Schema lookups: what kind of node (struct, map, set, associative or atomic list, scalar) a
//! value at some position is, given the per-kind table in `schema_table`.

use serde_json::Value;

use crate::schema_table::{KEY_DEFAULTS, KINDS, STRUCTS};

/// The type of a field as declared in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    /// A leaf value.
    Scalar,
    /// An atomic struct, map or list: owned as a whole.
    Atomic,
    /// A granular struct with the named field table.
    Struct(&'static str),
    /// A granular map (e.g. labels) whose values are of the given type.
    Map(Elem),
    /// An associative list (`listType=map`) with its key fields.
    List(&'static [&'static str], Elem),
    /// A set of scalars (`listType=set`).
    Set,
    /// Not in the table: derived from the value (objects granular, lists atomic).
    Deduced,
}

/// The element type of a map or associative list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Elem {
    Scalar,
    Atomic,
    Struct(&'static str),
}

impl Elem {
    pub(crate) fn ty(self) -> Ty {
        match self {
            Elem::Scalar => Ty::Scalar,
            Elem::Atomic => Ty::Atomic,
            Elem::Struct(name) => Ty::Struct(name),
        }
    }
}

/// One declared field of a struct.
#[derive(Debug)]
pub(crate) struct FieldDef {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    /// Present (as `{}` or `null`) in the Go zero value of the enclosing struct.
    pub(crate) always: bool,
}

/// What a node is, once its declared type and actual value are known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Leaf,
    /// Granular struct; `None` for a deduced object.
    Struct(Option<&'static str>),
    Map(Elem),
    List(&'static [&'static str], Elem),
    Set,
}

/// The schema of one kind.
#[derive(Clone, Copy, Debug)]
pub struct Schema {
    kind: &'static str,
    root: &'static str,
    api_version: &'static str,
    reset_status: bool,
}

impl Schema {
    /// The schema for a built-in kind, or `None` if kubelite does not know the kind.
    pub fn for_kind(kind: &str) -> Option<Schema> {
        KINDS
            .iter()
            .find(|(k, ..)| *k == kind)
            .map(|&(kind, root, api_version, reset_status)| Schema {
                kind,
                root,
                api_version,
                reset_status,
            })
    }

    /// The kind's name, e.g. `Service`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// The apiVersion recorded in managedFields entries, e.g. `v1`.
    pub fn api_version(&self) -> &'static str {
        self.api_version
    }

    /// Whether writes to the main resource ignore `status` (upstream `ResetFieldsStrategy`).
    pub fn resets_status(&self) -> bool {
        self.reset_status
    }

    /// Whether the list at `path` (field names from the root, e.g. `["spec", "ports"]`; list
    /// items are stepped through) is associative, and if so its key fields.
    pub fn list_map_keys(&self, path: &[&str]) -> Option<&'static [&'static str]> {
        match self.field_path_ty(path)? {
            Ty::List(keys, _) => Some(keys),
            _ => None,
        }
    }

    /// Whether the list at `path` is a set of scalars.
    pub fn is_set(&self, path: &[&str]) -> bool {
        self.field_path_ty(path) == Some(Ty::Set)
    }

    /// Whether the field at `path` is atomic (replaced as a whole by apply).
    pub fn is_atomic(&self, path: &[&str]) -> bool {
        self.field_path_ty(path) == Some(Ty::Atomic)
    }

    fn field_path_ty(&self, path: &[&str]) -> Option<Ty> {
        let mut ty = self.root_ty();
        for name in path {
            // A list is stepped through to its element, whose field is then looked up.
            if let Ty::List(_, elem) = ty {
                ty = elem.ty();
            }
            ty = match ty {
                Ty::Struct(s) => field_def(s, name).map(|d| d.ty).unwrap_or(Ty::Deduced),
                Ty::Map(elem) => elem.ty(),
                _ => return None,
            };
        }
        Some(ty)
    }

    pub(crate) fn root_ty(&self) -> Ty {
        Ty::Struct(self.root)
    }
}

fn struct_fields(name: &str) -> Option<&'static [FieldDef]> {
    STRUCTS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn field_def(struct_name: &str, field: &str) -> Option<&'static FieldDef> {
    struct_fields(struct_name)?.iter().find(|d| d.name == field)
}

/// The declared type of `field` inside a node of shape `shape`.
pub(crate) fn child_ty(shape: Shape, field: &str) -> Ty {
    match shape {
        Shape::Struct(Some(s)) => field_def(s, field).map(|d| d.ty).unwrap_or(Ty::Deduced),
        Shape::Map(elem) => elem.ty(),
        _ => Ty::Deduced,
    }
}

/// Whether `field` is a declared (named) field of the struct shape, as opposed to a map key.
pub(crate) fn is_named_field(shape: Shape) -> bool {
    matches!(shape, Shape::Struct(_))
}

/// Fields of a struct that exist in its Go zero value, with the value they have there.
pub(crate) fn zero_fields(shape: Shape) -> impl Iterator<Item = (&'static str, Value)> {
    let fields = match shape {
        Shape::Struct(Some(s)) => struct_fields(s).unwrap_or(&[]),
        _ => &[],
    };
    fields.iter().filter(|d| d.always).map(|d| {
        let zero = match d.ty {
            Ty::Struct(_) => Value::Object(serde_json::Map::new()),
            _ => Value::Null,
        };
        (d.name, zero)
    })
}

/// The shape of `value` when declared as `ty`.
pub(crate) fn shape_of(ty: Ty, value: &Value) -> Shape {
    match (ty, value) {
        (Ty::Struct(s), Value::Object(_)) => Shape::Struct(Some(s)),
        (Ty::Deduced, Value::Object(_)) => Shape::Struct(None),
        (Ty::Map(elem), Value::Object(_)) => Shape::Map(elem),
        (Ty::List(keys, elem), Value::Array(_)) => Shape::List(keys, elem),
        (Ty::Set, Value::Array(_)) => Shape::Set,
        _ => Shape::Leaf,
    }
}

/// The schema default of a list-map key field, if it has one.
pub(crate) fn key_default(elem: Elem, key: &str) -> Option<Value> {
    let Elem::Struct(s) = elem else { return None };
    KEY_DEFAULTS
        .iter()
        .find(|(st, k, _)| *st == s && *k == key)
        .map(|(_, _, v)| Value::String((*v).to_string()))
}
