//! What the request alone says about a visitor: device class, traffic
//! source, campaign, country. Nothing is stored. The mapping is documented in
//! `docs/profile-cookie.md` ("Anonymous profiles").

use crate::http::{host_of, query};

/// Device class from the `User-Agent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// Phones.
    Mobile,
    /// Tablets.
    Tablet,
    /// Everything else that is not a crawler.
    Desktop,
    /// Crawlers and link unfurlers: they always get the default experience.
    Bot,
}

impl Device {
    /// The attribute value.
    pub fn label(self) -> &'static str {
        match self {
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Desktop => "desktop",
            Self::Bot => "bot",
        }
    }
}

const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "mediapartners",
    "facebookexternalhit",
    "embedly",
    "preview",
    "scrapy",
    "lighthouse",
];

/// Classifies a `User-Agent`. An absent one counts as desktop.
pub fn device(user_agent: Option<&str>) -> Device {
    let Some(ua) = user_agent else {
        return Device::Desktop;
    };
    let ua = ua.to_ascii_lowercase();
    if BOT_MARKERS.iter().any(|m| ua.contains(m)) {
        Device::Bot
    } else if ua.contains("ipad")
        || ua.contains("tablet")
        || (ua.contains("android") && !ua.contains("mobile"))
    {
        Device::Tablet
    } else if ua.contains("mobi") || ua.contains("iphone") || ua.contains("android") {
        Device::Mobile
    } else {
        Device::Desktop
    }
}

const SEARCH: &[&str] = &[
    "google.",
    "bing.com",
    "duckduckgo.com",
    "search.yahoo.",
    "yandex.",
    "baidu.com",
    "ecosia.org",
];
const SOCIAL: &[&str] = &[
    "facebook.com",
    "t.co",
    "twitter.com",
    "x.com",
    "linkedin.com",
    "lnkd.in",
    "reddit.com",
    "instagram.com",
    "youtube.com",
    "news.ycombinator.com",
    "mastodon.social",
    "bsky.app",
];

fn matches_domain(host: &str, pattern: &str) -> bool {
    if pattern.ends_with('.') {
        host.starts_with(pattern) || host.contains(&format!(".{pattern}"))
    } else {
        host == pattern || host.ends_with(&format!(".{pattern}"))
    }
}

/// The traffic source: `campaign`, `search`, `social`, `internal`,
/// `referral` or `direct`.
pub fn source(has_utm: bool, referer: Option<&str>, own_host: Option<&str>) -> &'static str {
    if has_utm {
        return "campaign";
    }
    let Some(host) = referer.and_then(host_of) else {
        return "direct";
    };
    let own = own_host.map(|h| h.split(':').next().unwrap_or(h).to_ascii_lowercase());
    if own.as_deref() == Some(host.as_str()) {
        "internal"
    } else if SEARCH.iter().any(|p| matches_domain(&host, p)) {
        "search"
    } else if SOCIAL.iter().any(|p| matches_domain(&host, p)) {
        "social"
    } else {
        "referral"
    }
}

/// The `utm_source`, `utm_medium`, `utm_campaign` values of a raw query
/// string, lowercased; a value outside `[a-z0-9_.-]{1,64}` is dropped.
pub fn utm(query_string: &str) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for name in ["utm_source", "utm_medium", "utm_campaign"] {
        let value = query::value(query_string, name).map(|v| v.to_ascii_lowercase());
        if let Some(value) = value.filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        }) {
            found.push((name, value));
        }
    }
    found
}

/// An ISO 3166 alpha-2 country code, or nothing.
pub fn country(cf_country: Option<&str>) -> Option<String> {
    cf_country
        .filter(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_classified_from_the_user_agent() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)";
        let android_phone = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36";
        let android_tablet = "Mozilla/5.0 (Linux; Android 14; SM-X710) Safari/537.36";
        let headless = "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/156.0 Safari/537.36";
        assert_eq!(device(Some(iphone)), Device::Mobile);
        assert_eq!(device(Some(ipad)), Device::Tablet);
        assert_eq!(device(Some(android_phone)), Device::Mobile);
        assert_eq!(device(Some(android_tablet)), Device::Tablet);
        assert_eq!(device(Some(headless)), Device::Desktop);
        assert_eq!(
            device(Some("Mozilla/5.0 (compatible; Googlebot/2.1)")),
            Device::Bot
        );
        assert_eq!(device(None), Device::Desktop);
    }

    #[test]
    fn sources_come_from_utm_and_the_referrer() {
        assert_eq!(source(true, Some("https://www.google.com/"), None), "campaign");
        assert_eq!(
            source(false, Some("https://www.google.de/search?q=x"), None),
            "search"
        );
        assert_eq!(source(false, Some("https://t.co/abc"), None), "social");
        assert_eq!(
            source(false, Some("https://shop.example/a"), Some("shop.example:443")),
            "internal"
        );
        assert_eq!(
            source(false, Some("https://blog.other.example/"), Some("shop.example")),
            "referral"
        );
        assert_eq!(source(false, Some("not a url"), None), "direct");
        assert_eq!(source(false, None, None), "direct");
        assert_eq!(source(false, Some("https://notgoogle.com/"), None), "referral");
    }

    #[test]
    fn utm_values_are_kept_only_when_they_are_plain_labels() {
        let found = utm("a=1&utm_source=Newsletter&utm_campaign=%3Cscript%3E&utm_medium=email");
        assert_eq!(
            found,
            vec![
                ("utm_source", "newsletter".into()),
                ("utm_medium", "email".into())
            ]
        );
    }

    #[test]
    fn countries_must_be_two_letters() {
        assert_eq!(country(Some("de")).as_deref(), Some("DE"));
        assert_eq!(country(Some("T1")), None);
        assert_eq!(country(Some("<x>")), None);
    }
}
