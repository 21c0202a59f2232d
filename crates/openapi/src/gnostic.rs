//! Protobuf encoding of the Swagger 2.0 document as gnostic's `openapi.v2.Document`
//! (github.com/google/gnostic-models `openapiv2/OpenAPIv2.proto`), the only form of
//! `/openapi/v2` client-go accepts: `DiscoveryClient.OpenAPISchema` asks for
//! `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and `proto.Unmarshal`s the
//! body. Vendor extensions, defaults and enums are gnostic `Any`s carrying their value as
//! YAML; JSON text is valid YAML, so the value's compact JSON is used.
//!
//! Only the Swagger constructs the renderer emits are encoded; `unsupported_schema_keys`
//! lets tests prove nothing else is present.

use serde_json::{Map, Value};

/// Proto3 message under construction: fields with default values are omitted.
#[derive(Default)]
struct Msg(Vec<u8>);

impl Msg {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field) << 3 | u64::from(wire_type));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, field: u32, value: Option<&Value>) {
        if let Some(s) = value.and_then(Value::as_str).filter(|s| !s.is_empty()) {
            self.bytes(field, s.as_bytes());
        }
    }

    /// A repeated string (always written, even when empty strings are present).
    fn strings(&mut self, field: u32, value: Option<&Value>) {
        for s in value.and_then(Value::as_array).into_iter().flatten() {
            if let Some(s) = s.as_str() {
                self.bytes(field, s.as_bytes());
            }
        }
    }

    fn boolean(&mut self, field: u32, value: Option<&Value>) {
        if value.and_then(Value::as_bool) == Some(true) {
            self.key(field, 0);
            self.varint(1);
        }
    }

    fn int64(&mut self, field: u32, value: Option<&Value>) {
        if let Some(v) = value.and_then(Value::as_i64).filter(|v| *v != 0) {
            self.key(field, 0);
            self.varint(v as u64);
        }
    }

    fn double(&mut self, field: u32, value: Option<&Value>) {
        if let Some(v) = value.and_then(Value::as_f64).filter(|v| *v != 0.0) {
            self.key(field, 1);
            self.0.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, msg: Msg) {
        self.bytes(field, &msg.0);
    }
}

/// gnostic `Any { yaml = 2 }`.
fn any(value: &Value) -> Msg {
    let mut m = Msg::default();
    m.bytes(2, format!("{value}\n").as_bytes());
    m
}

/// `repeated NamedAny vendor_extension` from an object's `x-` keys.
fn vendor_extensions(m: &mut Msg, field: u32, obj: &Map<String, Value>) {
    for (name, value) in obj.iter().filter(|(k, _)| k.starts_with("x-")) {
        let mut named = Msg::default();
        named.bytes(1, name.as_bytes());
        named.message(2, any(value));
        m.message(field, named);
    }
}

/// Schema keys (besides `x-` extensions) encoded by [`schema`].
#[cfg(test)]
const SCHEMA_KEYS: &[&str] = &[
    "$ref",
    "format",
    "title",
    "description",
    "default",
    "multipleOf",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "maxProperties",
    "minProperties",
    "required",
    "enum",
    "additionalProperties",
    "type",
    "items",
    "allOf",
    "properties",
    "readOnly",
];

