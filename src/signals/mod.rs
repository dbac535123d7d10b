//! Behavioral signals at the edge: what the visitor does on the site, as
//! small decayed scores in an edge-signed state cookie, exposed to targeting
//! as `signals.<id>`, `visits` and `new_vs_returning`. See `docs/signals.md`.

mod criteria;
pub mod firmographics;
mod state;

pub use criteria::{Criterion, Match};
pub use firmographics::Firmographics;
pub use state::{EdgeState, Score, StateError, MAX_STATE_BYTES, STATE_COOKIE, STATE_LIFETIME_S};

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::validation::ValidationError;

/// Most signals one catalog may declare.
pub const MAX_SIGNALS: usize = 32;

/// How long a signal's score lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifetime {
    /// Until the visit ends (no request for the idle time).
    Visit,
    /// Across visits, halving every half-life.
    Permanent,
}

/// A signal declared in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// The id targeting sees as `signals.<id>`: 1–32 of `a-z 0-9 _`.
    pub id: String,
    /// When a request activates it.
    pub when: Match,
    /// Added per activation (0.1–100).
    pub score: f64,
    /// The score never exceeds this (0.1–100).
    pub cap: f64,
    /// This visit, or permanent with decay.
    pub lifetime: Lifetime,
}

/// Catalog-wide settings for signals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalSettings {
    /// Permanent scores halve after this many hours.
    #[serde(default = "default_half_life")]
    pub half_life_hours: f64,
    /// A visit ends after this many idle minutes.
    #[serde(default = "default_idle")]
    pub visit_idle_minutes: u32,
}

fn default_half_life() -> f64 {
    168.0
}

fn default_idle() -> u32 {
    30
}

impl Default for SignalSettings {
    fn default() -> Self {
        Self {
            half_life_hours: default_half_life(),
            visit_idle_minutes: default_idle(),
        }
    }
}

fn is_signal_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks declared signals; the first problem with its path.
pub fn validate(signals: &[Signal], settings: &SignalSettings) -> Result<(), ValidationError> {
    if signals.len() > MAX_SIGNALS {
        return Err(ValidationError::new(
            "signals",
            format!("more than {MAX_SIGNALS} signals"),
        ));
    }
    for (i, signal) in signals.iter().enumerate() {
        let at = format!("signals.{i}");
        if !is_signal_id(&signal.id) {
            return Err(ValidationError::new(
                format!("{at}.id"),
                "must be 1-32 of a-z 0-9 _",
            ));
        }
        if signals.iter().take(i).any(|s| s.id == signal.id) {
            return Err(ValidationError::new(format!("{at}.id"), "duplicate signal id"));
        }
        for (name, value) in [("score", signal.score), ("cap", signal.cap)] {
            if !(0.1..=100.0).contains(&value) {
                return Err(ValidationError::new(
                    format!("{at}.{name}"),
                    "must be between 0.1 and 100",
                ));
            }
        }
        signal.when.validate(&format!("{at}.when"))?;
    }
    if !(settings.half_life_hours.is_finite() && settings.half_life_hours >= 1.0) {
        return Err(ValidationError::new(
            "signal_settings.half_life_hours",
            "must be at least 1",
        ));
    }
    if settings.visit_idle_minutes == 0 {
        return Err(ValidationError::new(
            "signal_settings.visit_idle_minutes",
            "must be at least 1",
        ));
    }
    Ok(())
}

/// What a request looks like to the criteria.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestFacts<'a> {
    /// The path.
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
    /// The `Referer` header.
    pub referer: Option<&'a str>,
    /// The `Cookie` header.
    pub cookie_header: Option<&'a str>,
}

/// Applies one page view to the visitor's state at `now_s`: visit rollover,
/// decay, activations and caps. Returns the ids that fired.
pub fn observe(
    state: &mut EdgeState,
    signals: &[Signal],
    settings: &SignalSettings,
    facts: &RequestFacts<'_>,
    now_s: u64,
) -> Vec<String> {
    state.roll(now_s, settings, signals);
    let mut fired = Vec::new();
    for signal in signals {
        if signal.when.matches(facts, state.page_views) {
            state.add(signal, settings);
            fired.push(signal.id.clone());
        }
    }
    fired
}

/// The targeting attributes the state gives: `signals.<id>`, `visits`,
/// `new_vs_returning`.
pub fn attributes(state: &EdgeState) -> Map<String, Value> {
    let scores: Map<String, Value> = state
        .scores
        .iter()
        .map(|s| (s.id.clone(), json!(s.score())))
        .collect();
    let mut out = Map::new();
    out.insert("signals".into(), Value::Object(scores));
    out.insert("visits".into(), json!(state.visits));
    out.insert(
        "new_vs_returning".into(),
        json!(if state.visits > 1 { "returning" } else { "new" }),
    );
    out
}

#[cfg(test)]
mod tests;
