//! A route-netlink session bound to one network namespace, plus the few queries this crate needs.
//!
//! A netlink socket stays in the namespace it was created in, so a session opened on a thread
//! that entered a pod's namespace keeps talking to that namespace from any tokio worker.
//!
//! Every session's connection task runs on one dedicated thread (a single-threaded runtime),
//! not on the caller's runtime: the kernel handles a request inside `sendmsg`, under the global
//! RTNL lock, and creating links waits there for RCU grace periods. Blocked there, a tokio
//! worker of the agent's runtime would stall everything else it runs (with 2 cores, half of it).

use std::net::Ipv4Addr;
use std::sync::OnceLock;

use futures::TryStreamExt as _;
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::link::{LinkAttribute, LinkMessage};
use rtnetlink::{Handle, LinkUnspec};

use crate::error::{Error, Result};

const ENODEV: i32 = 19;
const EEXIST: i32 = 17;

/// A connected netlink handle; its connection task ends when this is dropped.
pub(crate) struct Netlink {
    handle: Handle,
    task: tokio::task::JoinHandle<()>,
}

/// Parts returned by `rtnetlink::new_connection` on a namespace thread.
pub(crate) type ConnectionParts = (
    rtnetlink::proto::Connection<rtnetlink::packet_route::RouteNetlinkMessage>,
    Handle,
);

/// The runtime of the netlink IO thread, started on first use.
pub(crate) fn io_runtime() -> Result<&'static tokio::runtime::Handle> {
    static IO: OnceLock<std::result::Result<tokio::runtime::Handle, String>> = OnceLock::new();
    IO.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(|e| format!("netlink runtime: {e}"))?;
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("kubelite-netlink".into())
            .spawn(move || {
                crate::rtnl_priority::raise();
                runtime.block_on(std::future::pending::<()>())
            })
            .map_err(|e| format!("netlink thread: {e}"))?;
        Ok(handle)
    })
    .as_ref()
    .map_err(|e| Error::NetnsThread(e.clone()))
}

impl Netlink {
    /// Opens a session in the calling thread's network namespace.
    pub(crate) fn connect_here() -> Result<ConnectionParts> {
        let _io = io_runtime()?.enter();
        let (conn, handle, _) = rtnetlink::new_connection()
            .map_err(|e| Error::io("open netlink socket", "NETLINK_ROUTE", e))?;
        Ok((conn, handle))
    }

    /// Starts the connection task of parts made by [`Netlink::connect_here`] on the netlink IO
    /// thread.
    pub(crate) fn start((conn, handle): ConnectionParts) -> Result<Self> {
        Ok(Netlink {
            handle,
            task: io_runtime()?.spawn(conn),
        })
    }

    /// The rtnetlink request handle.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// The link called `name`, if any.
    pub(crate) async fn link_by_name(&self, name: &str) -> Result<Option<LinkMessage>> {
        let result = self
            .handle
            .link()
            .get()
            .match_name(name.to_owned())
            .execute()
            .try_next()
            .await;
        match result {
            Ok(link) => Ok(link),
            Err(e) if errno(&e) == Some(ENODEV) => Ok(None),
            Err(e) => Err(Error::netlink("get link", e)),
        }
    }

    /// Every link of the namespace.
    pub(crate) async fn links(&self) -> Result<Vec<LinkMessage>> {
        self.handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .map_err(|e| Error::netlink("list links", e))
    }

    /// The IPv4 addresses (with prefix length) of link `index`.
    pub(crate) async fn ipv4_addresses(&self, index: u32) -> Result<Vec<(Ipv4Addr, u8)>> {
        let messages: Vec<AddressMessage> = self
            .handle
            .address()
            .get()
            .set_link_index_filter(index)
            .execute()
            .try_collect()
            .await
            .map_err(|e| Error::netlink("list addresses", e))?;
        Ok(messages
            .iter()
            .filter(|m| m.header.index == index)
            .flat_map(|m| {
                m.attributes.iter().filter_map(move |a| match a {
                    AddressAttribute::Address(std::net::IpAddr::V4(ip)) => {
                        Some((*ip, m.header.prefix_len))
                    }
                    _ => None,
                })
            })
            .collect())
    }

    /// Deletes the link called `name`; a missing link is not an error.
    pub(crate) async fn delete_link(&self, name: &str) -> Result<()> {
        let result = self
            .handle
            .link()
            .del_with_message(LinkUnspec::new_with_name(name).build())
            .execute()
            .await;
        ignore_errno(result, ENODEV).map_err(|e| Error::netlink("delete link", e))
    }
}

impl Drop for Netlink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The link's name attribute.
pub(crate) fn link_name(link: &LinkMessage) -> Option<&str> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::IfName(name) => Some(name.as_str()),
        _ => None,
    })
}

/// The index of the bridge (or other controller) the link is attached to.
pub(crate) fn link_controller(link: &LinkMessage) -> Option<u32> {
    link.attributes.iter().find_map(|a| match a {
        LinkAttribute::Controller(index) => Some(*index),
        _ => None,
    })
}

/// Maps "already exists" to success (idempotent adds).
/// Whether `e` is the kernel's EEXIST.
pub(crate) fn is_exists(e: &rtnetlink::Error) -> bool {
    errno(e) == Some(EEXIST)
}

pub(crate) fn ignore_exists(result: Result<(), rtnetlink::Error>) -> Result<(), rtnetlink::Error> {
    ignore_errno(result, EEXIST)
}

fn ignore_errno(result: Result<(), rtnetlink::Error>, code: i32) -> Result<(), rtnetlink::Error> {
    match result {
        Err(e) if errno(&e) == Some(code) => Ok(()),
        other => other,
    }
}

fn errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(msg) => Some(-msg.raw_code()),
        _ => None,
    }
}