fn schema(value: &Value) -> Msg {
    let mut m = Msg::default();
    let Some(obj) = value.as_object() else {
        return m;
    };
    m.string(1, obj.get("$ref"));
    m.string(2, obj.get("format"));
    m.string(3, obj.get("title"));
    m.string(4, obj.get("description"));
    if let Some(default) = obj.get("default") {
        m.message(5, any(default));
    }
    m.double(6, obj.get("multipleOf"));
    m.double(7, obj.get("maximum"));
    m.boolean(8, obj.get("exclusiveMaximum"));
    m.double(9, obj.get("minimum"));
    m.boolean(10, obj.get("exclusiveMinimum"));
    m.int64(11, obj.get("maxLength"));
    m.int64(12, obj.get("minLength"));
    m.string(13, obj.get("pattern"));
    m.int64(14, obj.get("maxItems"));
    m.int64(15, obj.get("minItems"));
    m.boolean(16, obj.get("uniqueItems"));
    m.int64(17, obj.get("maxProperties"));
    m.int64(18, obj.get("minProperties"));
    m.strings(19, obj.get("required"));
    for value in obj
        .get("enum")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(20, any(value));
    }
    match obj.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            let mut item = Msg::default();
            item.key(2, 0);
            item.varint(u64::from(*b));
            m.message(21, item);
        }
        Some(sub) => {
            let mut item = Msg::default();
            item.message(1, schema(sub));
            m.message(21, item);
        }
        None => {}
    }
    match obj.get("type") {
        Some(Value::String(t)) => {
            let mut item = Msg::default();
            item.bytes(1, t.as_bytes());
            m.message(22, item);
        }
        Some(types @ Value::Array(_)) => {
            let mut item = Msg::default();
            item.strings(1, Some(types));
            m.message(22, item);
        }
        _ => {}
    }
    if let Some(items) = obj.get("items") {
        let mut item = Msg::default();
        match items {
            Value::Array(list) => list.iter().for_each(|s| item.message(1, schema(s))),
            single => item.message(1, schema(single)),
        }
        m.message(23, item);
    }
    for sub in obj
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(24, schema(sub));
    }
    if let Some(Value::Object(props)) = obj.get("properties") {
        let mut properties = Msg::default();
        for (name, sub) in props {
            properties.message(1, named(name, schema(sub)));
        }
        m.message(25, properties);
    }
    m.boolean(27, obj.get("readOnly"));
    vendor_extensions(&mut m, 31, obj);
    m
}

/// The `NamedXxx { name = 1; value = 2; }` pair gnostic uses for every map.
fn named(name: &str, value: Msg) -> Msg {
    let mut m = Msg::default();
    m.bytes(1, name.as_bytes());
    m.message(2, value);
    m
}

/// `ParametersItem` holding a body, query or path parameter.
fn parameter(value: &Value) -> Msg {
    let get = |k: &str| value.get(k);
    let mut parameter = Msg::default();
    if get("in").and_then(Value::as_str) == Some("body") {
        let mut body = Msg::default();
        body.string(1, get("description"));
        body.string(2, get("name"));
        body.string(3, get("in"));
        body.boolean(4, get("required"));
        if let Some(s) = get("schema") {
            body.message(5, schema(s));
        }
        parameter.message(1, body);
    } else {
        // Query and path sub-schemas share their first fields; `type` and `uniqueItems`
        // sit one number later in the query one (after `allowEmptyValue`).
        let query = get("in").and_then(Value::as_str) == Some("query");
        let mut sub = Msg::default();
        sub.boolean(1, get("required"));
        sub.string(2, get("in"));
        sub.string(3, get("description"));
        sub.string(4, get("name"));
        sub.string(if query { 6 } else { 5 }, get("type"));
        sub.boolean(if query { 20 } else { 19 }, get("uniqueItems"));
        let mut non_body = Msg::default();
        non_body.message(if query { 3 } else { 4 }, sub);
        parameter.message(2, non_body);
    }
    let mut item = Msg::default();
    item.message(1, parameter);
    item
}

fn operation(value: &Value) -> Msg {
    let mut m = Msg::default();
    m.strings(1, value.get("tags"));
    m.string(3, value.get("description"));
    m.string(5, value.get("operationId"));
    m.strings(6, value.get("produces"));
    m.strings(7, value.get("consumes"));
    for p in value
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(8, parameter(p));
    }
    if let Some(Value::Object(codes)) = value.get("responses") {
        let mut responses = Msg::default();
        for (code, response) in codes {
            let mut r = Msg::default();
            r.string(1, response.get("description"));
            if let Some(s) = response.get("schema") {
                let mut item = Msg::default();
                item.message(1, schema(s));
                r.message(2, item);
            }
            let mut response_value = Msg::default();
            response_value.message(1, r);
            responses.message(1, named(code, response_value));
        }
        m.message(9, responses);
    }
    m.strings(10, value.get("schemes"));
    if let Some(obj) = value.as_object() {
        vendor_extensions(&mut m, 13, obj);
    }
    m
}

fn path_item(value: &Value) -> Msg {
    let mut m = Msg::default();
    for (field, method) in [
        (2, "get"),
        (3, "put"),
        (4, "post"),
        (5, "delete"),
        (8, "patch"),
    ] {
        if let Some(op) = value.get(method) {
            m.message(field, operation(op));
        }
    }
    for p in value
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        m.message(9, parameter(p));
    }
    m
}

