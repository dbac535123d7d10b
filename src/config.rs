//! The worker's settings, read from `wrangler.toml` vars. Every setting has a
//! sane default; an unusable value falls back to it with a warning, never an
//! error page. The table of every var lives in `docs/configuration.md`.

use crate::budget::DEFAULT_BUDGET_MS;
use crate::consent::{ConsentSettings, CookieFormat, DefaultRule};
use crate::fragments::FragmentCache;
use crate::profile::{Key, KeyRing, PreviewKeys, ProfileSettings, Purpose, DEFAULT_COOKIE_NAME};

/// Default for [`Config::catalog_refresh_ms`].
pub const DEFAULT_CATALOG_REFRESH_MS: u32 = 10_000;
/// Default for [`Config::generator_timeout_ms`].
pub const DEFAULT_GENERATOR_TIMEOUT_MS: u32 = 10_000;
/// Largest budget accepted.
pub const MAX_BUDGET_MS: u32 = 10_000;

/// Every var [`Config::from_vars`] reads, so an adapter can tell whether the
/// configuration changed without parsing it (and deriving keys) again.
pub const VARS: &[&str] = &[
    "TAILOR_SITE",
    "TAILOR_BUDGET_MS",
    "TAILOR_CATALOG_REFRESH_MS",
    "TAILOR_FRAGMENT_CACHE_BYTES",
    "TAILOR_PROFILE_DIMENSION_MAX_AGE_S",
    "TAILOR_PROFILE_COOKIE",
    "TAILOR_PROFILE_KEYS",
    "TAILOR_PREVIEW",
    "TAILOR_PREVIEW_KEY",
    "TAILOR_PREVIEW_STYLESHEETS",
    "TAILOR_OFREP_KEYS",
    "TAILOR_OFREP_CORS_ORIGINS",
    "TAILOR_FIRMOGRAPHICS",
    "TAILOR_DEV_OVERRIDES",
    "TAILOR_STATE_KEY",
    "TAILOR_FRAGMENT_TTL_S",
    "TAILOR_GENERATOR_URL",
    "TAILOR_GENERATOR_TIMEOUT_MS",
    "TAILOR_GENERATOR_RETRY_S",
    "TAILOR_EVENTS_URL",
    "TAILOR_REWRITE_GUARD",
    "TAILOR_CONSENT_DEFAULT",
    "TAILOR_CONSENT_COOKIE",
    "TAILOR_CONSENT_FORMAT",
    "TAILOR_CONTEXT_PERSONALIZATION",
];

