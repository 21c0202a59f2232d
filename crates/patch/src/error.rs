//! The errors a strategic merge patch can fail with.
//!
//! Every variant displays the exact text kube-apiserver puts in the `Status.message`
//! (upstream `k8s.io/apimachinery/pkg/util/mergepatch/errors.go` and the inline
//! `fmt.Errorf`s of `strategicpatch/patch.go`), and [`PatchError::status_code`] gives the HTTP
//! code the apiserver's `interpretStrategicMergePatchError` picks for it. No variant is
//! retryable: the same patch against the same object always fails the same way.

/// Why a strategic merge patch could not be applied.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum PatchError {
    /// The kind has no strategic-merge schema (upstream: custom resources / unstructured).
    #[error("strategic merge patch format is not supported")]
    UnsupportedKind(String),
    /// The patch body is valid JSON but not an object; the payload is the JSON type name.
    #[error("json: cannot unmarshal {0} into Go value of type map[string]interface {{}}")]
    PatchNotAnObject(&'static str),
    /// The original document is not a JSON object (`mergepatch.ErrBadJSONDoc`).
    #[error("invalid JSON document")]
    BadJsonDoc,
    /// A merged list holds lists (`mergepatch.ErrNoListOfLists`).
    #[error("lists of lists are not supported")]
    NoListOfLists,
    /// A `$deleteFromPrimitiveList` key has no `/<field>` part.
    #[error("invalid patch format of primitive list")]
    BadPatchFormatForPrimitiveList,
    /// `$retainKeys` is not a list, or the patch sets a key it does not retain.
    #[error("invalid patch format of retainKeys")]
    BadPatchFormatForRetainKeys,
    /// A `$setElementOrder` key has no `/<field>` part.
    #[error("invalid patch format of setElementOrder list")]
    BadPatchFormatForSetElementOrderList,
    /// A map in a merge list lacks the merge key (`mergepatch.ErrNoMergeKey`).
    #[error("map: {map} does not contain declared merge key: {key}")]
    NoMergeKey {
        /// The map, printed as Go's `%v` prints it.
        map: String,
        /// The merge key that was looked for.
        key: String,
    },
    /// A value has the wrong JSON type (`mergepatch.ErrBadArgType`); Go type names.
    #[error("expected a {expected}, but received a {actual}")]
    BadArgType {
        /// Go type that was needed, e.g. `[]interface {}`.
        expected: &'static str,
        /// Go type that was found, e.g. `string`.
        actual: &'static str,
    },
    /// `$patch` has a value other than the ones allowed where it stands.
    #[error("unknown patch type: {directive} in map: {map}")]
    BadPatchType {
        /// The directive value, printed with Go's `%s`.
        directive: String,
        /// The map holding it, printed with Go's `%v`.
        map: String,
    },
    /// `{"$patch": "merge"}` inside a list.
    #[error("merging lists cannot yet be specified in the patch")]
    MergeDirectiveInList,
    /// A list of maps has merge strategy but no merge key (e.g. maps in `finalizers`).
    #[error("cannot merge lists without merge key for {0}")]
    NoMergeKeyForList(&'static str),
    /// The original and patch lists mix element types; payload is Go's `fmt.Sprint` of both.
    #[error("list element types are not identical: {0}")]
    ElementTypesNotIdentical(String),
    /// `$setElementOrder` was used on a list that is empty in both original and patch.
    #[error("no elements in any of the given slices")]
    NoElements,
    /// The patch list names items in an order `$setElementOrder` contradicts, or items it lacks.
    #[error("The order in patch list:\n{patch}\n doesn't match $setElementOrder list:\n{order}\n")]
    SetElementOrderMismatch {
        /// The patch list, printed with Go's `%v`.
        patch: String,
        /// The `$setElementOrder` list, printed with Go's `%v`.
        order: String,
    },
    /// A merge list element is not an object (payload: its index).
    #[error("value for key {0} is not a map")]
    NotAMap(usize),
    /// Input on which upstream's Go code panics (kube-apiserver answers 500); the payload is
    /// the Go runtime message.
    #[error("runtime error: {0}")]
    GoRuntime(&'static str),
}

impl PatchError {
    /// The HTTP status kube-apiserver answers with: 400 for malformed patch documents,
    /// 422 for lists of lists, 500 for everything upstream does not classify.
    pub fn status_code(&self) -> u16 {
        match self {
            PatchError::UnsupportedKind(_)
            | PatchError::PatchNotAnObject(_)
            | PatchError::BadJsonDoc
            | PatchError::BadPatchFormatForPrimitiveList
            | PatchError::BadPatchFormatForRetainKeys
            | PatchError::BadPatchFormatForSetElementOrderList => 400,
            PatchError::NoListOfLists => 422,
            PatchError::NoMergeKey { .. }
            | PatchError::BadArgType { .. }
            | PatchError::BadPatchType { .. }
            | PatchError::MergeDirectiveInList
            | PatchError::NoMergeKeyForList(_)
            | PatchError::ElementTypesNotIdentical(_)
            | PatchError::NoElements
            | PatchError::SetElementOrderMismatch { .. }
            | PatchError::NotAMap(_)
            | PatchError::GoRuntime(_) => 500,
        }
    }
}
