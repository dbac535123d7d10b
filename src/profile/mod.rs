//! Who the visitor is: the origin's signed profile cookie when it verifies,
//! else an anonymous profile from the request; consent and bots decide
//! whether any of it may be used. Format: `docs/profile-cookie.md`.

pub mod anonymous;
pub mod cookie;
pub mod keys;
pub mod locale;
pub mod payload;
pub mod preview;
pub mod site;

use std::cell::Cell;
use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::consent::{self, ConsentFacts, ConsentSettings, ConsentSource};
use crate::http::{self, cookie_values};

pub use cookie::{sign, verify, Rejection, Verified, DEFAULT_COOKIE_NAME, MAX_COOKIE_BYTES};
pub use keys::{Key, KeyError, KeyRing, Purpose};
pub use payload::Profile;
pub use preview::PreviewKeys;

/// Default for [`ProfileSettings::dimension_max_age_s`]: 30 days.
pub const DEFAULT_DIMENSION_MAX_AGE_S: u64 = 30 * 24 * 3600;

/// How profile cookies are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileSettings {
    /// The cookie's name (signed into the tag).
    pub cookie_name: String,
    /// Accepted keys.
    pub keys: KeyRing,
    /// Declared dimensions older than this (from `i`) count as unknown.
    pub dimension_max_age_s: u64,
    /// How consent is read.
    pub consent: ConsentSettings,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        Self {
            cookie_name: DEFAULT_COOKIE_NAME.to_owned(),
            keys: KeyRing::default(),
            dimension_max_age_s: DEFAULT_DIMENSION_MAX_AGE_S,
            consent: ConsentSettings::default(),
        }
    }
}

/// The request facts a profile is built from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestContext<'a> {
    /// The `Cookie` header.
    pub cookie_header: Option<&'a str>,
    /// The `User-Agent` header.
    pub user_agent: Option<&'a str>,
    /// The `Referer` header.
    pub referer: Option<&'a str>,
    /// The `Host` the request was made to.
    pub host: Option<&'a str>,
    /// The raw query string (no `?`).
    pub query: &'a str,
    /// The platform's country code (`request.cf.country`).
    pub country: Option<&'a str>,
    /// `Sec-GPC: 1` was sent.
    pub global_privacy_control: bool,
    /// Preview keys, when preview is on for this request: then the preview
    /// UI's profile cookie and forced variants are honoured.
    pub preview: Option<&'a PreviewKeys>,
    /// The platform's autonomous system number (`request.cf.asn`).
    pub asn: Option<u32>,
    /// The platform's network organization (`request.cf.asOrganization`).
    pub as_organization: Option<&'a str>,
    /// The `Accept-Language` header.
    pub accept_language: Option<&'a str>,
    /// The visitor's time zone (`request.cf.timezone`).
    pub timezone: Option<&'a str>,
    /// That time zone's offset from UTC at the time decided at, minutes
    /// (the platform's clock knows time zones; the core does not).
    pub utc_offset_min: Option<i32>,
}

/// Where the profile came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileSource {
    /// A verified cookie, by key id; `stale` when its dimensions were too old.
    Cookie {
        /// The key id.
        kid: String,
        /// Declared dimensions were dropped for age.
        stale: bool,
    },
    /// No usable cookie; the reason when one was present but refused.
    Anonymous(Option<Rejection>),
    /// The preview UI's profile cookie.
    Preview,
}

/// The visitor as decisions see them.
#[derive(Debug, Clone, PartialEq)]
pub struct Visitor {
    /// Targeting attributes (GrowthBook-style attribute object).
    pub attributes: Value,
    /// Consent allows personalization (and no `Sec-GPC`).
    pub personalization_allowed: bool,
    /// Consent allows analytics (and no `Sec-GPC`).
    pub analytics_allowed: bool,
    /// A crawler: always the default experience.
    pub bot: bool,
    /// Where the profile came from.
    pub source: ProfileSource,
    /// The visitor opted out on the "why am I seeing this?" page.
    pub opted_out: bool,
    /// Variants forced by the preview UI (block → variant); empty otherwise.
    pub forced: BTreeMap<String, String>,
    /// Personalization is not granted, but the site allows variants chosen
    /// from the request alone: nothing is kept for this visitor.
    pub context_only: bool,
    /// Where the visitor's consent was read.
    pub consent: ConsentSource,
    /// The site's dimensions and segments the cookie carried, before the
    /// catalog says which count ([`site::SiteProfile::attributes`]).
    pub carried: site::CarriedLabels,
}

