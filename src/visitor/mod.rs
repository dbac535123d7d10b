//! Who is asking: the one enrichment step every route uses, so a page, the
//! decision API, a beacon, the "why" page and OFREP see the same attributes
//! for the same visitor.
//!
//! ```text
//! profile (signed cookie │ preview profile │ anonymous context, time, language)
//!   → the site's dimensions and segments (as the catalog declares them)
//!   → signals (the edge's state cookie: signals.*, visits)
//!   → firmographics (the catalog's network labels, for what is not declared)
//!   → consent (cookie, opt-out, Sec-GPC)
//! ```
//!
//! Consent is settled with the profile ([`crate::consent`]), before anything
//! else is read: without analytics consent no id is kept, the state cookie
//! is deleted and nothing is observed. A visitor the origin does not know
//! gets the edge's own pseudonymous id ([`id`]) once analytics consent
//! allows, so experiments, the holdout, exploration and bandits include them.

pub mod id;

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

/// The visitor, and the edge's cookies to send back (set, or deleted).
#[derive(Debug, Clone)]
pub struct Identified {
    /// Targeting attributes, consent, bot, where the profile came from.
    pub visitor: Visitor,
    /// `Set-Cookie` values: the id cookie, the state cookie, as they change.
    pub set_cookies: Vec<String>,
}

/// The page a request is about: its path and query (a signal may match either).
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// The path.
    pub path: &'a str,
    /// The raw query string.
    pub query: &'a str,
}

/// What the edge may draw on for a visitor: its settings, and fresh random
/// bytes (for a new id).
pub struct Edge<'a> {
    /// Settings.
    pub config: &'a Config,
    /// 16 random bytes from the platform, each call new.
    pub random: &'a dyn Fn() -> [u8; id::ID_BYTES],
}

/// Builds the visitor of a request at `now_s`: the profile and consent, the
/// edge's id, then (with a catalog) the behavioral signals and network
/// labels it declares. A page view (`Visit::Record`) of a page the catalog
/// covers (`manifest`) may mint the id; other requests only read it.
pub fn identify(
    ctx: &RequestContext<'_>,
    page: Page<'_>,
    edge: &Edge<'_>,
    manifest: Option<&Manifest>,
    visit: Visit,
    now_s: u64,
    timing: &mut ServerTiming,
) -> Identified {
    let config = edge.config;
    let mut visitor = resolve(ctx, &config.profile, now_s);
    timing.note("profile", visitor.describe());
    let consent = match (visitor.context_only, visitor.analytics_allowed) {
        (true, _) => format!("{} context-only", visitor.consent.label()),
        (false, true) => format!("{} analytics", visitor.consent.label()),
        (false, false) => visitor.consent.label().to_owned(),
    };
    timing.note("consent", consent);
    let mut set_cookies = Vec::new();
    let may_mint = visit == Visit::Record && manifest.is_some();
    set_cookies.extend(edge_id(ctx, edge, may_mint, &mut visitor, timing));
    let Some(manifest) = manifest else {
        return Identified { visitor, set_cookies };
    };
    declare_site_labels(manifest, now_s, &mut visitor);
    set_cookies.extend(track(
        ctx,
        page,
        config,
        manifest,
        visit,
        now_s,
        &mut visitor,
        timing,
    ));
    label_network(ctx, config, manifest, &mut visitor, timing);
    Identified { visitor, set_cookies }
}

/// The edge's id for a visitor without a bucketing id of the origin's:
/// read from its cookie, or minted (a `Set-Cookie` to keep it). Without
/// analytics consent an existing id cookie is deleted; crawlers, previews
/// and visitors with the origin's own id get none.
fn edge_id(
    ctx: &RequestContext<'_>,
    edge: &Edge<'_>,
    may_mint: bool,
    visitor: &mut Visitor,
    timing: &mut ServerTiming,
) -> Option<String> {
    let key = edge.config.id_key.as_ref()?;
    let sent = ctx
        .cookie_header
        .is_some_and(|h| cookie_values(h, id::ID_COOKIE).next().is_some());
    if !visitor.analytics_allowed || visitor.context_only {
        return sent.then(id::delete_cookie);
    }
    let has_own = visitor.attributes.get("id").is_some();
    if has_own || visitor.bot || visitor.source == ProfileSource::Preview {
        return None;
    }
    let (found, set_cookie) = match id::read(ctx.cookie_header, key) {
        Some(found) => (found, None),
        None if may_mint => {
            let (minted, value) = id::mint((edge.random)(), key);
            (minted, Some(id::set_cookie(&value)))
        }
        None => return None,
    };
    timing.note(
        "id",
        if set_cookie.is_some() {
            "edge-minted"
        } else {
            "edge"
        },
    );
    if let Some(attributes) = visitor.attributes.as_object_mut() {
        attributes.insert("id".into(), json!(found));
    }
    set_cookie
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
    // Signals are kept for personalization, and keeping them is analytics:
    // both must be granted (request-context personalization keeps nothing).
    if !(visitor.personalization_allowed && visitor.analytics_allowed) || visitor.context_only {
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

/// The site's own dimensions and segments the cookie carried, as far as
/// the catalog declares them (`docs/profile-cookie.md`).
fn declare_site_labels(manifest: &Manifest, now_s: u64, visitor: &mut Visitor) {
    let Some(site) = manifest.profile.as_ref() else {
        return;
    };
    let declared = site.attributes(&visitor.carried, now_s);
    if let Some(attributes) = visitor.attributes.as_object_mut() {
        attributes.extend(declared);
    }
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
