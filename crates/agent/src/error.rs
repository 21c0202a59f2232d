//! The agent's error type. Every variant is retryable by the loop that met it: API errors and
//! sandbox failures are reported (status, events, logs) and the pod or node is synced again.

/// Errors of the node agent.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An API call failed.
    #[error("API: {0}")]
    Api(#[from] kube::Error),
    /// The pod network failed.
    #[error("pod network: {0}")]
    Net(#[from] kubelite_netns::Error),
    /// The pod sandbox failed.
    #[error("pod sandbox: {0}")]
    Sandbox(#[from] kubelite_podsandbox::Error),
    /// A file of the agent's state.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Bad configuration or API data.
    #[error("{0}")]
    Config(String),
}

/// The agent's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
