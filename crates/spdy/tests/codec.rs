//! Frame codec: round trips of every frame type, exact wire bytes, split input and errors.

use kubelite_spdy::{
    Frame, FrameDecoder, FrameEncoder, FrameError, GoAwayStatus, Headers, RstStatus, Setting,
    SynStream,
};

fn headers(pairs: &[(&str, &str)]) -> Headers {
    pairs.iter().copied().collect()
}

fn all_frames() -> Vec<Frame> {
    vec![
        Frame::SynStream(SynStream {
            stream_id: 1,
            associated_stream_id: 0,
            priority: 0,
            slot: 0,
            fin: false,
            unidirectional: false,
            headers: headers(&[("streamtype", "error"), ("port", "80"), ("requestid", "0")]),
        }),
        Frame::SynStream(SynStream {
            stream_id: 0x7fff_fffd,
            associated_stream_id: 7,
            priority: 7,
            slot: 3,
            fin: true,
            unidirectional: true,
            headers: Headers::new(),
        }),
        Frame::SynReply {
            stream_id: 1,
            fin: false,
            headers: Headers::new(),
        },
        Frame::SynReply {
            stream_id: 3,
            fin: true,
            headers: headers(&[("status", "200")]),
        },
        Frame::RstStream {
            stream_id: 5,
            status: RstStatus::CANCEL,
        },
        Frame::Settings {
            clear: true,
            entries: vec![
                Setting {
                    flags: 1,
                    id: Setting::INITIAL_WINDOW_SIZE,
                    value: 65536,
                },
                Setting {
                    flags: 0,
                    id: Setting::MAX_CONCURRENT_STREAMS,
                    value: 100,
                },
            ],
        },
        Frame::Settings {
            clear: false,
            entries: vec![],
        },
        Frame::Ping(1),
        Frame::Ping(0xffff_fffe),
        Frame::GoAway {
            last_good_stream_id: 9,
            status: GoAwayStatus::PROTOCOL_ERROR,
        },
        Frame::Headers {
            stream_id: 3,
            fin: true,
            headers: headers(&[("x-multi", "a\0b")]),
        },
        Frame::WindowUpdate {
            stream_id: 0,
            delta: 0x7fff_ffff,
        },
        Frame::WindowUpdate {
            stream_id: 3,
            delta: 32768,
        },
        Frame::Data {
            stream_id: 3,
            fin: false,
            data: b"GET / HTTP/1.1\r\n\r\n".to_vec().into(),
        },
        Frame::Data {
            stream_id: 1,
            fin: true,
            data: Default::default(),
        },
    ]
}

fn decode_all(decoder: &mut FrameDecoder) -> Vec<Frame> {
    let mut frames = Vec::new();
    while let Some(frame) = decoder.decode().unwrap() {
        frames.push(frame);
    }
    frames
}

#[test]
fn every_frame_type_round_trips_through_one_context() {
    let frames = all_frames();
    let mut encoder = FrameEncoder::new();
    let mut wire = Vec::new();
    // Twice, so later header blocks depend on the shared compression history.
    for frame in frames.iter().chain(frames.iter()) {
        encoder.encode(frame, &mut wire).unwrap();
    }
    let mut decoder = FrameDecoder::new();
    decoder.push(&wire);
    let decoded = decode_all(&mut decoder);
    let want: Vec<Frame> = frames.iter().chain(frames.iter()).cloned().collect();
    assert_eq!(decoded, want);
    assert_eq!(decoder.buffered(), 0);
}

#[test]
fn one_byte_at_a_time() {
    let frames = all_frames();
    let mut encoder = FrameEncoder::new();
    let mut wire = Vec::new();
    for frame in &frames {
        encoder.encode(frame, &mut wire).unwrap();
    }
    let mut decoder = FrameDecoder::new();
    let mut decoded = Vec::new();
    for byte in &wire {
        decoder.push(std::slice::from_ref(byte));
        decoded.extend(decode_all(&mut decoder));
    }
    assert_eq!(decoded, frames);
}

