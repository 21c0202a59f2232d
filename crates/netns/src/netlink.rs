//! A route-netlink session bound to one network namespace, plus the few queries this crate needs.
//!
//! A netlink socket stays in the namespace it was created in, so a session opened on a thread
//! that entered a pod's namespace keeps talking to that namespace from any tokio worker.

use std::net::Ipv4Addr;

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

impl Netlink {
    /// Opens a session in the calling thread's network namespace. Needs a tokio runtime context.
    pub(crate) fn connect_here() -> Result<ConnectionParts> {
        let (conn, handle, _) = rtnetlink::new_connection()
            .map_err(|e| Error::io("open netlink socket", "NETLINK_ROUTE", e))?;
        Ok((conn, handle))
    }

    /// Starts the connection task of parts made by [`Netlink::connect_here`].
    pub(crate) fn start((conn, handle): ConnectionParts) -> Self {
        Netlink {
            handle,
            task: tokio::spawn(conn),
        }
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
