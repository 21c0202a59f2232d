//! Garbage input must end in an error, never a panic or a hang: seeded random bytes and
//! mutations of a valid kubectl session, through the codec and through the driver.

mod common;

use kubelite_spdy::{Connection, FrameDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CAPTURE: &[u8] = include_bytes!("data/kubectl-1.30-portforward.bin");

/// xorshift64*: a fixed-seed generator, so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Random bytes, or the capture with a few bytes flipped, or the capture truncated.
fn garbage(rng: &mut Rng) -> Vec<u8> {
    match rng.below(3) {
        0 => {
            let len = rng.below(600);
            rng.bytes(len)
        }
        1 => {
            let mut input = CAPTURE.to_vec();
            for _ in 0..=rng.below(4) {
                let at = rng.below(input.len());
                input[at] ^= 1 << rng.below(8);
            }
            input
        }
        _ => {
            let mut input = CAPTURE.to_vec();
            input.truncate(rng.below(input.len()));
            let extra = rng.below(40);
            input.extend(rng.bytes(extra));
            input
        }
    }
}

#[test]
fn decoder_survives_garbage() {
    let mut rng = Rng(0x5eed_5eed_1234_5678);
    for _ in 0..20_000 {
        let input = garbage(&mut rng);
        let mut decoder = FrameDecoder::new();
        let mut offset = 0;
        'feed: while offset < input.len() {
            let step = 1 + rng.below(64);
            let end = (offset + step).min(input.len());
            decoder.push(&input[offset..end]);
            offset = end;
            loop {
                match decoder.decode() {
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(_) => break 'feed,
                }
            }
        }
    }
}

#[tokio::test]
async fn driver_ends_on_garbage() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut errors = 0;
    for _ in 0..300 {
        let input = garbage(&mut rng);
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let (conn, mut incoming) = Connection::server(server);
        // The application accepts and drains whatever streams appear.
        let app = tokio::spawn(async move {
            while let Some(mut stream) = incoming.accept().await {
                tokio::spawn(async move {
                    let mut sink = Vec::new();
                    let _ = stream.read_to_end(&mut sink).await;
                });
            }
        });
        let io = tokio::spawn(async move {
            let _ = client.write_all(&input).await;
            let _ = client.shutdown().await;
            let mut answer = Vec::new();
            let _ = client.read_to_end(&mut answer).await;
        });
        let result = tokio::time::timeout(common::TIMEOUT, conn.closed())
            .await
            .expect("connection must end after garbage and EOF");
        errors += usize::from(result.is_err());
        tokio::time::timeout(common::TIMEOUT, io)
            .await
            .unwrap()
            .unwrap();
        tokio::time::timeout(common::TIMEOUT, app)
            .await
            .unwrap()
            .unwrap();
    }
    assert!(
        errors > 200,
        "most garbage is a protocol error, got {errors}"
    );
}
