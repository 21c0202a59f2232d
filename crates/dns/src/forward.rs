//! Forwarding names outside the cluster to the node's upstream resolvers, with a cache.
//!
//! Each query goes over UDP from a fresh socket (a random source port and ID per query), and
//! over TCP when the UDP reply is truncated. Upstreams are tried in order, each try bounded, and
//! the whole lookup within the configured timeout: an unreachable upstream costs at most that,
//! and a refused one (ICMP) costs nothing. Positive and negative replies are cached for their
//! TTL (capped as CoreDNS's default `cache 30`); failures are not cached.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::Instant;

/// The longest a reply is cached.
const MAX_CACHE_TTL: u32 = 30;
/// How many names the cache holds before it is emptied of expired entries (or entirely).
const CACHE_ENTRIES: usize = 10_000;

/// Why a lookup failed; each gives SERVFAIL to the client.
#[derive(Debug, thiserror::Error)]
pub enum ForwardError {
    #[error("no upstream resolver is configured")]
    NoUpstream,
    #[error("no upstream resolver answered in time")]
    Timeout,
    #[error("the upstream resolver failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the upstream resolver sent a malformed reply")]
    Malformed,
}

struct Cached {
    message: Message,
    stored: Instant,
    ttl: u32,
}

/// The upstream resolvers and the cache of their replies.
pub struct Forwarder {
    upstreams: Vec<SocketAddr>,
    timeout: Duration,
    cache: Mutex<HashMap<(Name, RecordType), Cached>>,
}

impl Forwarder {
    pub fn new(upstreams: Vec<SocketAddr>, timeout: Duration) -> Forwarder {
        Forwarder {
            upstreams,
            timeout,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The upstream reply to `name`/`qtype`, from the cache when it is fresh.
    pub async fn resolve(&self, name: &Name, qtype: RecordType) -> Result<Message, ForwardError> {
        let key = (name.to_lowercase(), qtype);
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        if self.upstreams.is_empty() {
            return Err(ForwardError::NoUpstream);
        }
        let deadline = Instant::now() + self.timeout;
        // Two rounds over the upstreams, each try at most half the budget.
        let per_try = self.timeout / 2;
        let mut last = ForwardError::Timeout;
        for upstream in self.upstreams.iter().cycle().take(self.upstreams.len() * 2) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let budget = per_try.min(deadline - now);
            match tokio::time::timeout(budget, exchange(*upstream, name, qtype)).await {
                Ok(Ok(reply)) => {
                    self.store(key, &reply);
                    return Ok(reply);
                }
                Ok(Err(e)) => {
                    tracing::debug!("upstream {upstream} failed for {name} {qtype}: {e}");
                    last = e;
                }
                Err(_) => last = ForwardError::Timeout,
            }
        }
        Err(last)
    }

    fn cached(&self, key: &(Name, RecordType)) -> Option<Message> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let hit = cache.get(key)?;
        let age = u32::try_from(hit.stored.elapsed().as_secs()).unwrap_or(u32::MAX);
        if age >= hit.ttl {
            return None;
        }
        let mut message = hit.message.clone();
        for r in message
            .answers
            .iter_mut()
            .chain(message.authorities.iter_mut())
            .chain(message.additionals.iter_mut())
        {
            r.ttl = r.ttl.saturating_sub(age);
        }
        Some(message)
    }

    fn store(&self, key: (Name, RecordType), reply: &Message) {
        let Some(ttl) = cache_ttl(reply) else {
            return;
        };
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.retain(|_, c| c.stored.elapsed().as_secs() < u64::from(c.ttl));
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(
            key,
            Cached {
                message: reply.clone(),
                stored: Instant::now(),
                ttl,
            },
        );
    }
}

/// How long a reply may be cached: the least TTL of its answers, or for a negative reply its
/// SOA's negative TTL; `None` for failures and uncacheable replies.
fn cache_ttl(reply: &Message) -> Option<u32> {
    let ttl = match reply.metadata.response_code {
        ResponseCode::NoError if !reply.answers.is_empty() => {
            reply.answers.iter().map(|r| r.ttl).min()?
        }
        ResponseCode::NoError | ResponseCode::NXDomain => reply
            .authorities
            .iter()
            .filter_map(|r| match &r.data {
                RData::SOA(soa) => Some(r.ttl.min(soa.minimum)),
                _ => None,
            })
            .min()?,
        _ => return None,
    };
    (ttl > 0).then_some(ttl.min(MAX_CACHE_TTL))
}

