//! The UDP and TCP servers: sockets in, [`wire`] and [`answer`] in the middle, sockets out.
//!
//! Cluster-zone questions are answered inline from the current snapshot (read lock-free through
//! an `arc_swap::Cache`); questions that need an upstream (forwarding, ExternalName chasing)
//! run in their own task, so a slow upstream never holds up the socket. On UDP each worker
//! memoizes its replies per snapshot, keyed by the packet minus its ID: a reply is a pure
//! function of those bytes and the snapshot, so a repeated question costs a hash lookup.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::error::Error;
use crate::forward::Forwarder;
use crate::metrics::Metrics;
use crate::records::Records;
use crate::respond::{Outcome, Pending, Wait, respond};
use crate::wire::{self, Head, Sections, Transport};

/// How long a TCP connection may stay idle between queries.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// How long reading one query or writing one reply over TCP may take.
const TCP_IO: Duration = Duration::from_secs(5);
/// Open TCP connections; more are closed at once.
const TCP_CONNECTIONS: usize = 512;
/// Questions waiting on an upstream; more get SERVFAIL at once.
const PENDING_UPSTREAM: usize = 2048;
/// Replies each UDP worker memoizes before starting afresh.
const MEMO_ENTRIES: usize = 8192;
/// The largest query memoized.
const MEMO_MAX_QUERY: usize = 512;

/// What the servers share.
pub struct Shared {
    pub records: Arc<ArcSwap<Records>>,
    pub forwarder: Forwarder,
    pub metrics: Arc<Metrics>,
    upstream_slots: Arc<Semaphore>,
    tcp_slots: Arc<Semaphore>,
}

impl Shared {
    pub fn new(
        records: Arc<ArcSwap<Records>>,
        forwarder: Forwarder,
        metrics: Arc<Metrics>,
    ) -> Shared {
        Shared {
            records,
            forwarder,
            metrics,
            upstream_slots: Arc::new(Semaphore::new(PENDING_UPSTREAM)),
            tcp_slots: Arc::new(Semaphore::new(TCP_CONNECTIONS)),
        }
    }
}

/// The bound sockets.
pub struct Listeners {
    udp: Vec<Arc<UdpSocket>>,
    tcp: Vec<TcpListener>,
}

impl Listeners {
    /// Binds UDP and TCP on each address (port 0: the port UDP got, for TCP too).
    pub async fn bind(addrs: &[SocketAddr]) -> Result<Listeners, Error> {
        let mut udp = Vec::new();
        let mut tcp = Vec::new();
        for addr in addrs {
            let u = UdpSocket::bind(addr).await.map_err(|source| Error::Bind {
                addr: *addr,
                transport: "UDP",
                source,
            })?;
            let port = u.local_addr().map_err(|source| Error::Bind {
                addr: *addr,
                transport: "UDP",
                source,
            })?;
            let t = TcpListener::bind(port)
                .await
                .map_err(|source| Error::Bind {
                    addr: port,
                    transport: "TCP",
                    source,
                })?;
            udp.push(Arc::new(u));
            tcp.push(t);
        }
        Ok(Listeners { udp, tcp })
    }

    /// The addresses bound, in the order given.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.udp
            .iter()
            .filter_map(|u| u.local_addr().ok())
            .collect()
    }

    /// Serves until the returned tasks are dropped.
    pub fn serve(self, shared: Arc<Shared>, udp_workers: usize) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for socket in self.udp {
            for _ in 0..udp_workers.max(1) {
                tasks.spawn(udp_worker(socket.clone(), shared.clone()));
            }
        }
        for listener in self.tcp {
            tasks.spawn(tcp_acceptor(listener, shared.clone()));
        }
        tasks
    }
}

/// What handling a packet inline gave.
enum Step {
    /// `out` holds the reply.
    Reply,
    Drop,
    Later(Pending),
}

/// One memoized reply, its ID zeroed.
struct Memoized {
    reply: Box<[u8]>,
    qtype: RecordType,
    rcode: ResponseCode,
}

/// A worker's replies for one snapshot.
#[derive(Default)]
struct Memo {
    snapshot: Option<Arc<Records>>,
    replies: HashMap<Box<[u8]>, Memoized>,
}

impl Memo {
    fn get(&mut self, snapshot: &Arc<Records>, packet: &[u8]) -> Option<&Memoized> {
        if !self
            .snapshot
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(s, snapshot))
        {
            self.snapshot = Some(snapshot.clone());
            self.replies.clear();
            return None;
        }
        self.replies.get(packet.get(2..)?)
    }

    fn insert(&mut self, packet: &[u8], reply: &[u8], qtype: RecordType, rcode: ResponseCode) {
        if packet.len() > MEMO_MAX_QUERY || reply.len() < 2 {
            return;
        }
        if self.replies.len() >= MEMO_ENTRIES {
            self.replies.clear();
        }
        let mut reply: Box<[u8]> = reply.into();
        reply[..2].copy_from_slice(&[0, 0]);
        self.replies.insert(
            packet[2..].into(),
            Memoized {
                reply,
                qtype,
                rcode,
            },
        );
    }
}

