//! Shared table helpers for the strategic merge patch tests.

use kubelite_patch::strategic_merge_patch;
use serde_json::Value;

/// One table row: `patch` applied to `original` of `kind` gives `want`.
pub struct Case {
    pub name: &'static str,
    pub kind: &'static str,
    pub original: Value,
    pub patch: Value,
    pub want: Value,
}

/// Runs every row; list order is compared exactly (object key order is not significant).
pub fn check_all(cases: Vec<Case>) {
    for c in cases {
        match strategic_merge_patch(c.kind, &c.original, &c.patch) {
            Ok(got) => assert_eq!(
                got,
                c.want,
                "case {:?}\n got: {}\nwant: {}",
                c.name,
                serde_json::to_string(&got).unwrap(),
                serde_json::to_string(&c.want).unwrap()
            ),
            Err(e) => panic!("case {:?}: unexpected error {e}", c.name),
        }
    }
}
