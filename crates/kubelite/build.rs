//! Links the kubelite binary as a position-dependent executable.
//!
//! The binary is exec'd for every built-in container (and once per agent, for its pod zygote).
//! As a PIE, each exec had the dynamic loader apply ~54,000 relative relocations, copying and
//! dirtying the ~1 MiB of `.data.rel.ro` in every process; without PIE those addresses are fixed at link time and
//! the pages stay shared with the file. (Go builds its binaries this way by default.)

fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
