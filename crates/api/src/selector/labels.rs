//! Label selectors: the string syntax of apimachinery `pkg/labels/selector.go` (lexer and
//! parser with the same error texts) and `metav1.LabelSelector` objects.

use crate::validation::{FieldError, Path, names};
use serde_json::Value;
use std::collections::BTreeMap;

/// A selector operator (`selection.Operator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelOp {
    Equals,
    DoubleEquals,
    NotEquals,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
}

/// One `key op values` term; all terms of a selector must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: LabelOp,
    /// Sorted and deduplicated, as upstream's `sets.String`.
    pub values: Vec<String>,
}

impl Requirement {
    /// `Requirement.Matches`.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        let value = get(&self.key);
        match self.op {
            LabelOp::In | LabelOp::Equals | LabelOp::DoubleEquals => {
                value.is_some_and(|v| self.values.iter().any(|x| x == v))
            }
            LabelOp::NotIn | LabelOp::NotEquals => {
                value.is_none_or(|v| !self.values.iter().any(|x| x == v))
            }
            LabelOp::Exists => value.is_some(),
            LabelOp::DoesNotExist => value.is_none(),
            LabelOp::GreaterThan | LabelOp::LessThan => {
                let (Some(Ok(have)), [want]) =
                    (value.map(str::parse::<i64>), self.values.as_slice())
                else {
                    return false;
                };
                let Ok(want) = want.parse::<i64>() else {
                    return false;
                };
                if self.op == LabelOp::GreaterThan {
                    have > want
                } else {
                    have < want
                }
            }
        }
    }
}

/// A parsed label selector: the AND of its requirements (empty matches everything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    pub requirements: Vec<Requirement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    End,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

fn keyword(s: &str) -> Option<Token> {
    Some(match s {
        ")" => Token::ClosedPar,
        "," => Token::Comma,
        "!" => Token::DoesNotExist,
        "==" => Token::DoubleEquals,
        "=" => Token::Equals,
        ">" => Token::GreaterThan,
        "in" => Token::In,
        "<" => Token::LessThan,
        "!=" => Token::NotEquals,
        "notin" => Token::NotIn,
        "(" => Token::OpenPar,
        _ => return None,
    })
}

