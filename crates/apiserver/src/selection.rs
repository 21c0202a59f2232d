//! Which objects a list or watch selects: its label and field selectors, parsed once.

use kubelite_api::resources::ResourceInfo;
use kubelite_api::selector::{
    FieldSelector, LabelSelector, field_label_error, field_sources, field_value,
};
use kubelite_store::KeyValue;
use serde_json::Value;

use crate::rawjson::Part;
use crate::status::ApiError;

#[derive(Debug, Clone)]
pub struct Selection {
    kind: &'static str,
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
    /// The top-level members matching reads, with the members of each it reads (`None`: all).
    reads: Vec<(String, Option<Vec<String>>)>,
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
        let mut reads: Vec<(String, Option<Vec<String>>)> = Vec::new();
        let mut read = |member: &str, key: Option<&str>| {
            let at = match reads.iter().position(|(m, _)| m == member) {
                Some(at) => at,
                None => {
                    reads.push((member.to_owned(), Some(Vec::new())));
                    reads.len() - 1
                }
            };
            match (&mut reads[at].1, key) {
                (Some(keys), Some(key)) if !keys.iter().any(|k| k == key) => keys.push(key.into()),
                (keys, None) => *keys = None,
                _ => {}
            }
        };
        if labels.as_ref().is_some_and(|l| !l.is_empty()) {
            read("metadata", Some("labels"));
        }
        for term in fields.iter().flat_map(|f| &f.terms) {
            for (member, key) in field_sources(r.kind, &term.field) {
                read(member, key);
            }
        }
        Ok(Selection {
            kind: r.kind,
            labels,
            fields,
            reads,
        })
    }

    /// Selects everything.
    pub fn is_empty(&self) -> bool {
        self.labels.as_ref().is_none_or(LabelSelector::is_empty)
            && self.fields.as_ref().is_none_or(FieldSelector::is_empty)
    }

    /// How much of the top-level member `member` of an object matching reads (a label
    /// selector reads `metadata.labels`; a field selector the members its fields name).
    pub fn part(&self, member: &str) -> Part<'_> {
        match self.reads.iter().find(|(m, _)| m == member) {
            None => Part::Skip,
            Some((_, None)) => Part::Whole,
            Some((_, Some(keys))) => Part::Members(keys),
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
        if let Some(l) = &self.labels {
            let labels = obj.pointer("/metadata/labels").and_then(Value::as_object);
            if !l.matches_fn(|k| labels.and_then(|m| m.get(k)).and_then(Value::as_str)) {
                return false;
            }
        }
        if let Some(f) = &self.fields
            && !f.matches(|field| field_value(self.kind, obj, field))
        {
            return false;
        }
        true
    }
}
