//! The patch directives and how their keys are parsed.
//!
//! Directives are the `$`-prefixed parts of a strategic merge patch: the `$patch` marker
//! (`replace`, `delete`, `merge`) and the `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>` keys.

use crate::PatchError;

/// The `$patch` marker key.
pub(crate) const MARKER: &str = "$patch";
/// `$patch: delete`.
pub(crate) const DELETE: &str = "delete";
/// `$patch: replace`.
pub(crate) const REPLACE: &str = "replace";
/// `$patch: merge` (rejected inside lists).
pub(crate) const MERGE: &str = "merge";
/// The key listing the fields an object keeps.
pub(crate) const RETAIN_KEYS: &str = "$retainKeys";
/// Prefix of the parallel list removing values from a primitive list.
pub(crate) const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";
/// Prefix of the parallel list fixing the order of a merged list.
pub(crate) const SET_ELEMENT_ORDER: &str = "$setElementOrder";

/// `extractKey`: the field named after `<prefix>/`, failing as upstream when the key is not
/// exactly `<prefix>/<field>`.
pub(crate) fn field_of_directive(key: &str, prefix: &'static str) -> Result<String, PatchError> {
    match key.split_once('/') {
        Some((head, field)) if head == prefix => Ok(field.to_owned()),
        _ if prefix == SET_ELEMENT_ORDER => Err(PatchError::BadPatchFormatForSetElementOrderList),
        _ => Err(PatchError::BadPatchFormatForPrimitiveList),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_directive_keys() {
        let cases = [
            (
                "$setElementOrder/containers",
                SET_ELEMENT_ORDER,
                Ok("containers"),
            ),
            ("$setElementOrder/", SET_ELEMENT_ORDER, Ok("")),
            ("$setElementOrder/a/b", SET_ELEMENT_ORDER, Ok("a/b")),
            (
                "$setElementOrderX/a",
                SET_ELEMENT_ORDER,
                Err(PatchError::BadPatchFormatForSetElementOrderList),
            ),
            (
                "$setElementOrder",
                SET_ELEMENT_ORDER,
                Err(PatchError::BadPatchFormatForSetElementOrderList),
            ),
            (
                "$deleteFromPrimitiveList/finalizers",
                DELETE_FROM_PRIMITIVE_LIST,
                Ok("finalizers"),
            ),
            (
                "$deleteFromPrimitiveList",
                DELETE_FROM_PRIMITIVE_LIST,
                Err(PatchError::BadPatchFormatForPrimitiveList),
            ),
        ];
        for (key, prefix, want) in cases {
            assert_eq!(
                field_of_directive(key, prefix),
                want.map(str::to_owned),
                "{key}"
            );
        }
    }
}
