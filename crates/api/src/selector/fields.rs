//! Field selectors (`pkg/fields/selector.go`): comma-separated `field=value`, `field==value`,
//! `field!=value` terms with `\`-escaping of `\`, `,` and `=` in values.

/// A field selector operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldOp {
    Equals,
    NotEquals,
}

/// One `field op value` term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldTerm {
    pub field: String,
    pub op: FieldOp,
    /// Unescaped value.
    pub value: String,
}

/// A parsed field selector: the AND of its terms (empty matches everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    pub terms: Vec<FieldTerm>,
}

fn split_terms(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut terms = Vec::new();
    let mut start = 0;
    let mut in_slash = false;
    for (i, c) in s.char_indices() {
        if in_slash {
            in_slash = false;
        } else if c == '\\' {
            in_slash = true;
        } else if c == ',' {
            terms.push(&s[start..i]);
            start = i + 1;
        }
    }
    terms.push(&s[start..]);
    terms
}

fn split_term(term: &str) -> Option<(&str, FieldOp, &str)> {
    for (i, _) in term.char_indices() {
        let rest = &term[i..];
        for (op, kind) in [
            ("!=", FieldOp::NotEquals),
            ("==", FieldOp::Equals),
            ("=", FieldOp::Equals),
        ] {
            if let Some(rhs) = rest.strip_prefix(op) {
                return Some((&term[..i], kind, rhs));
            }
        }
    }
    None
}

/// `fields.UnescapeValue`.
fn unescape(s: &str) -> Result<String, String> {
    if !s.contains(['\\', ',', '=']) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut in_slash = false;
    for c in s.chars() {
        if in_slash {
            match c {
                '\\' | ',' | '=' => out.push(c),
                _ => {
                    return Err(format!(
                        "invalid field selector: invalid escape sequence: \\{c}"
                    ));
                }
            }
            in_slash = false;
            continue;
        }
        match c {
            '\\' => in_slash = true,
            ',' | '=' => {
                return Err(format!(
                    "invalid field selector: unescaped character in value: {}",
                    c as u32
                ));
            }
            _ => out.push(c),
        }
    }
    if in_slash {
        return Err("invalid field selector: invalid escape sequence: \\".to_string());
    }
    Ok(out)
}

/// `fields.EscapeValue`.
pub fn escape_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
}

impl FieldSelector {
    /// `fields.ParseSelector`: the error text is upstream's.
    pub fn parse(selector: &str) -> Result<Self, String> {
        let mut parts = split_terms(selector);
        parts.sort_unstable();
        let mut terms = Vec::new();
        for part in parts {
            if part.is_empty() {
                continue;
            }
            let Some((lhs, op, rhs)) = split_term(part) else {
                return Err(format!(
                    "invalid selector: '{selector}'; can't understand '{part}'"
                ));
            };
            terms.push(FieldTerm {
                field: lhs.to_string(),
                op,
                value: unescape(rhs)?,
            });
        }
        Ok(FieldSelector { terms })
    }

    /// True when there are no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds; an absent field reads as `""`, as in `fields.Set.Get`.
    pub fn matches(&self, get: impl Fn(&str) -> Option<String>) -> bool {
        self.terms.iter().all(|t| {
            let have = get(&t.field).unwrap_or_default();
            match t.op {
                FieldOp::Equals => have == t.value,
                FieldOp::NotEquals => have != t.value,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_terms() {
        let sel = FieldSelector::parse("spec.nodeName=n1,metadata.name!=x,status.phase==Running")
            .unwrap();
        assert_eq!(
            sel.terms,
            vec![
                FieldTerm {
                    field: "metadata.name".into(),
                    op: FieldOp::NotEquals,
                    value: "x".into()
                },
                FieldTerm {
                    field: "spec.nodeName".into(),
                    op: FieldOp::Equals,
                    value: "n1".into()
                },
                FieldTerm {
                    field: "status.phase".into(),
                    op: FieldOp::Equals,
                    value: "Running".into()
                },
            ]
        );
        let escaped = FieldSelector::parse(r"metadata.name=a\,b\=c\\d").unwrap();
        assert_eq!(escaped.terms[0].value, r"a,b=c\d");
        assert_eq!(escape_value(r"a,b=c\d"), r"a\,b\=c\\d");
        assert!(FieldSelector::parse("").unwrap().is_empty());
        assert!(FieldSelector::parse(",").unwrap().is_empty());
        let empty_value = FieldSelector::parse("spec.nodeName=").unwrap();
        assert_eq!(empty_value.terms[0].value, "");
    }

    #[test]
    fn parse_errors() {
        let cases = [
            ("foo", "invalid selector: 'foo'; can't understand 'foo'"),
            (
                "a=b,foo",
                "invalid selector: 'a=b,foo'; can't understand 'foo'",
            ),
            (
                r"a=b\x",
                "invalid field selector: invalid escape sequence: \\x",
            ),
            (
                r"a=b\",
                "invalid field selector: invalid escape sequence: \\",
            ),
            (
                "a=b=c",
                "invalid field selector: unescaped character in value: 61",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(FieldSelector::parse(s).unwrap_err(), want, "{s}");
        }
    }

    #[test]
    fn matching() {
        let get = |f: &str| match f {
            "metadata.name" => Some("web".to_string()),
            _ => None,
        };
        assert!(
            FieldSelector::parse("metadata.name=web")
                .unwrap()
                .matches(get)
        );
        assert!(
            !FieldSelector::parse("metadata.name!=web")
                .unwrap()
                .matches(get)
        );
        assert!(FieldSelector::parse("spec.nodeName=").unwrap().matches(get));
        assert!(
            FieldSelector::parse("spec.nodeName!=n1")
                .unwrap()
                .matches(get)
        );
    }
}