/// Settings of one worker deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `TAILOR_SITE`: the site whose catalog this worker serves.
    pub site: Option<String>,
    /// `TAILOR_BUDGET_MS`: deadline for all personalization I/O of a request.
    pub budget_ms: u32,
    /// `TAILOR_CATALOG_REFRESH_MS`: how long an isolate trusts its copy of the
    /// live pointer before reading it again (0: every request).
    pub catalog_refresh_ms: u32,
    /// `TAILOR_FRAGMENT_CACHE_BYTES`: isolate memory for fragments.
    pub fragment_cache_bytes: usize,
    /// `TAILOR_FRAGMENT_TTL_S`: Cache API lifetime of fragments, seconds.
    pub fragment_ttl_s: u32,
    /// `TAILOR_GENERATOR_URL`: the origin's generator (`https://…`); none: no generation.
    pub generator_url: Option<String>,
    /// `TAILOR_EVENTS_URL`: where exposure and conversion events are POSTed
    /// as NDJSON; none: no events.
    pub events_url: Option<String>,
    /// `TAILOR_GENERATOR_TIMEOUT_MS`: how long a generator call may run in
    /// all (the page waits only for its budget; the rest is background).
    pub generator_timeout_ms: u32,
    /// `TAILOR_GENERATOR_RETRY_S`: how long an isolate and the Cache API
    /// remember a generated fragment's unserved outcome (pending approval,
    /// refused, unsafe, failed, rejected) before asking again (0: not
    /// remembered; every miss asks the generator).
    pub generator_retry_s: u32,
    /// `TAILOR_PROFILE_COOKIE`, `TAILOR_PROFILE_KEYS` (a secret) and
    /// `TAILOR_PROFILE_DIMENSION_MAX_AGE_S`.
    pub profile: ProfileSettings,
    /// `TAILOR_PREVIEW`: `on` in `wrangler dev` and preview environments;
    /// otherwise preview needs the key presented.
    pub preview_mode: bool,
    /// `TAILOR_PREVIEW_KEY` (a secret): without it there is no preview at all.
    pub preview_keys: Option<PreviewKeys>,
    /// `TAILOR_PREVIEW_STYLESHEETS`: the site's stylesheets, for the gallery.
    pub preview_stylesheets: Vec<String>,
    /// `TAILOR_OFREP_KEYS` (a secret): API keys that may supply a whole
    /// OFREP evaluation context.
    pub ofrep_keys: Vec<String>,
    /// `TAILOR_OFREP_CORS_ORIGINS`: origins allowed to call OFREP from a browser.
    pub ofrep_cors_origins: Vec<String>,
    /// `TAILOR_STATE_KEY` (a secret): signs the edge's state cookie
    /// (behavioral signals); without it no signals are kept.
    pub state_key: Option<Key>,
    /// Derived from `TAILOR_STATE_KEY` too: signs the edge's id cookie;
    /// without it anonymous visitors get no id (and no experiments).
    pub id_key: Option<Key>,
    /// `TAILOR_FIRMOGRAPHICS`: `on` lets the catalog's network → label
    /// document label first-time visitors. Off by default.
    pub firmographics: bool,
    /// `TAILOR_DEV_OVERRIDES`: `on` (only in `wrangler dev` and tests) lets
    /// `X-Tailor-Dev-Cf-*` headers stand in for `request.cf` values.
    pub dev_overrides: bool,
    /// `TAILOR_REWRITE_GUARD`: `on` (the default) keeps a page whole when
    /// workerd's rewriter fails mid-stream, at a CPU cost per page; `off`
    /// streams the rewriter's output straight out.
    pub rewrite_guard: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            site: None,
            budget_ms: DEFAULT_BUDGET_MS,
            catalog_refresh_ms: DEFAULT_CATALOG_REFRESH_MS,
            fragment_cache_bytes: crate::fragments::DEFAULT_FRAGMENT_CACHE_BYTES,
            fragment_ttl_s: crate::fragments::DEFAULT_FRAGMENT_TTL_S,
            generator_url: None,
            events_url: None,
            generator_timeout_ms: DEFAULT_GENERATOR_TIMEOUT_MS,
            generator_retry_s: crate::fragments::generate::DEFAULT_GENERATOR_RETRY_S,
            profile: ProfileSettings::default(),
            preview_mode: false,
            preview_keys: None,
            preview_stylesheets: Vec::new(),
            ofrep_keys: Vec::new(),
            ofrep_cors_origins: Vec::new(),
            state_key: None,
            id_key: None,
            firmographics: false,
            dev_overrides: false,
            rewrite_guard: true,
        }
    }
}

/// A var whose value could not be used; its default applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("wrangler var {name}: {problem}")]
pub struct ConfigWarning {
    /// The var's name.
    pub name: &'static str,
    /// What is wrong with it (never its value: it may be a secret).
    pub problem: String,
}

