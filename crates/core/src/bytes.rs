//! Byte-slice helpers for hot loops that WebAssembly would otherwise run through slow
//! routines of its runtime: `memcmp` there is the compiler's byte-at-a-time loop.

/// Whether `a` and `b` hold the same bytes. Natively this is `a == b` (the C library's
/// vectorised `memcmp`); in wasm the slices are compared eight bytes at a time
/// ([`eq_by_words`]), since the interner confirms most strings of every row this way.
#[inline]
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        eq_by_words(a, b)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        a == b
    }
}

/// [`eq`] eight bytes at a time: what wasm runs, compiled everywhere so that it is tested
/// natively too.
#[inline]
pub fn eq_by_words(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    if (&mut x).zip(&mut y).any(|(p, q)| word(p) != word(q)) {
        return false;
    }
    x.remainder() == y.remainder()
}

/// Eight bytes as one number (`chunks_exact(8)` hands out exactly eight).
#[inline]
fn word(p: &[u8]) -> u64 {
    p.try_into().map(u64::from_le_bytes).unwrap_or(0)
}

/// Where the first of `"`, `\` and a newline is in `bytes` (`bytes.len()` when none is): the
/// end of a JSON string, or the next place its reader must look at. Eight bytes at a time by
/// word arithmetic, which wasm runs without SIMD and which beats a vectorised search's set-up
/// on the short strings (names, times, IDs) that most of a log's strings are.
#[inline]
pub fn string_stop(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The high bit of each byte of `x` equal to `b`; a byte above one that is may be marked
    // too (the borrow), never one below, so the lowest mark is exact.
    let marks = |x: u64, b: u8| {
        let y = x ^ (ONES * u64::from(b));
        y.wrapping_sub(ONES) & !y & HIGHS
    };
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for w in &mut words {
        let x = word(w);
        let m = marks(x, b'"') | marks(x, b'\\') | marks(x, b'\n');
        if m != 0 {
            return at + (m.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail
        .iter()
        .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))
        .unwrap_or(tail.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both answer as the plain reading does, on every pair of prefixes of inputs that differ
    /// in one byte anywhere (both halves of a word, the tail), and on every split of strings
    /// with each stop byte at each place, next to bytes whose low bits look alike.
    #[test]
    fn words_answer_as_bytes_do() {
        let base: Vec<u8> = (0u8..40).map(|i| b'a' + i % 26).collect();
        for n in 0..base.len() {
            let a = &base[..n];
            assert!(eq_by_words(a, a) && eq(a, a));
            for at in 0..n {
                for v in [0u8, 1, b'b', 0x80, 0xff] {
                    let mut b = a.to_vec();
                    b[at] = v;
                    assert_eq!(eq_by_words(a, &b), a == b.as_slice(), "{n} {at} {v}");
                }
            }
            assert!(!eq_by_words(a, &base[..n.saturating_sub(1)]) || n == 0);
        }
        let plain = |s: &[u8]| {
            s.iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'\n'))
                .unwrap_or(s.len())
        };
        for n in 0..40 {
            let mut s: Vec<u8> = (0..n)
                .map(|i| [b'x', b'!', b'#', 0x0b, 0x5d, 0xa2][i % 6])
                .collect();
            assert_eq!(string_stop(&s), plain(&s));
            for at in 0..n {
                for stop in [b'"', b'\\', b'\n', 0x21, 0x5b, 0x0a ^ 0x80] {
                    let keep = s[at];
                    s[at] = stop;
                    assert_eq!(string_stop(&s), plain(&s), "{n} {at} {stop}");
                    // A second stop after the first: the first is found.
                    if at + 3 < n {
                        let later = s[at + 3];
                        s[at + 3] = b'"';
                        assert_eq!(string_stop(&s), plain(&s), "{n} {at} {stop} twice");
                        s[at + 3] = later;
                    }
                    s[at] = keep;
                }
            }
        }
    }
}
