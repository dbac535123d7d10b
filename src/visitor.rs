//! Who is asking: the one enrichment step every route uses, so a page, the
//! decision API, a beacon, the "why" page and OFREP see the same attributes
//! for the same visitor.
//!
//! ```text
//! profile (signed cookie │ preview profile │ anonymous context)
//!   → signals (the edge's state cookie: signals.*, visits)
//!   → firmographics (the catalog's network labels, for what is not declared)
//!   → consent (cookie, opt-out, Sec-GPC)
//! ```
//!
//! Consent is settled with the profile, before anything else is read: without
//! it the state cookie is deleted and nothing is observed.

use serde_json::json;

use crate::catalog::Manifest;
use crate::config::Config;
use crate::http::cookie_values;
use crate::profile::{resolve, ProfileSource, RequestContext, Visitor};
use crate::signals::{self, EdgeState, RequestFacts as SignalFacts, STATE_COOKIE};
use crate::timing::ServerTiming;

/// Whether this request is a page view the signals observe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// A real page view: signals observe it and the state cookie is updated.
    Record,
    /// An API call about a page (decide, why, beacon, OFREP): the state as
    /// of now, nothing recorded, no cookie set.
    Read,
}

/// The visitor, and the state cookie to send back (set, or deleted).
#[derive(Debug, Clone)]
pub struct Identified {
    /// Targeting attributes, consent, bot, where the profile came from.
    pub visitor: Visitor,
    /// The `Set-Cookie` value for the edge's state cookie, if it changes.
    pub set_cookie: Option<String>,
}

/// The page a request is about: its path and query (a signal may match either).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The path.
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
}

/// Builds the visitor of a request at `now_s`: the profile, then (with a
/// catalog) the behavioral signals and network labels it declares.
pub fn identify(
    ctx: &RequestContext<'_>,
    page: Page<'_>,
    config: &Config,
    manifest: Option<&Manifest>,
    visit: Visit,
    now_s: u64,
    timing: &mut ServerTiming,
) -> Identified {
    let mut visitor = resolve(ctx, &config.profile, now_s);
    timing.note("profile", visitor.describe());
    let Some(manifest) = manifest else {
        return Identified {
            visitor,
            set_cookie: None,
        };
    };
    let set_cookie = track(ctx, page, config, manifest, visit, now_s, &mut visitor, timing);
    label_network(ctx, config, manifest, &mut visitor, timing);
    Identified { visitor, set_cookie }
}

/// Behavioral signals: reads the edge's state cookie, observes this page
/// view, exposes `signals.*`, `visits`, `new_vs_returning` to targeting, and
/// returns the `Set-Cookie` value. Without consent the cookie is deleted and
/// nothing is observed; bots and previews are not tracked.
#[allow(clippy::too_many_arguments)]
fn track(
    ctx: &RequestContext<'_>,
    page: Page<'_>,
    config: &Config,
    manifest: &Manifest,
    visit: Visit,
    now_s: u64,
    visitor: &mut Visitor,
    timing: &mut ServerTiming,
) -> Option<String> {
    let key = config.state_key.as_ref()?;
    if manifest.signals.is_empty() {
        return None;
    }
    let existing = ctx
        .cookie_header
        .and_then(|h| cookie_values(h, STATE_COOKIE).next());
    if !visitor.personalization_allowed {
        return existing
            .map(|_| format!("{STATE_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"));
    }
    if visitor.bot || visitor.source == ProfileSource::Preview {
        return None;
    }
    let settings = manifest.signal_settings.clone().unwrap_or_default();
    let parsed = existing.map(|v| EdgeState::parse(v, key, now_s));
    let replaced = matches!(parsed, Some(Err(_)));
    let mut state = parsed.and_then(Result::ok).unwrap_or_default();
    let facts = SignalFacts {
        path: page.path,
        query: page.query,
        referer: ctx.referer,
        cookie_header: ctx.cookie_header,
    };
    let fired = match visit {
        Visit::Record => signals::observe(&mut state, &manifest.signals, &settings, &facts, now_s),
        Visit::Read => {
            state.roll(now_s, &settings, &manifest.signals);
            Vec::new()
        }
    };
    let mut desc: Vec<String> = state
        .scores
        .iter()
        .map(|s| format!("{}:{:.1}", s.id, s.score()))
        .collect();
    desc.push(format!("visits:{}", state.visits));
    desc.extend(fired.iter().map(|id| format!("+{id}")));
    if replaced {
        desc.push("replaced-invalid-state".to_owned());
    }
    timing.note("signals", desc.join(" "));
    if let Some(target) = visitor.attributes.as_object_mut() {
        if state.visits > 1 {
            target.insert("visitor".into(), json!("returning"));
        }
        target.extend(signals::attributes(&state));
    }
    (visit == Visit::Record).then(|| {
        format!(
            "{STATE_COOKIE}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Lax",
            state.encode(key),
            signals::STATE_LIFETIME_S
        )
    })
}

/// Visits from a known network: the catalog's firmographics labels fill in
/// industry and company size the visitor has not declared.
fn label_network(
    ctx: &RequestContext<'_>,
    config: &Config,
    manifest: &Manifest,
    visitor: &mut Visitor,
    timing: &mut ServerTiming,
) {
    let Some(document) = manifest.firmographics.as_ref().filter(|_| config.firmographics) else {
        return;
    };
    let Some(labels) = document.lookup(ctx.asn, ctx.as_organization) else {
        return;
    };
    let Some(attributes) = visitor.attributes.as_object_mut() else {
        return;
    };
    let mut applied = false;
    for (name, value) in [
        ("industry", &labels.industry),
        ("company_size", &labels.company_size),
    ] {
        if let Some(value) = value {
            if !attributes.contains_key(name) {
                attributes.insert(name.into(), json!(value));
                applied = true;
            }
        }
    }
    if applied {
        attributes.insert("firmographics".into(), json!("network"));
        timing.note("firmographics", "network-labels");
    }
}