#[test]
fn exact_wire_bytes_of_fixed_size_frames() {
    // Layouts from the SPDY/3.1 draft, section 2.6: control bit + version 3, type, flags,
    // 24-bit length, payload.
    let cases: Vec<(Frame, Vec<u8>)> = vec![
        (Frame::Ping(1), vec![0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 1]),
        (
            Frame::RstStream {
                stream_id: 3,
                status: RstStatus::CANCEL,
            },
            vec![0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 3, 0, 0, 0, 5],
        ),
        (
            Frame::GoAway {
                last_good_stream_id: 5,
                status: GoAwayStatus::OK,
            },
            vec![0x80, 3, 0, 7, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 0],
        ),
        (
            Frame::WindowUpdate {
                stream_id: 0,
                delta: 65536,
            },
            vec![0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 0, 0, 1, 0, 0],
        ),
        (
            Frame::Settings {
                clear: false,
                entries: vec![Setting {
                    flags: 0,
                    id: Setting::INITIAL_WINDOW_SIZE,
                    value: 65536,
                }],
            },
            vec![
                0x80, 3, 0, 4, 0, 0, 0, 12, 0, 0, 0, 1, 0, 0, 0, 7, 0, 1, 0, 0,
            ],
        ),
        (
            Frame::Data {
                stream_id: 3,
                fin: true,
                data: b"hi".to_vec().into(),
            },
            vec![0, 0, 0, 3, 1, 0, 0, 2, b'h', b'i'],
        ),
    ];
    for (frame, bytes) in cases {
        let mut out = Vec::new();
        FrameEncoder::new().encode(&frame, &mut out).unwrap();
        assert_eq!(out, bytes, "{frame:?}");
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        assert_eq!(decoder.decode().unwrap(), Some(frame));
    }
}

#[test]
fn syn_stream_header_layout() {
    let frame = Frame::SynStream(SynStream {
        stream_id: 3,
        associated_stream_id: 1,
        priority: 5,
        slot: 0,
        fin: true,
        unidirectional: false,
        headers: headers(&[("StreamType", "data")]),
    });
    let mut out = Vec::new();
    FrameEncoder::new().encode(&frame, &mut out).unwrap();
    assert_eq!(
        &out[..5],
        &[0x80, 3, 0, 1, 1],
        "control, v3, SYN_STREAM, FLAG_FIN"
    );
    let length = u32::from_be_bytes([0, out[5], out[6], out[7]]) as usize;
    assert_eq!(length, out.len() - 8);
    assert_eq!(&out[8..16], &[0, 0, 0, 3, 0, 0, 0, 1]);
    assert_eq!(out[16], 5 << 5, "priority in the top three bits");
    // zlib stream header: deflate, FDICT set, then the SPDY dictionary id.
    assert_eq!(out[18], 0x78);
    assert_eq!(&out[20..24], &[0xe3, 0xc6, 0xa7, 0xc2]);
}

#[test]
fn unknown_control_frames_are_skipped() {
    let mut decoder = FrameDecoder::new();
    // Type 10 (CREDENTIAL, dropped in SPDY/3.1) with a 3-byte payload, then a PING.
    decoder.push(&[0x80, 3, 0, 10, 0, 0, 0, 3, 1, 2, 3]);
    decoder.push(&[0x80, 3, 0, 6, 0, 0, 0, 4, 0, 0, 0, 9]);
    assert_eq!(decoder.decode().unwrap(), Some(Frame::Ping(9)));
    assert_eq!(decoder.decode().unwrap(), None);
}

#[test]
fn partial_frames_wait_for_more_input() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0, 0, 0, 1, 0, 0, 0, 5, b'a', b'b']);
    assert_eq!(decoder.decode().unwrap(), None);
    assert_eq!(decoder.buffered(), 10);
    decoder.push(b"cde");
    assert_eq!(
        decoder.decode().unwrap(),
        Some(Frame::Data {
            stream_id: 1,
            fin: false,
            data: b"abcde".to_vec().into()
        })
    );
}

