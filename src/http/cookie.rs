//! The `Cookie` request header.

/// Every value of cookie `name` in a `Cookie` header (names match exactly).
pub fn cookie_values<'a>(header: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(move |(n, _)| *n == name)
        .map(|(_, v)| v)
}

/// A cookie sent more than once: which value counts cannot be told, so
/// none does (a second value may be a forgery planted for a subdomain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateCookie;

/// The one value of cookie `name`; `Err` when it is sent twice.
pub fn single_cookie<'a>(header: Option<&'a str>, name: &'a str) -> Result<Option<&'a str>, DuplicateCookie> {
    let Some(header) = header else { return Ok(None) };
    let mut values = cookie_values(header, name);
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(_), Some(_)) => Err(DuplicateCookie),
        (Some(value), None) => Ok(Some(value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_values_match_names_exactly() {
        let header = "a=1; tailor_x=2;b=3; a=4; aa=5";
        assert_eq!(cookie_values(header, "a").collect::<Vec<_>>(), ["1", "4"]);
        assert_eq!(cookie_values(header, "b").collect::<Vec<_>>(), ["3"]);
        assert_eq!(cookie_values(header, "tailor").count(), 0);
    }

    #[test]
    fn a_cookie_sent_twice_has_no_single_value() {
        assert_eq!(single_cookie(Some("a=1; b=2"), "a"), Ok(Some("1")));
        assert_eq!(single_cookie(Some("a=1; a=1"), "a"), Err(DuplicateCookie));
        assert_eq!(single_cookie(Some("b=2"), "a"), Ok(None));
        assert_eq!(single_cookie(None, "a"), Ok(None));
    }
}
