//! The request path without IO: a packet and a snapshot give the reply bytes, or the upstream
//! lookup still needed. The servers and the fuzz target both run exactly this.

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::answer::{Question, Reply, Response, answer};
use crate::records::Records;
use crate::wire::{self, Decoded, Head, Request, Sections, Transport};

/// What became of a packet.
#[derive(Debug)]
pub enum Outcome {
    /// The reply is in `out`.
    Replied {
        /// `None` when the question could not be read.
        qtype: Option<RecordType>,
        rcode: ResponseCode,
        /// Whether the reply depends only on the packet (less its ID) and the snapshot, so it
        /// may be reused for the same packet while the snapshot is current.
        reusable: bool,
    },
    /// No reply: too short to be a query, or a response.
    Dropped,
    /// An upstream must be asked first.
    Pending(Pending),
}

/// A question waiting on an upstream.
#[derive(Debug)]
pub struct Pending(pub(crate) Box<Wait>);

#[derive(Debug)]
pub(crate) enum Wait {
    /// Not a cluster name: the upstream's reply is relayed.
    Forward(Request),
    /// An ExternalName whose out-of-zone target's records are appended to the CNAME.
    Chase(Request, Reply),
}

impl Pending {
    pub fn qtype(&self) -> RecordType {
        self.request().query.query_type()
    }

    pub(crate) fn request(&self) -> &Request {
        match &*self.0 {
            Wait::Forward(r) | Wait::Chase(r, _) => r,
        }
    }

    /// The reply when no upstream answers: SERVFAIL for a forwarded name, the bare CNAME for an
    /// ExternalName.
    pub fn fail(self, out: &mut Vec<u8>) -> ResponseCode {
        match *self.0 {
            Wait::Forward(request) => {
                *out = wire::error(&request, ResponseCode::ServFail);
                ResponseCode::ServFail
            }
            Wait::Chase(request, reply) => {
                wire::encode(&request, &zone_head(&reply), &sections(&reply), out);
                reply.rcode
            }
        }
    }
}

pub(crate) fn zone_head(reply: &Reply) -> Head {
    Head {
        rcode: reply.rcode,
        authoritative: reply.authoritative,
        // The server does recurse (it forwards), whoever answers.
        recursion_available: true,
    }
}

pub(crate) fn sections(reply: &Reply) -> Sections<'_> {
    Sections {
        answers: &reply.answers,
        authorities: &reply.authorities,
        additionals: &reply.additionals,
    }
}

/// Handles `packet` from `records`, writing any reply into `out`.
pub fn respond(
    records: &Records,
    packet: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> Outcome {
    let request = match wire::decode(packet, transport) {
        Decoded::Drop => return Outcome::Dropped,
        Decoded::Reply(reply, rcode) => {
            *out = reply;
            return Outcome::Replied {
                qtype: None,
                rcode,
                reusable: false,
            };
        }
        Decoded::Query(request) => request,
    };
    let question = Question {
        name: request.query.name().clone(),
        qtype: request.query.query_type(),
    };
    match answer(records, &question) {
        Response::Forward => Outcome::Pending(Pending(Box::new(Wait::Forward(request)))),
        Response::Zone(reply) if reply.chase.is_some() => {
            Outcome::Pending(Pending(Box::new(Wait::Chase(request, reply))))
        }
        Response::Zone(reply) => {
            wire::encode(&request, &zone_head(&reply), &sections(&reply), out);
            Outcome::Replied {
                qtype: Some(question.qtype),
                rcode: reply.rcode,
                reusable: true,
            }
        }
    }
}
