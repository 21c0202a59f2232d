//! Facts about the machine the agent runs on, for the Node object: hostname, kernel, OS image,
//! CPUs, memory, disk, boot and machine IDs, and the node IP. The node IP is the first IPv4
//! address of an up, non-loopback interface that is not kubelite's (not the pod bridge, not a
//! pod veth); a machine with none (an isolated network namespace with only `lo`) uses the pod
//! bridge's gateway address instead, which pods, the node itself and NodePorts all reach.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;

use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

/// What the Node status reports about the host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// `/proc/sys/kernel/hostname`.
    pub hostname: String,
    /// `/proc/sys/kernel/osrelease`.
    pub kernel_version: String,
    /// `PRETTY_NAME` of `/etc/os-release`.
    pub os_image: String,
    /// `/etc/machine-id`.
    pub machine_id: String,
    /// `/proc/sys/kernel/random/boot_id`.
    pub boot_id: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// `MemTotal` in KiB.
    pub memory_kib: u64,
    /// Size of the filesystem holding the data directory, in KiB.
    pub storage_kib: u64,
    /// Go's `GOARCH` name of this machine.
    pub architecture: &'static str,
}

fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// Reads the facts; `data_dir` is where pods' data goes (for ephemeral-storage).
pub fn host_facts(data_dir: &Path) -> HostFacts {
    let os_image = fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| os_release_pretty_name(&text))
        .unwrap_or_else(|| "Linux".into());
    let memory_kib = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0);
    let storage_kib = nix::sys::statvfs::statvfs(data_dir)
        .map(|s| s.blocks() * s.fragment_size() / 1024)
        .unwrap_or(0);
    HostFacts {
        hostname: read_trimmed("/proc/sys/kernel/hostname"),
        kernel_version: read_trimmed("/proc/sys/kernel/osrelease"),
        os_image,
        machine_id: read_trimmed("/etc/machine-id"),
        boot_id: read_trimmed("/proc/sys/kernel/random/boot_id"),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_kib,
        storage_kib,
        architecture: go_arch(std::env::consts::ARCH),
    }
}

/// `PRETTY_NAME` from os-release text, unquoted.
pub fn os_release_pretty_name(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
}

/// Go's architecture name for Rust's.
pub fn go_arch(rust_arch: &'static str) -> &'static str {
    match rust_arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// The first IPv4 address of an up interface other than `lo`, `bridge` and pod veths.
pub fn interface_ip(bridge: &str) -> Option<Ipv4Addr> {
    getifaddrs().ok()?.find_map(|ifa| {
        let name = ifa.interface_name.as_str();
        let usable = ifa.flags.contains(InterfaceFlags::IFF_UP)
            && !ifa.flags.contains(InterfaceFlags::IFF_LOOPBACK)
            && name != bridge
            && !kubelite_netns::is_host_veth_name(name);
        if !usable {
            return None;
        }
        let ip = ifa.address?.as_sockaddr_in()?.ip();
        Some(ip)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release() {
        let text = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_release_pretty_name(text).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os_release_pretty_name("NAME=x"), None);
        assert_eq!(go_arch("x86_64"), "amd64");
        assert_eq!(go_arch("aarch64"), "arm64");
    }
}
