//! Column definitions (`metav1.TableColumnDefinition`) and the two columns every printer shares.

use serde_json::{Value, json};

use crate::descriptions;

/// One `columnDefinitions[]` entry. `priority` 1 marks a `-o wide` column; kube-apiserver always
/// sends all of them (it prints with `Wide: true`) and kubectl hides the wide ones itself.
pub(crate) struct Column {
    name: &'static str,
    type_: &'static str,
    format: &'static str,
    description: &'static str,
    priority: i32,
}

impl Column {
    /// A priority-0 column of `type_` ("string", "integer", "date", ...) without a format.
    pub(crate) const fn new(
        name: &'static str,
        type_: &'static str,
        description: &'static str,
    ) -> Self {
        Column {
            name,
            type_,
            format: "",
            description,
            priority: 0,
        }
    }

    /// The same column shown only with `-o wide`.
    pub(crate) const fn wide(self) -> Self {
        Column {
            priority: 1,
            ..self
        }
    }

    /// The same column with `format: "name"` (kubectl keys `--show-kind` and sorting on it).
    pub(crate) const fn name_format(self) -> Self {
        Column {
            format: "name",
            ..self
        }
    }

    /// The leading `Name` column of every printer.
    pub(crate) const fn name() -> Self {
        Column::new("Name", "string", descriptions::OBJECT_NAME).name_format()
    }

    /// The `Age` column of every printer.
    pub(crate) const fn age() -> Self {
        Column::new("Age", "string", descriptions::OBJECT_CREATION_TIMESTAMP)
    }

    /// The wire form; every field is always present, as in Go (no `omitempty`).
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "type": self.type_,
            "format": self.format,
            "description": self.description,
            "priority": self.priority,
        })
    }
}