/// `openapi.v2.Document` bytes of a Swagger 2.0 JSON document.
pub(crate) fn encode_document(doc: &Value) -> Vec<u8> {
    let mut m = Msg::default();
    m.string(1, doc.get("swagger"));
    if let Some(info) = doc.get("info") {
        let mut i = Msg::default();
        i.string(1, info.get("title"));
        i.string(2, info.get("version"));
        m.message(2, i);
    }
    if let Some(Value::Object(paths)) = doc.get("paths") {
        let mut p = Msg::default();
        for (path, item) in paths {
            p.message(2, named(path, path_item(item)));
        }
        m.message(8, p);
    }
    if let Some(Value::Object(defs)) = doc.get("definitions") {
        let mut d = Msg::default();
        for (name, s) in defs {
            d.message(1, named(name, schema(s)));
        }
        m.message(9, d);
    }
    for requirement in doc
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut r = Msg::default();
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            let mut array = Msg::default();
            array.strings(1, Some(scopes));
            r.message(1, named(name, array));
        }
        m.message(12, r);
    }
    if let Some(Value::Object(schemes)) = doc.get("securityDefinitions") {
        let mut defs = Msg::default();
        for (name, scheme) in schemes {
            let mut api_key = Msg::default();
            api_key.string(1, scheme.get("type"));
            api_key.string(2, scheme.get("name"));
            api_key.string(3, scheme.get("in"));
            api_key.string(4, scheme.get("description"));
            let mut item = Msg::default();
            item.message(2, api_key);
            defs.message(1, named(name, item));
        }
        m.message(13, defs);
    }
    m.0
}

/// Keys of `schema` (recursively) that [`encode_document`] would drop.
#[cfg(test)]
pub(crate) fn unsupported_schema_keys(value: &Value, out: &mut Vec<String>) {
    let Some(obj) = value.as_object() else {
        return;
    };
    for (key, sub) in obj {
        if !key.starts_with("x-") && !SCHEMA_KEYS.contains(&key.as_str()) {
            out.push(key.clone());
        }
        match key.as_str() {
            "properties" => sub
                .as_object()
                .into_iter()
                .flatten()
                .for_each(|(_, s)| unsupported_schema_keys(s, out)),
            "items" | "additionalProperties" => unsupported_schema_keys(sub, out),
            "allOf" => sub
                .as_array()
                .into_iter()
                .flatten()
                .for_each(|s| unsupported_schema_keys(s, out)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_a_small_document_byte_for_byte() {
        let doc = json!({
            "swagger": "2.0",
            "definitions": {"T": {"type": "object", "required": ["a"], "x-k": 1}}
        });
        let want: Vec<u8> = [
            &[0x0a, 3][..],
            b"2.0",
            // definitions (9) { NamedSchema (1) { name "T", value Schema {...} } }
            &[0x4a, 36, 0x0a, 34, 0x0a, 1],
            b"T",
            &[0x12, 29],
            // required (19) "a": key 19<<3|2 = 154 = 0x9a 0x01
            &[0x9a, 0x01, 1],
            b"a",
            // type (22) TypeItem { value "object" }: key 178 = 0xb2 0x01
            &[0xb2, 0x01, 8, 0x0a, 6],
            b"object",
            // vendor_extension (31) NamedAny { "x-k", Any { yaml "1\n" } }: key 250 = 0xfa 0x01
            &[0xfa, 0x01, 0x0b, 0x0a, 3],
            b"x-k",
            &[0x12, 4, 0x12, 2],
            b"1\n",
        ]
        .concat();
        assert_eq!(encode_document(&doc), want);
    }

    #[test]
    fn query_and_path_parameters_use_their_own_sub_schemas() {
        let query = parameter(
            &json!({"name": "dryRun", "in": "query", "type": "string", "uniqueItems": true}),
        );
        let want: Vec<u8> = [
            &[0x0a, 30, 0x12, 28, 0x1a, 26, 0x12, 5][..],
            b"query",
            &[0x22, 6],
            b"dryRun",
            &[0x32, 6],
            b"string",
            &[0xa0, 0x01, 1],
        ]
        .concat();
        assert_eq!(query.0, want);
        let path =
            parameter(&json!({"name": "name", "in": "path", "required": true, "type": "string"}));
        let want: Vec<u8> = [
            &[0x0a, 26, 0x12, 24, 0x22, 22, 0x08, 1, 0x12, 4][..],
            b"path",
            &[0x22, 4],
            b"name",
            &[0x2a, 6],
            b"string",
        ]
        .concat();
        assert_eq!(path.0, want);
    }
}
