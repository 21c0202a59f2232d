//! Which objects a list or watch selects: its label and field selectors, parsed once.

use kubelite_api::resources::ResourceInfo;
use kubelite_api::selector::{
    FieldSelector, LabelSelector, field_label_error, field_sources, field_value,
};
use kubelite_store::KeyValue;
use serde_json::Value;

use crate::meta;
use crate::rawjson::Part;
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

    /// How much of the top-level member `member` of an object matching reads (labels and
    /// names are in `metadata`, which is always read).
    pub fn part(&self, member: &str) -> Part<'_> {
        if member == "metadata" {
            return Part::Whole;
        }
        let mut names = Vec::new();
        for term in self.fields.iter().flat_map(|f| &f.terms) {
            for (m, key) in field_sources(self.kind, &term.field) {
                match key {
                    _ if m != member => {}
                    None => return Part::Whole,
                    Some(k) => names.push(k),
                }
            }
        }
        if names.is_empty() {
            Part::Skip
        } else {
            Part::Members(names)
        }
    }

    /// Whether the stored object `kv` is selected, decoding only what the selectors read.
    pub fn selects(&self, kv: &KeyValue) -> Result<bool, ApiError> {
        if self.is_empty() {
            return Ok(true);
        }
        let view = crate::rawjson::decode_parts(kv, |member| self.part(member))?;
        Ok(self.matches(&view))
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
