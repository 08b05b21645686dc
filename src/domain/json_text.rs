//! The one byte-level question both hand-written JSON paths ask of a string's text: where is
//! the first byte that JSON does not allow as it is (`"`, `\` or a control character below
//! U+0020)? The request reader stops there; the decision writer escapes there.

/// The length of the longest prefix of `bytes` that a JSON string can hold unescaped.
///
/// Eight bytes at a time ("has a byte less than n" and "has a zero byte", Bit Twiddling Hacks).
/// Those tests can flag a byte above a flagged one by a borrow, never one below it, so the
/// lowest flagged byte is exact.
pub(super) fn plain_prefix_len(bytes: &[u8]) -> usize {
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
    fn every_byte_value_at_every_place_of_a_word() {
        for byte in 0u8..=0xff {
            for place in 0..17 {
                for filler in [b'a', 0xe3] {
                    let mut bytes = vec![filler; 17];
                    bytes[place] = byte;
                    let expected = if needs_escape(byte) { place } else { 17 };
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
        for length in 0..24 {
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