#[test]
fn protocol_errors() {
    let cases: Vec<(&str, Vec<u8>, FrameError)> = vec![
        (
            "SPDY/2 control frame",
            vec![0x80, 2, 0, 1, 0, 0, 0, 0],
            FrameError::UnsupportedVersion(2),
        ),
        (
            "PING of 3 bytes",
            vec![0x80, 3, 0, 6, 0, 0, 0, 3, 0, 0, 1],
            FrameError::InvalidLength {
                frame: "PING",
                length: 3,
            },
        ),
        (
            "RST_STREAM of 4 bytes",
            vec![0x80, 3, 0, 3, 0, 0, 0, 4, 0, 0, 0, 1],
            FrameError::InvalidLength {
                frame: "RST_STREAM",
                length: 4,
            },
        ),
        (
            "SETTINGS count disagrees with length",
            vec![0x80, 3, 0, 4, 0, 0, 0, 4, 0, 0, 0, 1],
            FrameError::InvalidLength {
                frame: "SETTINGS",
                length: 4,
            },
        ),
        (
            "SYN_STREAM too short",
            vec![0x80, 3, 0, 1, 0, 0, 0, 2, 0, 0],
            FrameError::InvalidLength {
                frame: "SYN_STREAM",
                length: 2,
            },
        ),
        (
            "DATA on stream 0",
            vec![0, 0, 0, 0, 0, 0, 0, 0],
            FrameError::ZeroStreamId("DATA"),
        ),
        (
            "RST_STREAM on stream 0",
            vec![0x80, 3, 0, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1],
            FrameError::ZeroStreamId("RST_STREAM"),
        ),
        (
            "WINDOW_UPDATE of 0",
            vec![0x80, 3, 0, 9, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0],
            FrameError::ZeroWindowDelta(1),
        ),
    ];
    for (name, bytes, want) in cases {
        let mut decoder = FrameDecoder::new();
        decoder.push(&bytes);
        assert_eq!(decoder.decode(), Err(want.clone()), "{name}");
        // The decoder stays failed.
        assert_eq!(decoder.decode(), Err(want), "{name} (sticky)");
    }
}

#[test]
fn corrupt_header_block_is_a_compression_error() {
    let mut decoder = FrameDecoder::new();
    // SYN_REPLY for stream 1 whose "compressed" block is not zlib.
    decoder.push(&[0x80, 3, 0, 2, 0, 0, 0, 8, 0, 0, 0, 1, 1, 2, 3, 4]);
    assert!(matches!(decoder.decode(), Err(FrameError::Compression(_))));
}

#[test]
fn header_block_limit_is_enforced() {
    let big = "v".repeat(10_000);
    let frame = Frame::Headers {
        stream_id: 1,
        fin: false,
        headers: headers(&[("x", &big)]),
    };
    let mut wire = Vec::new();
    FrameEncoder::new().encode(&frame, &mut wire).unwrap();
    let mut small = FrameDecoder::with_max_header_block(1024);
    small.push(&wire);
    assert_eq!(small.decode(), Err(FrameError::HeaderBlockTooLarge(1024)));
    let mut roomy = FrameDecoder::new();
    roomy.push(&wire);
    assert_eq!(roomy.decode().unwrap(), Some(frame));
}

#[test]
fn oversized_data_is_refused_by_the_encoder() {
    let mut out = vec![1, 2, 3];
    let frame = Frame::Data {
        stream_id: 1,
        fin: false,
        data: vec![0; (1 << 24) + 1].into(),
    };
    assert_eq!(
        FrameEncoder::new().encode(&frame, &mut out),
        Err(FrameError::InvalidLength {
            frame: "DATA",
            length: (1 << 24) + 1
        })
    );
    assert_eq!(out, [1, 2, 3]);
}
