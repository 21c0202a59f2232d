//! Running `nft`: a script in through stdin as one atomic transaction (as knftables does), and
//! the names of the chains and sets currently in our table. The names come from
//! `nft -j list chains` and `nft -j -t list sets` (terse: without elements), never from
//! `nft list table`, which would print every rule and element (20 s at 10,000 Services).

use std::collections::BTreeSet;
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
    let chains = run_nft(&["-j", "list", "chains", FAMILY], None).await?;
    let sets = run_nft(&["-j", "-t", "list", "sets", FAMILY], None).await?;
    Ok(Existing {
        chains: names_in_table(&chains, "chain"),
        sets: names_in_table(&sets, "set"),
    })
}

/// Removes our table (at shutdown); a missing table is not an error.
pub async fn delete_table() -> Result<(), Error> {
    let script = format!("add table {FAMILY} {TABLE}\ndelete table {FAMILY} {TABLE}\n");
    run_nft(&["-f", "-"], Some(&script)).await.map(|_| ())
}

/// The names of the `kind` objects (`chain`, `set`) of our table in a `nft -j list` output of
/// the whole family.
fn names_in_table(json: &str, kind: &str) -> BTreeSet<String> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(json) else {
        return BTreeSet::new();
    };
    value["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| &item[kind])
        .filter(|object| object["table"] == TABLE)
        .filter_map(|object| object["name"].as_str())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_listings() {
        let chains = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
            {"chain": {"family": "ip", "table": "kubelite", "name": "services"}},
            {"chain": {"family": "ip", "table": "kubelite", "name": "endpoint-X-a/b/tcp/__1.2.3.4/80"}},
            {"chain": {"family": "ip", "table": "other", "name": "foo"}}]}"#;
        assert_eq!(
            names_in_table(chains, "chain")
                .into_iter()
                .collect::<Vec<_>>(),
            ["endpoint-X-a/b/tcp/__1.2.3.4/80", "services"]
        );
        let sets = r#"{"nftables": [{"metainfo": {"version": "1.0.6"}},
            {"set": {"family": "ip", "name": "affinity-X", "table": "kubelite", "type": "ipv4_addr"}},
            {"set": {"family": "ip", "name": "affinity-X", "table": "other", "type": "ipv4_addr"}},
            {"set": {"family": "ip", "name": "hairpin-ips", "table": "kubelite"}}]}"#;
        assert_eq!(
            names_in_table(sets, "set").into_iter().collect::<Vec<_>>(),
            ["affinity-X", "hairpin-ips"]
        );
        assert!(names_in_table("not json", "set").is_empty());
    }
}
