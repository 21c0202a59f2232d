//! The DNS wire format at the server's edge: a received packet becomes a [`Request`] or an
//! error reply (FORMERR, NOTIMP, BADVERS, REFUSED), and a reply's sections become bytes that
//! fit the transport, with EDNS(0), name compression, and truncation (TC) on UDP.
//!
//! Pure and total: any input gives a reply or is dropped, never a panic.

use hickory_proto::ProtoError;
use hickory_proto::op::{
    Edns, Header, HeaderCounts, Message, Metadata, OpCode, Query, ResponseCode,
};
use hickory_proto::rr::{DNSClass, Record};
use hickory_proto::serialize::binary::{BinEncodable, BinEncoder};

/// The UDP payload size this server advertises and accepts (the DNS flag day 2020 value).
pub const SERVER_PAYLOAD: u16 = 1232;
/// The largest UDP reply sent, whatever the client advertises.
const MAX_UDP_REPLY: u16 = 4096;
/// The size of an OPT record without options.
const OPT_LEN: u16 = 11;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// A well-formed standard query with one question.
#[derive(Clone, Debug)]
pub struct Request {
    pub metadata: Metadata,
    pub query: Query,
    /// The client's EDNS, if it sent one.
    pub edns: Option<Edns>,
    pub transport: Transport,
}

impl Request {
    /// The largest reply the client takes on this transport.
    fn limit(&self) -> u16 {
        match (self.transport, &self.edns) {
            (Transport::Tcp, _) => u16::MAX,
            (Transport::Udp, None) => 512,
            (Transport::Udp, Some(e)) => e.max_payload().clamp(512, MAX_UDP_REPLY),
        }
    }
}

/// What a packet is.
#[derive(Debug)]
pub enum Decoded {
    Query(Request),
    /// The packet is answered with this error reply.
    Reply(Vec<u8>, ResponseCode),
    /// Not worth an answer: shorter than a header, or itself a response.
    Drop,
}

/// Reads a packet.
pub fn decode(packet: &[u8], transport: Transport) -> Decoded {
    if packet.len() < 12 || packet[2] & 0x80 != 0 {
        return Decoded::Drop;
    }
    let opcode = (packet[2] >> 3) & 0x0f;
    if opcode != 0 {
        return Decoded::Reply(
            header_only(packet, ResponseCode::NotImp),
            ResponseCode::NotImp,
        );
    }
    let Ok(msg) = Message::from_vec(packet) else {
        return Decoded::Reply(
            header_only(packet, ResponseCode::FormErr),
            ResponseCode::FormErr,
        );
    };
    if msg.queries.len() != 1 {
        return Decoded::Reply(
            header_only(packet, ResponseCode::FormErr),
            ResponseCode::FormErr,
        );
    }
    let request = Request {
        metadata: msg.metadata,
        query: msg.queries[0].clone(),
        edns: msg.edns,
        transport,
    };
    if request.edns.as_ref().is_some_and(|e| e.version() != 0) {
        return Decoded::Reply(
            error(&request, ResponseCode::BADVERS),
            ResponseCode::BADVERS,
        );
    }
    if request.query.query_class() != DNSClass::IN {
        return Decoded::Reply(
            error(&request, ResponseCode::Refused),
            ResponseCode::Refused,
        );
    }
    Decoded::Query(request)
}

/// A reply of only a header: the query's ID, opcode and RD, with `rcode` (for packets whose
/// question cannot be trusted).
fn header_only(packet: &[u8], rcode: ResponseCode) -> Vec<u8> {
    let mut out = vec![0u8; 12];
    out[0] = packet[0];
    out[1] = packet[1];
    // QR, the opcode and RD from the query; AA, TC clear.
    out[2] = 0x80 | (packet[2] & 0x79);
    out[3] = rcode.low();
    out
}

/// An error reply that echoes the question.
pub fn error(request: &Request, rcode: ResponseCode) -> Vec<u8> {
    let mut out = Vec::new();
    encode(
        request,
        &Head {
            rcode,
            authoritative: false,
            recursion_available: false,
        },
        &Sections::default(),
        &mut out,
    );
    out
}

/// The header bits a reply sets.
#[derive(Clone, Copy, Debug)]
pub struct Head {
    pub rcode: ResponseCode,
    pub authoritative: bool,
    pub recursion_available: bool,
}

/// The record sections of a reply.
#[derive(Clone, Debug, Default)]
pub struct Sections<'a> {
    pub answers: &'a [Record],
    pub authorities: &'a [Record],
    pub additionals: &'a [Record],
}