fn is_special(c: u8) -> bool {
    matches!(c, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn lex(s: &str) -> Vec<(Token, String)> {
    let b = s.as_bytes();
    let mut pos = 0;
    let mut out = Vec::new();
    loop {
        while pos < b.len() && is_space(b[pos]) {
            pos += 1;
        }
        if pos >= b.len() {
            out.push((Token::End, String::new()));
            return out;
        }
        if is_special(b[pos]) {
            // Every single special character is a keyword; extend while the text stays one.
            let mut end = pos + 1;
            while end < b.len() && is_special(b[end]) && keyword(&s[pos..=end]).is_some() {
                end += 1;
            }
            let text = s[pos..end].to_string();
            let tok = keyword(&text).expect("special characters are keywords");
            out.push((tok, text));
            pos = end;
        } else {
            let start = pos;
            while pos < b.len() && !is_special(b[pos]) && !is_space(b[pos]) {
                pos += 1;
            }
            let text = s[start..pos].to_string();
            let tok = keyword(&text).unwrap_or(Token::Identifier);
            out.push((tok, text));
        }
    }
}

struct Parser {
    items: Vec<(Token, String)>,
    pos: usize,
}

impl Parser {
    fn as_value(tok: Token) -> Token {
        if matches!(tok, Token::In | Token::NotIn) {
            Token::Identifier
        } else {
            tok
        }
    }

    fn lookahead(&self, values: bool) -> (Token, String) {
        let (t, l) = self.items[self.pos.min(self.items.len() - 1)].clone();
        (if values { Self::as_value(t) } else { t }, l)
    }

    fn consume(&mut self, values: bool) -> (Token, String) {
        let item = self.lookahead(values);
        self.pos += 1;
        item
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut reqs = Vec::new();
        loop {
            let (tok, lit) = self.lookahead(true);
            match tok {
                Token::Identifier | Token::DoesNotExist => {
                    let r = self
                        .requirement()
                        .map_err(|e| format!("unable to parse requirement: {e}"))?;
                    reqs.push(r);
                    let (t, l) = self.consume(true);
                    match t {
                        Token::End => return Ok(reqs),
                        Token::Comma => {
                            let (t2, l2) = self.lookahead(true);
                            if t2 != Token::Identifier && t2 != Token::DoesNotExist {
                                return Err(format!(
                                    "found '{l2}', expected: identifier after ','"
                                ));
                            }
                        }
                        _ => return Err(format!("found '{l}', expected: ',' or 'end of string'")),
                    }
                }
                Token::End => return Ok(reqs),
                _ => {
                    return Err(format!(
                        "found '{lit}', expected: !, identifier, or 'end of string'"
                    ));
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, String> {
        let (tok, lit) = self.consume(true);
        let (tok, key, mut op) = if tok == Token::DoesNotExist {
            let (t, l) = self.consume(true);
            (t, l, Some(LabelOp::DoesNotExist))
        } else {
            (tok, lit, None)
        };
        if tok != Token::Identifier {
            return Err(format!("found '{key}', expected: identifier"));
        }
        let key_msgs = names::qualified_name(&key);
        if !key_msgs.is_empty() {
            return Err(FieldError::invalid(
                &Path::new("<nil>"),
                key.as_str(),
                &key_msgs.join("; "),
            )
            .to_string());
        }
        let (next, _) = self.lookahead(true);
        if matches!(next, Token::End | Token::Comma) && op.is_none() {
            op = Some(LabelOp::Exists);
        }
        if let Some(op) = op {
            return Ok(Requirement {
                key,
                op,
                values: Vec::new(),
            });
        }
        let (tok, lit) = self.consume(false);
        let op = match tok {
            Token::In => LabelOp::In,
            Token::Equals => LabelOp::Equals,
            Token::DoubleEquals => LabelOp::DoubleEquals,
            Token::GreaterThan => LabelOp::GreaterThan,
            Token::LessThan => LabelOp::LessThan,
            Token::NotIn => LabelOp::NotIn,
            Token::NotEquals => LabelOp::NotEquals,
            _ => {
                return Err(format!(
                    "found '{lit}', expected: in, notin, =, ==, !=, gt, lt"
                ));
            }
        };
        let mut values = match op {
            LabelOp::In | LabelOp::NotIn => self.values()?,
            _ => self.exact_value()?,
        };
        values.sort();
        values.dedup();
        new_requirement(key, op, values)
    }

    fn values(&mut self) -> Result<Vec<String>, String> {
        let (tok, lit) = self.consume(true);
        if tok != Token::OpenPar {
            return Err(format!("found '{lit}' expected: '('"));
        }
        let (tok, lit) = self.lookahead(true);
        match tok {
            Token::Identifier | Token::Comma => {
                let s = self.identifiers()?;
                if self.consume(true).0 != Token::ClosedPar {
                    return Err(format!("found '{lit}', expected: ')'"));
                }
                Ok(s)
            }
            Token::ClosedPar => {
                self.consume(true);
                Ok(vec![String::new()])
            }
            _ => Err(format!("found '{lit}', expected: ',', ')' or identifier")),
        }
    }

    fn identifiers(&mut self) -> Result<Vec<String>, String> {
        let mut s: Vec<String> = Vec::new();
        loop {
            let (tok, lit) = self.consume(true);
            match tok {
                Token::Identifier => {
                    s.push(lit);
                    let (t2, l2) = self.lookahead(true);
                    match t2 {
                        Token::Comma => continue,
                        Token::ClosedPar => return Ok(s),
                        _ => return Err(format!("found '{l2}', expected: ',' or ')'")),
                    }
                }
                Token::Comma => {
                    if s.is_empty() {
                        s.push(String::new());
                    }
                    let (t2, _) = self.lookahead(true);
                    if t2 == Token::ClosedPar {
                        s.push(String::new());
                        return Ok(s);
                    }
                    if t2 == Token::Comma {
                        self.consume(true);
                        s.push(String::new());
                    }
                }
                _ => return Err(format!("found '{lit}', expected: ',', or identifier")),
            }
        }
    }

    fn exact_value(&mut self) -> Result<Vec<String>, String> {
        let (tok, _) = self.lookahead(true);
        if matches!(tok, Token::End | Token::Comma) {
            return Ok(vec![String::new()]);
        }
        let (tok, lit) = self.consume(true);
        if tok == Token::Identifier {
            Ok(vec![lit])
        } else {
            Err(format!("found '{lit}', expected: identifier"))
        }
    }
}

/// `NewRequirement`'s checks, with its error aggregation.
fn new_requirement(key: String, op: LabelOp, values: Vec<String>) -> Result<Requirement, String> {
    let mut errs: Vec<FieldError> = Vec::new();
    let key_msgs = names::qualified_name(&key);
    if !key_msgs.is_empty() {
        errs.push(FieldError::invalid(
            &Path::new("key"),
            key.as_str(),
            &key_msgs.join("; "),
        ));
    }
    let values_path = Path::new("values");
    match op {
        LabelOp::In | LabelOp::NotIn if values.is_empty() => errs.push(FieldError::invalid(
            &values_path,
            Value::from(values.clone()),
            "for 'in', 'notin' operators, values set can't be empty",
        )),
        LabelOp::Exists | LabelOp::DoesNotExist if !values.is_empty() => {
            errs.push(FieldError::invalid(
                &values_path,
                Value::from(values.clone()),
                "values set must be empty for exists and does not exist",
            ))
        }
        LabelOp::GreaterThan | LabelOp::LessThan => {
            for (i, v) in values.iter().enumerate() {
                if v.parse::<i64>().is_err() {
                    errs.push(FieldError::invalid(
                        &values_path.index(i),
                        v.as_str(),
                        "for 'Gt', 'Lt' operators, the value must be an integer",
                    ));
                }
            }
        }
        _ => {}
    }
    for (i, v) in values.iter().enumerate() {
        let msgs = names::label_value(v);
        if !msgs.is_empty() {
            errs.push(FieldError::invalid(
                &values_path.index(i).key(&key),
                v.as_str(),
                &msgs.join("; "),
            ));
        }
    }
    match errs.len() {
        0 => Ok(Requirement { key, op, values }),
        1 => Err(errs[0].to_string()),
        _ => Err(format!(
            "[{}]",
            errs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl LabelSelector {
    /// `labels.Parse`: the error text is upstream's.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut p = Parser {
            items: lex(s),
            pos: 0,
        };
        let mut requirements = p.parse()?;
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// `metav1.LabelSelectorAsSelector` for a non-null `{matchLabels, matchExpressions}` object.
    /// A null selector matches nothing upstream; callers decide that before calling.
    pub fn from_label_selector(sel: &Value) -> Result<Self, String> {
        let mut requirements = Vec::new();
        if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in m {
                let v = v.as_str().unwrap_or("").to_string();
                requirements.push(new_requirement(k.clone(), LabelOp::Equals, vec![v])?);
            }
        }
        if let Some(exprs) = sel.get("matchExpressions").and_then(Value::as_array) {
            for e in exprs {
                let key = e
                    .get("key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let op_name = e.get("operator").and_then(Value::as_str).unwrap_or("");
                let op = match op_name {
                    "In" => LabelOp::In,
                    "NotIn" => LabelOp::NotIn,
                    "Exists" => LabelOp::Exists,
                    "DoesNotExist" => LabelOp::DoesNotExist,
                    other => {
                        return Err(format!(
                            "{} is not a valid label selector operator",
                            crate::validation::go_quote(other)
                        ));
                    }
                };
                let mut values: Vec<String> = e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default();
                values.sort();
                values.dedup();
                requirements.push(new_requirement(key, op, values)?);
            }
        }
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(LabelSelector { requirements })
    }

    /// True when there are no requirements (matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether a label set satisfies every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches_fn(|k| labels.get(k).map(String::as_str))
    }

    /// Whether the labels behind a lookup function satisfy every requirement.
    pub fn matches_fn<'a>(&self, get: impl Fn(&str) -> Option<&'a str> + Copy) -> bool {
        self.requirements.iter().all(|r| r.matches(get))
    }

    /// Matching against the `metadata.labels` object of a JSON API object.
    pub fn matches_object(&self, obj: &Value) -> bool {
        let labels = obj.pointer("/metadata/labels");
        self.matches_fn(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parse_and_match() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        let cases = [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=db", false),
            ("missing!=x", true),
            ("app in (web, db)", true),
            ("app notin (web,db)", false),
            ("tier,app", true),
            ("!tier", false),
            ("!missing", true),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("  app = web ,  tier in ( front ) ", true),
            ("n>3", true),
            ("n<3", false),
            ("app in (web,)", true),
        ];
        for (s, want) in cases {
            let sel = LabelSelector::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(sel.matches(&l), want, "{s}");
        }
        let sel = LabelSelector::parse("b=1,a=2").unwrap();
        assert_eq!(sel.requirements[0].key, "a");
    }

    #[test]
    fn parse_errors() {
        let cases = [
            (
                "app=web tier",
                "found 'tier', expected: ',' or 'end of string'",
            ),
            (
                "app in web",
                "unable to parse requirement: found 'web' expected: '('",
            ),
            (
                "app in (a b)",
                "unable to parse requirement: found 'b', expected: ',' or ')'",
            ),
            (
                "=web",
                "found '=', expected: !, identifier, or 'end of string'",
            ),
            ("app=web,", "found '', expected: identifier after ','"),
            (
                "app foo",
                "unable to parse requirement: found 'foo', expected: in, notin, =, ==, !=, gt, lt",
            ),
            (
                "a/b/c=x",
                "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ),
            (
                "app=-x",
                "unable to parse requirement: values[0][app]: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            ),
            (
                "n>x",
                "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer",
            ),
        ];
        for (s, want) in cases {
            assert_eq!(LabelSelector::parse(s).unwrap_err(), want, "{s}");
        }
    }

    #[test]
    fn from_object() {
        let sel = LabelSelector::from_label_selector(&json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}, {"key": "canary", "operator": "DoesNotExist"}]
        }))
        .unwrap();
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "back")])));
        assert!(!sel.matches(&labels(&[
            ("app", "web"),
            ("tier", "back"),
            ("canary", "1")
        ])));
        assert!(
            sel.matches_object(&json!({"metadata": {"labels": {"app": "web", "tier": "front"}}}))
        );
        assert_eq!(
            LabelSelector::from_label_selector(
                &json!({"matchExpressions": [{"key": "a", "operator": "Gt"}]})
            )
            .unwrap_err(),
            "\"Gt\" is not a valid label selector operator"
        );
        assert!(
            LabelSelector::from_label_selector(&json!({}))
                .unwrap()
                .is_empty()
        );
    }
}
