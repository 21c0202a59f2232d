//! The schema vocabulary: a protobuf message as a table of fields, each with its upstream
//! field number, its JSON name and the rule Go's `encoding/json` applies when the field is
//! zero. The tables themselves live in `tables/`.

/// A protobuf message of the Kubernetes API (`generated.proto`), fields in Go struct order
/// (the order Go's JSON encoder writes them).
#[derive(Debug)]
pub(crate) struct Message {
    /// The Go/protobuf type name, used in error texts.
    pub(crate) name: &'static str,
    pub(crate) fields: &'static [Field],
}

/// One field of a [`Message`].
#[derive(Debug)]
pub(crate) struct Field {
    /// The protobuf field number.
    pub(crate) tag: u32,
    /// The JSON name (empty for an inlined embedded struct).
    pub(crate) json: &'static str,
    pub(crate) ty: Ty,
    pub(crate) emit: Emit,
    /// A repeated field (a Go slice).
    pub(crate) list: bool,
}

/// What a field holds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ty {
    Str,
    Bool,
    Int32,
    Int64,
    /// A nested struct.
    Msg(&'static Message),
    /// An embedded struct whose fields Go's JSON flattens into the parent (`json:",inline"`).
    Inline(&'static Message),
    /// `resource.Quantity`: `{1: string}` on the wire, a JSON string.
    Quantity,
    /// `metav1.Time`: `{1: seconds, 2: nanos}`, RFC 3339 in seconds.
    Time,
    /// `metav1.MicroTime`: like `Time`, RFC 3339 with microseconds.
    MicroTime,
    /// `intstr.IntOrString`: `{1: type, 2: intVal, 3: strVal}`, a JSON number or string.
    IntOrString,
    /// `metav1.FieldsV1`: `{1: raw JSON bytes}`, embedded verbatim.
    FieldsV1,
    /// `map[string]string`.
    StrMap,
    /// `map[string]resource.Quantity` (a `ResourceList`).
    QuantityMap,
}

/// How Go's JSON encoder treats the field when it is zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Emit {
    /// No `omitempty`: always written (`""`, `0`, `false`, `{}`; `null` for an empty slice or map).
    Always,
    /// `omitempty` on a non-pointer: zero scalars and empty slices/maps are left out; structs
    /// are still written (Go's omitempty never omits a struct).
    Omit,
    /// A pointer with `omitempty`: written exactly when present on the wire, even if zero.
    Ptr,
}

impl Field {
    /// The Go struct field name, as gogo error texts print it (the JSON name, capitalised).
    pub(crate) fn go_name(&self) -> String {
        let mut chars = self.json.chars();
        match chars.next() {
            Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
            None => String::new(),
        }
    }
}

/// A singular field.
pub(crate) const fn one(tag: u32, json: &'static str, ty: Ty, emit: Emit) -> Field {
    Field {
        tag,
        json,
        ty,
        emit,
        list: false,
    }
}

/// A repeated field (Go slice).
pub(crate) const fn many(tag: u32, json: &'static str, ty: Ty, emit: Emit) -> Field {
    Field {
        tag,
        json,
        ty,
        emit,
        list: true,
    }
}

/// An embedded struct flattened into its parent's JSON.
pub(crate) const fn inline(tag: u32, message: &'static Message) -> Field {
    Field {
        tag,
        json: "",
        ty: Ty::Inline(message),
        emit: Emit::Always,
        list: false,
    }
}