fn warning(name: &'static str, problem: impl Into<String>) -> ConfigWarning {
    ConfigWarning {
        name,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads the settings through `var` (name → value), returning the
    /// warnings for values that were unusable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> (Self, Vec<ConfigWarning>) {
        let mut config = Self::default();
        let mut warnings = Vec::new();
        config.site = var("TAILOR_SITE").filter(|s| !s.is_empty());
        if config
            .site
            .as_deref()
            .is_some_and(|s| !crate::catalog::is_valid_id(s))
        {
            config.site = None;
            warnings.push(warning(
                "TAILOR_SITE",
                "must be 1-64 of a-z 0-9 - _; no site is served",
            ));
        }
        let mut number = |name: &'static str, max: u64, slot: &mut u64| {
            if let Some(text) = var(name) {
                match text.trim().parse::<u64>() {
                    Ok(n) if n <= max => *slot = n,
                    _ => warnings.push(warning(name, format!("must be a whole number up to {max}"))),
                }
            }
        };
        let mut budget = u64::from(config.budget_ms);
        number("TAILOR_BUDGET_MS", u64::from(MAX_BUDGET_MS), &mut budget);
        let mut refresh = u64::from(config.catalog_refresh_ms);
        number("TAILOR_CATALOG_REFRESH_MS", 3_600_000, &mut refresh);
        let mut cache = config.fragment_cache_bytes as u64;
        number("TAILOR_FRAGMENT_CACHE_BYTES", 64 * 1024 * 1024, &mut cache);
        let mut ttl = u64::from(config.fragment_ttl_s);
        number("TAILOR_FRAGMENT_TTL_S", 86_400, &mut ttl);
        config.fragment_ttl_s = u32::try_from(ttl).unwrap_or(config.fragment_ttl_s);
        let mut generator_timeout = u64::from(config.generator_timeout_ms);
        number("TAILOR_GENERATOR_TIMEOUT_MS", 60_000, &mut generator_timeout);
        config.generator_timeout_ms = u32::try_from(generator_timeout).unwrap_or(config.generator_timeout_ms);
        let mut retry = u64::from(config.generator_retry_s);
        number("TAILOR_GENERATOR_RETRY_S", 86_400, &mut retry);
        config.generator_retry_s = u32::try_from(retry).unwrap_or(config.generator_retry_s);
        let mut dimension_age = config.profile.dimension_max_age_s;
        number(
            "TAILOR_PROFILE_DIMENSION_MAX_AGE_S",
            400 * 24 * 3600,
            &mut dimension_age,
        );
        config.profile.dimension_max_age_s = dimension_age;
        if let Some(name) = var("TAILOR_PROFILE_COOKIE").filter(|n| !n.is_empty()) {
            if name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                && name.len() <= 64
            {
                config.profile.cookie_name = name;
            } else {
                warnings.push(warning(
                    "TAILOR_PROFILE_COOKIE",
                    format!("not a cookie name; using {DEFAULT_COOKIE_NAME}"),
                ));
            }
        }
        if let Some(keys) = var("TAILOR_PROFILE_KEYS") {
            let (ring, errors) = KeyRing::parse(&keys, Purpose::ProfileCookie);
            warnings.extend(
                errors
                    .into_iter()
                    .map(|e| warning("TAILOR_PROFILE_KEYS", e.to_string())),
            );
            config.profile.keys = ring;
        }
        let mut switch =
            |name: &'static str, default: bool, what: &str| match var(name).as_deref().map(str::trim) {
                None | Some("") => default,
                Some("on") => true,
                Some("off") => false,
                Some(_) => {
                    let state = if default { "on" } else { "off" };
                    warnings.push(warning(
                        name,
                        format!("must be `on` or `off`; {what} stays {state}"),
                    ));
                    default
                }
            };
        config.preview_mode = switch("TAILOR_PREVIEW", false, "preview");
        config.rewrite_guard = switch("TAILOR_REWRITE_GUARD", true, "the guard");
        if let Some(key) = var("TAILOR_PREVIEW_KEY").filter(|k| !k.trim().is_empty()) {
            match PreviewKeys::derive(key.trim()) {
                Ok(keys) => config.preview_keys = Some(keys),
                Err(e) => warnings.push(warning("TAILOR_PREVIEW_KEY", e.to_string())),
            }
        }
        if let Some(sheets) = var("TAILOR_PREVIEW_STYLESHEETS") {
            config.preview_stylesheets = sheets
                .split([',', ' '])
                .filter(|s| s.starts_with('/') && !s.contains(['"', '<', '>', '\\']))
                .map(str::to_owned)
                .collect();
        }
        let list = |text: String| -> Vec<String> {
            text.split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if let Some(keys) = var("TAILOR_OFREP_KEYS") {
            config.ofrep_keys = list(keys).into_iter().filter(|k| k.len() >= 16).collect();
        }
        if let Some(origins) = var("TAILOR_OFREP_CORS_ORIGINS") {
            config.ofrep_cors_origins = list(origins)
                .into_iter()
                .filter(|o| o.starts_with("https://") || o.starts_with("http://"))
                .collect();
        }
        let mut http_url = |name: &'static str, off: &str| {
            let url = var(name).map(|u| u.trim().to_owned()).filter(|u| !u.is_empty())?;
            let usable = (url.starts_with("https://") || url.starts_with("http://"))
                && !url.contains(char::is_whitespace);
            if !usable {
                warnings.push(warning(name, format!("not an http(s) URL; {off}")));
            }
            usable.then_some(url)
        };
        config.generator_url = http_url("TAILOR_GENERATOR_URL", "no generator is called");
        config.events_url = http_url("TAILOR_EVENTS_URL", "no events are sent");
        config.firmographics = var("TAILOR_FIRMOGRAPHICS").is_some_and(|v| v.trim() == "on");
        read_consent(&var, &mut config.profile.consent, &mut warnings);
        config.dev_overrides = var("TAILOR_DEV_OVERRIDES").is_some_and(|v| v.trim() == "on");
        if let Some(secret) = var("TAILOR_STATE_KEY").filter(|k| !k.trim().is_empty()) {
            let keys = Key::derive("state", secret.trim(), Purpose::EdgeState)
                .and_then(|state| Ok((state, Key::derive("id", secret.trim(), Purpose::EdgeId)?)));
            match keys {
                Ok((state, id)) => {
                    config.state_key = Some(state);
                    config.id_key = Some(id);
                }
                Err(e) => warnings.push(warning("TAILOR_STATE_KEY", e.to_string())),
            }
        }
        // All three are bounded above, so the conversions cannot fail.
        config.budget_ms = u32::try_from(budget).unwrap_or(DEFAULT_BUDGET_MS);
        config.catalog_refresh_ms = u32::try_from(refresh).unwrap_or(DEFAULT_CATALOG_REFRESH_MS);
        config.fragment_cache_bytes = usize::try_from(cache).unwrap_or(config.fragment_cache_bytes);
        (config, warnings)
    }

    /// A fragment cache sized by this configuration.
    pub fn fragment_cache(&self) -> std::rc::Rc<FragmentCache> {
        std::rc::Rc::new(FragmentCache::with_capacity(self.fragment_cache_bytes))
    }
}

