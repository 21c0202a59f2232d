//! Label and field selectors as the `labelSelector`/`fieldSelector` query parameters and
//! `metav1.LabelSelector` objects express them, with upstream's parse errors.

mod field_labels;
mod fields;
mod labels;

pub use field_labels::{field_label_error, field_sources, field_value, supported_field};
pub use fields::{FieldOp, FieldSelector, FieldTerm, escape_value};
pub use labels::{LabelOp, LabelSelector, Requirement};
