//! Running `nft`: a script in through stdin as one atomic transaction (as knftables does), and
//! the names of the chains and sets currently in our table.

use std::process::Stdio;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::error::Error;
use crate::model::{FAMILY, TABLE};
use crate::render::render;
use crate::transaction::{Existing, Op};

/// Where `nft` is: Debian's nftables package installs it in /usr/sbin, which is not always on a
/// non-root PATH.
fn nft_command() -> Command {
    let path = ["/usr/sbin/nft", "/sbin/nft"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("nft");
    Command::new(path)
}

async fn run_nft(args: &[&str], stdin: Option<&str>) -> Result<String, Error> {
    let mut cmd = nft_command();
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().map_err(|e| Error::Command {
        command: "nft",
        message: format!("cannot run nft: {e}"),
    })?;
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes())
            .await
            .map_err(|e| Error::Command {
                command: "nft",
                message: format!("writing the script: {e}"),
            })?;
    }
    let out = child.wait_with_output().await.map_err(|e| Error::Command {
        command: "nft",
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::Command {
            command: "nft",
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Applies `ops` as one transaction: all or nothing.
pub async fn apply(ops: &[Op]) -> Result<(), Error> {
    run_nft(&["-f", "-"], Some(&render(ops))).await.map(|_| ())
}

/// The chains and sets in our table; empty if the table does not exist.
pub async fn existing() -> Result<Existing, Error> {
    match run_nft(&["-j", "list", "table", FAMILY, TABLE], None).await {
        Ok(json) => Ok(parse_existing(&json)),
        Err(Error::Command { message, .. }) if message.contains("No such file or directory") => {
            Ok(Existing::default())
        }
        Err(e) => Err(e),
    }
}

/// Removes our table (at shutdown); a missing table is not an error.
pub async fn delete_table() -> Result<(), Error> {
    let script = format!("add table {FAMILY} {TABLE}\ndelete table {FAMILY} {TABLE}\n");
    run_nft(&["-f", "-"], Some(&script)).await.map(|_| ())
}

/// The chain and set names in `nft -j list table` output.
fn parse_existing(json: &str) -> Existing {
    let mut existing = Existing::default();
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return existing;
    };
    for item in value["nftables"].as_array().into_iter().flatten() {
        if let Some(name) = item["chain"]["name"].as_str() {
            existing.chains.insert(name.to_string());
        }
        if let Some(name) = item["set"]["name"].as_str() {
            existing.sets.insert(name.to_string());
        }
    }
    existing
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_listing() {
        let json = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
            {"table": {"family": "ip", "name": "kubelite"}},
            {"chain": {"family": "ip", "table": "kubelite", "name": "services"}},
            {"chain": {"family": "ip", "table": "kubelite", "name": "endpoint-X-a/b/tcp/__1.2.3.4/80"}},
            {"set": {"family": "ip", "name": "affinity-X", "type": "ipv4_addr"}},
            {"map": {"family": "ip", "name": "service-ips"}},
            {"rule": {"chain": "services", "expr": []}}]}"#;
        let e = parse_existing(json);
        assert_eq!(
            e.chains.into_iter().collect::<Vec<_>>(),
            ["endpoint-X-a/b/tcp/__1.2.3.4/80", "services"]
        );
        assert_eq!(e.sets.into_iter().collect::<Vec<_>>(), ["affinity-X"]);
        assert_eq!(parse_existing("not json"), Existing::default());
    }
}