/// `TAILOR_CONSENT_DEFAULT`, `TAILOR_CONSENT_COOKIE`, `TAILOR_CONSENT_FORMAT`
/// and `TAILOR_CONTEXT_PERSONALIZATION` (see [`crate::consent`]).
fn read_consent(
    var: &impl Fn(&str) -> Option<String>,
    consent: &mut ConsentSettings,
    warnings: &mut Vec<ConfigWarning>,
) {
    if let Some(text) = var("TAILOR_CONSENT_DEFAULT").filter(|t| !t.trim().is_empty()) {
        match DefaultRule::parse(&text) {
            Some(rule) => consent.default = rule,
            None => warnings.push(warning(
                "TAILOR_CONSENT_DEFAULT",
                "must be `granted`, `denied`, or either with ` except ` and country codes (`EEA` for its countries); consent stays denied by default",
            )),
        }
    }
    // `None`: a format named but not known (the cookie is then not read).
    let format = match var("TAILOR_CONSENT_FORMAT").filter(|t| !t.trim().is_empty()) {
        None => Some(CookieFormat::Letters),
        Some(name) => CookieFormat::parse(&name).or_else(|| {
            warnings.push(warning(
                "TAILOR_CONSENT_FORMAT",
                "must be `letters`, `json` or `tcf`; the consent cookie is not read",
            ));
            None
        }),
    };
    if let Some(name) = var("TAILOR_CONSENT_COOKIE").filter(|n| !n.trim().is_empty()) {
        let name = name.trim().to_owned();
        let valid = name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_graphic() && !b"=;,\"".contains(&b));
        if !valid {
            warnings.push(warning(
                "TAILOR_CONSENT_COOKIE",
                "not a cookie name; the consent cookie is not read",
            ));
        } else if let Some(format) = format {
            consent.cookie = Some((name, format));
        }
    }
    if let Some(mode) = var("TAILOR_CONTEXT_PERSONALIZATION") {
        match mode.trim() {
            "on" => consent.context_personalization = true,
            "off" => consent.context_personalization = false,
            _ => warnings.push(warning(
                "TAILOR_CONTEXT_PERSONALIZATION",
                "must be `on` or `off`; it stays `on`",
            )),
        }
    }
}

