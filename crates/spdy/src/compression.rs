//! The per-direction zlib contexts that carry SPDY header blocks.
//!
//! SPDY compresses every header block of one direction of a connection with a single zlib
//! stream primed with the SPDY/3 dictionary; each block ends with a sync flush so it can be
//! inflated on arrival. The two contexts are therefore stateful and must see header blocks in
//! exactly the order they appear on the wire.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::dictionary::DICTIONARY;
use crate::error::FrameError;

/// Deflates outgoing header blocks.
pub(crate) struct HeaderCompressor {
    zlib: Compress,
}

impl HeaderCompressor {
    pub(crate) fn new() -> Self {
        let mut zlib = Compress::new(Compression::default(), true);
        zlib.set_dictionary(&DICTIONARY)
            .expect("a fresh deflate stream accepts a dictionary");
        Self { zlib }
    }

    /// Appends the compressed, sync-flushed form of `block` to `out`.
    pub(crate) fn compress(&mut self, block: &[u8], out: &mut Vec<u8>) -> Result<(), FrameError> {
        let mut consumed = 0;
        loop {
            out.reserve(block.len() - consumed + 64);
            let before = self.zlib.total_in();
            self.zlib
                .compress_vec(&block[consumed..], out, FlushCompress::Sync)
                .map_err(|e| FrameError::Compression(e.to_string()))?;
            consumed += (self.zlib.total_in() - before) as usize;
            // Sync flush is complete once all input is taken and zlib left output space unused.
            if consumed == block.len() && out.len() < out.capacity() {
                return Ok(());
            }
        }
    }
}

/// Inflates incoming header blocks.
pub(crate) struct HeaderDecompressor {
    zlib: Decompress,
}

impl HeaderDecompressor {
    pub(crate) fn new() -> Self {
        Self {
            zlib: Decompress::new(true),
        }
    }

    /// Inflates one frame's compressed header block, refusing output larger than `limit`.
    pub(crate) fn decompress(&mut self, input: &[u8], limit: usize) -> Result<Vec<u8>, FrameError> {
        let mut out = Vec::with_capacity(256.min(limit + 1));
        let mut consumed = 0;
        loop {
            if out.len() == out.capacity() {
                if out.len() > limit {
                    return Err(FrameError::HeaderBlockTooLarge(limit));
                }
                out.reserve((limit + 1 - out.len()).min(out.len().max(256)));
            }
            let (in_before, out_before) = (self.zlib.total_in(), self.zlib.total_out());
            let result =
                self.zlib
                    .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync);
            consumed += (self.zlib.total_in() - in_before) as usize;
            let progressed =
                self.zlib.total_out() != out_before || self.zlib.total_in() != in_before;
            match result {
                Ok(Status::StreamEnd) => {
                    return Err(FrameError::Compression(
                        "peer ended the header compression stream".into(),
                    ));
                }
                Ok(Status::Ok | Status::BufError) => {}
                Err(err) => match err.needs_dictionary() {
                    Some(_) => {
                        self.zlib
                            .set_dictionary(&DICTIONARY)
                            .map_err(|e| FrameError::Compression(e.to_string()))?;
                        continue;
                    }
                    None => return Err(FrameError::Compression(err.to_string())),
                },
            }
            if out.len() > limit {
                return Err(FrameError::HeaderBlockTooLarge(limit));
            }
            if consumed == input.len() && out.len() < out.capacity() {
                return Ok(out);
            }
            if !progressed && out.len() < out.capacity() {
                return Err(FrameError::Compression(
                    "header block does not inflate".into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_context_round_trips_many_blocks() {
        let mut compressor = HeaderCompressor::new();
        let mut decompressor = HeaderDecompressor::new();
        for i in 0..50 {
            let block = format!("\0\0\0\x01\0\0\0\x04port\0\0\0\x02{i:02}").into_bytes();
            let mut wire = Vec::new();
            compressor.compress(&block, &mut wire).unwrap();
            if i == 0 {
                // zlib header with FDICT set, followed by the dictionary's Adler-32.
                assert_eq!(wire[1] & 0x20, 0x20);
                assert_eq!(&wire[2..6], &[0xe3, 0xc6, 0xa7, 0xc2]);
            }
            assert_eq!(decompressor.decompress(&wire, 1024).unwrap(), block);
        }
    }

    #[test]
    fn large_blocks_respect_the_limit() {
        let mut compressor = HeaderCompressor::new();
        let block = vec![b'a'; 100_000];
        let mut wire = Vec::new();
        compressor.compress(&block, &mut wire).unwrap();
        assert!(wire.len() < 1000, "repetitive input compresses");
        let mut big = HeaderDecompressor::new();
        assert_eq!(big.decompress(&wire, 100_000).unwrap(), block);
        let mut small = HeaderDecompressor::new();
        assert_eq!(
            small.decompress(&wire, 4096),
            Err(FrameError::HeaderBlockTooLarge(4096))
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let mut decompressor = HeaderDecompressor::new();
        assert!(matches!(
            decompressor.decompress(b"\x00\x01\x02\x03garbage", 1024),
            Err(FrameError::Compression(_))
        ));
    }
}
