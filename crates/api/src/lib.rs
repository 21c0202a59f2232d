//! Kubernetes API knowledge with no IO: the served resources, defaulting, validation and selectors.

pub mod defaults;
pub mod resources;
pub mod selector;
pub mod validation;
