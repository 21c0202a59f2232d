//! The one error type of this crate.
//!
//! The Display texts of the envelope and wire errors are the ones kube-apiserver's protobuf
//! decoder (apimachinery `serializer/protobuf` plus the gogo-generated `Unmarshal` methods)
//! produces, so a caller can wrap them exactly like kube-apiserver does (for a create:
//! `"<Kind> in version \"v1\" cannot be handled as a <Kind>: <this error>"`, a 400).
//! No variant is retryable: the same body always fails the same way.

/// Why a Kubernetes protobuf body could not be turned into JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The body is empty.
    #[error("empty data")]
    EmptyData,
    /// The body does not start with the 4-byte magic `k8s\0`.
    #[error(
        "provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]"
    )]
    MissingPrefix,
    /// The body is only the magic.
    #[error("empty body")]
    EmptyBody,
    /// A length or varint runs past the end of its buffer.
    #[error("unexpected EOF")]
    UnexpectedEof,
    /// A varint is longer than 10 bytes.
    #[error("proto: integer overflow")]
    IntegerOverflow,
    /// A length prefix does not fit in a signed 64-bit integer.
    #[error("proto: negative length found during unmarshaling")]
    NegativeLength,
    /// A field key with field number zero (or one that overflows Go's int32).
    #[error("proto: {message}: illegal tag {tag} (wire type {key})")]
    IllegalTag {
        /// The protobuf message being decoded.
        message: &'static str,
        /// The field number as Go's int32 sees it.
        tag: i32,
        /// The whole key varint (Go prints this, not the wire type).
        key: u64,
    },
    /// An end-group marker where a field was expected.
    #[error("proto: {message}: wiretype end group for non-group")]
    EndGroup {
        /// The protobuf message being decoded.
        message: &'static str,
    },
    /// A known field arrived with the wrong wire type.
    #[error("proto: wrong wireType = {wire} for field {field}")]
    WrongWireType {
        /// The Go struct field name.
        field: String,
        /// The wire type found.
        wire: u8,
    },
    /// Wire type 6 or 7, which protobuf does not define.
    #[error("proto: illegal wireType {wire}")]
    IllegalWireType {
        /// The wire type found.
        wire: u8,
    },
    /// The envelope names no kind and the caller expected none either.
    #[error(
        "Object 'Kind' is missing in 'runtime.TypeMeta{{APIVersion:\"{api_version}\", Kind:\"\"}}'"
    )]
    MissingKind {
        /// The envelope's apiVersion.
        api_version: String,
    },
    /// Neither the envelope nor the caller names an apiVersion.
    #[error(
        "Object 'apiVersion' is missing in 'runtime.TypeMeta{{APIVersion:\"\", Kind:\"{kind}\"}}'"
    )]
    MissingVersion {
        /// The envelope's kind.
        kind: String,
    },
    /// The envelope names another group/version than the endpoint serves.
    #[error(
        "the API version in the data ({found}) does not match the expected API version ({expected})"
    )]
    ApiVersionMismatch {
        /// The envelope's apiVersion.
        found: String,
        /// The endpoint's apiVersion.
        expected: String,
    },
    /// The envelope names another kind than the endpoint takes (kube-apiserver fails
    /// converting the decoded object to the endpoint's internal type).
    #[error(
        "converting ({found_version}.{found}) to ({internal_group}.{expected}): unknown conversion"
    )]
    KindMismatch {
        /// The envelope's kind.
        found: String,
        /// The version part of the envelope's apiVersion.
        found_version: String,
        /// The kind the endpoint takes.
        expected: String,
        /// The Go package name of the endpoint's internal types (`core` for the core group).
        internal_group: String,
    },
    /// This crate has no schema for the kind: answer 415 and let the client send JSON.
    #[error(
        "the body of the request was in an unknown format - protobuf is not supported for {api_version}, Kind={kind}; send application/json"
    )]
    UnsupportedKind {
        /// The envelope's apiVersion.
        api_version: String,
        /// The envelope's kind.
        kind: String,
    },
    /// A field this crate has no schema for carries data; dropping it would lose user data,
    /// so answer 415 and let the client send JSON.
    #[error(
        "the body of the request was in an unknown format - protobuf field {tag} of {message} is not supported; send application/json"
    )]
    UnsupportedField {
        /// The protobuf message holding the field.
        message: &'static str,
        /// The field number.
        tag: u32,
    },
    /// A `FieldsV1` (managedFields) payload is not valid JSON.
    #[error("invalid FieldsV1 JSON: {0}")]
    InvalidFieldsV1(String),
    /// A `Time` or `MicroTime` cannot be written as RFC 3339.
    #[error("invalid time (seconds {seconds}, nanos {nanos}): {reason}")]
    InvalidTime {
        /// Seconds since the Unix epoch.
        seconds: i64,
        /// Nanoseconds.
        nanos: i32,
        /// What went wrong.
        reason: String,
    },
}

impl Error {
    /// True when the server should answer 415 Unsupported Media Type (the body may be valid
    /// Kubernetes protobuf, but this crate cannot represent it faithfully); false for a 400.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            Error::UnsupportedKind { .. } | Error::UnsupportedField { .. }
        )
    }
}
