//! The proxy's Prometheus metrics, in the text exposition format, and the `/metrics` server.
//! Names follow kube-proxy's (`sync_proxy_rules_duration_seconds`,
//! `network_programming_duration_seconds`, `sync_proxy_rules_nftables_sync_failures_total`)
//! under the `kubelite_proxy_` prefix.

use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::Error;

/// A cumulative histogram with fixed upper bounds, in seconds.
#[derive(Debug, Clone)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            counts: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        for (bound, count) in self.bounds.iter().zip(self.counts.iter_mut()) {
            if v <= *bound {
                *count += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum {}", self.sum);
        let _ = writeln!(out, "{name}_count {}", self.count);
    }
}

/// kube-proxy's sync buckets: 1 ms doubling to about 16 s.
const SYNC_BUCKETS: &[f64] = &[
    0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024, 2.048, 4.096,
    8.192, 16.384,
];
/// Finer than kube-proxy's (which start at 250 ms), since the target is p99 under 100 ms.
const PROGRAMMING_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

#[derive(Debug)]
struct Inner {
    sync: Histogram,
    programming: Histogram,
    failures: u64,
    full_syncs: u64,
    partial_syncs: u64,
}

/// The metrics; cheap to clone, shared by the sync loop and the server.
#[derive(Debug, Clone)]
pub struct Metrics(Arc<Mutex<Inner>>);

impl Default for Metrics {
    fn default() -> Self {
        Metrics(Arc::new(Mutex::new(Inner {
            sync: Histogram::new(SYNC_BUCKETS),
            programming: Histogram::new(PROGRAMMING_BUCKETS),
            failures: 0,
            full_syncs: 0,
            partial_syncs: 0,
        })))
    }
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        // A panic while holding the lock cannot leave the counters inconsistent in a way that
        // matters, so a poisoned lock is used as is.
        let mut inner = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut inner);
    }

    /// One sync took `seconds`; `full` tells a full sync from a partial one.
    pub fn sync_done(&self, seconds: f64, full: bool) {
        self.with(|m| {
            m.sync.observe(seconds);
            if full {
                m.full_syncs += 1;
            } else {
                m.partial_syncs += 1;
            }
        });
    }

    /// A change that was triggered `seconds` ago is now programmed.
    pub fn programmed(&self, seconds: f64) {
        self.with(|m| m.programming.observe(seconds.max(0.0)));
    }

    /// One sync failed.
    pub fn sync_failed(&self) {
        self.with(|m| m.failures += 1);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.with(|m| {
            m.sync.write(
                &mut out,
                "kubelite_proxy_sync_proxy_rules_duration_seconds",
                "SyncProxyRules latency in seconds",
            );
            m.programming.write(
                &mut out,
                "kubelite_proxy_network_programming_duration_seconds",
                "In Cluster Network Programming Latency in seconds",
            );
            let _ = writeln!(
                out,
                "# HELP kubelite_proxy_sync_proxy_rules_nftables_sync_failures_total Cumulative proxy nftables sync failures\n\
                 # TYPE kubelite_proxy_sync_proxy_rules_nftables_sync_failures_total counter\n\
                 kubelite_proxy_sync_proxy_rules_nftables_sync_failures_total {}",
                m.failures
            );
            let _ = writeln!(
                out,
                "# HELP kubelite_proxy_syncs_total Successful syncs by kind\n\
                 # TYPE kubelite_proxy_syncs_total counter\n\
                 kubelite_proxy_syncs_total{{kind=\"full\"}} {}\n\
                 kubelite_proxy_syncs_total{{kind=\"partial\"}} {}",
                m.full_syncs, m.partial_syncs
            );
        });
        out
    }
}

/// Binds `addr`, failing at once if it cannot.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener, Error> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Metrics { addr, source })
}

/// Serves `GET /metrics` on `listener` until dropped.
pub async fn serve(listener: TcpListener, metrics: Metrics) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let metrics = metrics.clone();
                async move {
                    if req.uri().path() == "/metrics" {
                        Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(Full::new(Bytes::from(metrics.render())))
                    } else {
                        Response::builder()
                            .status(StatusCode::NOT_FOUND)
                            .body(Full::new(Bytes::from_static(b"404 page not found\n")))
                    }
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = conn.await {
                tracing::debug!("metrics connection: {e}");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative() {
        let m = Metrics::default();
        m.sync_done(0.003, true);
        m.sync_done(0.5, false);
        m.programmed(0.02);
        m.sync_failed();
        let text = m.render();
        for line in [
            "kubelite_proxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.002\"} 0",
            "kubelite_proxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 1",
            "kubelite_proxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.512\"} 2",
            "kubelite_proxy_sync_proxy_rules_duration_seconds_bucket{le=\"+Inf\"} 2",
            "kubelite_proxy_sync_proxy_rules_duration_seconds_count 2",
            "kubelite_proxy_network_programming_duration_seconds_bucket{le=\"0.01\"} 0",
            "kubelite_proxy_network_programming_duration_seconds_bucket{le=\"0.025\"} 1",
            "kubelite_proxy_sync_proxy_rules_nftables_sync_failures_total 1",
            "kubelite_proxy_syncs_total{kind=\"full\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
    }

    #[tokio::test]
    async fn serves_metrics() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let metrics = Metrics::default();
        metrics.sync_failed();
        tokio::spawn(serve(listener, metrics));
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        stream
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut body = String::new();
        stream.read_to_string(&mut body).await.unwrap();
        assert!(body.starts_with("HTTP/1.1 200"), "{body}");
        assert!(body.contains("sync_failures_total 1"), "{body}");
    }
}