/// Writes the reply to `request` into `out`. On UDP, a reply larger than the client takes
/// keeps the answers and authorities that fit and sets TC; additionals that do not fit are
/// dropped without TC (RFC 2181 §9). The OPT record always fits.
pub fn encode(request: &Request, head: &Head, sections: &Sections<'_>, out: &mut Vec<u8>) {
    out.clear();
    if emit(request, head, sections, out).is_err() {
        // Only a question too large for the limit gets here (impossible for a question that
        // arrived in a packet of the same transport): send the bare header.
        out.clear();
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.response_code = head.rcode;
        metadata.truncation = true;
        let header = Header {
            metadata,
            counts: HeaderCounts::default(),
        };
        let mut enc = BinEncoder::new(out);
        // A 12-byte header always fits.
        let _ = header.emit(&mut enc);
    }
}

fn emit(
    request: &Request,
    head: &Head,
    sections: &Sections<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ProtoError> {
    let limit = request.limit();
    let edns = request.edns.as_ref().map(|_| {
        let mut e = Edns::new();
        e.set_max_payload(SERVER_PAYLOAD);
        e.set_version(0);
        e.set_rcode_high(head.rcode.high());
        e
    });
    let mut enc = BinEncoder::new(out);
    enc.set_max_size(limit - if edns.is_some() { OPT_LEN } else { 0 });
    let place = enc.place::<Header>()?;
    request.query.emit(&mut enc)?;

    let mut truncated = false;
    let mut counts = HeaderCounts {
        queries: 1,
        ..HeaderCounts::default()
    };
    let (n, cut) = emit_section(&mut enc, sections.answers)?;
    counts.answers = n;
    truncated |= cut;
    if !truncated {
        let (n, cut) = emit_section(&mut enc, sections.authorities)?;
        counts.authorities = n;
        truncated |= cut;
    }
    if !truncated {
        counts.additionals = emit_section(&mut enc, sections.additionals)?.0;
    }
    enc.set_max_size(limit);
    if let Some(edns) = &edns {
        edns.emit(&mut enc)?;
        counts.additionals += 1;
    }

    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.op_code = OpCode::Query;
    metadata.response_code = head.rcode;
    metadata.authoritative = head.authoritative;
    metadata.recursion_available = head.recursion_available;
    metadata.truncation = truncated;
    place.replace(&mut enc, Header { metadata, counts })
}

/// Emits as many records as fit; true when some did not.
fn emit_section(enc: &mut BinEncoder<'_>, records: &[Record]) -> Result<(u16, bool), ProtoError> {
    let (count, cut) = match enc.emit_all(records.iter()) {
        Ok(n) => (n, false),
        Err(ProtoError::NotAllRecordsWritten { count, .. }) => (count, true),
        Err(e) => return Err(e),
    };
    let count = u16::try_from(count).map_err(|_| ProtoError::Message("too many records"))?;
    Ok((count, cut))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::MessageType;
    use hickory_proto::rr::rdata::A;
    use hickory_proto::rr::{Name, RData, RecordType};

    fn query(name: &str, edns: Option<u16>) -> Vec<u8> {
        let mut m = Message::new(0x1234, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(Name::from_ascii(name).unwrap(), RecordType::A));
        if let Some(size) = edns {
            let mut e = Edns::new();
            e.set_max_payload(size);
            m.set_edns(e);
        }
        m.to_vec().unwrap()
    }

    fn request(packet: &[u8], transport: Transport) -> Request {
        match decode(packet, transport) {
            Decoded::Query(r) => r,
            other => panic!("not a query: {other:?}"),
        }
    }

    fn rcode_of(reply: &[u8]) -> ResponseCode {
        let m = Message::from_vec(reply).unwrap();
        m.metadata.response_code
    }

    #[test]
    fn malformed_packets() {
        assert!(matches!(decode(b"", Transport::Udp), Decoded::Drop));
        assert!(matches!(decode(&[0; 11], Transport::Udp), Decoded::Drop));
        // A response is never answered (no reflection loops).
        let mut resp = query("a.example.", None);
        resp[2] |= 0x80;
        assert!(matches!(decode(&resp, Transport::Udp), Decoded::Drop));
        // A header announcing a question that is not there.
        let mut garbage = vec![0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
        garbage.extend_from_slice(&[0xff, 0xff]);
        let Decoded::Reply(reply, _) = decode(&garbage, Transport::Udp) else {
            panic!("garbage must get FORMERR");
        };
        assert_eq!(&reply[..2], &[0xab, 0xcd]);
        assert_eq!(rcode_of(&reply), ResponseCode::FormErr);
        assert!(reply[2] & 0x80 != 0, "QR set");
        assert!(reply[2] & 0x01 != 0, "RD copied");
        // No question at all.
        let empty = [0xab, 0xcd, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
        let Decoded::Reply(reply, _) = decode(&empty, Transport::Udp) else {
            panic!("no question must get FORMERR");
        };
        assert_eq!(rcode_of(&reply), ResponseCode::FormErr);
    }

    #[test]
    fn opcodes_other_than_query_are_not_implemented() {
        for opcode in [1u8, 2, 4, 5, 15] {
            let mut p = query("a.example.", None);
            p[2] = (p[2] & 0x87) | (opcode << 3);
            let Decoded::Reply(reply, _) = decode(&p, Transport::Udp) else {
                panic!("opcode {opcode} must get NOTIMP");
            };
            assert_eq!(reply[3] & 0x0f, 4, "opcode {opcode}");
            assert_eq!((reply[2] >> 3) & 0x0f, opcode, "opcode echoed");
        }
    }

    #[test]
    fn edns_versions_and_classes() {
        let mut p = query("a.example.", Some(1232));
        // The OPT record's TTL holds the version in its second byte: set version 1.
        let n = p.len();
        p[n - 5] = 1;
        let Decoded::Reply(reply, _) = decode(&p, Transport::Udp) else {
            panic!("EDNS version 1 must get BADVERS");
        };
        let m = Message::from_vec(&reply).unwrap();
        // 16 reads back as BADSIG, its TSIG name.
        assert_eq!(u16::from(m.metadata.response_code), 16);
        assert!(m.edns.is_some());

        let mut m = Message::new(1, MessageType::Query, OpCode::Query);
        let mut q = Query::query(Name::from_ascii("a.").unwrap(), RecordType::A);
        q.set_query_class(DNSClass::CH);
        m.add_query(q);
        let Decoded::Reply(reply, _) = decode(&m.to_vec().unwrap(), Transport::Udp) else {
            panic!("class CH must be refused");
        };
        assert_eq!(rcode_of(&reply), ResponseCode::Refused);
    }

    fn many(n: u8) -> Vec<Record> {
        (0..n)
            .map(|i| {
                Record::from_rdata(
                    Name::from_ascii("many.example.").unwrap(),
                    5,
                    RData::A(A::new(10, 0, 0, i)),
                )
            })
            .collect()
    }

    fn reply(packet: &[u8], transport: Transport, answers: &[Record]) -> Message {
        let req = request(packet, transport);
        let mut out = Vec::new();
        let head = Head {
            rcode: ResponseCode::NoError,
            authoritative: true,
            recursion_available: false,
        };
        let sections = Sections {
            answers,
            ..Default::default()
        };
        encode(&req, &head, &sections, &mut out);
        let limit = match transport {
            Transport::Tcp => usize::from(u16::MAX),
            Transport::Udp => usize::from(req.limit()),
        };
        assert!(out.len() <= limit, "{} > {limit}", out.len());
        Message::from_vec(&out).unwrap()
    }

    #[test]
    fn truncation() {
        let answers = many(100);
        // 512 bytes without EDNS: some answers and TC.
        let m = reply(&query("many.example.", None), Transport::Udp, &answers);
        assert!(m.metadata.truncation);
        assert!(!m.answers.is_empty() && m.answers.len() < 100);
        assert!(m.edns.is_none());
        // With EDNS 4096 everything fits, and the OPT record is there.
        let m = reply(
            &query("many.example.", Some(4096)),
            Transport::Udp,
            &answers,
        );
        assert!(!m.metadata.truncation);
        assert_eq!(m.answers.len(), 100);
        assert_eq!(m.edns.unwrap().max_payload(), SERVER_PAYLOAD);
        // A small EDNS size still keeps the OPT record when truncating.
        let m = reply(&query("many.example.", Some(512)), Transport::Udp, &answers);
        assert!(m.metadata.truncation);
        assert!(m.edns.is_some());
        // TCP takes it all.
        let m = reply(&query("many.example.", None), Transport::Tcp, &answers);
        assert!(!m.metadata.truncation);
        assert_eq!(m.answers.len(), 100);
    }

    #[test]
    fn names_are_compressed() {
        let answers = many(10);
        let m = reply(&query("many.example.", None), Transport::Udp, &answers);
        assert_eq!(m.answers.len(), 10);
        let req = request(&query("many.example.", None), Transport::Udp);
        let mut out = Vec::new();
        let sections = Sections {
            answers: &answers,
            ..Default::default()
        };
        let head = Head {
            rcode: ResponseCode::NoError,
            authoritative: true,
            recursion_available: false,
        };
        encode(&req, &head, &sections, &mut out);
        // Header + question (14 + 4) + 10 × (2-byte pointer + 10 + 4).
        assert_eq!(out.len(), 12 + 18 + 10 * 16);
    }
}
