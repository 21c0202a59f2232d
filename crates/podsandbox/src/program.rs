//! Finding the program of a container or exec, as runc does (Go's `exec.LookPath` over the
//! process's own `PATH`), with runc's and containerd's error texts, and the environment
//! defaults containerd adds (`PATH` when the image sets none, `TERM=xterm` for a TTY).
//!
//! Upstream texts (runc 1.1 + containerd 1.6/1.7, as kubectl shows them):
//! - exec: `OCI runtime exec failed: exec failed: unable to start container process:
//!   exec: "nope": executable file not found in $PATH: unknown`; kubectl prints it after
//!   `error: Internal error occurred: error executing command in container: failed to exec in
//!   container: failed to start exec "<64 hex>": ` and exits with status 1.
//! - container start: `failed to create containerd task: failed to create shim task: OCI
//!   runtime create failed: runc create failed: unable to start container process: exec:
//!   "nope": executable file not found in $PATH: unknown` (state terminated, reason
//!   `StartError`, exit code 128).

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

/// containerd's default `PATH` for images that set none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The text kubelet shows for a container whose program could not be started, given the
/// reason from [`crate::Error::StartFailed`].
pub fn oci_create_failed_message(reason: &str) -> String {
    format!(
        "failed to create containerd task: failed to create shim task: OCI runtime create failed: \
         runc create failed: unable to start container process: {reason}: unknown"
    )
}

/// The text containerd reports for an exec whose program could not be started.
pub(crate) fn oci_exec_failed_message(reason: &str) -> String {
    format!(
        "OCI runtime exec failed: exec failed: unable to start container process: {reason}: unknown"
    )
}

/// `env` plus `PATH` (if missing) and, for a TTY, `TERM=xterm` (if missing).
pub(crate) fn complete_env(env: &[(String, String)], tty: bool) -> Vec<(String, String)> {
    let mut env = env.to_vec();
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    if tty && !env.iter().any(|(k, _)| k == "TERM") {
        env.push(("TERM".into(), "xterm".into()));
    }
    env
}

/// Resolves `program` like Go's `exec.LookPath` with `PATH` from `env`; the error is runc's
/// reason text (`exec: "nope": executable file not found in $PATH`).
pub(crate) fn look_path(program: &str, env: &[(String, String)]) -> Result<PathBuf, String> {
    if program.contains('/') {
        return match check_executable(Path::new(program)) {
            Ok(()) => Ok(PathBuf::from(program)),
            Err(reason) => Err(format!("exec: {program:?}: {reason}")),
        };
    }
    let path = env
        .iter()
        .rev()
        .find(|(k, _)| k == "PATH")
        .map_or("", |(_, v)| v.as_str());
    for dir in path.split(':') {
        let candidate = Path::new(if dir.is_empty() { "." } else { dir }).join(program);
        if check_executable(&candidate).is_ok() {
            return Ok(candidate);
        }
    }
    Err(format!(
        "exec: {program:?}: executable file not found in $PATH"
    ))
}

/// Go's `findExecutable`: a regular file with some execute bit. The error text is Go's.
fn check_executable(path: &Path) -> Result<(), String> {
    let meta =
        fs::metadata(path).map_err(|e| format!("stat {}: {}", path.display(), go_error(&e)))?;
    if meta.is_dir() {
        return Err("is a directory".into());
    }
    if meta.permissions().mode() & 0o111 == 0 {
        return Err("permission denied".into());
    }
    Ok(())
}

/// An OS error as Go prints it: the lowercase strerror text without "(os error N)".
pub(crate) fn go_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => {
            let desc = nix::errno::Errno::from_raw(errno).desc();
            let mut chars = desc.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(path: &str) -> Vec<(String, String)> {
        vec![("PATH".into(), path.into())]
    }

    #[test]
    fn lookups() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        fs::write(&plain, "").unwrap();
        fs::set_permissions(&plain, fs::Permissions::from_mode(0o644)).unwrap();
        let plain = plain.to_str().unwrap();
        let denied = format!("exec: {plain:?}: permission denied");
        let cases: [(&str, &str, Result<&str, &str>); 6] = [
            ("sh", "/nowhere:/bin", Ok("/bin/sh")),
            (
                "nope",
                "/bin:/usr/bin",
                Err(r#"exec: "nope": executable file not found in $PATH"#),
            ),
            ("/bin/sh", "", Ok("/bin/sh")),
            (
                "/nope",
                "/bin",
                Err(r#"exec: "/nope": stat /nope: no such file or directory"#),
            ),
            (plain, "/bin", Err(&denied)),
            ("/etc", "/bin", Err(r#"exec: "/etc": is a directory"#)),
        ];
        for (program, path, want) in cases {
            let got = look_path(program, &env(path));
            assert_eq!(
                got.as_ref()
                    .map(|p| p.to_str().unwrap())
                    .map_err(String::as_str),
                want,
                "{program}"
            );
        }
    }

    #[test]
    fn messages() {
        let reason = r#"exec: "nope": executable file not found in $PATH"#;
        assert_eq!(
            oci_exec_failed_message(reason),
            r#"OCI runtime exec failed: exec failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown"#
        );
        assert_eq!(
            oci_create_failed_message(reason),
            r#"failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH: unknown"#
        );
    }

    #[test]
    fn environment_defaults() {
        let given = vec![("A".to_string(), "1".to_string())];
        assert_eq!(
            complete_env(&given, true),
            vec![
                ("A".into(), "1".into()),
                ("PATH".into(), DEFAULT_PATH.into()),
                ("TERM".into(), "xterm".into())
            ]
        );
        let full = vec![
            ("PATH".to_string(), "/x".to_string()),
            ("TERM".to_string(), "dumb".to_string()),
        ];
        assert_eq!(complete_env(&full, true), full);
        assert_eq!(
            complete_env(&[], false),
            vec![("PATH".into(), DEFAULT_PATH.into())]
        );
    }
}
