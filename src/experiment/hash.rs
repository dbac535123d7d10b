//! GrowthBook's deterministic hashing: 32-bit FNV-1a, versions 1 and 2.

/// FNV-1a 32-bit offset basis.
const FNV_OFFSET: u32 = 0x811c_9dc5;
/// FNV-1a 32-bit prime (`1 + 2 + 16 + 128 + 256 + 2^24`, the SDK's shifts).
const FNV_PRIME: u32 = 0x0100_0193;

/// 32-bit FNV-1a over the string's UTF-16 code units, exactly like the SDK's
/// `hashFnv32a` (which XORs `str.charCodeAt(i)`, so a character outside ASCII
/// contributes its UTF-16 code units, not its UTF-8 bytes).
pub fn fnv1a32(s: &str) -> u32 {
    fnv1a32_units(s.encode_utf16())
}

fn fnv1a32_units(units: impl Iterator<Item = u16>) -> u32 {
    units.fold(FNV_OFFSET, |h, unit| {
        (h ^ u32::from(unit)).wrapping_mul(FNV_PRIME)
    })
}

/// The SDK's `hash(seed, value, version)`: a number in `[0, 1)`.
///
/// - version 1 (the original, slightly biased): `(fnv1a32(value + seed) % 1000) / 1000`;
/// - version 2 (unbiased): `(fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000`;
/// - any other version: `None` (the SDK's `null`).
pub fn hash(seed: &str, value: &str, version: u32) -> Option<f64> {
    match version {
        2 => {
            let inner = fnv1a32_units(seed.encode_utf16().chain(value.encode_utf16()));
            let outer = fnv1a32(&inner.to_string());
            Some(f64::from(outer % 10_000) / 10_000.0)
        }
        1 => {
            let h = fnv1a32_units(value.encode_utf16().chain(seed.encode_utf16()));
            Some(f64::from(h % 1_000) / 1_000.0)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a32_matches_the_reference_vectors() {
        assert_eq!(fnv1a32(""), 0x811c_9dc5);
        assert_eq!(fnv1a32("a"), 0xe40c_292c);
        assert_eq!(fnv1a32("foobar"), 0xbf9c_f968);
    }

    #[test]
    fn fnv1a32_hashes_utf16_code_units() {
        // "é" is one UTF-16 unit (0xE9); "😀" is two (0xD83D 0xDE00).
        let e = (FNV_OFFSET ^ 0xE9).wrapping_mul(FNV_PRIME);
        assert_eq!(fnv1a32("é"), e);
        let smile = ((FNV_OFFSET ^ 0xD83D).wrapping_mul(FNV_PRIME) ^ 0xDE00).wrapping_mul(FNV_PRIME);
        assert_eq!(fnv1a32("😀"), smile);
    }

    #[test]
    fn unknown_hash_versions_give_none() {
        assert_eq!(hash("a", "b", 0), None);
        assert_eq!(hash("a", "b", 3), None);
    }
}
