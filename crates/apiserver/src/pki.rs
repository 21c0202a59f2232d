//! The cluster's certificate authority, the API server's serving certificate and the admin token.
//!
//! All are generated at first start and kept in the data dir, so a restarted server presents the
//! same CA and accepts the same token. The serving certificate is re-issued only when the names it
//! must cover change (for example a new `--bind` address).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use rand::Rng;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// The material a server needs to serve TLS and authenticate its admin.
pub struct Pki {
    pub ca_pem: String,
    pub cert_pem: String,
    pub key_pem: String,
    pub admin_token: String,
    /// The CA's private key (PEM), to sign the node agents' serving certificates.
    ca_key_pem: String,
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "kubelite-ca");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

/// Writes `contents` to `path` with mode 0600, atomically (temp file + rename).
pub fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600))?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_opt(path: &Path) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

impl Pki {
    /// Loads the PKI from `dir/pki`, creating what is missing. `names` are the DNS names and IP
    /// addresses the serving certificate must cover.
    pub fn load_or_create(dir: &Path, names: &[String]) -> anyhow::Result<Pki> {
        let pki_dir: PathBuf = dir.join("pki");
        fs::create_dir_all(&pki_dir).with_context(|| format!("creating {}", pki_dir.display()))?;
        fs::set_permissions(&pki_dir, fs::Permissions::from_mode(0o700))?;

        let ca_key = match read_opt(&pki_dir.join("ca.key"))? {
            Some(pem) => KeyPair::from_pem(&pem).context("parsing ca.key")?,
            None => {
                let key = KeyPair::generate()?;
                write_private(&pki_dir.join("ca.key"), &key.serialize_pem())?;
                let _ = fs::remove_file(pki_dir.join("ca.crt"));
                key
            }
        };
        let ca_pem = match read_opt(&pki_dir.join("ca.crt"))? {
            Some(pem) => pem,
            None => {
                let pem = ca_params().self_signed(&ca_key)?.pem();
                write_private(&pki_dir.join("ca.crt"), &pem)?;
                let _ = fs::remove_file(pki_dir.join("server.crt"));
                pem
            }
        };

        let wanted = names.join(",");
        let current = read_opt(&pki_dir.join("server.names"))?;
        let (cert_pem, key_pem) = match (
            current.as_deref() == Some(wanted.as_str()),
            read_opt(&pki_dir.join("server.crt"))?,
            read_opt(&pki_dir.join("server.key"))?,
        ) {
            (true, Some(cert), Some(key)) => (cert, key),
            _ => {
                let (cert, key_pem) = serving_cert(&ca_key, "kube-apiserver", names)?;
                write_private(&pki_dir.join("server.key"), &key_pem)?;
                write_private(&pki_dir.join("server.crt"), &cert)?;
                write_private(&pki_dir.join("server.names"), &wanted)?;
                (cert, key_pem)
            }
        };

        let admin_token = match read_opt(&pki_dir.join("admin.token"))? {
            Some(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => {
                let token = random_token();
                write_private(&pki_dir.join("admin.token"), &token)?;
                token
            }
        };

        Ok(Pki {
            ca_pem,
            cert_pem,
            key_pem,
            admin_token,
            ca_key_pem: ca_key.serialize_pem(),
        })
    }

    /// A fresh serving certificate and key (PEM) signed by the cluster CA, with subject
    /// `common_name` and `names` (DNS names or IP addresses) as subject alternative names: what
    /// a node agent presents on its streaming port. Not stored.
    pub fn issue_serving_cert(
        &self,
        common_name: &str,
        names: &[String],
    ) -> anyhow::Result<(String, String)> {
        let ca_key = KeyPair::from_pem(&self.ca_key_pem).context("parsing ca.key")?;
        serving_cert(&ca_key, common_name, names)
    }

    /// A rustls server configuration offering HTTP/2 and HTTP/1.1 (upgrades need 1.1).
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        use rustls_pki_types::pem::PemObject;
        use rustls_pki_types::{CertificateDer, PrivateKeyDer};
        let certs = CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("parsing server.crt")?;
        let key =
            PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).context("parsing server.key")?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// A new key and a server certificate for it signed by `ca_key`: `(cert_pem, key_pem)`.
fn serving_cert(
    ca_key: &KeyPair,
    common_name: &str,
    names: &[String],
) -> anyhow::Result<(String, String)> {
    let issuer = Issuer::new(ca_params(), ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(names.to_vec())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    Ok((params.signed_by(&key, &issuer)?.pem(), key.serialize_pem()))
}

fn random_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_is_kept_across_loads_and_reissued_for_new_names() {
        let dir = tempfile::tempdir().unwrap();
        let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        let a = Pki::load_or_create(dir.path(), &names).unwrap();
        let b = Pki::load_or_create(dir.path(), &names).unwrap();
        assert_eq!(a.ca_pem, b.ca_pem);
        assert_eq!(a.cert_pem, b.cert_pem);
        assert_eq!(a.admin_token, b.admin_token);
        assert_eq!(a.admin_token.len(), 40);
        let mode = fs::metadata(dir.path().join("pki/admin.token"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);

        let more = vec!["localhost".to_string(), "10.0.0.1".to_string()];
        let c = Pki::load_or_create(dir.path(), &more).unwrap();
        assert_eq!(a.ca_pem, c.ca_pem);
        assert_ne!(a.cert_pem, c.cert_pem);
        assert!(c.server_config().is_ok());

        let (cert, key) = c
            .issue_serving_cert("node-a", &["node-a".to_string(), "10.42.0.1".to_string()])
            .unwrap();
        assert_ne!(cert, c.cert_pem);
        assert!(KeyPair::from_pem(&key).is_ok());
        let agent = Pki {
            cert_pem: cert,
            key_pem: key,
            ..c
        };
        assert!(agent.server_config().is_ok());
    }
}
