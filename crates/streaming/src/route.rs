//! The streaming endpoints' URLs (kubelet's paths) parsed into [`Endpoint`]s. Pure.
//!
//! | path | query |
//! |---|---|
//! | `/exec/{namespace}/{pod}/{container}` | `command` (repeated), `stdin`, `stdout`, `stderr`, `tty` |
//! | `/attach/{namespace}/{pod}/{container}` | `stdin`, `stdout`, `stderr`, `tty` |
//! | `/portForward/{namespace}/{pod}` | none: ports travel in the SPDY stream headers |
//! | `/containerLogs/{namespace}/{pod}/{container}` | `follow`, `previous`, `timestamps`, `tailLines`, `limitBytes`, `sinceSeconds`, `sinceTime` |
//!
//! Booleans follow Go's `strconv.ParseBool` (`1`, `t`, `true`, … / `0`, `f`, `false`, …), so
//! both kubectl's `stdin=true` and kube-apiserver's `stdin=1` are understood.

use jiff::Timestamp;
use percent_encoding::percent_decode_str;

/// Which container of which pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerRef {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// Options of an exec or attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOptions {
    pub target: ContainerRef,
    /// Program and arguments (empty for attach).
    pub command: Vec<String>,
    pub stdin: bool,
    pub stdout: bool,
    /// Always `false` with `tty` (kubelet bypasses stderr then).
    pub stderr: bool,
    pub tty: bool,
}

/// Options of a container log request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogQuery {
    pub follow: bool,
    pub previous: bool,
    pub timestamps: bool,
    pub tail_lines: Option<u64>,
    pub limit_bytes: Option<u64>,
    pub since_seconds: Option<u64>,
    pub since_time: Option<Timestamp>,
}

/// A parsed request target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Exec(CommandOptions),
    Attach(CommandOptions),
    PortForward {
        namespace: String,
        pod: String,
    },
    ContainerLogs {
        target: ContainerRef,
        query: LogQuery,
    },
}

/// Why a URL is not a streaming endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No such endpoint (404).
    NotFound,
    /// A known endpoint with bad parameters (400); the text is the message.
    BadRequest(String),
}

/// Parses `path` and the raw `query` of a request.
pub fn parse(path: &str, query: Option<&str>) -> Result<Endpoint, RouteError> {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let params = parse_query(query.unwrap_or(""));
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [kind @ ("exec" | "attach"), ns, pod, container] if all_nonempty(&[ns, pod, container]) => {
            let target = container_ref(ns, pod, container);
            let options = command_options(target, &params, *kind == "exec")?;
            Ok(if *kind == "exec" {
                Endpoint::Exec(options)
            } else {
                Endpoint::Attach(options)
            })
        }
        ["portForward", ns, pod] if all_nonempty(&[ns, pod]) => Ok(Endpoint::PortForward {
            namespace: (*ns).to_owned(),
            pod: (*pod).to_owned(),
        }),
        ["containerLogs", ns, pod, container] if all_nonempty(&[ns, pod, container]) => {
            Ok(Endpoint::ContainerLogs {
                target: container_ref(ns, pod, container),
                query: log_query(&params)?,
            })
        }
        _ => Err(RouteError::NotFound),
    }
}

fn all_nonempty(parts: &[&&str]) -> bool {
    parts.iter().all(|p| !p.is_empty())
}

fn container_ref(ns: &str, pod: &str, container: &str) -> ContainerRef {
    ContainerRef {
        namespace: ns.to_owned(),
        pod: pod.to_owned(),
        container: container.to_owned(),
    }
}

fn command_options(
    target: ContainerRef,
    params: &[(String, String)],
    exec: bool,
) -> Result<CommandOptions, RouteError> {
    let command: Vec<String> = values(params, "command").map(str::to_owned).collect();
    if exec && command.is_empty() {
        return Err(RouteError::BadRequest(
            "you must specify at least one command for the container".to_owned(),
        ));
    }
    let stdin = flag(params, "stdin")?;
    let stdout = flag(params, "stdout")?;
    let tty = flag(params, "tty")?;
    let stderr = flag(params, "stderr")? && !tty;
    if !stdin && !stdout && !flag(params, "stderr")? {
        return Err(RouteError::BadRequest(
            "you must specify at least 1 of stdin, stdout, stderr".to_owned(),
        ));
    }
    Ok(CommandOptions {
        target,
        command,
        stdin,
        stdout,
        stderr,
        tty,
    })
}

fn log_query(params: &[(String, String)]) -> Result<LogQuery, RouteError> {
    let since_time = match last(params, "sinceTime") {
        Some(text) => Some(
            text.parse::<Timestamp>()
                .map_err(|e| RouteError::BadRequest(format!("invalid sinceTime {text:?}: {e}")))?,
        ),
        None => None,
    };
    Ok(LogQuery {
        follow: flag(params, "follow")?,
        previous: flag(params, "previous")?,
        timestamps: flag(params, "timestamps")?,
        tail_lines: number(params, "tailLines")?,
        limit_bytes: number(params, "limitBytes")?,
        since_seconds: number(params, "sinceSeconds")?,
        since_time,
    })
}

