//! Consent: what a visitor allows, for Tailor's two purposes, read from the
//! site's own consent banner, the origin's profile cookie or the configured
//! default, never presumed where the site says it must be asked. One rule
//! (`docs/profile-cookie.md#consent` is its table):
//!
//! 1. `Sec-GPC: 1` or the visitor's opt-out (`tailor_optout=1`): neither.
//! 2. The site's consent cookie (`TAILOR_CONSENT_COOKIE`, in its format),
//!    when it can be read: what it says (the visitor's latest choice).
//! 3. Else the profile cookie's `c`: what the origin recorded.
//! 4. Else the default (`TAILOR_CONSENT_DEFAULT`, by country): `granted`
//!    gives both; `denied` gives neither, except that request-context
//!    personalization, which stores nothing, stays on where
//!    `TAILOR_CONTEXT_PERSONALIZATION` allows it.
//!
//! *Personalization* lets blocks show variants; *analytics* lets the edge
//! keep anything (its pseudonymous id, the state cookie) and send events.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::http::{cookie_values, query};

/// Countries of the European Economic Area (`EEA` in a country list).
const EEA: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO",
];

/// What the visitor allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    /// Blocks may show variants chosen for this visitor.
    pub personalization: bool,
    /// The edge may keep an id and a state cookie for this visitor, and send events.
    pub analytics: bool,
    /// Personalization is not granted, but the site allows variants chosen
    /// from the request alone (country, device, source, campaign), which
    /// store nothing: no profile, no signals, no id.
    pub context_only: bool,
    /// Where the answer came from.
    pub source: ConsentSource,
}

/// Where a visitor's consent was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentSource {
    /// `Sec-GPC: 1`.
    GlobalPrivacyControl,
    /// The visitor turned personalization off on the "why" page.
    OptOut,
    /// The site's consent cookie.
    Banner,
    /// The profile cookie's `c`.
    Profile,
    /// `TAILOR_CONSENT_DEFAULT`.
    Default,
}

impl ConsentSource {
    /// A short, fixed label for diagnostics.
    pub fn label(self) -> &'static str {
        match self {
            Self::GlobalPrivacyControl => "gpc",
            Self::OptOut => "opt-out",
            Self::Banner => "banner",
            Self::Profile => "profile",
            Self::Default => "default",
        }
    }
}

/// How the site's consent cookie is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieFormat {
    /// Tailor's letters, as the profile cookie's `c`: `pa`, `p`, `a`, `-`.
    Letters,
    /// A JSON object (URL-encoded or not) with `personalization` and
    /// `analytics` booleans; an absent key is not granted.
    Json,
    /// An IAB TCF v2 TC string (`euconsent-v2`): personalization is purposes
    /// 1, 5 and 6 (store on a device, create and use a content profile),
    /// analytics purposes 1, 8 and 9 (store on a device, measure content,
    /// audience statistics).
    Tcf,
}

/// The default where the visitor has said nothing yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRule {
    /// Granted or denied…
    pub granted: bool,
    /// …except in these countries (ISO alpha-2, upper case), where it is the
    /// opposite. With exceptions, a visitor whose country is unknown gets
    /// `denied`.
    pub except: Vec<String>,
}

/// The site's consent settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentSettings {
    /// `TAILOR_CONSENT_DEFAULT`.
    pub default: DefaultRule,
    /// `TAILOR_CONSENT_COOKIE`: the site's consent cookie and its format.
    pub cookie: Option<(String, CookieFormat)>,
    /// `TAILOR_CONTEXT_PERSONALIZATION`: variants from the request alone
    /// where the default denies personalization.
    pub context_personalization: bool,
}

impl Default for ConsentSettings {
    /// Denied until the visitor says otherwise; request-context
    /// personalization (stores nothing) allowed.
    fn default() -> Self {
        Self {
            default: DefaultRule {
                granted: false,
                except: Vec::new(),
            },
            cookie: None,
            context_personalization: true,
        }
    }
}

impl DefaultRule {
    /// Reads `granted`, `denied`, `granted except EEA,GB,CH` or
    /// `denied except US,CA` (`EEA` stands for its 30 countries).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (mode, except) = match text.split_once(" except ") {
            Some((mode, list)) => (mode.trim(), Some(list)),
            None => (text, None),
        };
        let granted = match mode {
            "granted" => true,
            "denied" => false,
            _ => return None,
        };
        let mut countries = Vec::new();
        for code in except
            .unwrap_or_default()
            .split([',', ' '])
            .filter(|c| !c.is_empty())
        {
            let code = code.to_ascii_uppercase();
            if code == "EEA" {
                countries.extend(EEA.iter().map(|c| (*c).to_owned()));
            } else if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                countries.push(code);
            } else {
                return None;
            }
        }
        if except.is_some() && countries.is_empty() {
            return None;
        }
        Some(Self {
            granted,
            except: countries,
        })
    }

    /// Whether the default grants consent in `country`.
    pub fn grants(&self, country: Option<&str>) -> bool {
        if self.except.is_empty() {
            return self.granted;
        }
        match country {
            Some(country) if self.except.iter().any(|c| c.eq_ignore_ascii_case(country)) => !self.granted,
            Some(_) => self.granted,
            None => false,
        }
    }
}

