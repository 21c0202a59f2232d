//! The kubeconfig `kubelite up` writes for the cluster admin.

use base64::Engine;

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
}
