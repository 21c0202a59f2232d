//! `metav1.Status` documents: the final status of an exec/attach (error channel / stream) and
//! error bodies of plain HTTP answers. Pure.

use serde_json::{Value, json};

use crate::error::StreamError;

/// The outcome of an exec or attach as kubelet reports it on the error channel (protocol v4
/// and later): success, a non-zero exit code, or an internal error.
pub fn command_status(command: &[String], outcome: &Result<i32, StreamError>) -> Value {
    match outcome {
        Ok(0) => json!({"metadata": {}, "status": "Success"}),
        Ok(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!(
                "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
                command.join(" ")
            ),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        Err(err) => {
            let text = format!("error executing command in container: {err}");
            json!({
                "metadata": {},
                "status": "Failure",
                "message": format!("Internal error occurred: {text}"),
                "reason": "InternalError",
                "details": {"causes": [{"message": text}]},
                "code": 500,
            })
        }
    }
}

/// A complete `Status` error body for an HTTP answer.
pub fn error_status(code: u16, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_statuses() {
        let cmd = vec!["sh".to_owned(), "-c".to_owned(), "exit 7".to_owned()];
        let cases = [
            (Ok(0), r#"{"metadata":{},"status":"Success"}"#),
            (
                Ok(7),
                r#"{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 7], exit code 7","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"7"}]}}"#,
            ),
            (
                Err(StreamError::Internal("boom".into())),
                r#"{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: boom","reason":"InternalError","details":{"causes":[{"message":"error executing command in container: boom"}]},"code":500}"#,
            ),
        ];
        for (outcome, want) in cases {
            assert_eq!(command_status(&cmd, &outcome).to_string(), want);
        }
    }

    #[test]
    fn error_body() {
        assert_eq!(
            error_status(401, "Unauthorized", "Unauthorized").to_string(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
        );
    }
}
