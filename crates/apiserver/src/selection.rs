//! Which objects a list or watch selects: its label and field selectors, parsed once.

use kubelite_api::resources::ResourceInfo;
use kubelite_api::selector::{FieldSelector, LabelSelector, field_label_error, field_value};
use serde_json::Value;

use crate::meta;
use crate::status::ApiError;

#[derive(Debug, Clone)]
pub struct Selection {
    kind: &'static str,
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
}

impl Selection {
    pub fn parse(
        r: &'static ResourceInfo,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> Result<Self, ApiError> {
        let labels = match labels.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(LabelSelector::parse(s).map_err(ApiError::bad_request)?),
            None => None,
        };
        let fields = match fields.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                let sel = FieldSelector::parse(s).map_err(ApiError::bad_request)?;
                for term in &sel.terms {
                    if let Some(e) = field_label_error(r.kind, &term.field) {
                        return Err(ApiError::bad_request(e));
                    }
                }
                Some(sel)
            }
            None => None,
        };
        Ok(Selection {
            kind: r.kind,
            labels,
            fields,
        })
    }

    /// Selects everything.
    pub fn is_empty(&self) -> bool {
        self.labels.as_ref().is_none_or(LabelSelector::is_empty)
            && self.fields.as_ref().is_none_or(FieldSelector::is_empty)
    }

    /// Whether matching reads the top-level member `member` of an object (labels and names are
    /// in `metadata`, which is always read).
    pub fn reads(&self, member: &str) -> bool {
        member == "metadata"
            || self.fields.as_ref().is_some_and(|f| {
                f.terms
                    .iter()
                    .any(|t| t.field.split('.').next() == Some(member))
            })
    }

    pub fn matches(&self, obj: &Value) -> bool {
        if let Some(l) = &self.labels
            && !l.matches(&meta::labels(obj))
        {
            return false;
        }
        if let Some(f) = &self.fields
            && !f.matches(|field| field_value(self.kind, obj, field))
        {
            return false;
        }
        true
    }
}
