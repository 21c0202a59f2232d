//! Container probes as the kubelet runs them (`pkg/kubelet/prober`): `httpGet` (HTTP/1.1 GET,
//! 2xx/3xx succeeds), `tcpSocket` (a connect), `exec` (a command inside the pod, exit 0
//! succeeds), each bounded by `timeoutSeconds`; plus the per-probe bookkeeping of initial delay,
//! period and success/failure thresholds ([`ProbeTracker`]). The failure texts are kubelet's.

use std::net::SocketAddr;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Container, Probe};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubelite_podsandbox::{ExecSpec, PodSandbox, exec_command};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

/// What one probe run found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Whether it succeeded.
    pub ok: bool,
    /// The failure text (for the `Unhealthy` event).
    pub message: String,
}

impl Outcome {
    fn ok() -> Outcome {
        Outcome {
            ok: true,
            message: String::new(),
        }
    }

    fn failed(message: String) -> Outcome {
        Outcome { ok: false, message }
    }
}

/// A probe's settings with the API defaults applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// `initialDelaySeconds` (0).
    pub initial_delay: Duration,
    /// `periodSeconds` (10).
    pub period: Duration,
    /// `timeoutSeconds` (1).
    pub timeout: Duration,
    /// `successThreshold` (1).
    pub success_threshold: u32,
    /// `failureThreshold` (3).
    pub failure_threshold: u32,
}

impl Timing {
    /// The timing of `probe`.
    pub fn of(probe: &Probe) -> Timing {
        let secs = |v: Option<i32>, default: u64| {
            Duration::from_secs(v.map_or(default, |v| v.max(0) as u64))
        };
        Timing {
            initial_delay: secs(probe.initial_delay_seconds, 0),
            period: secs(probe.period_seconds, 10).max(Duration::from_secs(1)),
            timeout: secs(probe.timeout_seconds, 1).max(Duration::from_secs(1)),
            success_threshold: probe.success_threshold.map_or(1, |v| v.max(1) as u32),
            failure_threshold: probe.failure_threshold.map_or(3, |v| v.max(1) as u32),
        }
    }
}

/// The running state of one probe of one container run.
#[derive(Clone, Debug)]
pub struct ProbeTracker {
    timing: Timing,
    due: Instant,
    result: bool,
    successes: u32,
    failures: u32,
}

impl ProbeTracker {
    /// A tracker for a container (re)started at `started`; `initial` is the result before the
    /// first run (false for readiness and startup, true for liveness).
    pub fn new(probe: &Probe, started: Instant, initial: bool) -> ProbeTracker {
        let timing = Timing::of(probe);
        ProbeTracker {
            timing,
            due: started + timing.initial_delay,
            result: initial,
            successes: 0,
            failures: 0,
        }
    }

    /// Whether a run is due at `now`.
    pub fn due(&self, now: Instant) -> bool {
        now >= self.due
    }

    /// The current result.
    pub fn result(&self) -> bool {
        self.result
    }

    /// Records a run that ended at `now`; returns the result if it changed.
    pub fn record(&mut self, ok: bool, now: Instant) -> Option<bool> {
        self.due = now + self.timing.period;
        if ok {
            self.failures = 0;
            self.successes += 1;
            if !self.result && self.successes >= self.timing.success_threshold {
                self.result = true;
                return Some(true);
            }
        } else {
            self.successes = 0;
            self.failures += 1;
            if self.result && self.failures >= self.timing.failure_threshold {
                self.result = false;
                return Some(false);
            }
        }
        None
    }
}

/// Runs `probe` of `container` against the pod at `pod_ip`.
pub async fn run(
    probe: &Probe,
    container: &Container,
    pod_ip: &str,
    sandbox: &PodSandbox,
    env: &[(String, String)],
) -> Outcome {
    let limit = Timing::of(probe).timeout;
    if let Some(http) = &probe.http_get {
        let host = http
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| pod_ip.to_owned());
        let Some(port) = resolve_port(&http.port, container) else {
            return Outcome::failed(format!("unable to resolve port {:?}", http.port));
        };
        let path = http
            .path
            .clone()
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "/".into());
        let headers: Vec<(String, String)> = http
            .http_headers
            .iter()
            .flatten()
            .map(|h| (h.name.clone(), h.value.clone()))
            .collect();
        let url = format!("http://{}{path}", join_host_port(&host, port));
        return match timeout(limit, http_get(&host, port, &path, &headers)).await {
            Ok(Ok(code)) if (200..400).contains(&code) => Outcome::ok(),
            Ok(Ok(code)) => Outcome::failed(format!("HTTP probe failed with statuscode: {code}")),
            Ok(Err(e)) => Outcome::failed(format!("Get \"{url}\": {e}")),
            Err(_) => Outcome::failed(format!(
                "Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
            )),
        };
    }
    if let Some(tcp) = &probe.tcp_socket {
        let host = tcp
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| pod_ip.to_owned());
        let Some(port) = resolve_port(&tcp.port, container) else {
            return Outcome::failed(format!("unable to resolve port {:?}", tcp.port));
        };
        let target = join_host_port(&host, port);
        return match timeout(limit, TcpStream::connect(&target)).await {
            Ok(Ok(_)) => Outcome::ok(),
            Ok(Err(e)) => Outcome::failed(format!("dial tcp {target}: {}", dial_error(&e))),
            Err(_) => Outcome::failed(format!("dial tcp {target}: i/o timeout")),
        };
    }
    if let Some(exec) = &probe.exec {
        let spec = ExecSpec {
            argv: exec.command.clone().unwrap_or_default(),
            env: env.to_vec(),
            cwd: container.working_dir.clone().map(Into::into),
            tty: false,
        };
        return match timeout(limit, run_exec(sandbox, &spec)).await {
            Ok(Ok((0, _))) => Outcome::ok(),
            Ok(Ok((_, output))) => Outcome::failed(output),
            Ok(Err(e)) => Outcome::failed(e),
            Err(_) => Outcome::failed(format!("command timed out after {}s", limit.as_secs())),
        };
    }
    // gRPC probes are not run; like a probe kubelet does not know, they count as success.
    Outcome::ok()
}

fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn dial_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connect: connection refused".into(),
        _ => format!("connect: {e}"),
    }
}

/// A probe port: a number, or the name of one of the container's ports.
pub fn resolve_port(port: &IntOrString, container: &Container) -> Option<u16> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => name.parse().ok().or_else(|| {
            container
                .ports
                .iter()
                .flatten()
                .find(|p| p.name.as_deref() == Some(name))
                .and_then(|p| u16::try_from(p.container_port).ok())
        }),
    }
}

async fn http_get(
    host: &str,
    port: u16,
    path: &str,
    headers: &[(String, String)],
) -> std::io::Result<u16> {
    let addr: SocketAddr = tokio::net::lookup_host(join_host_port(host, port))
        .await?
        .next()
        .ok_or_else(|| std::io::Error::other("no address"))?;
    let mut stream = TcpStream::connect(addr).await?;
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\n",
        join_host_port(host, port)
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("user-agent"))
    {
        request.push_str("User-Agent: kube-probe/1.33\r\n");
    }
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
    {
        request.push_str("Accept: */*\r\n");
    }
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("EOF"));
        }
        head.extend_from_slice(&buf[..n]);
    }
    parse_status_line(&head).ok_or_else(|| std::io::Error::other("malformed HTTP response"))
}

/// The status code of an HTTP/1.x response head.
pub fn parse_status_line(head: &[u8]) -> Option<u16> {
    let line = head.split(|&b| b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    parts.next().filter(|v| v.starts_with("HTTP/"))?;
    parts.next()?.parse().ok()
}

async fn run_exec(sandbox: &PodSandbox, spec: &ExecSpec) -> Result<(i32, String), String> {
    let mut process = exec_command(sandbox, spec).map_err(|e| e.to_string())?;
    drop(process.take_stdin());
    let mut output = Vec::new();
    if let Some(mut out) = process.take_stdout() {
        let _ = out.read_to_end(&mut output).await;
    }
    if let Some(mut err) = process.take_stderr() {
        let _ = err.read_to_end(&mut output).await;
    }
    let code = process.wait().await.map_err(|e| e.to_string())?;
    Ok((code, String::from_utf8_lossy(&output).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn thresholds() {
        let probe: Probe = serde_json::from_value(json!({
            "periodSeconds": 2, "failureThreshold": 2, "successThreshold": 1, "initialDelaySeconds": 1
        }))
        .unwrap();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut t = ProbeTracker::new(&probe, t0, true);
        assert!(!t.due(t0));
        assert!(t.due(t0 + s(1)));
        assert_eq!(t.record(false, t0 + s(1)), None);
        assert!(!t.due(t0 + s(2)));
        assert_eq!(t.record(false, t0 + s(3)), Some(false));
        assert_eq!(t.record(true, t0 + s(5)), Some(true));
        assert!(t.result());
    }

    #[test]
    fn ports_and_status_lines() {
        let container: Container = serde_json::from_value(json!({
            "name": "c", "ports": [{"name": "http", "containerPort": 8080}]
        }))
        .unwrap();
        assert_eq!(resolve_port(&IntOrString::Int(80), &container), Some(80));
        assert_eq!(
            resolve_port(&IntOrString::String("http".into()), &container),
            Some(8080)
        );
        assert_eq!(
            resolve_port(&IntOrString::String("nope".into()), &container),
            None
        );
        assert_eq!(
            parse_status_line(b"HTTP/1.1 503 Service Unavailable\r\n"),
            Some(503)
        );
        assert_eq!(parse_status_line(b"garbage\r\n"), None);
    }
}
