//! The node's Pod IPs. IPAM persists its state with fsync before an address is used or given
//! back; allocations and releases are therefore queued and applied in batches, one write each,
//! on a blocking thread: a burst of Pods neither stalls the runtime's workers nor waits in line
//! for one fsync pair per Pod.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use kubelite_netns::{Ipam, IpamChange, IpamOutcome};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};

type Request = (IpamChange, oneshot::Sender<Result<IpamOutcome>>);

/// A handle on the node's IPAM.
pub(crate) struct PodIps {
    ipam: Arc<Mutex<Ipam>>,
    queue: mpsc::UnboundedSender<Request>,
}

impl PodIps {
    /// Starts the batch writer (it ends when this handle is dropped).
    pub(crate) fn new(ipam: Ipam) -> PodIps {
        let ipam = Arc::new(Mutex::new(ipam));
        let (queue, requests) = mpsc::unbounded_channel();
        tokio::spawn(apply_batches(ipam.clone(), requests));
        PodIps { ipam, queue }
    }

    /// `uid`'s address: its current one, or the next free one, persisted before it is returned.
    pub(crate) async fn allocate(&self, uid: &str) -> Result<Ipv4Addr> {
        match self.submit(IpamChange::Allocate(uid.to_owned())).await? {
            IpamOutcome::Allocated(ip) => Ok(ip),
            IpamOutcome::Released(_) => unreachable!("an allocation is answered as one"),
        }
    }

    /// Frees `uid`'s address, if it has one.
    pub(crate) async fn release(&self, uid: &str) -> Result<Option<Ipv4Addr>> {
        match self.submit(IpamChange::Release(uid.to_owned())).await? {
            IpamOutcome::Released(ip) => Ok(ip),
            IpamOutcome::Allocated(_) => unreachable!("a release is answered as one"),
        }
    }

    /// The address `uid` holds (re-adoption after a restart).
    pub(crate) fn get(&self, uid: &str) -> Option<Ipv4Addr> {
        self.ipam.lock().expect("ipam lock").get(uid)
    }

    /// Frees every address whose UID `keep` rejects (garbage collection at start).
    pub(crate) fn retain(&self, keep: impl FnMut(&str) -> bool) -> Result<()> {
        self.ipam.lock().expect("ipam lock").retain(keep)?;
        Ok(())
    }

    async fn submit(&self, change: IpamChange) -> Result<IpamOutcome> {
        let stopped = || Error::Config("the IPAM writer has stopped".into());
        let (reply, outcome) = oneshot::channel();
        self.queue.send((change, reply)).map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

/// Applies every queued change in one [`Ipam::apply`] per batch.
async fn apply_batches(ipam: Arc<Mutex<Ipam>>, mut requests: mpsc::UnboundedReceiver<Request>) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while let Ok(more) = requests.try_recv() {
            batch.push(more);
        }
        let (changes, replies): (Vec<IpamChange>, Vec<_>) = batch.into_iter().unzip();
        let ipam = ipam.clone();
        let applied =
            tokio::task::spawn_blocking(move || ipam.lock().expect("ipam lock").apply(&changes))
                .await
                .expect("IPAM task");
        match applied {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(outcome.map_err(Error::Net));
                }
            }
            Err(e) => {
                for reply in replies {
                    let _ = reply.send(Err(Error::Io(std::io::Error::other(format!("IPAM: {e}")))));
                }
            }
        }
    }
}
