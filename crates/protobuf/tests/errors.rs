//! Error texts (as kube-apiserver's protobuf decoder words them), envelope defaulting, and a
//! fixed-seed fuzz loop proving that no input makes the decoder panic.

use kubelite_protobuf::{Error, decode, supports};
use serde_json::json;

const NAMESPACE_X: &[u8] = include_bytes!("data/create-namespace-x.pb");
const SERVICE: &[u8] = include_bytes!("data/create-service-nodeport-s.pb");

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

fn field(tag: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = varint(tag << 3 | 2);
    out.extend(varint(bytes.len() as u64));
    out.extend_from_slice(bytes);
    out
}

/// `k8s\0` + Unknown{typeMeta{apiVersion, kind}, raw}.
fn body(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut type_meta = field(1, api_version.as_bytes());
    type_meta.extend(field(2, kind.as_bytes()));
    let mut out = b"k8s\0".to_vec();
    out.extend(field(1, &type_meta));
    out.extend(field(2, raw));
    out
}

#[test]
fn error_texts() {
    let name_as_varint = [0x0a, 0x02, 0x08, 0x01]; // Namespace.metadata{name: varint 1}
    let cases: Vec<(Vec<u8>, &str, &str)> = vec![
        (vec![], "Namespace", "empty data"),
        (
            br#"{"kind":"Namespace"}"#.to_vec(),
            "Namespace",
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
        ),
        (
            b"k8s".to_vec(),
            "Namespace",
            "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]",
        ),
        (b"k8s\0".to_vec(), "Namespace", "empty body"),
        (NAMESPACE_X[..20].to_vec(), "Namespace", "unexpected EOF"),
        (
            [b"k8s\0".as_slice(), &[0xff; 11]].concat(),
            "Namespace",
            "proto: integer overflow",
        ),
        (
            [b"k8s\0".as_slice(), &[0x0c]].concat(),
            "Namespace",
            "proto: Unknown: wiretype end group for non-group",
        ),
        (
            [b"k8s\0".as_slice(), &[0x08, 0x01]].concat(),
            "Namespace",
            "proto: wrong wireType = 0 for field TypeMeta",
        ),
        (
            body("v1", "Namespace", &name_as_varint),
            "Namespace",
            "proto: wrong wireType = 0 for field Name",
        ),
        (
            body("v1", "Namespace", &[0x00, 0x00]),
            "Namespace",
            "proto: Namespace: illegal tag 0 (wire type 0)",
        ),
        (
            body("apps/v1", "Deployment", &[]),
            "Namespace",
            "the API version in the data (apps/v1) does not match the expected API version (v1)",
        ),
        (
            body("v1", "Service", &[]),
            "Namespace",
            "converting (v1.Service) to (core.Namespace): unknown conversion",
        ),
        (
            body("v1", "ConfigMap", &[]),
            "ConfigMap",
            "the body of the request was in an unknown format - protobuf is not supported for v1, Kind=ConfigMap; send application/json",
        ),
        (
            body("v1", "Namespace", &field(99, b"data")),
            "Namespace",
            "the body of the request was in an unknown format - protobuf field 99 of Namespace is not supported; send application/json",
        ),
        (
            body("", "", &[]),
            "",
            "Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:\"\", Kind:\"\"}'",
        ),
    ];
    for (input, kind, want) in cases {
        let err = decode(&input, "v1", kind).unwrap_err();
        assert_eq!(err.to_string(), want, "{input:?}");
    }
}

#[test]
fn unsupported_errors_ask_for_415() {
    let unsupported = decode(&body("v1", "ConfigMap", &[]), "v1", "ConfigMap").unwrap_err();
    assert!(unsupported.is_unsupported());
    let field = decode(
        &body("v1", "Namespace", &field(99, b"x")),
        "v1",
        "Namespace",
    )
    .unwrap_err();
    assert!(matches!(
        field,
        Error::UnsupportedField {
            message: "Namespace",
            tag: 99
        }
    ));
    assert!(field.is_unsupported());
    assert!(!Error::MissingPrefix.is_unsupported());
    assert!(supports("v1", "Pod"));
    assert!(supports("apps/v1", "DeleteOptions"));
    assert!(!supports("v1", "ConfigMap"));
    assert!(!supports("events.k8s.io/v1", "Event"));
}

#[test]
fn unknown_fields_holding_only_zero_values_are_dropped() {
    // What a newer client writes for a non-pointer field we have no schema for: "" / 0 / {}.
    let mut raw = field(1, &field(1, b"x"));
    raw.extend(field(40, &[]));
    raw.extend([0xc8, 0x02, 0x00]); // field 41, varint 0
    raw.extend(field(42, &[0x0a, 0x00, 0x10, 0x00])); // a message of zero fields
    let got = decode(&body("v1", "Namespace", &raw), "v1", "Namespace").unwrap();
    assert_eq!(
        got,
        json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "x"}, "spec": {}, "status": {}})
    );
}

#[test]
fn envelope_kind_and_version_default_to_the_endpoint() {
    let raw = field(1, &field(1, b"x"));
    let got = decode(&body("", "", &raw), "v1", "Namespace").unwrap();
    assert_eq!(got["kind"], "Namespace");
    assert_eq!(got["apiVersion"], "v1");
    assert_eq!(got["metadata"], json!({"name": "x"}));
}

#[test]
fn repeated_message_fields_merge_and_last_scalar_wins() {
    let mut raw = field(1, &field(1, b"first"));
    raw.extend(field(1, &field(3, b"ns")));
    raw.extend(field(1, &field(1, b"second")));
    let got = decode(&body("v1", "Namespace", &raw), "v1", "Namespace").unwrap();
    assert_eq!(
        got["metadata"],
        json!({"name": "second", "namespace": "ns"})
    );
}

/// xorshift64*: a fixed-seed generator, so every run tries the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn never_panics_on_truncated_mutated_or_random_input() {
    let seeds: [(&[u8], &str); 4] = [
        (NAMESPACE_X, "Namespace"),
        (SERVICE, "Service"),
        (
            include_bytes!("data/create-service-clusterip-s.pb"),
            "Service",
        ),
        (
            include_bytes!("data/create-serviceaccount-sa.pb"),
            "ServiceAccount",
        ),
    ];
    for (seed, kind) in seeds {
        for len in 0..seed.len() {
            let _ = decode(&seed[..len], "v1", kind);
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut outcomes = [0usize; 2];
    for round in 0..20_000 {
        let (seed, kind) = seeds[round % seeds.len()];
        let mut input = seed.to_vec();
        if round % 5 == 4 {
            // Pure noise after the magic.
            input.truncate(4);
            let len = rng.below(64);
            input.extend((0..len).map(|_| rng.next() as u8));
        } else {
            for _ in 0..=rng.below(4) {
                let at = 4 + rng.below(input.len() - 4);
                match rng.below(3) {
                    0 => input[at] ^= 1 << rng.below(8),
                    1 => input[at] = rng.next() as u8,
                    _ => input.insert(at, rng.next() as u8),
                }
            }
        }
        outcomes[usize::from(decode(&input, "v1", kind).is_ok())] += 1;
    }
    // The loop must exercise both paths to mean anything.
    assert!(outcomes[0] > 1000 && outcomes[1] > 100, "{outcomes:?}");
}