/// A configuration parsed from its vars' values once: parsing derives keys
/// (HKDF), so a worker parses again only when the values change (a new
/// deploy reusing the isolate). One per isolate and configuration type.
pub struct ParsedOnce<T> {
    last: std::cell::RefCell<Option<Parsed<T>>>,
}

/// The values of the vars, and what they were parsed into.
type Parsed<T> = (Vec<Option<String>>, std::rc::Rc<T>);

impl<T> Default for ParsedOnce<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ParsedOnce<T> {
    /// Nothing parsed yet.
    pub const fn new() -> Self {
        Self {
            last: std::cell::RefCell::new(None),
        }
    }

    /// The configuration for `values` (the values of `names`, in order):
    /// the last one when they are the same, else `parse`d anew, its
    /// warnings handed to `warn`.
    pub fn get(
        &self,
        names: &[&str],
        values: Vec<Option<String>>,
        parse: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> (T, Vec<ConfigWarning>),
        warn: impl Fn(&ConfigWarning),
    ) -> std::rc::Rc<T> {
        if let Some((last, config)) = self.last.borrow().as_ref() {
            if *last == values {
                return config.clone();
            }
        }
        let var = |name: &str| {
            let at = names.iter().position(|n| *n == name)?;
            values.get(at).cloned().flatten()
        };
        let (config, warnings) = parse(&var);
        warnings.iter().for_each(warn);
        let config = std::rc::Rc::new(config);
        *self.last.borrow_mut() = Some((values, config.clone()));
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn every_var_read_is_listed_in_vars() {
        let asked = std::cell::RefCell::new(Vec::new());
        let _ = Config::from_vars(|name| {
            asked.borrow_mut().push(name.to_owned());
            None
        });
        for name in asked.borrow().iter() {
            assert!(VARS.contains(&name.as_str()), "{name} is read but not in VARS");
        }
        assert_eq!(asked.borrow().len(), VARS.len());
    }

    #[test]
    fn missing_vars_mean_defaults() {
        let (config, warnings) = Config::from_vars(vars(&[]));
        assert_eq!(config, Config::default());
        assert_eq!(config.budget_ms, 100);
        assert!(warnings.is_empty());
    }

    #[test]
    fn vars_override_defaults() {
        let (config, warnings) = Config::from_vars(vars(&[
            ("TAILOR_SITE", "demo"),
            ("TAILOR_BUDGET_MS", "50"),
            ("TAILOR_CATALOG_REFRESH_MS", "0"),
        ]));
        assert!(warnings.is_empty());
        assert_eq!(config.site.as_deref(), Some("demo"));
        assert_eq!(config.budget_ms, 50);
        assert_eq!(config.catalog_refresh_ms, 0);
    }

    #[test]
    fn the_rewrite_guard_is_on_unless_turned_off_and_a_typo_keeps_it_on() {
        assert!(Config::from_vars(vars(&[])).0.rewrite_guard);
        assert!(
            !Config::from_vars(vars(&[("TAILOR_REWRITE_GUARD", " off ")]))
                .0
                .rewrite_guard
        );
        let (config, warnings) = Config::from_vars(vars(&[("TAILOR_REWRITE_GUARD", "of")]));
        assert!(config.rewrite_guard);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].name, "TAILOR_REWRITE_GUARD");
    }

    #[test]
    fn profile_keys_are_read_and_bad_entries_reported_without_their_secret() {
        let secret = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
        let keys = format!("k2:{secret} k1:tooshort");
        let (config, warnings) = Config::from_vars(vars(&[("TAILOR_PROFILE_KEYS", &keys)]));
        assert_eq!(config.profile.keys.current().unwrap().kid, "k2");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].to_string().contains("k1") && !warnings[0].to_string().contains("tooshort"));
    }

    #[test]
    fn unusable_values_fall_back_with_a_warning_naming_the_var() {
        let (config, warnings) = Config::from_vars(vars(&[
            ("TAILOR_SITE", "Demo Site"),
            ("TAILOR_BUDGET_MS", "-5"),
            ("TAILOR_FRAGMENT_CACHE_BYTES", "lots"),
        ]));
        assert_eq!(config, Config::default());
        let names: Vec<_> = warnings.iter().map(|w| w.name).collect();
        assert!(
            warnings.iter().all(|w| !w.to_string().contains("lots")),
            "values are never echoed"
        );
        assert_eq!(
            names,
            ["TAILOR_SITE", "TAILOR_BUDGET_MS", "TAILOR_FRAGMENT_CACHE_BYTES"]
        );
    }

    #[test]
    fn a_configuration_is_parsed_again_only_when_its_values_change() {
        let parsed = ParsedOnce::new();
        let names = ["TAILOR_SITE", "TAILOR_BUDGET_MS"];
        let warned = std::cell::Cell::new(0);
        let get = |values: [Option<&str>; 2]| {
            let values = values.iter().map(|v| v.map(str::to_owned)).collect();
            parsed.get(
                &names,
                values,
                |var| Config::from_vars(var),
                |_| warned.set(warned.get() + 1),
            )
        };
        let first = get([Some("demo"), Some("oops")]);
        assert_eq!(first.site.as_deref(), Some("demo"));
        assert_eq!(warned.get(), 1, "an unusable value is warned about once");
        assert!(std::rc::Rc::ptr_eq(&first, &get([Some("demo"), Some("oops")])));
        assert_eq!(warned.get(), 1);
        let changed = get([Some("other"), None]);
        assert_eq!(changed.site.as_deref(), Some("other"));
        assert_eq!(changed.budget_ms, DEFAULT_BUDGET_MS);
    }

    #[test]
    fn consent_is_denied_until_configured_and_bad_values_keep_it_so() {
        let (config, warnings) = Config::from_vars(|_| None);
        assert!(warnings.is_empty());
        let consent = &config.profile.consent;
        assert!(
            !consent.default.grants(Some("US"))
                && consent.context_personalization
                && consent.cookie.is_none()
        );
        let vars = |name: &str| match name {
            "TAILOR_CONSENT_DEFAULT" => Some("granted except EEA,GB".to_owned()),
            "TAILOR_CONSENT_COOKIE" => Some("euconsent-v2".to_owned()),
            "TAILOR_CONSENT_FORMAT" => Some("tcf".to_owned()),
            "TAILOR_CONTEXT_PERSONALIZATION" => Some("off".to_owned()),
            _ => None,
        };
        let (config, warnings) = Config::from_vars(vars);
        assert!(warnings.is_empty(), "{warnings:?}");
        let consent = &config.profile.consent;
        assert!(consent.default.grants(Some("US")) && !consent.default.grants(Some("DE")));
        assert_eq!(consent.cookie, Some(("euconsent-v2".into(), CookieFormat::Tcf)));
        assert!(!consent.context_personalization);
        let bad = |name: &str| match name {
            "TAILOR_CONSENT_DEFAULT" => Some("yes".to_owned()),
            "TAILOR_CONSENT_COOKIE" => Some("consent".to_owned()),
            "TAILOR_CONSENT_FORMAT" => Some("xml".to_owned()),
            _ => None,
        };
        let (config, warnings) = Config::from_vars(bad);
        assert_eq!(warnings.len(), 2);
        assert!(!config.profile.consent.default.grants(Some("US")));
        assert_eq!(
            config.profile.consent.cookie, None,
            "a cookie in an unknown format is not read"
        );
    }
}
