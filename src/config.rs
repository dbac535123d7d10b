//! The worker's settings, read from `wrangler.toml` vars. Every setting has a
//! sane default; an unusable value falls back to it with a warning, never an
//! error page. The table of every var lives in `docs/configuration.md`.

use crate::budget::DEFAULT_BUDGET_MS;
use crate::fragments::FragmentCache;

/// Default for [`Config::catalog_refresh_ms`].
pub const DEFAULT_CATALOG_REFRESH_MS: u32 = 10_000;
/// Largest budget accepted.
pub const MAX_BUDGET_MS: u32 = 10_000;

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
}

impl Default for Config {
    fn default() -> Self {
        Self {
            site: None,
            budget_ms: DEFAULT_BUDGET_MS,
            catalog_refresh_ms: DEFAULT_CATALOG_REFRESH_MS,
            fragment_cache_bytes: crate::fragments::DEFAULT_FRAGMENT_CACHE_BYTES,
        }
    }
}

/// A var whose value could not be used; its default applies.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("wrangler var {name} is not {expected}; using the default")]
pub struct ConfigWarning {
    /// The var's name.
    pub name: &'static str,
    /// What it should have been.
    pub expected: &'static str,
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
            warnings.push(ConfigWarning {
                name: "TAILOR_SITE",
                expected: "1-64 of a-z 0-9 - _",
            });
        }
        let mut number = |name: &'static str, max: u64, slot: &mut u64| {
            if let Some(text) = var(name) {
                match text.trim().parse::<u64>() {
                    Ok(n) if n <= max => *slot = n,
                    _ => warnings.push(ConfigWarning {
                        name,
                        expected: "a whole number in range",
                    }),
                }
            }
        };
        let mut budget = u64::from(config.budget_ms);
        number("TAILOR_BUDGET_MS", u64::from(MAX_BUDGET_MS), &mut budget);
        let mut refresh = u64::from(config.catalog_refresh_ms);
        number("TAILOR_CATALOG_REFRESH_MS", 3_600_000, &mut refresh);
        let mut cache = config.fragment_cache_bytes as u64;
        number("TAILOR_FRAGMENT_CACHE_BYTES", 64 * 1024 * 1024, &mut cache);
        // All three are bounded above, so the conversions cannot fail.
        config.budget_ms = u32::try_from(budget).unwrap_or(DEFAULT_BUDGET_MS);
        config.catalog_refresh_ms = u32::try_from(refresh).unwrap_or(DEFAULT_CATALOG_REFRESH_MS);
        config.fragment_cache_bytes = usize::try_from(cache).unwrap_or(config.fragment_cache_bytes);
        (config, warnings)
    }

    /// A fragment cache sized by this configuration.
    pub fn fragment_cache(&self) -> FragmentCache {
        FragmentCache::with_capacity(self.fragment_cache_bytes)
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
    fn unusable_values_fall_back_with_a_warning_naming_the_var() {
        let (config, warnings) = Config::from_vars(vars(&[
            ("TAILOR_SITE", "Demo Site"),
            ("TAILOR_BUDGET_MS", "-5"),
            ("TAILOR_FRAGMENT_CACHE_BYTES", "lots"),
        ]));
        assert_eq!(config, Config::default());
        let names: Vec<_> = warnings.iter().map(|w| w.name).collect();
        assert_eq!(
            names,
            ["TAILOR_SITE", "TAILOR_BUDGET_MS", "TAILOR_FRAGMENT_CACHE_BYTES"]
        );
    }
}
