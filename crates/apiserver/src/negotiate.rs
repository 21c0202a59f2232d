//! Content negotiation: which representation of an object or list the client asked for in
//! `Accept` (`application/json;as=Table;v=v1;g=meta.k8s.io`, `as=PartialObjectMetadata`, plain JSON).

use crate::status::ApiError;

/// The representation a GET answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The object (or list) itself.
    Object,
    /// A `meta.k8s.io` Table.
    Table,
    /// `PartialObjectMetadata` (or `PartialObjectMetadataList`).
    Metadata,
}

/// One media range of an Accept header, with its parameters.
struct MediaRange<'a> {
    mime: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

impl MediaRange<'_> {
    fn param(&self, key: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

fn media_ranges(accept: &str) -> impl Iterator<Item = MediaRange<'_>> {
    accept.split(',').map(|range| {
        let mut parts = range.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("");
        let params = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim().trim_matches('"')))
            .collect();
        MediaRange { mime, params }
    })
}

fn json_like(mime: &str) -> bool {
    matches!(
        mime,
        "application/json" | "application/*" | "*/*" | "application/yaml" | ""
    )
}

/// Picks the output for `accept`; the first range this server can produce wins, as in
/// kube-apiserver. Protobuf ranges are skipped (JSON is always offered next by clients).
pub fn output(accept: Option<&str>) -> Result<Output, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Output::Object);
    };
    let mut saw_any = false;
    for range in media_ranges(accept) {
        saw_any = true;
        if !json_like(range.mime) {
            continue;
        }
        match range.param("as") {
            None => return Ok(Output::Object),
            Some("Table") if range.param("g") == Some("meta.k8s.io") => return Ok(Output::Table),
            Some("PartialObjectMetadata" | "PartialObjectMetadataList")
                if range.param("g") == Some("meta.k8s.io") =>
            {
                return Ok(Output::Metadata);
            }
            Some(_) => continue,
        }
    }
    if saw_any {
        Err(ApiError::not_acceptable(
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        ))
    } else {
        Ok(Output::Object)
    }
}

/// The aggregated discovery version the client accepts (`v2` or `v2beta1`), if any.
pub fn aggregated_discovery(accept: Option<&str>) -> Option<&'static str> {
    for range in media_ranges(accept?) {
        if range.mime != "application/json" {
            continue;
        }
        if range.param("g") == Some("apidiscovery.k8s.io")
            && range.param("as") == Some("APIGroupDiscoveryList")
        {
            match range.param("v") {
                Some("v2") => return Some("v2"),
                Some("v2beta1") => return Some("v2beta1"),
                _ => {}
            }
        } else if range.param("as").is_none() {
            // Plain JSON preferred before any aggregated form.
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_accept_headers() {
        let table = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(output(Some(table)).unwrap(), Output::Table);
        assert_eq!(output(Some("application/json")).unwrap(), Output::Object);
        assert_eq!(output(None).unwrap(), Output::Object);
        assert_eq!(
            output(Some("application/vnd.kubernetes.protobuf,application/json")).unwrap(),
            Output::Object
        );
        assert_eq!(
            output(Some("application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json")).unwrap(),
            Output::Metadata
        );
        assert!(output(Some("text/html")).is_err());
    }

    #[test]
    fn discovery_accept_headers() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_discovery(Some(kubectl)), Some("v2"));
        assert_eq!(
            aggregated_discovery(Some(
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"
            )),
            Some("v2beta1")
        );
        assert_eq!(aggregated_discovery(Some("application/json, */*")), None);
        assert_eq!(aggregated_discovery(None), None);
    }
}
