//! Time and language attributes from the request's context: the visitor's
//! preferred language (`Accept-Language`), the date, and (when the edge
//! knows the visitor's time zone) their local hour, weekday and date, for
//! "business hours" content and campaign windows (`docs/decisions.md`).

use serde_json::{json, Map, Value};

/// Weekday names as attributes take them, from Monday.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Longest `Accept-Language` read (longer headers are read up to here).
const MAX_ACCEPT_LANGUAGE: usize = 256;

/// The primary language of the visitor's most preferred entry of
/// `Accept-Language` (`de-CH,de;q=0.9,en;q=0.8` → `de`): 2–3 letters,
/// lowercase; `None` for `*`, an empty or unreadable header.
pub fn language(accept_language: &str) -> Option<String> {
    let end = (0..=MAX_ACCEPT_LANGUAGE.min(accept_language.len()))
        .rev()
        .find(|i| accept_language.is_char_boundary(*i))
        .unwrap_or(0);
    let header = accept_language.get(..end).unwrap_or_default();
    let mut best: Option<(&str, u16)> = None;
    for entry in header.split(',') {
        let mut parts = entry.split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let quality = parts
            .find_map(|p| p.trim().strip_prefix("q="))
            .map_or(Some(1000), quality_millis);
        let Some(quality) = quality.filter(|q| *q > 0) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let letters = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_alphabetic());
        if letters && best.is_none_or(|(_, q)| quality > q) {
            best = Some((primary, quality));
        }
    }
    best.map(|(primary, _)| primary.to_ascii_lowercase())
}

/// A q-value (`0`, `0.8`, `1.000`) in thousandths; `None` when malformed.
fn quality_millis(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let fraction: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(fraction),
        "1" if fraction == 0 => Some(1000),
        _ => None,
    }
}

/// `(year, month, day)` of a day counted from 1970-01-01 (proleptic
/// Gregorian; Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01.
fn date_of(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The time attributes at `now_s`: `date` (UTC, `YYYY-MM-DD`: compare with
/// `$gte`/`$lt` for a campaign window) and, with the visitor's time zone
/// and its offset, `timezone`, `local_date`, `local_hour` (0–23) and
/// `weekday` (`mon`…`sun`).
pub fn time_attributes(now_s: u64, timezone: Option<(&str, i32)>, into: &mut Map<String, Value>) {
    let now = i64::try_from(now_s).unwrap_or(i64::MAX / 2);
    into.insert("date".to_owned(), json!(date_of(now.div_euclid(86_400))));
    let Some((zone, offset_min)) = timezone else {
        return;
    };
    let local = now + i64::from(offset_min) * 60;
    let days = local.div_euclid(86_400);
    // 1970-01-01 was a Thursday.
    let weekday = WEEKDAYS
        .get((days + 3).rem_euclid(7) as usize)
        .copied()
        .unwrap_or("mon");
    into.insert("timezone".to_owned(), json!(zone));
    into.insert("local_date".to_owned(), json!(date_of(days)));
    into.insert("local_hour".to_owned(), json!(local.rem_euclid(86_400) / 3_600));
    into.insert("weekday".to_owned(), json!(weekday));
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_most_preferred_language_is_the_visitors() {
        assert_eq!(language("de-CH,de;q=0.9,en;q=0.8").as_deref(), Some("de"));
        assert_eq!(language("en;q=0.5, FR-ca").as_deref(), Some("fr"));
        assert_eq!(language("en;q=0, es;q=0.1").as_deref(), Some("es"));
        assert_eq!(language("*"), None);
        assert_eq!(language("en;q=2, x1"), None);
        assert_eq!(language(""), None);
    }

    #[test]
    fn local_time_follows_the_offset_and_the_date_rolls_over() {
        let mut at = Map::new();
        // 2026-12-05 23:30 UTC is Sunday 08:30 in Tokyo and Saturday 18:30 in New York.
        let now = 1_796_513_400;
        time_attributes(now, Some(("Asia/Tokyo", 540)), &mut at);
        assert_eq!(
            (&at["date"], &at["local_date"], &at["local_hour"], &at["weekday"]),
            (
                &json!("2026-12-05"),
                &json!("2026-12-06"),
                &json!(8),
                &json!("sun")
            )
        );
        time_attributes(now, Some(("America/New_York", -300)), &mut at);
        assert_eq!((&at["local_hour"], &at["weekday"]), (&json!(18), &json!("sat")));
        let mut utc_only = Map::new();
        time_attributes(now, None, &mut utc_only);
        assert_eq!(utc_only.keys().collect::<Vec<_>>(), ["date"]);
    }

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_792), (2026, 12, 5));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    proptest! {
        #[test]
        fn any_accept_language_gives_a_short_lowercase_language_or_none(header in ".{0,300}") {
            if let Some(language) = language(&header) {
                prop_assert!((2..=3).contains(&language.len()));
                prop_assert!(language.bytes().all(|b| b.is_ascii_lowercase()));
            }
        }

        #[test]
        fn any_time_and_offset_give_an_hour_and_a_weekday(now in 0u64..8_000_000_000, offset in -900i32..900) {
            let mut at = Map::new();
            time_attributes(now, Some(("Etc/Test", offset)), &mut at);
            prop_assert!(at["local_hour"].as_i64().is_some_and(|h| (0..24).contains(&h)));
            prop_assert!(WEEKDAYS.iter().any(|d| at["weekday"] == *d));
        }
    }
}