fn values<'a>(params: &'a [(String, String)], name: &'a str) -> impl Iterator<Item = &'a str> {
    params
        .iter()
        .filter(move |(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn last<'a>(params: &'a [(String, String)], name: &'a str) -> Option<&'a str> {
    values(params, name).last()
}

fn flag(params: &[(String, String)], name: &str) -> Result<bool, RouteError> {
    match last(params, name) {
        None => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False" | "") => Ok(false),
        Some(other) => Err(RouteError::BadRequest(format!(
            "invalid value {other:?} for {name}: not a boolean"
        ))),
    }
}

/// A non-negative integer parameter; negative values are treated as absent, as kubelet
/// clamps them.
fn number(params: &[(String, String)], name: &str) -> Result<Option<u64>, RouteError> {
    match last(params, name) {
        None | Some("") => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(n) => Ok(u64::try_from(n).ok()),
            Err(_) => Err(RouteError::BadRequest(format!(
                "invalid value {text:?} for {name}: not an integer"
            ))),
        },
    }
}

/// Splits a raw query into decoded `(name, value)` pairs in order (form encoding: `%XX` and `+`;
/// invalid escapes stay as they are).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(container: &str) -> ContainerRef {
        container_ref("default", "sleep", container)
    }

    #[test]
    fn exec_as_kubectl_sends_it() {
        let got = parse(
            "/exec/default/sleep/sleep",
            Some(
                "command=sh&command=-c&command=echo+hi%21&stdin=true&stdout=true&stderr=true&tty=false",
            ),
        );
        assert_eq!(
            got,
            Ok(Endpoint::Exec(CommandOptions {
                target: target("sleep"),
                command: vec!["sh".into(), "-c".into(), "echo hi!".into()],
                stdin: true,
                stdout: true,
                stderr: true,
                tty: false,
            }))
        );
    }

    #[test]
    fn tty_bypasses_stderr_and_numeric_booleans_work() {
        let got = parse("/attach/ns/p/c", Some("stdin=1&stdout=1&stderr=1&tty=1"));
        assert_eq!(
            got,
            Ok(Endpoint::Attach(CommandOptions {
                target: container_ref("ns", "p", "c"),
                command: vec![],
                stdin: true,
                stdout: true,
                stderr: false,
                tty: true,
            }))
        );
    }

    #[test]
    fn logs_and_port_forward() {
        assert_eq!(
            parse(
                "/containerLogs/default/web/app",
                Some(
                    "follow=true&tailLines=10&timestamps=true&sinceTime=2024-01-02T03:04:05Z&limitBytes=7&sinceSeconds=-3"
                )
            ),
            Ok(Endpoint::ContainerLogs {
                target: container_ref("default", "web", "app"),
                query: LogQuery {
                    follow: true,
                    previous: false,
                    timestamps: true,
                    tail_lines: Some(10),
                    limit_bytes: Some(7),
                    since_seconds: None,
                    since_time: Some("2024-01-02T03:04:05Z".parse().unwrap()),
                },
            })
        );
        assert_eq!(
            parse("/portForward/default/web", None),
            Ok(Endpoint::PortForward {
                namespace: "default".into(),
                pod: "web".into()
            })
        );
    }

    #[test]
    fn errors() {
        let cases: &[(&str, Option<&str>, RouteError)] = &[
            (
                "/exec/ns/p",
                Some("command=ls&stdout=1"),
                RouteError::NotFound,
            ),
            ("/nope/ns/p/c", None, RouteError::NotFound),
            (
                "/exec/ns//c",
                Some("command=ls&stdout=1"),
                RouteError::NotFound,
            ),
            (
                "/exec/ns/p/c",
                Some("stdout=1"),
                RouteError::BadRequest(
                    "you must specify at least one command for the container".into(),
                ),
            ),
            (
                "/attach/ns/p/c",
                Some("tty=1"),
                RouteError::BadRequest(
                    "you must specify at least 1 of stdin, stdout, stderr".into(),
                ),
            ),
            (
                "/exec/ns/p/c",
                Some("command=ls&stdout=yes"),
                RouteError::BadRequest("invalid value \"yes\" for stdout: not a boolean".into()),
            ),
            (
                "/containerLogs/ns/p/c",
                Some("tailLines=x"),
                RouteError::BadRequest("invalid value \"x\" for tailLines: not an integer".into()),
            ),
        ];
        for (path, query, want) in cases {
            assert_eq!(parse(path, *query).as_ref(), Err(want), "{path}?{query:?}");
        }
    }

    #[test]
    fn query_decoding() {
        let cases = [
            ("a%20b", "a b"),
            ("a+b", "a b"),
            ("%2Fetc%2fhosts", "/etc/hosts"),
            ("100%", "100%"),
            ("%zz", "%zz"),
            ("%e2%82%ac", "€"),
        ];
        for (input, want) in cases {
            let query = format!("command={input}");
            assert_eq!(
                parse_query(&query),
                [("command".to_owned(), want.to_owned())],
                "{input}"
            );
        }
    }
}