impl Visitor {
    /// A short, fixed description for `Server-Timing`.
    pub fn describe(&self) -> String {
        let mut desc = match &self.source {
            ProfileSource::Cookie { kid, stale: false } => format!("cookie {kid}"),
            ProfileSource::Cookie { kid, stale: true } => format!("cookie {kid} stale-dimensions"),
            ProfileSource::Anonymous(None) => "anonymous".to_owned(),
            ProfileSource::Anonymous(Some(r)) => format!("anonymous {}", r.label()),
            ProfileSource::Preview => "preview".to_owned(),
        };
        if self.opted_out {
            desc.push_str(" opted-out");
        }
        if !self.personalization_allowed {
            desc.push_str(" no-consent");
        }
        if self.bot {
            desc.push_str(" bot");
        }
        desc
    }
}

/// Counts refused cookies by reason, per isolate.
#[derive(Debug, Default)]
pub struct RejectionCounts {
    counts: [Cell<u64>; 10],
}

impl RejectionCounts {
    /// Counts one refusal; returns the new count for that reason.
    pub fn record(&self, rejection: Rejection) -> u64 {
        let index = Rejection::ALL.iter().position(|r| *r == rejection).unwrap_or(0);
        match self.counts.get(index) {
            Some(cell) => {
                cell.set(cell.get().saturating_add(1));
                cell.get()
            }
            None => 0,
        }
    }

    /// The count for one reason.
    pub fn get(&self, rejection: Rejection) -> u64 {
        let index = Rejection::ALL.iter().position(|r| *r == rejection).unwrap_or(0);
        self.counts.get(index).map_or(0, Cell::get)
    }
}

/// The one value of cookie `name`, `Err(Duplicate)` when sent twice.
fn single_cookie<'a>(header: Option<&'a str>, name: &'a str) -> Result<Option<&'a str>, Rejection> {
    http::single_cookie(header, name).map_err(|_| Rejection::Duplicate)
}

/// The preview UI's profile, when preview is on and its cookie verifies.
fn preview_profile(ctx: &RequestContext<'_>, now_s: u64) -> Option<Verified> {
    let keys = ctx.preview?;
    let value = single_cookie(ctx.cookie_header, preview::PREVIEW_PROFILE_COOKIE).ok()??;
    let ring = KeyRing::from_keys(vec![keys.profile.clone()]);
    verify(value, &ring, preview::PREVIEW_PROFILE_COOKIE, now_s).ok()
}

