//! The streaming server end to end over TLS with a mock runtime: WebSocket and SPDY exec,
//! attach, port-forward (raw and tunnelled SPDY), logs, and authentication.

mod common;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use common::{SpdyClient, TIMEOUT, start};
use futures::{SinkExt as _, StreamExt as _};
use http::StatusCode;
use kubelite_spdy::Frame;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// What a WebSocket exec produced, by channel, and how it ended.
#[derive(Debug, Default)]
struct WsOutcome {
    channels: HashMap<u8, Vec<u8>>,
    pongs: usize,
    close: Option<CloseCode>,
}

impl WsOutcome {
    fn text(&self, channel: u8) -> String {
        String::from_utf8(self.channels.get(&channel).cloned().unwrap_or_default()).unwrap()
    }

    fn status(&self) -> Value {
        serde_json::from_str(&self.text(3)).unwrap()
    }
}

async fn read_ws<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> WsOutcome
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut out = WsOutcome::default();
    loop {
        let next = tokio::time::timeout(TIMEOUT, ws.next())
            .await
            .expect("ws timed out");
        match next {
            Some(Ok(Message::Binary(data))) => {
                out.channels
                    .entry(data[0])
                    .or_default()
                    .extend_from_slice(&data[1..]);
            }
            Some(Ok(Message::Pong(_))) => out.pongs += 1,
            Some(Ok(Message::Close(frame))) => {
                out.close = frame.map(|f| f.code);
            }
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return out,
        }
    }
}

fn exec_path(command: &[&str], extra: &str) -> String {
    let mut path = "/exec/default/sleep/sleep?".to_owned();
    for c in command {
        path.push_str("command=");
        path.push_str(
            &c.replace(' ', "+")
                .replace(';', "%3B")
                .replace('>', "%3E")
                .replace('&', "%26"),
        );
        path.push('&');
    }
    path.push_str(extra);
    path
}

#[tokio::test]
async fn websocket_exec_reports_output_and_exit_code() {
    let fx = start().await;
    for protocol in ["v5.channel.k8s.io", "v4.channel.k8s.io"] {
        let path = exec_path(
            &["sh", "-c", "echo out; echo err >&2; exit 7"],
            "stdout=true&stderr=true",
        );
        let mut ws = fx.websocket(&path, protocol).await;
        let out = read_ws(&mut ws).await;
        assert_eq!(out.text(1), "out\n", "{protocol}");
        assert_eq!(out.text(2), "err\n", "{protocol}");
        assert_eq!(
            out.status(),
            serde_json::json!({
                "metadata": {},
                "status": "Failure",
                "message": "command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 7], exit code 7",
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": "7"}]},
            })
        );
        assert_eq!(out.close, Some(CloseCode::Normal));
    }
}