fn query_bytes(id: u16, name: &Name, qtype: RecordType) -> Result<Vec<u8>, ForwardError> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(name.clone(), qtype));
    let mut edns = Edns::new();
    edns.set_max_payload(crate::wire::SERVER_PAYLOAD);
    m.set_edns(edns);
    m.to_vec().map_err(|_| ForwardError::Malformed)
}

/// Whether `reply` answers query `id` for `name`/`qtype`.
fn matches(reply: &Message, id: u16, name: &Name, qtype: RecordType) -> bool {
    reply.metadata.id == id
        && reply.metadata.message_type == MessageType::Response
        && reply
            .queries
            .first()
            .is_some_and(|q| q.query_type() == qtype && q.name() == name)
}

/// One query to one upstream: UDP, then TCP if truncated.
async fn exchange(
    upstream: SocketAddr,
    name: &Name,
    qtype: RecordType,
) -> Result<Message, ForwardError> {
    let id: u16 = rand::random();
    let query = query_bytes(id, name, qtype)?;
    let local: SocketAddr = if upstream.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(upstream).await?;
    socket.send(&query).await?;
    let mut buf = vec![0u8; 4096];
    let reply = loop {
        let n = socket.recv(&mut buf).await?;
        // Stray or spoofed datagrams are ignored; the caller's timeout bounds the wait.
        if let Ok(reply) = Message::from_vec(&buf[..n])
            && matches(&reply, id, name, qtype)
        {
            break reply;
        }
    };
    if !reply.metadata.truncation {
        return Ok(reply);
    }
    let mut stream = TcpStream::connect(upstream).await?;
    let len = u16::try_from(query.len()).map_err(|_| ForwardError::Malformed)?;
    let mut framed = Vec::with_capacity(query.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(&query);
    stream.write_all(&framed).await?;
    let len = stream.read_u16().await?;
    let mut body = vec![0u8; usize::from(len)];
    stream.read_exact(&mut body).await?;
    let reply = Message::from_vec(&body).map_err(|_| ForwardError::Malformed)?;
    if !matches(&reply, id, name, qtype) {
        return Err(ForwardError::Malformed);
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record;
    use hickory_proto::rr::rdata::{A, SOA};

    fn reply(rcode: ResponseCode, answers: &[u32], soa: Option<(u32, u32)>) -> Message {
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.metadata.response_code = rcode;
        let name = Name::from_ascii("x.example.").unwrap();
        for ttl in answers {
            m.add_answer(Record::from_rdata(
                name.clone(),
                *ttl,
                RData::A(A::new(192, 0, 2, 1)),
            ));
        }
        if let Some((ttl, minimum)) = soa {
            let soa = SOA::new(name.clone(), name.clone(), 1, 1, 1, 1, minimum);
            m.add_authority(Record::from_rdata(name.clone(), ttl, RData::SOA(soa)));
        }
        m
    }

    #[test]
    fn cache_ttls() {
        use ResponseCode::*;
        assert_eq!(cache_ttl(&reply(NoError, &[300, 20], None)), Some(20));
        assert_eq!(cache_ttl(&reply(NoError, &[3600], None)), Some(30));
        assert_eq!(cache_ttl(&reply(NoError, &[0], None)), None);
        assert_eq!(cache_ttl(&reply(NXDomain, &[], Some((900, 10)))), Some(10));
        assert_eq!(cache_ttl(&reply(NoError, &[], Some((5, 60)))), Some(5));
        assert_eq!(cache_ttl(&reply(NXDomain, &[], None)), None);
        assert_eq!(cache_ttl(&reply(ServFail, &[], None)), None);
    }

    #[tokio::test]
    async fn no_upstream_fails_at_once() {
        let f = Forwarder::new(Vec::new(), Duration::from_secs(2));
        let name = Name::from_ascii("example.com.").unwrap();
        let start = std::time::Instant::now();
        assert!(matches!(
            f.resolve(&name, RecordType::A).await,
            Err(ForwardError::NoUpstream)
        ));
        assert!(start.elapsed() < Duration::from_millis(100));
    }
}
