//! The hidden subcommands that run kubelite's built-in container images inside a Pod:
//! `kubelite image-whoami <flavor> [args…]` and `kubelite image-sleep`. The node agent starts
//! them as container processes (see `kubelite_agent::WHOAMI_SUBCOMMAND`); they parse their own
//! arguments so that container `args` such as `--port=81` reach whoami untouched.

use std::ffi::OsString;
use std::process::ExitCode;

use kubelite_images::{Flavor, run_sleep, run_whoami};

/// Runs the built-in image `subcommand` with `args` (what follows it) as this process (a
/// built-in container the pod init exec'd); `None` if `subcommand` is not one of them.
pub fn dispatch(subcommand: &str, args: Vec<OsString>) -> Option<ExitCode> {
    run(subcommand, args).map(ExitCode::from)
}

/// Runs the built-in image `subcommand` with `args` and returns its exit status; `None` if
/// `subcommand` is not one of them. Also what a pod init's spare runs to become the Pod's first
/// container (`kubelite_podsandbox::Builtins`).
pub fn run(subcommand: &str, args: Vec<OsString>) -> Option<u8> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let runtime = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime")
    };
    let result = match subcommand {
        kubelite_agent::WHOAMI_SUBCOMMAND => {
            let Some(flavor) = args.first().and_then(|f| Flavor::from_name(f)) else {
                eprintln!("{subcommand}: expected a flavor (traefik or sixeyed)");
                return Some(2);
            };
            let env: Vec<(String, String)> = std::env::vars().collect();
            runtime().block_on(run_whoami(flavor, &args[1..], &env))
        }
        kubelite_agent::SLEEP_SUBCOMMAND => runtime().block_on(run_sleep()),
        _ => return None,
    };
    Some(match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{e}");
            if e.kind() == std::io::ErrorKind::InvalidInput {
                2
            } else {
                1
            }
        }
    })
}
