//! kubelite's built-in container images.
//!
//! kubelite's node agent runs Pods for real but never pulls OCI images.
//! Instead [`resolve`] maps a container's image, `command` and `args` to a
//! program: one built into the kubelite binary ([`run_whoami`],
//! [`run_sleep`]), a program from the node's filesystem, or nothing (the
//! agent then reports `ErrImagePull` with [`unknown_image_message`]).
//! [`image_id`] gives the `imageID` shown in `containerStatuses`.
//!
//! The built-in programs run inside the Pod (its network, UTS and PID
//! namespaces), started by the kubelite binary through a hidden subcommand.

mod catalog;
mod reference;
mod shutdown;
mod sleep;
mod whoami;

pub use catalog::{Resolved, image_id, resolve, unknown_image_message};
pub use sleep::run_sleep;
pub use whoami::{Flavor, run_whoami};
