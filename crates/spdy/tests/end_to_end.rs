//! The server driver against a test client speaking kubectl's side of port-forward over an
//! in-memory pipe: stream setup, echo, FIN, PING, RST, GOAWAY, flow control and concurrency.

mod common;

use std::collections::HashMap;
use std::io::ErrorKind;

use common::{connect, portforward_headers};
use kubelite_spdy::{Frame, GoAwayStatus, Headers, Incoming, RstStatus, Stream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Echoes every accepted data stream; error streams are closed without a message.
fn spawn_echo_server(mut incoming: Incoming) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tasks = Vec::new();
        while let Some(stream) = incoming.accept().await {
            tasks.push(tokio::spawn(echo(stream)));
        }
        for task in tasks {
            task.await.unwrap();
        }
    })
}

async fn echo(mut stream: Stream) {
    if stream.headers().get("streamtype") == Some("error") {
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        return;
    }
    let (mut reader, mut writer) = tokio::io::split(stream);
    tokio::io::copy(&mut reader, &mut writer).await.unwrap();
    writer.shutdown().await.unwrap();
}

#[tokio::test]
async fn portforward_request_is_echoed() {
    let (mut tx, mut rx, conn, incoming) = connect();
    let server = spawn_echo_server(incoming);

    tx.open(1, portforward_headers("error", 8080, 0)).await;
    assert_eq!(
        rx.next().await,
        Some(Frame::SynReply {
            stream_id: 1,
            fin: false,
            headers: Headers::new()
        })
    );
    tx.data(1, b"", true).await;
    tx.open(3, portforward_headers("data", 8080, 0)).await;
    tx.data(3, b"hello ", false).await;
    tx.send(Frame::Ping(1)).await;
    tx.data(3, b"world", true).await;

    let mut echoed = Vec::new();
    let mut events = Vec::new();
    while events.len() < 4 {
        match rx.next_significant().await.unwrap() {
            Frame::SynReply { stream_id, .. } => events.push(format!("reply {stream_id}")),
            Frame::Ping(id) => events.push(format!("ping {id}")),
            Frame::Data {
                stream_id: 3,
                fin,
                data,
            } => {
                echoed.extend_from_slice(&data);
                if fin {
                    events.push("fin 3".into());
                }
            }
            Frame::Data {
                stream_id: 1,
                fin: true,
                data,
            } => {
                assert!(data.is_empty());
                events.push("fin 1".into());
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    events.sort();
    assert_eq!(events, ["fin 1", "fin 3", "ping 1", "reply 3"]);
    assert_eq!(echoed, b"hello world");

    conn.close();
    assert_eq!(
        rx.next_significant().await,
        Some(Frame::GoAway {
            last_good_stream_id: 3,
            status: GoAwayStatus::OK
        })
    );
    assert_eq!(rx.next().await, None);
    conn.closed().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn server_pings_are_not_echoed() {
    let (mut tx, mut rx, conn, _incoming) = connect();
    // An even id would answer a server ping; the server sends none, so it is ignored.
    tx.send(Frame::Ping(2)).await;
    tx.send(Frame::Ping(5)).await;
    assert_eq!(rx.next().await, Some(Frame::Ping(5)));
    conn.close();
    assert!(matches!(rx.next().await, Some(Frame::GoAway { .. })));
}

#[tokio::test]
async fn more_than_a_mebibyte_each_way_with_window_updates() {
    const TOTAL: usize = 3 * 1024 * 1024 + 123;
    let (mut tx, mut rx, conn, incoming) = connect();
    let server = spawn_echo_server(incoming);
    let payload: Vec<u8> = (0..TOTAL).map(|i| (i * 7 % 251) as u8).collect();

    let sender = {
        let payload = payload.clone();
        tokio::spawn(async move {
            tx.open(1, portforward_headers("data", 80, 0)).await;
            for chunk in payload.chunks(32 * 1024) {
                tx.data(1, chunk, false).await;
            }
            tx.data(1, b"", true).await;
            tx
        })
    };
    let mut echoed = Vec::with_capacity(TOTAL);
    let (mut stream_credit, mut session_credit) = (0u64, 0u64);
    loop {
        match rx.next().await.unwrap() {
            Frame::SynReply { stream_id: 1, .. } => {}
            Frame::WindowUpdate {
                stream_id: 0,
                delta,
            } => session_credit += u64::from(delta),
            Frame::WindowUpdate {
                stream_id: 1,
                delta,
            } => stream_credit += u64::from(delta),
            Frame::Data {
                stream_id: 1,
                fin,
                data,
            } => {
                assert!(data.len() <= 32 * 1024, "DATA frames are split");
                echoed.extend_from_slice(&data);
                if fin {
                    break;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(echoed.len(), TOTAL);
    assert!(echoed == payload, "echo differs");
    // Session credit comes in half-window batches: all but the last partial batch. Stream
    // credit also stops at the FIN, with up to one window still buffered.
    let window = u64::from(kubelite_spdy::WINDOW_SIZE);
    assert!(
        session_credit > TOTAL as u64 - window / 2,
        "session credit {session_credit}"
    );
    assert!(
        stream_credit > TOTAL as u64 - 2 * window,
        "stream credit {stream_credit}"
    );
    assert!(stream_credit <= TOTAL as u64 && session_credit <= TOTAL as u64);

    let _tx = sender.await.unwrap();
    conn.close();
    server.await.unwrap();
}

#[tokio::test]
async fn many_concurrent_streams() {
    const STREAMS: u32 = 64;
    let (mut tx, mut rx, conn, incoming) = connect();
    let server = spawn_echo_server(incoming);
    let sender = tokio::spawn(async move {
        for i in 0..STREAMS {
            tx.open(2 * i + 1, portforward_headers("data", 80, i)).await;
        }
        // Interleave the streams' data round-robin.
        for round in 0..20u32 {
            for i in 0..STREAMS {
                let chunk = format!("s{i}r{round};").repeat(100);
                tx.data(2 * i + 1, chunk.as_bytes(), round == 19).await;
            }
        }
        tx
    });
    let mut received: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut finished = 0;
    let mut replies = 0;
    while finished < STREAMS {
        match rx.next_significant().await.unwrap() {
            Frame::SynReply { .. } => replies += 1,
            Frame::Data {
                stream_id,
                fin,
                data,
            } => {
                received
                    .entry(stream_id)
                    .or_default()
                    .extend_from_slice(&data);
                if fin {
                    finished += 1;
                }
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(replies, STREAMS);
    for i in 0..STREAMS {
        let want: String = (0..20).map(|r| format!("s{i}r{r};").repeat(100)).collect();
        assert_eq!(
            received[&(2 * i + 1)],
            want.as_bytes(),
            "stream {}",
            2 * i + 1
        );
    }
    let _tx = sender.await.unwrap();
    conn.close();
    server.await.unwrap();
}

#[tokio::test]
async fn client_reset_fails_the_servers_read_and_write() {
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(1, portforward_headers("data", 80, 0)).await;
    let mut stream = incoming.accept().await.unwrap();
    assert_eq!(stream.id(), 1);
    tx.data(1, b"partial", false).await;
    tx.send(Frame::RstStream {
        stream_id: 1,
        status: RstStatus::CANCEL,
    })
    .await;
    assert!(matches!(
        rx.next().await,
        Some(Frame::SynReply { stream_id: 1, .. })
    ));
    // Let the reset arrive.
    tx.send(Frame::Ping(1)).await;
    assert_eq!(rx.next().await, Some(Frame::Ping(1)));
    let mut buf = [0u8; 16];
    assert_eq!(
        stream.read(&mut buf).await.unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
    assert_eq!(
        stream.write(b"x").await.unwrap_err().kind(),
        ErrorKind::ConnectionReset
    );
    conn.close();
}

#[tokio::test]
async fn server_reset_and_drop_send_rst_stream() {
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(1, portforward_headers("error", 80, 0)).await;
    tx.open(3, portforward_headers("data", 80, 0)).await;
    let first = incoming.accept().await.unwrap();
    let second = incoming.accept().await.unwrap();
    first.reset(RstStatus::INTERNAL_ERROR);
    // Resetting twice sends one frame.
    first.reset(RstStatus::INTERNAL_ERROR);
    drop(second);
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(rx.next_significant().await.unwrap());
    }
    assert_eq!(
        seen[2..],
        [
            Frame::RstStream {
                stream_id: 1,
                status: RstStatus::INTERNAL_ERROR
            },
            Frame::RstStream {
                stream_id: 3,
                status: RstStatus::CANCEL
            },
        ]
    );
    // Data for the reset stream is dropped quietly.
    tx.data(1, b"late", false).await;
    tx.send(Frame::Ping(7)).await;
    assert_eq!(rx.next_significant().await, Some(Frame::Ping(7)));
    conn.close();
}

#[tokio::test]
async fn invalid_stream_ids_are_refused() {
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(5, portforward_headers("data", 80, 0)).await;
    tx.open(3, portforward_headers("data", 80, 1)).await; // not increasing
    tx.open(8, portforward_headers("data", 80, 2)).await; // even: server-initiated
    tx.data(99, b"x", false).await; // never opened
    let mut frames = Vec::new();
    for _ in 0..4 {
        frames.push(rx.next_significant().await.unwrap());
    }
    assert!(matches!(frames[0], Frame::SynReply { stream_id: 5, .. }));
    assert_eq!(
        frames[1..],
        [
            Frame::RstStream {
                stream_id: 3,
                status: RstStatus::PROTOCOL_ERROR
            },
            Frame::RstStream {
                stream_id: 8,
                status: RstStatus::PROTOCOL_ERROR
            },
            Frame::RstStream {
                stream_id: 99,
                status: RstStatus::INVALID_STREAM
            },
        ]
    );
    assert_eq!(incoming.accept().await.unwrap().id(), 5);
    conn.close();
    assert!(incoming.accept().await.is_none());
}

#[tokio::test]
async fn half_close_both_ways() {
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(1, portforward_headers("data", 80, 0)).await;
    let mut stream = incoming.accept().await.unwrap();
    // The server finishes first and may still read afterwards.
    stream.write_all(b"bye").await.unwrap();
    stream.shutdown().await.unwrap();
    assert_eq!(
        stream.write(b"more").await.unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    assert!(matches!(rx.next().await, Some(Frame::SynReply { .. })));
    assert_eq!(
        rx.next().await,
        Some(Frame::Data {
            stream_id: 1,
            fin: false,
            data: b"bye".to_vec().into()
        })
    );
    assert_eq!(
        rx.next().await,
        Some(Frame::Data {
            stream_id: 1,
            fin: true,
            data: Default::default()
        })
    );
    tx.data(1, b"still", false).await;
    tx.send(Frame::Headers {
        stream_id: 1,
        fin: true,
        headers: Headers::new(),
    })
    .await;
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"still");
    // Data after FIN is answered with STREAM_ALREADY_CLOSED only while the stream is known;
    // here both sides finished, so it is ignored.
    drop(stream);
    conn.close();
}

#[tokio::test]
async fn peer_goaway_stops_accepting_but_open_streams_continue() {
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(1, portforward_headers("data", 80, 0)).await;
    let mut stream = incoming.accept().await.unwrap();
    tx.send(Frame::GoAway {
        last_good_stream_id: 0,
        status: GoAwayStatus::OK,
    })
    .await;
    assert!(incoming.accept().await.is_none());
    tx.open(3, portforward_headers("data", 80, 1)).await;
    assert!(matches!(
        rx.next().await,
        Some(Frame::SynReply { stream_id: 1, .. })
    ));
    assert_eq!(
        rx.next().await,
        Some(Frame::RstStream {
            stream_id: 3,
            status: RstStatus::REFUSED_STREAM
        })
    );
    tx.data(1, b"after goaway", true).await;
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"after goaway");
    // The peer hangs up: open streams are aborted and the connection ends cleanly.
    tx.shutdown().await;
    drop(tx);
    conn.closed().await.unwrap();
    assert_eq!(
        stream.write(b"x").await.unwrap_err().kind(),
        ErrorKind::ConnectionAborted
    );
}

#[tokio::test]
async fn unread_stream_applies_backpressure_without_losing_data() {
    const TOTAL: usize = 512 * 1024;
    let (mut tx, mut rx, conn, mut incoming) = connect();
    tx.open(1, portforward_headers("data", 80, 0)).await;
    let sender = tokio::spawn(async move {
        // Ignores the window entirely, as spdystream does.
        for _ in 0..TOTAL / 8192 {
            tx.data(1, &[0xab; 8192], false).await;
        }
        tx.data(1, b"", true).await;
        tx
    });
    let mut stream = incoming.accept().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        !sender.is_finished(),
        "the reader stops while the stream buffer is full"
    );
    let mut got = Vec::new();
    stream.read_to_end(&mut got).await.unwrap();
    assert_eq!(got.len(), TOTAL);
    assert!(got.iter().all(|&b| b == 0xab));
    let _tx = sender.await.unwrap();
    assert!(matches!(rx.next().await, Some(Frame::SynReply { .. })));
    conn.close();
}