/// Builds the visitor for a request at `now_s` (unix seconds).
pub fn resolve(ctx: &RequestContext<'_>, settings: &ProfileSettings, now_s: u64) -> Visitor {
    let preview = preview_profile(ctx, now_s);
    let is_preview = preview.is_some();
    let verified = match preview {
        Some(verified) => Ok(Some(verified)),
        None => single_cookie(ctx.cookie_header, &settings.cookie_name).and_then(|v| {
            v.map(|v| verify(v, &settings.keys, &settings.cookie_name, now_s))
                .transpose()
        }),
    };
    let mut attributes = Map::new();
    let mut carried = site::CarriedLabels::default();
    let (source, consent) = match verified {
        Ok(Some(Verified { kid, mut profile })) => {
            let stale = now_s.saturating_sub(profile.i) > settings.dimension_max_age_s;
            if stale {
                profile.drop_dimensions();
            }
            for (name, value) in payload::dimensions(&profile) {
                attributes.insert(name.to_owned(), json!(value));
            }
            if let Some(bid) = &profile.bid {
                attributes.insert("id".to_owned(), json!(bid));
            }
            carried = site::CarriedLabels {
                dimensions: std::mem::take(&mut profile.d),
                segments: std::mem::take(&mut profile.s),
                issued_s: profile.i,
            };
            if !profile.x.is_empty() {
                let experiments: Map<String, Value> = profile
                    .x
                    .iter()
                    .map(|(label, arm)| (label.clone(), json!(arm)))
                    .collect();
                attributes.insert("experiments".to_owned(), Value::Object(experiments));
            }
            let source = if is_preview {
                ProfileSource::Preview
            } else {
                ProfileSource::Cookie { kid, stale }
            };
            (source, Some(profile.c))
        }
        Ok(None) => (ProfileSource::Anonymous(None), None),
        Err(rejection) => (ProfileSource::Anonymous(Some(rejection)), None),
    };
    let device = anonymous::device(ctx.user_agent);
    let utm = anonymous::utm(ctx.query);
    attributes.insert("device".to_owned(), json!(device.label()));
    attributes.insert("bot".to_owned(), json!(device == anonymous::Device::Bot));
    attributes.insert(
        "source".to_owned(),
        json!(anonymous::source(!utm.is_empty(), ctx.referer, ctx.host)),
    );
    for (name, value) in utm {
        attributes.insert(name.to_owned(), json!(value));
    }
    if let Some(country) = anonymous::country(ctx.country) {
        attributes.insert("country".to_owned(), json!(country));
    }
    if let Some(language) = ctx.accept_language.and_then(locale::language) {
        attributes.insert("language".to_owned(), json!(language));
    }
    locale::time_attributes(now_s, ctx.timezone.zip(ctx.utc_offset_min), &mut attributes);
    let returning = matches!(source, ProfileSource::Cookie { .. } | ProfileSource::Preview);
    attributes.insert(
        "visitor".to_owned(),
        json!(if returning { "returning" } else { "new" }),
    );
    let facts = ConsentFacts {
        cookie_header: ctx.cookie_header,
        profile: consent.as_deref(),
        global_privacy_control: ctx.global_privacy_control,
        country: ctx.country,
    };
    let consent = if source == ProfileSource::Preview {
        // The preview's own choice, not the site's banner in the developer's browser.
        let no_banner = ConsentSettings {
            cookie: None,
            ..settings.consent.clone()
        };
        consent::decide(&no_banner, &facts)
    } else {
        consent::decide(&settings.consent, &facts)
    };
    let opted_out = consent.source == ConsentSource::OptOut;
    let personalization_allowed = consent.personalization || consent.context_only;
    let analytics_allowed = consent.analytics;
    let forced = match (
        ctx.preview,
        single_cookie(ctx.cookie_header, preview::FORCE_COOKIE),
    ) {
        (Some(keys), Ok(Some(value))) => keys.verify_forced(value),
        _ => BTreeMap::new(),
    };
    attributes.insert(
        "consent".to_owned(),
        json!({ "personalization": consent.personalization, "analytics": analytics_allowed }),
    );
    Visitor {
        attributes: Value::Object(attributes),
        personalization_allowed,
        analytics_allowed,
        bot: device == anonymous::Device::Bot,
        source,
        opted_out,
        forced,
        context_only: consent.context_only,
        consent: consent.source,
        carried,
    }
}