impl CookieFormat {
    /// `letters`, `json` or `tcf`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "letters" => Some(Self::Letters),
            "json" => Some(Self::Json),
            "tcf" => Some(Self::Tcf),
            _ => None,
        }
    }

    /// `(personalization, analytics)` from a cookie value; `None` when it
    /// cannot be read (the next source applies).
    pub fn read(self, value: &str) -> Option<(bool, bool)> {
        match self {
            Self::Letters => letters(value),
            Self::Json => json(value),
            Self::Tcf => tcf(value),
        }
    }
}

/// `pa`, `p`, `a` or `-`.
pub fn letters(value: &str) -> Option<(bool, bool)> {
    match value {
        "pa" | "ap" => Some((true, true)),
        "p" => Some((true, false)),
        "a" => Some((false, true)),
        "-" => Some((false, false)),
        _ => None,
    }
}

fn json(value: &str) -> Option<(bool, bool)> {
    let decoded = query::decode(value);
    let object: serde_json::Value = serde_json::from_str(&decoded).ok()?;
    let object = object.as_object()?;
    let flag = |name: &str| {
        object
            .get(name)
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    };
    Some((flag("personalization"), flag("analytics")))
}

/// Bit offset of the purpose consents in a TC string's core segment (after
/// version, created, last updated, CMP id and version, consent screen and
/// language, vendor list and policy versions, two flags and the special
/// feature opt-ins).
const TCF_PURPOSES_AT: usize = 6 + 36 + 36 + 12 + 12 + 6 + 12 + 12 + 6 + 1 + 1 + 12;
/// Longest TC string read (the core segment is in its first few hundred bytes).
const MAX_TCF_BYTES: usize = 4096;

fn tcf(value: &str) -> Option<(bool, bool)> {
    if value.len() > MAX_TCF_BYTES {
        return None;
    }
    let core = value.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(core.trim_end_matches('=')).ok()?;
    let bit = |at: usize| bytes.get(at / 8).map(|byte| byte & (0x80 >> (at % 8)) != 0);
    let version: u8 = (0..6).try_fold(0u8, |v, i| bit(i).map(|b| (v << 1) | u8::from(b)))?;
    if version != 2 {
        return None;
    }
    let purpose = |n: usize| bit(TCF_PURPOSES_AT + n - 1);
    let all = |purposes: &[usize]| {
        purposes
            .iter()
            .try_fold(true, |all, n| purpose(*n).map(|b| all && b))
    };
    Some((all(&[1, 5, 6])?, all(&[1, 8, 9])?))
}

/// The facts consent is decided from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsentFacts<'a> {
    /// The `Cookie` header.
    pub cookie_header: Option<&'a str>,
    /// The verified profile cookie's `c`, if there is one.
    pub profile: Option<&'a str>,
    /// `Sec-GPC: 1`.
    pub global_privacy_control: bool,
    /// The visitor's country.
    pub country: Option<&'a str>,
}

/// The opt-out cookie the "why" page sets.
pub const OPT_OUT_COOKIE: &str = "tailor_optout";

/// Whether the visitor opted out on the "why" page.
pub fn opted_out(cookie_header: Option<&str>) -> bool {
    cookie_header.is_some_and(|h| cookie_values(h, OPT_OUT_COOKIE).any(|v| v == "1"))
}

/// The visitor's consent, by the rule at the top of this module.
pub fn decide(settings: &ConsentSettings, facts: &ConsentFacts<'_>) -> Consent {
    let given = |(personalization, analytics): (bool, bool), source| Consent {
        personalization,
        analytics,
        context_only: false,
        source,
    };
    if facts.global_privacy_control {
        return given((false, false), ConsentSource::GlobalPrivacyControl);
    }
    if opted_out(facts.cookie_header) {
        return given((false, false), ConsentSource::OptOut);
    }
    let banner = settings.cookie.as_ref().and_then(|(name, format)| {
        let value = facts.cookie_header.and_then(|h| cookie_values(h, name).next())?;
        format.read(value)
    });
    if let Some(choice) = banner {
        return given(choice, ConsentSource::Banner);
    }
    if let Some(choice) = facts.profile.map(|c| (c.contains('p'), c.contains('a'))) {
        return given(choice, ConsentSource::Profile);
    }
    let granted = settings.default.grants(facts.country);
    Consent {
        context_only: !granted && settings.context_personalization,
        ..given((granted, granted), ConsentSource::Default)
    }
}

#[cfg(test)]
mod tests;
