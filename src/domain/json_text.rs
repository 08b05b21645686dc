//! The one byte-level question both hand-written JSON paths ask of a string's text: where is
//! the first byte that JSON does not allow as it is (`"`, `\` or a control character below
//! U+0020)? The request reader stops there; the decision writer escapes there.

/// The length of the longest prefix of `bytes` that a JSON string can hold unescaped.
///
/// Sixteen bytes at a time with SSE2 (part of every x86-64), else eight at a time in a
/// machine word; shorter texts a word or a byte at a time.
pub(super) fn plain_prefix_len(bytes: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= 16 {
        // SAFETY: SSE2 is part of every x86-64 processor.
        return unsafe { wide::plain_prefix_len(bytes) };
    }
    word_plain_prefix_len(bytes)
}

/// Eight bytes at a time ("has a byte less than n" and "has a zero byte", Bit Twiddling Hacks).
/// Those tests can flag a byte above a flagged one by a borrow, never one below it, so the
/// lowest flagged byte is exact.
fn word_plain_prefix_len(bytes: &[u8]) -> usize {
    if bytes.len() < 8 {
        return bytes
            .iter()
            .position(|&byte| needs_escape(byte))
            .unwrap_or(bytes.len());
    }
    let mut offset = 0;
    while offset + 8 <= bytes.len() {
        if let Some(place) = first_flagged(word_at(bytes, offset)) {
            return offset + place;
        }
        offset += 8;
    }
    if offset == bytes.len() {
        return offset;
    }
    // The tail, as the last eight bytes: those before `offset` are already known plain, and
    // a borrow flags only bytes above a flagged one, so the lowest flagged byte is still exact.
    let last = bytes.len() - 8;
    first_flagged(word_at(bytes, last)).map_or(bytes.len(), |place| last + place)
}

#[cfg(target_arch = "x86_64")]
mod wide {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8,
    };

    /// For `bytes` of 16 or more: whole blocks, then the last 16 bytes (those before the last
    /// block are known plain, so its first flagged byte is the first of all).
    #[target_feature(enable = "sse2")]
    pub(super) fn plain_prefix_len(bytes: &[u8]) -> usize {
        let mut offset = 0;
        while offset + 16 <= bytes.len() {
            if let Some(place) = first_flagged(block_at(bytes, offset)) {
                return offset + place;
            }
            offset += 16;
        }
        if offset == bytes.len() {
            return offset;
        }
        let last = bytes.len() - 16;
        first_flagged(block_at(bytes, last)).map_or(bytes.len(), |place| last + place)
    }

    #[target_feature(enable = "sse2")]
    fn block_at(bytes: &[u8], offset: usize) -> __m128i {
        let half = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            i64::from_le_bytes(word)
        };
        // The two halves become one unaligned 16-byte load.
        _mm_set_epi64x(half(offset + 8), half(offset))
    }

    #[target_feature(enable = "sse2")]
    fn first_flagged(block: __m128i) -> Option<usize> {
        let quote = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(block, _mm_set1_epi8(b'\\' as i8));
        // Below 0x20 exactly where the unsigned minimum with 0x1f leaves the byte unchanged.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(block, _mm_set1_epi8(0x1f)), block);
        let mask = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control));
        (mask != 0).then(|| mask.trailing_zeros() as usize)
    }
}

fn word_at(bytes: &[u8], offset: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[offset..offset + 8]);
    // Little-endian whatever the machine, so that the lowest bit is the first byte.
    u64::from_le_bytes(word)
}

/// The place of the first byte in `word` that needs an escape.
fn first_flagged(word: u64) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let has_zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGH;
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    let quote = has_zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = has_zero_byte(word ^ (ONES * u64::from(b'\\')));
    let flagged = control | quote | backslash;
    (flagged != 0).then(|| (flagged.trailing_zeros() / 8) as usize)
}

pub(super) const fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_value_at_every_place_of_a_word_or_block() {
        for byte in 0u8..=0xff {
            // A word or a block (16 bytes), then a tail that overlaps it, at every length.
            for (length, place) in [12, 17, 40]
                .into_iter()
                .flat_map(|length| (0..length).map(move |place| (length, place)))
            {
                for filler in [b'a', 0xe3] {
                    let mut bytes = vec![filler; length];
                    bytes[place] = byte;
                    let expected = if needs_escape(byte) { place } else { length };
                    assert_eq!(plain_prefix_len(&bytes), expected, "{byte:#x} at {place}");
                }
            }
        }
    }

    #[test]
    fn finds_the_first_byte_that_needs_an_escape_at_every_position() {
        let plain = "株式会社みらい ABC~\u{7f}".as_bytes();
        assert_eq!(plain_prefix_len(plain), plain.len());
        assert_eq!(plain_prefix_len(b""), 0);
        for length in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for position in 0..length {
                    // Bytes that a borrow could confuse (0x80+, 0x20, 0x21, 0x5d) around it.
                    let mut bytes: Vec<u8> = (0..length)
                        .map(|index| [0xe3, 0x20, 0x21, 0x5d, b'a'][index % 5])
                        .collect();
                    bytes[position] = special;
                    if position + 1 < length {
                        bytes[position + 1] = b'"';
                    }
                    let expected = bytes.iter().position(|&byte| needs_escape(byte));
                    assert_eq!(Some(plain_prefix_len(&bytes)), expected, "{bytes:?}");
                }
            }
        }
    }
}