/// Whether preview is on for a request: a preview key must be configured,
/// and either preview mode is on (`wrangler dev`, preview environments) or
/// the request presents the key (header) or a preview session cookie.
pub fn preview_enabled(
    keys: Option<&PreviewKeys>,
    mode_on: bool,
    presented_key: Option<&str>,
    cookie_header: Option<&str>,
) -> bool {
    let Some(keys) = keys else { return false };
    mode_on
        || presented_key.is_some_and(|k| keys.is_key(k))
        || cookie_header
            .is_some_and(|h| cookie_values(h, preview::SESSION_COOKIE).any(|v| keys.is_session(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    const NOW: u64 = 1_795_003_600;

    fn settings() -> ProfileSettings {
        let (keys, errors) = KeyRing::parse(&format!("k1:{SECRET}"), Purpose::ProfileCookie);
        assert!(errors.is_empty());
        ProfileSettings {
            keys,
            ..ProfileSettings::default()
        }
    }

    fn cookie(consent: &str, issued: u64) -> String {
        let profile = Profile {
            i: issued,
            e: issued + 90 * 86_400,
            ind: Some("fintech".into()),
            role: Some("cto".into()),
            size: Some("enterprise".into()),
            bid: Some("abcdefgh12".into()),
            c: consent.into(),
            ..Profile::default()
        };
        sign(&profile, settings().keys.current().unwrap(), DEFAULT_COOKIE_NAME).unwrap()
    }

    fn header(value: &str) -> String {
        format!("a=1; {DEFAULT_COOKIE_NAME}={value}; b=2")
    }

    #[test]
    fn a_valid_cookie_becomes_targeting_attributes() {
        let h = header(&cookie("pa", NOW));
        let ctx = RequestContext {
            cookie_header: Some(&h),
            ..RequestContext::default()
        };
        let visitor = resolve(&ctx, &settings(), NOW);
        assert_eq!(visitor.attributes["industry"], "fintech");
        assert_eq!(visitor.attributes["company_size"], "enterprise");
        assert_eq!(visitor.attributes["id"], "abcdefgh12");
        assert_eq!(visitor.attributes["visitor"], "returning");
        assert!(visitor.personalization_allowed && visitor.analytics_allowed);
        assert_eq!(visitor.describe(), "cookie k1");
    }

    #[test]
    fn two_profile_cookies_mean_an_anonymous_visitor() {
        let c = cookie("pa", NOW);
        let h = format!("{DEFAULT_COOKIE_NAME}={c}; {DEFAULT_COOKIE_NAME}={c}");
        let ctx = RequestContext {
            cookie_header: Some(&h),
            ..RequestContext::default()
        };
        let visitor = resolve(&ctx, &settings(), NOW);
        assert_eq!(
            visitor.source,
            ProfileSource::Anonymous(Some(Rejection::Duplicate))
        );
        assert!(visitor.attributes.get("industry").is_none());
    }

    #[test]
    fn consent_off_or_global_privacy_control_disables_personalization() {
        let h = header(&cookie("a", NOW));
        let ctx = RequestContext {
            cookie_header: Some(&h),
            ..RequestContext::default()
        };
        assert!(!resolve(&ctx, &settings(), NOW).personalization_allowed);
        let h = header(&cookie("pa", NOW));
        let ctx = RequestContext {
            cookie_header: Some(&h),
            global_privacy_control: true,
            ..RequestContext::default()
        };
        let visitor = resolve(&ctx, &settings(), NOW);
        assert!(!visitor.personalization_allowed && !visitor.analytics_allowed);
        let anonymous = RequestContext {
            global_privacy_control: true,
            ..RequestContext::default()
        };
        assert!(!resolve(&anonymous, &settings(), NOW).personalization_allowed);
    }

    #[test]
    fn dimensions_older_than_the_configured_age_count_as_unknown() {
        let issued = NOW - DEFAULT_DIMENSION_MAX_AGE_S - 1;
        let h = header(&cookie("pa", issued));
        let ctx = RequestContext {
            cookie_header: Some(&h),
            ..RequestContext::default()
        };
        let visitor = resolve(&ctx, &settings(), NOW);
        assert!(visitor.attributes.get("industry").is_none());
        assert_eq!(
            visitor.attributes["id"], "abcdefgh12",
            "the bucketing id still holds"
        );
        assert_eq!(visitor.describe(), "cookie k1 stale-dimensions");
    }

    #[test]
    fn anonymous_visitors_get_request_context_attributes() {
        let ctx = RequestContext {
            user_agent: Some("Mozilla/5.0 (iPhone) Mobile"),
            query: "utm_source=newsletter",
            country: Some("de"),
            ..RequestContext::default()
        };
        let visitor = resolve(&ctx, &settings(), NOW);
        assert_eq!(visitor.attributes["device"], "mobile");
        assert_eq!(visitor.attributes["source"], "campaign");
        assert_eq!(visitor.attributes["utm_source"], "newsletter");
        assert_eq!(visitor.attributes["country"], "DE");
        assert_eq!(visitor.attributes["visitor"], "new");
        assert!(visitor.personalization_allowed);
    }

    #[test]
    fn refusals_are_counted_by_reason() {
        let counts = RejectionCounts::default();
        counts.record(Rejection::Expired);
        assert_eq!(counts.record(Rejection::Expired), 2);
        assert_eq!(counts.get(Rejection::BadSignature), 0);
    }
}
