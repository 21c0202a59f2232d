//! The kubeconfig `kubelite up` writes for the cluster admin, and the copies it writes or merges
//! on request.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use kube::config::{Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};

/// The name of the cluster, user and context.
const NAME: &str = "kubelite";

/// A kubeconfig whose cluster, user and context are all named `kubelite`.
pub fn render(server: &str, ca_pem: &str, token: &str) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: kubelite
  cluster:
    server: {server}
    certificate-authority-data: {ca}
users:
- name: kubelite
  user:
    token: {token}
contexts:
- name: kubelite
  context:
    cluster: kubelite
    user: kubelite
current-context: kubelite
preferences: {{}}
"
    )
}

/// Writes a copy of the kubeconfig at `from` to `to` (owner-only).
pub fn write_copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(from)?;
    if let Some(dir) = to.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    kubelite_apiserver::pki::write_private(to, &text)
        .with_context(|| format!("writing {}", to.display()))
}

/// The user's kubeconfig: the first file of `$KUBECONFIG`, else `~/.kube/config`.
fn user_kubeconfig() -> anyhow::Result<PathBuf> {
    if let Some(first) = std::env::var_os("KUBECONFIG")
        .and_then(|v| std::env::split_paths(&v).find(|p| !p.as_os_str().is_empty()))
    {
        return Ok(first);
    }
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".kube/config"))
}

/// Replaces the `kubelite` cluster, user and context of `base` with those of `ours` and makes
/// the context current; everything else in `base` is kept.
fn merged(mut base: Kubeconfig, ours: Kubeconfig) -> Kubeconfig {
    base.clusters.retain(|c: &NamedCluster| c.name != NAME);
    base.auth_infos.retain(|a: &NamedAuthInfo| a.name != NAME);
    base.contexts.retain(|c: &NamedContext| c.name != NAME);
    base.clusters.extend(ours.clusters);
    base.auth_infos.extend(ours.auth_infos);
    base.contexts.extend(ours.contexts);
    base.current_context = Some(NAME.into());
    base
}

/// Merges the kubeconfig at `from` into the user's kubeconfig.
pub fn merge_into_home(from: &Path) -> anyhow::Result<()> {
    let target = user_kubeconfig()?;
    let ours = Kubeconfig::read_from(from)?;
    let base = if target.exists() {
        Kubeconfig::read_from(&target).with_context(|| format!("reading {}", target.display()))?
    } else {
        Kubeconfig::default()
    };
    let mut out = merged(base, ours);
    out.api_version.get_or_insert_with(|| "v1".into());
    out.kind.get_or_insert_with(|| "Config".into());
    let text = serde_saphyr::to_string(&out)?;
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir)?;
    }
    kubelite_apiserver::pki::write_private(&target, &text)
        .with_context(|| format!("writing {}", target.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_everything_kubelite() {
        let k = render("https://127.0.0.1:6443", "PEM", "tok");
        assert!(k.contains("    server: https://127.0.0.1:6443\n"));
        assert!(k.contains("    certificate-authority-data: UEVN\n"));
        assert!(k.contains("    token: tok\n"));
        assert!(k.contains("current-context: kubelite\n"));
    }

    #[test]
    fn merging_replaces_only_our_entries_and_switches_context() {
        let base = Kubeconfig::from_yaml(
            "apiVersion: v1
kind: Config
clusters:
- {name: prod, cluster: {server: https://prod:6443}}
- {name: kubelite, cluster: {server: https://old:6443}}
users:
- {name: prod, user: {token: p}}
contexts:
- {name: prod, context: {cluster: prod, user: prod}}
current-context: prod
",
        )
        .unwrap();
        let ours = Kubeconfig::from_yaml(&render("https://127.0.0.1:6443", "PEM", "tok")).unwrap();
        let out = merged(base, ours);
        let servers: Vec<_> = out
            .clusters
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.cluster.as_ref().unwrap().server.clone().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            servers,
            [
                ("prod", "https://prod:6443".to_string()),
                ("kubelite", "https://127.0.0.1:6443".to_string())
            ]
        );
        assert_eq!(out.contexts.len(), 2);
        assert_eq!(out.auth_infos.len(), 2);
        assert_eq!(out.current_context.as_deref(), Some("kubelite"));
        // The written form reads back.
        let text = serde_saphyr::to_string(&out).unwrap();
        let back = Kubeconfig::from_yaml(&text).unwrap();
        assert_eq!(back.current_context.as_deref(), Some("kubelite"));
        assert_eq!(back.clusters.len(), 2);
    }
}