#[tokio::test]
async fn websocket_stdin_is_echoed_and_closed_by_v5_signal() {
    let fx = start().await;
    let mut ws = fx
        .websocket(
            &exec_path(&["cat"], "stdin=true&stdout=true&stderr=true"),
            "v5.channel.k8s.io",
        )
        .await;
    ws.send(Message::Binary(Bytes::from_static(b"\x00hello ")))
        .await
        .unwrap();
    ws.send(Message::Binary(Bytes::from_static(b"\x00world")))
        .await
        .unwrap();
    ws.send(Message::Binary(Bytes::from_static(b"\xff\x00")))
        .await
        .unwrap();
    let out = read_ws(&mut ws).await;
    assert_eq!(out.text(1), "hello world");
    assert_eq!(out.text(3), r#"{"metadata":{},"status":"Success"}"#);
    assert_eq!(out.close, Some(CloseCode::Normal));
}

#[tokio::test]
async fn websocket_ping_pong_and_tty_resize() {
    let fx = start().await;
    let mut ws = fx
        .websocket(
            &exec_path(&["sleep", "1"], "stdin=true&stdout=true&tty=true"),
            "v5.channel.k8s.io",
        )
        .await;
    ws.send(Message::Ping(Bytes::from_static(b"hb")))
        .await
        .unwrap();
    ws.send(Message::Binary(
        Bytes::from_static(br#"{"Width":100,"Height":40}"#)
            .iter()
            .fold(vec![4u8], |mut v, b| {
                v.push(*b);
                v
            })
            .into(),
    ))
    .await
    .unwrap();
    let out = read_ws(&mut ws).await;
    assert!(out.pongs >= 1, "no pong: {out:?}");
    assert_eq!(out.status()["status"], "Success");
    assert_eq!(*fx.runtime.resizes.lock().unwrap(), vec![(100, 40)]);
}

#[tokio::test]
async fn websocket_exec_failure_is_an_internal_error_status() {
    let fx = start().await;
    let mut ws = fx
        .websocket(
            "/exec/default/missing/c?command=nope&stdout=1",
            "v5.channel.k8s.io",
        )
        .await;
    let out = read_ws(&mut ws).await;
    let status = out.status();
    assert_eq!(status["reason"], "InternalError");
    assert_eq!(status["code"], 500);
    let message = status["message"].as_str().unwrap();
    assert!(
        message.starts_with("Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \""),
        "{message}"
    );
    assert!(
        message.ends_with("\": exec: \"nope\": executable file not found in $PATH"),
        "{message}"
    );
}

#[tokio::test]
async fn websocket_attach_reports_success() {
    let fx = start().await;
    let mut ws = fx
        .websocket(
            "/attach/default/sleep/sleep?stdout=true&stderr=true",
            "v4.channel.k8s.io",
        )
        .await;
    let out = read_ws(&mut ws).await;
    assert_eq!(out.text(1), "attached\n");
    assert_eq!(out.text(3), r#"{"metadata":{},"status":"Success"}"#);
}

#[tokio::test]
async fn spdy_exec_streams_stdin_stdout_and_status() {
    let fx = start().await;
    let (io, headers) = fx
        .upgrade(
            "POST",
            &exec_path(
                &["sh", "-c", "cat; exit 3"],
                "stdin=true&stdout=true&stderr=true",
            ),
            &[
                ("upgrade", "SPDY/3.1"),
                ("x-stream-protocol-version", "v5.channel.k8s.io"),
                ("x-stream-protocol-version", "v4.channel.k8s.io"),
                ("x-stream-protocol-version", "channel.k8s.io"),
            ],
        )
        .await;
    assert_eq!(headers["x-stream-protocol-version"], "v4.channel.k8s.io");
    let mut client = SpdyClient::new(io);
    client.open(1, &[("streamtype", "error")], false).await;
    client.open(3, &[("streamtype", "stdin")], false).await;
    client.open(5, &[("streamtype", "stdout")], false).await;
    client.open(7, &[("streamtype", "stderr")], false).await;
    client.data(3, b"via spdy", true).await;
    let mut data: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut fins = Vec::new();
    while let Some(frame) = client.next().await {
        match frame {
            Frame::Data {
                stream_id,
                fin,
                data: d,
            } => {
                data.entry(stream_id).or_default().extend_from_slice(&d);
                if fin {
                    fins.push(stream_id);
                }
            }
            Frame::GoAway { .. } => break,
            _ => {}
        }
    }
    assert_eq!(data[&5], b"via spdy");
    let status: Value = serde_json::from_slice(&data[&1]).unwrap();
    assert_eq!(status["reason"], "NonZeroExitCode");
    assert_eq!(status["details"]["causes"][0]["message"], "3");
    assert!(fins.contains(&1) && fins.contains(&5), "fins {fins:?}");
}

/// A loopback server that answers every connection by echoing its input upper-cased.
async fn upper_echo_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                while let Ok(n) = conn.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    let upper = buf[..n].to_ascii_uppercase();
                    if conn.write_all(&upper).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    port
}

/// Drives two concurrent forwarded connections plus one to a closed port on `client`.
async fn exercise_port_forward<T>(mut client: SpdyClient<T>, port: u16, closed_port: u16)
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let port = port.to_string();
    let closed_port = closed_port.to_string();
    for (error, data, id, p) in [
        (1, 3, "0", &port),
        (5, 7, "1", &port),
        (9, 11, "2", &closed_port),
    ] {
        client
            .open(
                error,
                &[("streamtype", "error"), ("port", p), ("requestid", id)],
                true,
            )
            .await;
        client
            .open(
                data,
                &[("streamtype", "data"), ("port", p), ("requestid", id)],
                false,
            )
            .await;
    }
    client.data(3, b"first", false).await;
    client.data(7, b"second", false).await;
    let mut data: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut fins: Vec<u32> = Vec::new();
    let mut replies = 0;
    let mut sent_fin = false;
    while !(fins.contains(&1) && fins.contains(&5) && fins.contains(&9)) {
        match client.next().await.expect("connection ended early") {
            Frame::SynReply { .. } => replies += 1,
            Frame::Data {
                stream_id,
                fin,
                data: d,
            } => {
                data.entry(stream_id).or_default().extend_from_slice(&d);
                if fin {
                    fins.push(stream_id);
                }
            }
            // The failed request's data stream is dropped unfinished.
            Frame::RstStream { stream_id: 11, .. } => {}
            other => panic!("unexpected frame {other:?}"),
        }
        if !sent_fin
            && data.get(&3).map(Vec::as_slice) == Some(b"FIRST")
            && data.get(&7).map(Vec::as_slice) == Some(b"SECOND")
        {
            sent_fin = true;
            client.data(3, b"", true).await;
            client.data(7, b"", true).await;
        }
    }
    assert_eq!(replies, 6);
    assert_eq!(data[&3], b"FIRST");
    assert_eq!(data[&7], b"SECOND");
    for ok in [1, 5] {
        assert_eq!(
            data.get(&ok).map(Vec::len).unwrap_or(0),
            0,
            "error text on stream {ok}"
        );
    }
    let error = String::from_utf8(data[&9].clone()).unwrap();
    assert!(
        error.starts_with(&format!("error forwarding port {closed_port} to pod web, uid : dial tcp4 127.0.0.1:{closed_port}: ")),
        "{error}"
    );
}

async fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn port_forward_over_raw_spdy() {
    let fx = start().await;
    let port = upper_echo_server().await;
    let closed = closed_port().await;
    let (io, headers) = fx
        .upgrade(
            "POST",
            "/portForward/default/web",
            &[
                ("upgrade", "SPDY/3.1"),
                ("x-stream-protocol-version", "portforward.k8s.io"),
            ],
        )
        .await;
    assert_eq!(headers["x-stream-protocol-version"], "portforward.k8s.io");
    exercise_port_forward(SpdyClient::new(io), port, closed).await;
}

#[tokio::test]
async fn port_forward_over_websocket_tunnel() {
    let fx = start().await;
    let port = upper_echo_server().await;
    let closed = closed_port().await;
    let ws = fx
        .websocket("/portForward/default/web", "SPDY/3.1+portforward.k8s.io")
        .await;
    let (sink, stream) = ws.split();
    // Like kubectl, split the SPDY bytes into small binary messages.
    let incoming = stream.filter_map(|m| async move {
        match m {
            Ok(Message::Binary(b)) => Some(Ok::<_, std::io::Error>(b)),
            _ => None,
        }
    });
    let outgoing = sink
        .sink_map_err(std::io::Error::other)
        .with(|b: Bytes| async move { Ok::<_, std::io::Error>(Message::Binary(b)) });
    let io = kubelite_spdy::message_io(Box::pin(incoming), Box::pin(outgoing));
    exercise_port_forward(SpdyClient::new(io), port, closed).await;
}

#[tokio::test]
async fn logs_tail_timestamps_limit_and_errors() {
    let fx = start().await;
    let log = fx.runtime.log_dir.join("web_app.log");
    std::fs::write(
        log.with_extension("log.1"),
        "2024-05-01T10:00:00.000000000Z stdout F rotated\n",
    )
    .unwrap();
    std::fs::write(
        &log,
        "2024-05-01T10:00:01.100000000Z stdout F one\n2024-05-01T10:00:02Z stderr P tw\n2024-05-01T10:00:02.5Z stderr F o\n2024-05-01T10:00:03Z stdout F three\n",
    )
    .unwrap();
    let cases = [
        ("", "rotated\none\ntwo\nthree\n"),
        ("?tailLines=2", "o\nthree\n"),
        (
            "?timestamps=true&tailLines=4",
            "2024-05-01T10:00:01.1Z one\n2024-05-01T10:00:02Z two\n2024-05-01T10:00:03Z three\n",
        ),
        ("?sinceTime=2024-05-01T10:00:02Z", "two\nthree\n"),
        ("?limitBytes=10", "rotated\non"),
    ];
    for (query, want) in cases {
        let (status, body) = fx
            .get(&format!("/containerLogs/default/web/app{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(body, want, "{query}");
    }
    let (status, body) = fx.get("/containerLogs/default/web/app?previous=true").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["message"],
        "previous terminated container \"app\" in pod \"web\" not found"
    );
    assert_eq!(body["reason"], "BadRequest");
}

#[tokio::test]
async fn logs_follow_until_the_container_stops() {
    let fx = start().await;
    let log = fx.runtime.log_dir.join("web_app.log");
    std::fs::write(&log, "2024-05-01T10:00:01Z stdout F before\n").unwrap();
    fx.runtime.log_active.store(true, Ordering::SeqCst);
    let auth = format!("Bearer {}", common::TOKEN);
    let resp = fx
        .request(
            "GET",
            "/containerLogs/default/web/app?follow=true",
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/plain");
    let mut body = resp.into_body();
    let mut got = Vec::new();
    let mut next_chunk = async || {
        let frame = tokio::time::timeout(TIMEOUT, http_body_util::BodyExt::frame(&mut body))
            .await
            .expect("log chunk timed out");
        frame.map(|f| f.unwrap().into_data().unwrap())
    };
    got.extend_from_slice(&next_chunk().await.unwrap());
    assert_eq!(got, b"before\n");
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, b"2024-05-01T10:00:02Z stdout F after\n").unwrap();
    got.extend_from_slice(&next_chunk().await.unwrap());
    assert_eq!(got, b"before\nafter\n");
    // Rotation: the old file moves aside and a new one continues.
    std::fs::rename(&log, log.with_extension("log.1")).unwrap();
    std::fs::write(&log, "2024-05-01T10:00:03Z stdout F rotated\n").unwrap();
    got.extend_from_slice(&next_chunk().await.unwrap());
    assert_eq!(got, b"before\nafter\nrotated\n");
    fx.runtime.log_active.store(false, Ordering::SeqCst);
    assert!(next_chunk().await.is_none(), "follow did not end");
}

#[tokio::test]
async fn requests_need_the_token_and_a_known_path() {
    let fx = start().await;
    let resp = fx
        .request("GET", "/containerLogs/default/web/app", &[])
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let resp = fx
        .request(
            "GET",
            "/containerLogs/default/web/app",
            &[("authorization", "Bearer wrong")],
        )
        .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (status, _) = fx.get("/pods").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = fx.get("/exec/default/web/app?command=ls").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("you must specify at least 1 of stdin, stdout, stderr"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(1)).await;
}
