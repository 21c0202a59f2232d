//! Replays bytes captured from a real `kubectl.1.30 port-forward pod/x 18080:80` session
//! (raw SPDY upgrade; two `curl localhost:18080/` requests through the tunnel, then two
//! keep-alive PINGs) through the codec and through the server driver.

mod common;

use kubelite_spdy::{Connection, Frame, FrameDecoder, FrameEncoder, Headers, SynStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAPTURE: &[u8] = include_bytes!("data/kubectl-1.30-portforward.bin");
const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost:18080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

fn syn(stream_id: u32, stream_type: &str, request_id: u32) -> Frame {
    Frame::SynStream(SynStream {
        stream_id,
        associated_stream_id: 0,
        priority: 0,
        slot: 0,
        fin: false,
        unidirectional: false,
        headers: common::portforward_headers(stream_type, 80, request_id),
    })
}

fn data(stream_id: u32, fin: bool, bytes: &[u8]) -> Frame {
    Frame::Data {
        stream_id,
        fin,
        data: bytes.to_vec().into(),
    }
}

fn expected() -> Vec<Frame> {
    vec![
        syn(1, "error", 0),
        data(1, true, b""),
        syn(3, "data", 0),
        data(3, false, REQUEST),
        data(3, true, b""),
        syn(5, "error", 1),
        data(5, true, b""),
        syn(7, "data", 1),
        data(7, false, REQUEST),
        data(7, true, b""),
        Frame::Ping(1),
        Frame::Ping(3),
    ]
}

/// Header order differs between frames (Go map iteration), so compare sorted.
fn normalise(frame: Frame) -> Frame {
    match frame {
        Frame::SynStream(mut syn) => {
            let mut pairs: Vec<(String, String)> = syn
                .headers
                .iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            pairs.sort();
            syn.headers = pairs.into_iter().collect::<Headers>();
            Frame::SynStream(syn)
        }
        other => other,
    }
}

#[test]
fn codec_decodes_kubectl_capture() {
    let mut decoder = FrameDecoder::new();
    decoder.push(CAPTURE);
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode().unwrap() {
        frames.push(normalise(frame));
    }
    let want: Vec<Frame> = expected().into_iter().map(normalise).collect();
    assert_eq!(frames, want);
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn capture_starts_with_the_dictionary_zlib_header() {
    // SYN_STREAM, 61 bytes, stream 1, then zlib 0x78 0xf9 with FDICT and the dictionary id.
    assert_eq!(&CAPTURE[..8], &[0x80, 3, 0, 1, 0, 0, 0, 0x3d]);
    assert_eq!(&CAPTURE[18..24], &[0x78, 0xf9, 0xe3, 0xc6, 0xa7, 0xc2]);
}

#[test]
fn reencoded_capture_decodes_identically() {
    let mut encoder = FrameEncoder::new();
    let mut wire = Vec::new();
    for frame in expected() {
        encoder.encode(&frame, &mut wire).unwrap();
    }
    let mut decoder = FrameDecoder::new();
    decoder.push(&wire);
    for want in expected() {
        assert_eq!(decoder.decode().unwrap(), Some(want));
    }
}

#[tokio::test]
async fn driver_serves_the_capture_fed_byte_by_byte() {
    let (mut client, server) = tokio::io::duplex(1 << 20);
    let (conn, mut incoming) = Connection::server(server);
    let feeder = tokio::spawn(async move {
        for byte in CAPTURE {
            client.write_all(std::slice::from_ref(byte)).await.unwrap();
        }
        // Read what the server answers until it closes.
        let mut answer = Vec::new();
        client.read_to_end(&mut answer).await.unwrap();
        answer
    });
    let mut seen = Vec::new();
    for _ in 0..4 {
        let mut stream = tokio::time::timeout(common::TIMEOUT, incoming.accept())
            .await
            .unwrap()
            .unwrap();
        let mut body = Vec::new();
        stream.read_to_end(&mut body).await.unwrap();
        seen.push((
            stream.id(),
            stream.headers().get("streamtype").unwrap().to_owned(),
            stream.headers().get("requestid").unwrap().to_owned(),
            body,
        ));
        stream.shutdown().await.unwrap();
    }
    let want = vec![
        (1, "error".to_owned(), "0".to_owned(), vec![]),
        (3, "data".to_owned(), "0".to_owned(), REQUEST.to_vec()),
        (5, "error".to_owned(), "1".to_owned(), vec![]),
        (7, "data".to_owned(), "1".to_owned(), REQUEST.to_vec()),
    ];
    assert_eq!(seen, want);
    // Give the pings time to be answered, then end the session.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    conn.close();
    let answer = tokio::time::timeout(common::TIMEOUT, feeder)
        .await
        .unwrap()
        .unwrap();
    assert!(conn.closed().await.is_ok());

    let mut decoder = FrameDecoder::new();
    decoder.push(&answer);
    let mut replies = Vec::new();
    while let Some(frame) = decoder.decode().unwrap() {
        match frame {
            Frame::SynReply { stream_id, .. } => replies.push(format!("SYN_REPLY {stream_id}")),
            Frame::Ping(id) => replies.push(format!("PING {id}")),
            Frame::Data {
                stream_id,
                fin: true,
                ..
            } => replies.push(format!("FIN {stream_id}")),
            Frame::GoAway { .. } => replies.push("GOAWAY".to_owned()),
            other => panic!("unexpected {other:?}"),
        }
    }
    for want in [
        "SYN_REPLY 1",
        "SYN_REPLY 3",
        "SYN_REPLY 5",
        "SYN_REPLY 7",
        "FIN 1",
        "FIN 3",
        "FIN 5",
        "FIN 7",
        "PING 1",
        "PING 3",
    ] {
        assert!(
            replies.iter().any(|r| r == want),
            "missing {want} in {replies:?}"
        );
    }
    assert_eq!(replies.last().map(String::as_str), Some("GOAWAY"));
}
