//! Query strings and `application/x-www-form-urlencoded` bodies: one
//! parser for every reader (the decide API's `path`, forms, UTM values,
//! signal criteria), so they cannot disagree.

use std::borrow::Cow;

/// Every `name=value` pair, in order, with `+` and `%XX` decoded (invalid
/// UTF-8 replaced); a pair without `=` has an empty value; empty pairs
/// (`a=1&&b=2`) are skipped.
pub fn pairs(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|pair| !pair.is_empty()).map(|pair| {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(name), decode(value))
    })
}

/// The first value of `name`, decoded.
pub fn value(query: &str, name: &str) -> Option<String> {
    pairs(query).find(|(n, _)| n == name).map(|(_, v)| v.into_owned())
}

/// `+` as a space and `%XX` as its byte; a `%` not followed by two hex
/// digits stays as it is. Borrowed when there is nothing to decode.
pub fn decode(text: &str) -> Cow<'_, str> {
    if !text.contains(['+', '%']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded() {
        assert_eq!(
            value("a=1&industry=public%2Dsector&x=a+b", "industry").as_deref(),
            Some("public-sector")
        );
        assert_eq!(value("x=a+b%zz", "x").as_deref(), Some("a b%zz"));
        assert_eq!(value("x=1", "y"), None);
        assert_eq!(value("%78=1", "x").as_deref(), Some("1"), "names are decoded too");
    }

    #[test]
    fn a_name_without_a_value_is_present_and_empty() {
        assert_eq!(value("a&b=2", "a").as_deref(), Some(""));
        assert_eq!(pairs("a=1&&b").count(), 2);
        assert_eq!(pairs("").count(), 0);
    }

    #[test]
    fn the_first_value_counts() {
        assert_eq!(value("a=1&a=2", "a").as_deref(), Some("1"));
    }

    #[test]
    fn broken_escapes_never_fail() {
        assert_eq!(decode("%"), "%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%ff%fe"), "\u{fffd}\u{fffd}");
        assert!(matches!(decode("plain"), Cow::Borrowed("plain")));
    }
}