/// Handles what can be answered without waiting; `out` receives the reply.
fn handle_now(
    shared: &Shared,
    records: &Arc<Records>,
    memo: Option<&mut Memo>,
    packet: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
    start: Instant,
) -> Step {
    let mut memo = memo;
    if let Some(hit) = memo.as_mut().and_then(|m| m.get(records, packet)) {
        out.clear();
        out.extend_from_slice(&hit.reply);
        out[..2].copy_from_slice(&packet[..2]);
        shared
            .metrics
            .request(Some(hit.qtype), hit.rcode, start.elapsed().as_secs_f64());
        return Step::Reply;
    }
    match respond(records, packet, transport, out) {
        Outcome::Dropped => Step::Drop,
        Outcome::Pending(pending) => Step::Later(pending),
        Outcome::Replied {
            qtype,
            rcode,
            reusable,
        } => {
            if let (Some(memo), Some(qtype), true) = (memo, qtype, reusable) {
                memo.insert(packet, out, qtype, rcode);
            }
            shared
                .metrics
                .request(qtype, rcode, start.elapsed().as_secs_f64());
            Step::Reply
        }
    }
}

/// Answers a question that needed an upstream.
async fn finish(shared: &Shared, pending: Pending, out: &mut Vec<u8>, start: Instant) {
    let qtype = pending.qtype();
    let rcode = match *pending.0 {
        Wait::Forward(request) => {
            let name = request.query.name();
            match shared.forwarder.resolve(name, qtype).await {
                Ok(reply) => {
                    let head = Head {
                        rcode: reply.metadata.response_code,
                        authoritative: false,
                        recursion_available: true,
                    };
                    let sections = Sections {
                        answers: &reply.answers,
                        authorities: &reply.authorities,
                        additionals: &reply.additionals,
                    };
                    wire::encode(&request, &head, &sections, out);
                    head.rcode
                }
                Err(e) => {
                    tracing::debug!("forwarding {name} {qtype}: {e}");
                    Pending(Box::new(Wait::Forward(request))).fail(out)
                }
            }
        }
        Wait::Chase(request, mut reply) => {
            if let Some(target) = reply.chase.take()
                && let Ok(upstream) = shared.forwarder.resolve(&target, qtype).await
                && upstream.metadata.response_code == ResponseCode::NoError
            {
                reply.answers.extend(upstream.answers);
            }
            Pending(Box::new(Wait::Chase(request, reply))).fail(out)
        }
    };
    shared
        .metrics
        .request(Some(qtype), rcode, start.elapsed().as_secs_f64());
}

async fn udp_worker(socket: Arc<UdpSocket>, shared: Arc<Shared>) {
    let mut snapshot = arc_swap::Cache::new(shared.records.clone());
    let mut memo = Memo::default();
    let mut buf = vec![0u8; 65535];
    let mut out = Vec::with_capacity(1232);
    loop {
        let (n, peer) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                // Errors queued by ICMP for earlier sends; the socket itself is fine.
                tracing::debug!("DNS UDP receive: {e}");
                continue;
            }
        };
        let start = Instant::now();
        let records = snapshot.load().clone();
        let step = handle_now(
            &shared,
            &records,
            Some(&mut memo),
            &buf[..n],
            Transport::Udp,
            &mut out,
            start,
        );
        match step {
            Step::Reply => {
                let _ = socket.send_to(&out, peer).await;
            }
            Step::Drop => {}
            Step::Later(pending) => {
                let Ok(permit) = shared.upstream_slots.clone().try_acquire_owned() else {
                    let rcode = pending.fail(&mut out);
                    shared
                        .metrics
                        .request(None, rcode, start.elapsed().as_secs_f64());
                    let _ = socket.send_to(&out, peer).await;
                    continue;
                };
                let (socket, shared) = (socket.clone(), shared.clone());
                tokio::spawn(async move {
                    let mut out = Vec::new();
                    finish(&shared, pending, &mut out, start).await;
                    let _ = socket.send_to(&out, peer).await;
                    drop(permit);
                });
            }
        }
    }
}

async fn tcp_acceptor(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: back off rather than spin.
                tracing::warn!("DNS TCP accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = shared.tcp_slots.clone().try_acquire_owned() else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            tcp_connection(stream, &shared).await;
            drop(permit);
        });
    }
}

/// Serves the queries of one connection in order until it closes, idles or misbehaves.
async fn tcp_connection(mut stream: TcpStream, shared: &Shared) {
    let mut snapshot = arc_swap::Cache::new(shared.records.clone());
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        let Ok(Ok(len)) = tokio::time::timeout(TCP_IDLE, stream.read_u16()).await else {
            return;
        };
        buf.resize(usize::from(len), 0);
        if !matches!(
            tokio::time::timeout(TCP_IO, stream.read_exact(&mut buf)).await,
            Ok(Ok(_))
        ) {
            return;
        }
        let start = Instant::now();
        let records = snapshot.load().clone();
        match handle_now(
            shared,
            &records,
            None,
            &buf,
            Transport::Tcp,
            &mut out,
            start,
        ) {
            Step::Reply => {}
            Step::Drop => continue,
            Step::Later(pending) => finish(shared, pending, &mut out, start).await,
        }
        let Ok(len) = u16::try_from(out.len()) else {
            return;
        };
        let mut framed = Vec::with_capacity(out.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(&out);
        if !matches!(
            tokio::time::timeout(TCP_IO, stream.write_all(&framed)).await,
            Ok(Ok(()))
        ) {
            return;
        }
    }
}
