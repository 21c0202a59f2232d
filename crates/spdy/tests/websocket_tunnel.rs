//! SPDY tunnelled in WebSocket-style binary messages (kubectl ≥ 1.31 port-forward): the
//! capture split into tiny messages, through [`message_io`].

mod common;

use std::io;

use bytes::Bytes;
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use kubelite_spdy::{Connection, Frame, FrameDecoder, message_io};
use tokio::io::AsyncReadExt;

const CAPTURE: &[u8] = include_bytes!("data/kubectl-1.30-portforward.bin");

#[tokio::test]
async fn capture_in_three_byte_messages() {
    let (mut to_server, server_rx) = mpsc::channel::<Result<Bytes, io::Error>>(4);
    let (server_tx, mut from_server) = mpsc::channel::<Bytes>(4);
    let io = message_io(server_rx, server_tx.sink_map_err(io::Error::other));
    let (conn, mut incoming) = Connection::server(io);

    let feeder = tokio::spawn(async move {
        for chunk in CAPTURE.chunks(3) {
            to_server
                .send(Ok(Bytes::copy_from_slice(chunk)))
                .await
                .unwrap();
        }
        to_server
    });
    let mut bodies = Vec::new();
    for _ in 0..4 {
        let mut stream = incoming.accept().await.unwrap();
        let mut body = Vec::new();
        stream.read_to_end(&mut body).await.unwrap();
        bodies.push((stream.id(), body.len()));
    }
    assert_eq!(bodies, [(1, 0), (3, 79), (5, 0), (7, 79)]);

    // Every outgoing write is one message; together they decode as frames.
    let mut decoder = FrameDecoder::new();
    let mut pings = Vec::new();
    while pings.len() < 2 {
        let message = tokio::time::timeout(common::TIMEOUT, from_server.next())
            .await
            .unwrap()
            .unwrap();
        decoder.push(&message);
        while let Some(frame) = decoder.decode().unwrap() {
            if let Frame::Ping(id) = frame {
                pings.push(id);
            }
        }
    }
    assert_eq!(pings, [1, 3]);

    // Closing the message stream (WebSocket close) ends the connection cleanly.
    drop(feeder.await.unwrap());
    tokio::time::timeout(common::TIMEOUT, conn.closed())
        .await
        .unwrap()
        .unwrap();
}
