//! What whoami reports about the machine it runs on: the hostname and the
//! addresses of every network interface, read with `gethostname(2)` and
//! `getifaddrs(3)` (no shelling out).
//!
//! The addresses come in the order Go's `net.Interfaces()` and
//! `Interface.Addrs()` give them: interfaces by index (`lo` first), and within
//! an interface IPv4 before IPv6. `getifaddrs` lists every link first
//! (`AF_PACKET` entries, in index order) and then all IPv4 and all IPv6
//! addresses, so the addresses are regrouped by the position of their link.

use std::ffi::CStr;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The hostname and interface addresses, read afresh for each request as
/// whoami does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostInfo {
    pub(crate) hostname: String,
    pub(crate) ips: Vec<IpAddr>,
}

/// Reads this host's (this network and UTS namespace's) information. Like the
/// Go programs, which ignore these errors, a failure gives an empty hostname
/// or no addresses.
pub(crate) fn current() -> HostInfo {
    HostInfo {
        hostname: hostname().unwrap_or_default(),
        ips: interface_addresses().unwrap_or_default(),
    }
}

fn hostname() -> io::Result<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the pointer and length describe `buf`, which outlives the call.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

fn interface_addresses() -> io::Result<Vec<IpAddr>> {
    let mut head: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs writes a list head into the valid out-pointer.
    if unsafe { libc::getifaddrs(&mut head) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut links: Vec<Vec<u8>> = Vec::new();
    let mut addrs: Vec<(Vec<u8>, IpAddr)> = Vec::new();
    let mut cursor = head;
    while !cursor.is_null() {
        // SAFETY: `cursor` is a node of the list getifaddrs returned, which
        // stays valid until freeifaddrs below; its name is a C string.
        let entry = unsafe { &*cursor };
        let name = unsafe { CStr::from_ptr(entry.ifa_name) }
            .to_bytes()
            .to_vec();
        if !entry.ifa_addr.is_null() {
            // SAFETY: a non-null ifa_addr points to a sockaddr whose family
            // tells its concrete type.
            let family = i32::from(unsafe { (*entry.ifa_addr).sa_family });
            match family {
                libc::AF_PACKET => links.push(name),
                libc::AF_INET => {
                    // SAFETY: an AF_INET address is a sockaddr_in; it is read
                    // without assuming more alignment than sockaddr's.
                    let sin =
                        unsafe { entry.ifa_addr.cast::<libc::sockaddr_in>().read_unaligned() };
                    let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
                    addrs.push((name, IpAddr::V4(ip)));
                }
                libc::AF_INET6 => {
                    // SAFETY: an AF_INET6 address is a sockaddr_in6, read as above.
                    let sin6 =
                        unsafe { entry.ifa_addr.cast::<libc::sockaddr_in6>().read_unaligned() };
                    addrs.push((name, IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))));
                }
                _ => {}
            }
        }
        cursor = entry.ifa_next;
    }
    // SAFETY: `head` came from getifaddrs and no reference into it remains.
    unsafe { libc::freeifaddrs(head) };
    Ok(in_go_order(&links, addrs))
}

/// Orders addresses by the position of their interface in `links` (stable, so
/// the kernel's IPv4-then-IPv6 order within an interface is kept).
fn in_go_order(links: &[Vec<u8>], mut addrs: Vec<(Vec<u8>, IpAddr)>) -> Vec<IpAddr> {
    addrs.sort_by_key(|(name, _)| links.iter().position(|l| l == name).unwrap_or(usize::MAX));
    addrs.into_iter().map(|(_, ip)| ip).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regroups_addresses_by_interface() {
        let links = [b"lo".to_vec(), b"eth0".to_vec()];
        let addrs = vec![
            (b"lo".to_vec(), "127.0.0.1".parse().unwrap()),
            (b"eth0".to_vec(), "10.244.0.5".parse().unwrap()),
            (b"lo".to_vec(), "::1".parse().unwrap()),
            (b"eth0".to_vec(), "fe80::1".parse().unwrap()),
        ];
        let ordered: Vec<String> = in_go_order(&links, addrs)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(ordered, ["127.0.0.1", "::1", "10.244.0.5", "fe80::1"]);
    }

    #[test]
    fn reads_this_host() {
        let info = current();
        assert!(!info.hostname.is_empty());
        // The build machine's namespace has a loopback interface.
        assert!(
            info.ips.contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)),
            "{:?}",
            info.ips
        );
    }
}
