//! Test-side SPDY client playing kubectl's role over an in-memory duplex pipe.

#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use std::time::Duration;

use kubelite_spdy::{Connection, Frame, FrameDecoder, FrameEncoder, Headers, Incoming, SynStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, ReadHalf, WriteHalf};

/// Upper bound for any single wait in the tests; nothing legitimate takes this long.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Writing half of the test client: owns the client→server header compression context.
pub struct ClientTx {
    io: WriteHalf<DuplexStream>,
    encoder: FrameEncoder,
}

/// Reading half of the test client: owns the server→client header decompression context.
pub struct ClientRx {
    io: ReadHalf<DuplexStream>,
    decoder: FrameDecoder,
}

/// A server connection plus a client connected to it through a 64 KiB duplex pipe.
pub fn connect() -> (ClientTx, ClientRx, Connection, Incoming) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let (conn, incoming) = Connection::server(server);
    let (rx, tx) = tokio::io::split(client);
    (
        ClientTx {
            io: tx,
            encoder: FrameEncoder::new(),
        },
        ClientRx {
            io: rx,
            decoder: FrameDecoder::new(),
        },
        conn,
        incoming,
    )
}

/// Headers of a port-forward stream as kubectl sends them.
pub fn portforward_headers(stream_type: &str, port: u16, request_id: u32) -> Headers {
    [
        ("streamtype", stream_type.to_owned()),
        ("port", port.to_string()),
        ("requestid", request_id.to_string()),
    ]
    .into_iter()
    .collect()
}

impl ClientTx {
    pub async fn send(&mut self, frame: Frame) {
        let mut out = Vec::new();
        self.encoder.encode(&frame, &mut out).unwrap();
        self.io.write_all(&out).await.unwrap();
    }

    pub async fn open(&mut self, stream_id: u32, headers: Headers) {
        self.send(Frame::SynStream(SynStream {
            stream_id,
            associated_stream_id: 0,
            priority: 0,
            slot: 0,
            fin: false,
            unidirectional: false,
            headers,
        }))
        .await;
    }

    pub async fn data(&mut self, stream_id: u32, data: &[u8], fin: bool) {
        self.send(Frame::Data {
            stream_id,
            fin,
            data: data.to_vec().into(),
        })
        .await;
    }

    pub async fn shutdown(&mut self) {
        let _ = self.io.shutdown().await;
    }
}

impl ClientRx {
    /// Next frame from the server, `None` at EOF; panics after [`TIMEOUT`].
    pub async fn next(&mut self) -> Option<Frame> {
        tokio::time::timeout(TIMEOUT, self.next_inner())
            .await
            .expect("timed out waiting for a frame")
    }

    async fn next_inner(&mut self) -> Option<Frame> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(frame) = self.decoder.decode().unwrap() {
                return Some(frame);
            }
            let n = self.io.read(&mut buf).await.unwrap();
            if n == 0 {
                return None;
            }
            self.decoder.push(&buf[..n]);
        }
    }

    /// Next frame that is not a WINDOW_UPDATE.
    pub async fn next_significant(&mut self) -> Option<Frame> {
        loop {
            match self.next().await {
                Some(Frame::WindowUpdate { .. }) => continue,
                other => return other,
            }
        }
    }
}
