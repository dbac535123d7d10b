//! The edge's own state cookie: visits, page views of this visit and signal
//! scores, signed with a key derived for this purpose only, with an expiry
//! inside the signed data and a hard size cap.
//!
//! `__Host-tailor_state=v1.t=<now>&e=<expiry>&v=<visits>&p=<page views>&s=<id>~<tenths>~<since>|….<tag>`

use super::{Lifetime, Signal, SignalSettings};
use crate::profile::Key;

/// The cookie's name.
pub const STATE_COOKIE: &str = "__Host-tailor_state";
/// The hard cap on the cookie's value; the weakest scores go first.
pub const MAX_STATE_BYTES: usize = 512;
/// How long a state cookie lives without a visit.
pub const STATE_LIFETIME_S: u64 = 180 * 86_400;

/// One signal's score: `tenths` at time `since`, decaying from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// The signal id.
    pub id: String,
    tenths: u32,
    since: u64,
    half_life_s: u64,
    permanent: bool,
    now: u64,
}

impl Score {
    /// The score now, to one decimal.
    pub fn score(&self) -> f64 {
        (decayed(
            self.tenths,
            self.since,
            self.now,
            self.half_life_s,
            self.permanent,
        ) as f64)
            / 10.0
    }
}

fn decayed(tenths: u32, since: u64, now: u64, half_life_s: u64, permanent: bool) -> u32 {
    if !permanent || half_life_s == 0 {
        return tenths;
    }
    let halvings = now.saturating_sub(since) as f64 / half_life_s as f64;
    (f64::from(tenths) * 0.5f64.powf(halvings)).round() as u32
}

/// Why a state cookie was not used (it is then replaced by a fresh one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Over the cap.
    #[error("oversized")]
    Oversized,
    /// Not the format, or the tag does not match.
    #[error("invalid")]
    Invalid,
    /// Past its expiry.
    #[error("expired")]
    Expired,
}

/// The visitor's state as the edge keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeState {
    /// Last request, unix seconds (0: never seen).
    pub last_seen: u64,
    /// Visits so far, this one included.
    pub visits: u32,
    /// Page views in this visit.
    pub page_views: u32,
    /// Signal scores.
    pub scores: Vec<Score>,
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, StateError> {
    if s.is_empty() || s.len() > 11 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(StateError::Invalid);
    }
    s.parse().map_err(|_| StateError::Invalid)
}

impl EdgeState {
    /// Reads a cookie value: the tag is checked before anything is parsed.
    pub fn parse(value: &str, key: &Key, now_s: u64) -> Result<Self, StateError> {
        if value.len() > MAX_STATE_BYTES {
            return Err(StateError::Oversized);
        }
        let (signed, received) = value.rsplit_once('.').ok_or(StateError::Invalid)?;
        if !key.tag_matches(STATE_COOKIE, signed, received) {
            return Err(StateError::Invalid);
        }
        let payload = signed.strip_prefix("v1.").ok_or(StateError::Invalid)?;
        let mut state = EdgeState::default();
        let mut expiry = 0u64;
        for pair in payload.split('&') {
            let (k, v) = pair.split_once('=').ok_or(StateError::Invalid)?;
            match k {
                "t" => state.last_seen = number(v)?,
                "e" => expiry = number(v)?,
                "v" => state.visits = number(v)?,
                "p" => state.page_views = number(v)?,
                "s" => {
                    for entry in v.split('|').filter(|e| !e.is_empty()) {
                        let mut parts = entry.split('~');
                        let (Some(id), Some(tenths), Some(since), None) =
                            (parts.next(), parts.next(), parts.next(), parts.next())
                        else {
                            return Err(StateError::Invalid);
                        };
                        state.scores.push(Score {
                            id: id.to_owned(),
                            tenths: number(tenths)?,
                            since: number(since)?,
                            half_life_s: 0,
                            permanent: false,
                            now: now_s,
                        });
                    }
                }
                _ => return Err(StateError::Invalid),
            }
        }
        if now_s > expiry {
            return Err(StateError::Expired);
        }
        Ok(state)
    }

    /// The signed cookie value, within the cap (weakest scores dropped first).
    pub fn encode(&mut self, key: &Key) -> String {
        loop {
            let scores: Vec<String> = self
                .scores
                .iter()
                .map(|s| {
                    format!(
                        "{}~{}~{}",
                        s.id,
                        decayed(s.tenths, s.since, s.now, s.half_life_s, s.permanent),
                        s.now
                    )
                })
                .collect();
            let signed = format!(
                "v1.t={}&e={}&v={}&p={}&s={}",
                self.last_seen,
                self.last_seen + STATE_LIFETIME_S,
                self.visits,
                self.page_views,
                scores.join("|")
            );
            let value = format!("{signed}.{}", key.tag(STATE_COOKIE, &signed));
            if value.len() <= MAX_STATE_BYTES || self.scores.is_empty() {
                return value;
            }
            // Over the cap: drop the weakest score and try again.
            let weakest = self
                .scores
                .iter()
                .enumerate()
                .min_by(|(_, a), (_, b)| a.score().total_cmp(&b.score()))
                .map(|(i, _)| i);
            if let Some(i) = weakest {
                self.scores.remove(i);
            }
        }
    }

    /// Starts this request: a new visit after the idle time (visit-scoped
    /// scores end), decay for permanent ones, scores of undeclared signals
    /// dropped, one more page view.
    pub fn roll(&mut self, now_s: u64, settings: &SignalSettings, signals: &[Signal]) {
        let idle_s = u64::from(settings.visit_idle_minutes) * 60;
        let new_visit = self.last_seen == 0 || now_s.saturating_sub(self.last_seen) > idle_s;
        let half_life_s = (settings.half_life_hours * 3600.0) as u64;
        self.scores.retain_mut(|score| {
            let Some(signal) = signals.iter().find(|s| s.id == score.id) else {
                return false;
            };
            score.permanent = signal.lifetime == Lifetime::Permanent;
            score.half_life_s = half_life_s;
            score.now = now_s;
            score.permanent || !new_visit
        });
        if new_visit {
            self.visits = self.visits.saturating_add(1);
            self.page_views = 0;
        }
        self.page_views = self.page_views.saturating_add(1);
        self.last_seen = now_s;
        self.scores.retain(|s| s.score() > 0.0);
    }

    /// Adds one activation of `signal`, capped.
    pub fn add(&mut self, signal: &Signal, settings: &SignalSettings) {
        let add = (signal.score * 10.0).round() as u32;
        let cap = (signal.cap * 10.0).round() as u32;
        match self.scores.iter_mut().find(|s| s.id == signal.id) {
            Some(s) => {
                let current = decayed(s.tenths, s.since, s.now, s.half_life_s, s.permanent);
                s.tenths = current.saturating_add(add).min(cap);
                s.since = s.now;
            }
            None => self.scores.push(Score {
                id: signal.id.clone(),
                tenths: add.min(cap),
                since: self.last_seen,
                half_life_s: (settings.half_life_hours * 3600.0) as u64,
                permanent: signal.lifetime == Lifetime::Permanent,
                now: self.last_seen,
            }),
        }
    }
}
