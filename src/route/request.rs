//! A request as the core reads it: the method, the URL, the headers that
//! matter and what the edge knows of where it came from, copied once out of
//! the platform's request.

use crate::http::{path_of, query_of};
use crate::profile::{PreviewKeys, RequestContext};

/// Every request header the core reads (the adapter reads these, and only
/// these, once a route needs them).
pub const REQUEST_HEADERS: &[&str] = &[
    "cookie",
    "user-agent",
    "referer",
    "host",
    "origin",
    "sec-gpc",
    "if-none-match",
    "x-api-key",
    "authorization",
    "x-tailor-preview-key",
    "sec-fetch-site",
    "accept-language",
];

/// Headers that stand in for `request.cf` and the clock in `wrangler dev`
/// and tests, read only with `TAILOR_DEV_OVERRIDES = "on"`.
pub const DEV_OVERRIDE_HEADERS: [&str; 5] = [
    "x-tailor-dev-cf-asn",
    "x-tailor-dev-cf-as-organization",
    "x-tailor-dev-cf-country",
    "x-tailor-dev-cf-timezone",
    // Unix seconds: the time the request is decided at (local hour, dates).
    "x-tailor-dev-now",
];

/// What the edge knows of where a request came from (`request.cf`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EdgeContext {
    /// `request.cf.country`.
    pub country: Option<String>,
    /// `request.cf.asn`, as the platform gives it (a JS number).
    pub asn: Option<f64>,
    /// `request.cf.asOrganization`.
    pub as_organization: Option<String>,
    /// `request.cf.timezone` (IANA, `Europe/Berlin`).
    pub timezone: Option<String>,
}

/// The facts of one request the core decides with, owned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Request {
    /// The HTTP method, as sent.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// `Cookie`.
    pub cookie: Option<String>,
    /// `User-Agent`.
    pub user_agent: Option<String>,
    /// `Referer`.
    pub referer: Option<String>,
    /// `Host`.
    pub host: Option<String>,
    /// `Origin` (CORS).
    pub origin: Option<String>,
    /// `Sec-GPC: 1` was sent.
    pub global_privacy_control: bool,
    /// `If-None-Match`.
    pub if_none_match: Option<String>,
    /// `X-API-Key`.
    pub api_key: Option<String>,
    /// `Authorization`.
    pub authorization: Option<String>,
    /// `X-Tailor-Preview-Key`.
    pub preview_key: Option<String>,
    /// `Sec-Fetch-Site` (`same-origin`, `same-site`, `cross-site`, `none`).
    pub fetch_site: Option<String>,
    /// The visitor's country (ISO code, as the edge gives it).
    pub country: Option<String>,
    /// The visitor's network (autonomous system number).
    pub asn: Option<u32>,
    /// The visitor's network organization.
    pub as_organization: Option<String>,
    /// `Accept-Language`.
    pub accept_language: Option<String>,
    /// The visitor's time zone (IANA name, as the edge gives it).
    pub timezone: Option<String>,
    /// The time to decide at instead of the clock's, unix seconds (a dev
    /// override only: tests of time-of-day rules).
    pub now_override_s: Option<u64>,
}

impl Request {
    /// A request with no headers (tests, and the CLI's renderer).
    pub fn new(method: &str, url: &str) -> Self {
        Self {
            method: method.to_owned(),
            url: url.to_owned(),
            ..Self::default()
        }
    }

    /// Reads [`REQUEST_HEADERS`] through `header` (name → value) and the
    /// edge's context; with `dev_overrides`, `X-Tailor-Dev-Cf-*` headers
    /// stand in for `request.cf` (the local runtime cannot know it).
    pub fn read(
        method: String,
        url: String,
        header: &dyn Fn(&str) -> Option<String>,
        edge: EdgeContext,
        dev_overrides: bool,
    ) -> Self {
        let mut request = Self {
            method,
            url,
            cookie: header("cookie"),
            user_agent: header("user-agent"),
            referer: header("referer"),
            host: header("host"),
            origin: header("origin"),
            global_privacy_control: header("sec-gpc").is_some_and(|v| v.trim() == "1"),
            if_none_match: header("if-none-match"),
            api_key: header("x-api-key"),
            authorization: header("authorization"),
            preview_key: header("x-tailor-preview-key"),
            fetch_site: header("sec-fetch-site"),
            country: edge.country,
            // A JS number: only whole numbers in the 32-bit range are ASNs.
            asn: edge
                .asn
                .filter(|n| n.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(n))
                .map(|n| n as u32),
            as_organization: edge.as_organization,
            accept_language: header("accept-language"),
            timezone: edge.timezone,
            now_override_s: None,
        };
        if dev_overrides {
            let [asn, organization, country, timezone, now] = DEV_OVERRIDE_HEADERS.map(header);
            if let Some(asn) = asn.and_then(|v| v.trim().parse().ok()) {
                request.asn = Some(asn);
            }
            request.as_organization = organization.or(request.as_organization);
            request.country = country.or(request.country);
            request.timezone = timezone.or(request.timezone);
            request.now_override_s = now.and_then(|v| v.trim().parse().ok());
        }
        request
    }

    /// The URL's path.
    pub fn path(&self) -> &str {
        path_of(&self.url)
    }

    /// The URL's raw query string (no `?`).
    pub fn query(&self) -> &str {
        query_of(&self.url)
    }

    /// Whether the request came over HTTPS (cookies we set are then `Secure`).
    pub fn secure(&self) -> bool {
        self.url.starts_with("https:")
    }

    /// Whether this is a `HEAD` request (no body to rewrite).
    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }

    /// What the profile is built from; `preview` when preview is on for it.
    pub fn context<'a>(&'a self, preview: Option<&'a PreviewKeys>) -> RequestContext<'a> {
        RequestContext {
            cookie_header: self.cookie.as_deref(),
            user_agent: self.user_agent.as_deref(),
            referer: self.referer.as_deref(),
            host: self.host.as_deref(),
            query: self.query(),
            country: self.country.as_deref(),
            global_privacy_control: self.global_privacy_control,
            preview,
            asn: self.asn,
            as_organization: self.as_organization.as_deref(),
            accept_language: self.accept_language.as_deref(),
            timezone: self.timezone.as_deref(),
            utc_offset_min: None,
        }
    }
}
