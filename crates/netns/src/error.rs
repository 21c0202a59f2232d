//! The crate's single error type.
//!
//! Retryable: [`Error::Io`], [`Error::Sys`], [`Error::Netlink`], [`Error::NetnsThread`], [`Error::LinkMissing`] (the kernel or the
//! filesystem refused for now) and [`Error::IpamExhausted`] (retry after a release). Not retryable without
//! a change of input or configuration: every other variant.

use std::io;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use ipnet::Ipv4Net;

/// Everything that can go wrong while wiring pod networking.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pod UID that cannot name a file or interface safely.
    #[error(
        "invalid pod uid {0:?}: must be 1-253 characters of [A-Za-z0-9._-] and not \".\" or \"..\""
    )]
    InvalidUid(String),
    /// The pod CIDR leaves no address for pods after network, gateway and broadcast.
    #[error("pod CIDR {0} is too small: it needs a prefix of /30 or shorter")]
    CidrTooSmall(Ipv4Net),
    /// An address that is not a pod address of the pod CIDR.
    #[error("{ip} is not a pod address in {cidr}")]
    AddressOutOfRange { ip: Ipv4Addr, cidr: Ipv4Net },
    /// Every pod address of the range is in use.
    #[error("no free pod address left in {0}")]
    IpamExhausted(Ipv4Net),
    /// The IPAM state file was written for another pod CIDR.
    #[error("IPAM state file {path} belongs to pod CIDR {found}, not {expected}")]
    IpamCidrMismatch {
        path: PathBuf,
        found: Ipv4Net,
        expected: Ipv4Net,
    },
    /// The IPAM state file cannot be parsed.
    #[error("IPAM state file {path} line {line}: {reason}")]
    IpamCorrupt {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    /// A sandbox for this pod UID already exists.
    #[error("network sandbox for pod {0} already exists")]
    SandboxExists(String),
    /// A link that was just created or configured is not there (someone deleted it meanwhile).
    #[error("network interface {0} not found")]
    LinkMissing(String),
    /// A filesystem operation failed.
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A system call (unshare, setns, mount) failed.
    #[error("{op}: {source}")]
    Sys {
        op: &'static str,
        #[source]
        source: nix::Error,
    },
    /// A netlink request failed.
    #[error("netlink {op}: {source}")]
    Netlink {
        op: &'static str,
        #[source]
        source: rtnetlink::Error,
    },
    /// The helper thread that enters a network namespace died.
    #[error("network namespace helper thread: {0}")]
    NetnsThread(String),
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Error::Io {
            op,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn netlink(op: &'static str, source: rtnetlink::Error) -> Self {
        Error::Netlink { op, source }
    }
}
