//! The one sysctl the proxy needs: `route_localnet`, so packets from 127.0.0.1 may be DNATed
//! to a Pod (NodePorts and LoadBalancer ports on localhost). It is per network namespace and
//! written in the proxy's own.

use crate::error::Error;

const ROUTE_LOCALNET: &str = "net.ipv4.conf.all.route_localnet";

/// Sets `net.ipv4.conf.all.route_localnet=1`.
pub fn enable_route_localnet() -> Result<(), Error> {
    std::fs::write("/proc/sys/net/ipv4/conf/all/route_localnet", "1").map_err(|source| {
        Error::Sysctl {
            key: ROUTE_LOCALNET,
            source,
        }
    })
}
