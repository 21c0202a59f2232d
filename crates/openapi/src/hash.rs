//! The content hash in `serverRelativeURL` (`?hash=…`) and the ETag: 128-bit FNV-1a over the
//! serialised document, upper-case hex. Clients only compare it, so any stable digest works;
//! std's `DefaultHasher` is not promised stable across Rust releases, hence this one.

const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
const PRIME: u128 = 0x0000000001000000000000000000013b;

/// Upper-case hex FNV-1a 128 of `bytes`.
pub(crate) fn fnv1a_128_hex(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(OFFSET, |hash, &b| {
        (hash ^ u128::from(b)).wrapping_mul(PRIME)
    });
    format!("{hash:032X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors() {
        // Reference values of FNV-1a 128 (draft-eastlake-fnv).
        assert_eq!(fnv1a_128_hex(b""), "6C62272E07BB014262B821756295C58D");
        assert_eq!(fnv1a_128_hex(b"a"), "D228CB696F1A8CAF78912B704E4A8964");
    }
}
