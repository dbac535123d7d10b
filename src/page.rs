//! One page request, start to finish, independent of the platform:
//! which requests to personalize, the work done while the origin answers,
//! and what to do with the origin's response.
//!
//! ```text
//! request ─► should_personalize? ── no ─► origin response, untouched
//!    │ yes
//!    ├─► origin fetch ───────────────────────────┐ (concurrently)
//!    └─► catalog ─► decide ─► fragments ─► plan ─┴─► dispose(plan, response head)
//! ```

use std::future::Future;
use std::rc::Rc;

use futures_util::future::{join, join_all};

use crate::budget::Deadline;
use crate::catalog::Manifest;
use crate::catalog::{CatalogIo, CatalogStore};
use crate::config::Config;
use crate::decide::{decide, CompiledCatalog, Decision, Reason};
use crate::fragments::generate::{generated, segment_of, GenerateIo, GeneratedSource, GeneratorState};
use crate::fragments::{fetch_all, FragmentCache, FragmentIo, FragmentRef, FragmentSource};
use crate::platform::{
    Background, Cache, Clock, GenerateRequest, Generator, Kv, ResponseHead, Sanitizer, Timer,
};
use crate::profile::{cookie_values, resolve, ProfileSource, RequestContext, Visitor};
use crate::rewrite::{Fill, RewritePlan};
use crate::signals::{self, EdgeState, RequestFacts as SignalFacts, STATE_COOKIE};
use crate::targeting::RegexEngine;
use crate::timing::ServerTiming;

/// The parts of a request the flow looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest<'a> {
    /// HTTP method, as sent.
    pub method: &'a str,
    /// URL path (no query).
    pub path: &'a str,
    /// Whether the request carries a `Range` header.
    pub has_range: bool,
    /// What the profile is built from.
    pub context: RequestContext<'a>,
    /// A real page view: signals observe it and the state cookie is updated.
    /// `false` for API calls about a page (decide, why), which only read.
    pub record_visit: bool,
}

/// Why a request is passed to the origin without any personalization work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Not GET or HEAD.
    Method,
    /// A `Range` request: partial content passes through.
    Range,
    /// A static asset by its extension (stylesheets, scripts, images…).
    StaticAsset,
}

const STATIC_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "json", "xml", "txt", "png", "jpg", "jpeg", "gif", "webp", "avif", "svg",
    "ico", "woff", "woff2", "ttf", "otf", "eot", "mp4", "webm", "mp3", "pdf", "zip", "gz", "wasm",
];

/// Whether a request may be personalized at all. Cheap and synchronous, so
/// everything else goes straight to the origin with no Tailor work.
pub fn should_personalize(req: &PageRequest<'_>) -> Result<(), Skip> {
    if !(req.method.eq_ignore_ascii_case("GET") || req.method.eq_ignore_ascii_case("HEAD")) {
        return Err(Skip::Method);
    }
    if req.has_range {
        return Err(Skip::Range);
    }
    let last = req.path.rsplit('/').next().unwrap_or_default();
    if let Some((_, ext)) = last.rsplit_once('.') {
        if STATIC_EXTENSIONS.iter().any(|s| s.eq_ignore_ascii_case(ext)) {
            return Err(Skip::StaticAsset);
        }
    }
    Ok(())
}

/// The path and query of an absolute URL (`https://h/p?q#f` → `/p?q`).
pub fn path_and_query_of(url: &str) -> &str {
    let after_scheme = url
        .find("://")
        .map_or(url, |i| url.get(i + 3..).unwrap_or_default());
    let rest = after_scheme
        .find('/')
        .map_or("/", |i| after_scheme.get(i..).unwrap_or("/"));
    rest.split('#').next().unwrap_or(rest)
}

/// The query of an absolute URL, without `?` (`https://h/p?q#f` → `q`).
pub fn query_of(url: &str) -> &str {
    path_and_query_of(url).split_once('?').map_or("", |(_, q)| q)
}

/// The path of an absolute URL (`https://h/p?q` → `/p`).
pub fn path_of(url: &str) -> &str {
    let pq = path_and_query_of(url);
    pq.split('?').next().unwrap_or(pq)
}

/// What the flow concluded before seeing the origin's response.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Blocks to fill (the plan may still be empty if every fragment failed).
    Personalize,
    /// The catalog does not cover this page: leave it entirely alone.
    NotCovered,
    /// Nothing could be personalized; the origin's page is served as it is.
    FailOpen(&'static str),
}

/// The result of the work done while the origin answers.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Blocks to fill.
    pub plan: RewritePlan,
    /// Every block's decision (also those whose fragment could not be read).
    pub decisions: Vec<Decision>,
    /// The catalog decided with, when one could be loaded.
    pub catalog: Option<Rc<CompiledCatalog>>,
    /// The edge's state cookie to set (or delete), for personalized responses.
    pub set_cookie: Option<String>,
    /// The visitor the decisions were made for.
    pub visitor: Visitor,
    /// What happened.
    pub outcome: Outcome,
    /// Phases and their timings.
    pub timing: ServerTiming,
}

/// One block of the preview gallery.
#[derive(Debug, Clone)]
pub struct GalleryBlock {
    /// The block's name.
    pub name: String,
    /// Its default variant's id.
    pub default: String,
    /// Every variant.
    pub variants: Vec<GalleryVariant>,
}

/// One variant in the preview gallery.
#[derive(Debug, Clone)]
pub struct GalleryVariant {
    /// The variant's id.
    pub id: String,
    /// Its targeting condition, as published.
    pub condition: Option<serde_json::Value>,
    /// Its fragment, when it could be read in time.
    pub html: Option<Rc<str>>,
}

/// What [`Edge::plan`] found.
struct Planned {
    plan: RewritePlan,
    outcome: Outcome,
    decisions: Vec<Decision>,
    catalog: Option<Rc<CompiledCatalog>>,
    set_cookie: Option<String>,
}

impl Planned {
    fn nothing(outcome: Outcome) -> Self {
        Self {
            plan: RewritePlan::new(),
            outcome,
            decisions: Vec::new(),
            catalog: None,
            set_cookie: None,
        }
    }
}

/// The origin's generator and what a call needs (see
/// [`crate::fragments::generate`]).
pub struct Generation<'a, G, S> {
    /// The generator.
    pub generator: &'a G,
    /// The sanitizer its answers go through.
    pub sanitizer: &'a S,
    /// The isolate's generator state (calls in flight, breaker, counts).
    pub state: &'a Rc<GeneratorState>,
}

/// Everything the flow needs: settings, isolate memory and the platform.
pub struct Edge<'a, K, C, T, Ca, G, S> {
    /// Settings.
    pub config: &'a Config,
    /// The isolate's catalog.
    pub catalog: &'a Rc<CatalogStore>,
    /// The isolate's fragments.
    pub fragments: &'a Rc<FragmentCache>,
    /// The per-location cache (Cache API).
    pub cache: &'a Ca,
    /// Work that continues after the response.
    pub background: &'a dyn Background,
    /// The origin's generator, when one is configured.
    pub generation: Option<Generation<'a, G, S>>,
    /// Workers KV.
    pub kv: &'a K,
    /// The clock.
    pub clock: &'a C,
    /// Timers.
    pub timer: &'a T,
    /// The regex engine conditions are compiled with.
    pub regex: &'static dyn RegexEngine,
}

impl<K, C, T, Ca, G, S> Edge<'_, K, C, T, Ca, G, S>
where
    K: Kv + Clone + 'static,
    C: Clock + Clone + 'static,
    T: Timer + Clone + 'static,
    Ca: Cache,
    G: Generator,
    S: Sanitizer,
{
    /// Runs the origin fetch and the personalization work concurrently; the
    /// origin request is under way before any catalog I/O is awaited.
    pub async fn serve<R, F: Future<Output = R>>(&self, req: &PageRequest<'_>, origin: F) -> (R, Prepared) {
        let started = self.clock.now_ms();
        join(origin, self.prepare(req, started)).await
    }

    /// Decides every block of the live catalog for `visitor`, whatever page
    /// (for other channels: OFREP). No fragment is read.
    pub async fn decide_all(
        &self,
        visitor: &Visitor,
    ) -> Result<(Rc<CompiledCatalog>, Vec<Decision>), &'static str> {
        let site = self.config.site.as_deref().ok_or("no-site")?;
        let deadline = Deadline::new(self.clock.now_ms(), self.config.budget_ms);
        let refresh = self.config.catalog_refresh_ms;
        let loaded = self
            .catalog
            .load_or_revalidate(site, refresh, &deadline, &self.catalog_io(), self.background)
            .await
            .map_err(|e| e.label())?;
        let now_s = (self.clock.now_ms() / 1000.0).max(0.0) as u64;
        let decisions = decide(&loaded.catalog, visitor, now_s);
        Ok((loaded.catalog, decisions))
    }

    /// Every block's variants with their fragments, for the preview gallery.
    pub async fn gallery(&self) -> Vec<GalleryBlock> {
        let Some(site) = self.config.site.as_deref() else {
            return Vec::new();
        };
        let deadline = Deadline::new(self.clock.now_ms(), self.config.budget_ms.max(1_000));
        let refresh = self.config.catalog_refresh_ms;
        let Ok(loaded) = self
            .catalog
            .load_or_revalidate(site, refresh, &deadline, &self.catalog_io(), self.background)
            .await
        else {
            return Vec::new();
        };
        let manifest = &loaded.catalog.manifest;
        let refs: Vec<FragmentRef<'_>> = manifest
            .blocks
            .iter()
            .flat_map(|(name, b)| {
                b.variants.iter().map(move |v| FragmentRef {
                    block: name,
                    variant: &v.id,
                    hash: &v.fragment,
                })
            })
            .collect();
        let fetched = fetch_all(&refs, &deadline, &self.fragment_io(site, &manifest.version)).await;
        let mut fetched = fetched.into_iter();
        manifest
            .blocks
            .iter()
            .map(|(name, block)| GalleryBlock {
                name: name.clone(),
                default: block.default.clone(),
                variants: block
                    .variants
                    .iter()
                    .map(|v| GalleryVariant {
                        id: v.id.clone(),
                        condition: v.when.clone(),
                        html: fetched.next().and_then(Result::ok).map(|(html, _)| html),
                    })
                    .collect(),
            })
            .collect()
    }

    /// Behavioral signals: reads the edge's state cookie, observes this page
    /// view, exposes `signals.*`, `visits`, `new_vs_returning` to targeting,
    /// and returns the `Set-Cookie` value. Without consent the cookie is
    /// deleted and nothing is observed; bots and previews are not tracked.
    fn track(
        &self,
        req: &PageRequest<'_>,
        visitor: &mut Visitor,
        manifest: &Manifest,
        now_s: u64,
        timing: &mut ServerTiming,
    ) -> Option<String> {
        let key = self.config.state_key.as_ref()?;
        if manifest.signals.is_empty() {
            return None;
        }
        let existing = req
            .context
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
            path: req.path,
            query: req.context.query,
            referer: req.context.referer,
            cookie_header: req.context.cookie_header,
        };
        let fired = if req.record_visit {
            signals::observe(&mut state, &manifest.signals, &settings, &facts, now_s)
        } else {
            // Read-only (API calls): the state as of now, nothing recorded.
            state.roll(now_s, &settings, &manifest.signals);
            Vec::new()
        };
        let attributes = signals::attributes(&state);
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
                target.insert("visitor".into(), serde_json::json!("returning"));
            }
            target.extend(attributes);
        }
        req.record_visit.then(|| {
            format!(
                "{STATE_COOKIE}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Lax",
                state.encode(key),
                signals::STATE_LIFETIME_S
            )
        })
    }

    /// First visits from a known network: the catalog's firmographics labels
    /// fill in industry and company size the visitor has not declared.
    fn label_network(
        &self,
        req: &PageRequest<'_>,
        visitor: &mut Visitor,
        manifest: &Manifest,
        timing: &mut ServerTiming,
    ) {
        let Some(document) = manifest
            .firmographics
            .as_ref()
            .filter(|_| self.config.firmographics)
        else {
            return;
        };
        let Some(labels) = document.lookup(req.context.asn, req.context.as_organization) else {
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
                    attributes.insert(name.into(), serde_json::json!(value));
                    applied = true;
                }
            }
        }
        if applied {
            attributes.insert("firmographics".into(), serde_json::json!("network"));
            timing.note("firmographics", "network-labels");
        }
    }

    fn fragment_io<'b>(&'b self, site: &'b str, version: &'b str) -> FragmentIo<'b, K, C, T, Ca> {
        FragmentIo {
            site,
            version,
            memory: self.fragments,
            cache: self.cache,
            kv: self.kv,
            clock: self.clock,
            timer: self.timer,
            background: self.background,
            ttl_s: self.config.fragment_ttl_s,
        }
    }

    fn catalog_io(&self) -> CatalogIo<'_, K, C, T> {
        CatalogIo {
            kv: self.kv,
            clock: self.clock,
            timer: self.timer,
            regex: self.regex,
        }
    }

    /// Builds the visitor's profile, loads the catalog, decides every block
    /// and resolves the fragments, all within the budget counted from
    /// `started_ms`.
    pub async fn prepare(&self, req: &PageRequest<'_>, started_ms: f64) -> Prepared {
        let mut timing = ServerTiming::new();
        let now_s = (self.clock.now_ms() / 1000.0).max(0.0) as u64;
        let mut visitor = resolve(&req.context, &self.config.profile, now_s);
        timing.note("profile", visitor.describe());
        let Planned {
            plan,
            outcome,
            decisions,
            catalog,
            set_cookie,
        } = self.plan(req, &mut visitor, started_ms, &mut timing).await;
        Prepared {
            set_cookie,
            decisions,
            catalog,
            plan,
            visitor,
            outcome,
            timing,
        }
    }

    async fn plan(
        &self,
        req: &PageRequest<'_>,
        visitor: &mut Visitor,
        started_ms: f64,
        timing: &mut ServerTiming,
    ) -> Planned {
        let Some(site) = self.config.site.as_deref() else {
            timing.note("tailor", "fail-open: no-site-configured");
            return Planned::nothing(Outcome::FailOpen("no-site"));
        };
        let deadline = Deadline::new(started_ms, self.config.budget_ms);
        let t0 = self.clock.now_ms();
        let refresh = self.config.catalog_refresh_ms;
        let loaded = self
            .catalog
            .load_or_revalidate(site, refresh, &deadline, &self.catalog_io(), self.background)
            .await;
        let t1 = self.clock.now_ms();
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                timing.phase("catalog", t1 - t0, Some(error.label().to_owned()));
                timing.note("tailor", format!("fail-open: {}", error.label()));
                return Planned::nothing(Outcome::FailOpen(error.label()));
            }
        };
        let manifest = &loaded.catalog.manifest;
        let desc = format!("{} {}", loaded.freshness.label(), manifest.version);
        timing.phase("catalog", t1 - t0, Some(desc));
        if !manifest.covers_page(req.path) {
            return Planned {
                catalog: Some(loaded.catalog.clone()),
                ..Planned::nothing(Outcome::NotCovered)
            };
        }
        let now_s = (self.clock.now_ms() / 1000.0).max(0.0) as u64;
        let set_cookie = self.track(req, visitor, manifest, now_s, timing);
        self.label_network(req, visitor, manifest, timing);
        let decisions = decide(&loaded.catalog, visitor, now_s);
        let t2 = self.clock.now_ms();
        let summary: Vec<String> = decisions
            .iter()
            .map(|d| format!("{}:{}:{}", d.block, d.variant, d.reason.label()))
            .collect();
        timing.phase("decide", t2 - t1, Some(summary.join(" ")));

        let refs: Vec<FragmentRef<'_>> = decisions
            .iter()
            .map(|d| FragmentRef {
                block: &d.block,
                variant: &d.variant,
                hash: &d.fragment,
            })
            .collect();
        let io = self.fragment_io(site, &manifest.version);
        let published = fetch_all(&refs, &deadline, &io);
        let generated = self.generate_all(site, manifest, &decisions, visitor, &deadline);
        let (fetched, generated) = join(published, generated).await;
        let t3 = self.clock.now_ms();
        let mut plan = RewritePlan::new();
        let (mut memory, mut cache, mut kv, mut missed) = (0, 0, 0, Vec::new());
        let mut notes = Vec::new();
        for ((decision, result), made) in decisions.iter().zip(fetched).zip(generated) {
            let html = match made {
                Some(Ok((html, source))) => {
                    notes.push(format!("{}:{}", decision.block, generated_label(source)));
                    Some(html)
                }
                Some(Err(miss)) => {
                    notes.push(format!("{}:{}", decision.block, miss.label()));
                    None
                }
                None => None,
            };
            let html = match (html, result) {
                (Some(html), _) => html,
                (None, Ok((html, source))) => {
                    match source {
                        FragmentSource::Memory => memory += 1,
                        FragmentSource::Cache => cache += 1,
                        FragmentSource::Kv => kv += 1,
                    }
                    html
                }
                (None, Err(miss)) => {
                    missed.push(miss.label());
                    continue;
                }
            };
            let fill = Fill {
                variant: decision.variant.clone(),
                html,
            };
            plan.insert(decision.block.clone(), fill);
        }
        let mut desc = format!("{memory} memory {cache} cache {kv} kv");
        if !missed.is_empty() {
            desc.push_str(&format!(" {} missed: {}", missed.len(), missed.join(" ")));
        }
        if !notes.is_empty() {
            desc.push_str(&format!("; generated: {}", notes.join(" ")));
        }
        timing.phase("fragments", t3 - t2, Some(desc));
        Planned {
            plan,
            outcome: Outcome::Personalize,
            decisions,
            catalog: Some(loaded.catalog.clone()),
            set_cookie,
        }
    }

    /// The generated fragment for each decision that asks for one (a
    /// generated variant, or a block that generates when no variant fits
    /// the visitor's segment), `None` for the others.
    async fn generate_all(
        &self,
        site: &str,
        manifest: &Manifest,
        decisions: &[Decision],
        visitor: &Visitor,
        deadline: &Deadline,
    ) -> Vec<Option<Result<(Rc<str>, GeneratedSource), crate::fragments::generate::GenerateMiss>>> {
        let (Some(generation), Some(segment)) = (&self.generation, segment_of(visitor)) else {
            return vec![None; decisions.len()];
        };
        let io = GenerateIo {
            cache: self.cache,
            generator: generation.generator,
            sanitizer: generation.sanitizer,
            clock: self.clock,
            timer: self.timer,
            background: self.background,
            state: generation.state,
            memory: self.fragments,
            ttl_s: self.config.fragment_ttl_s,
        };
        let wait_ms = deadline.remaining_ms(self.clock.now_ms());
        let lookups = decisions.iter().map(|decision| {
            let block = manifest.blocks.get(&decision.block);
            let variant = block.and_then(|b| b.variants.iter().find(|v| v.id == decision.variant));
            let settings = block.and_then(|b| b.generate).unwrap_or_default();
            let wanted = variant.is_some_and(|v| v.generated)
                || (settings.unmatched && decision.reason == Reason::Default);
            let request = wanted.then(|| GenerateRequest {
                site: site.to_owned(),
                block: decision.block.clone(),
                variant: decision.variant.clone(),
                catalog_version: manifest.version.clone(),
                segment: segment.clone(),
            });
            let io = &io;
            async move {
                match request {
                    Some(request) => Some(generated(request, settings.approval, wait_ms, io).await),
                    None => None,
                }
            }
        });
        join_all(lookups).await
    }
}

fn generated_label(source: GeneratedSource) -> &'static str {
    match source {
        GeneratedSource::Memory => "memory",
        GeneratedSource::Cache => "cache",
        GeneratedSource::Generator => "generator",
    }
}

/// A change the engine makes to the origin's response headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Replace any value with this one.
    Set(&'static str, String),
    /// Add this value beside any existing ones.
    Append(&'static str, String),
    /// Remove the header.
    Remove(&'static str),
}

/// What to do with the origin's response.
#[derive(Debug, Clone, PartialEq)]
pub enum Disposition {
    /// Serve it exactly as it came: headers and body byte-identical.
    PassThrough,
    /// Serve its body unchanged, with diagnostics headers added.
    Annotate {
        /// Header changes.
        headers: Vec<HeaderEdit>,
    },
    /// Stream its body through the rewriter applying `plan`.
    Rewrite {
        /// Blocks to fill.
        plan: RewritePlan,
        /// Header changes.
        headers: Vec<HeaderEdit>,
    },
}

/// Decides what to do with the origin's response, given what was prepared.
/// Only a 200 `text/html` response is ever changed.
pub fn dispose(prepared: Prepared, head: &impl ResponseHead) -> Disposition {
    if !is_personalizable_response(head) || prepared.outcome == Outcome::NotCovered {
        return Disposition::PassThrough;
    }
    let mut timing = prepared.timing;
    if prepared.plan.is_empty() {
        return Disposition::Annotate {
            headers: vec![HeaderEdit::Append("server-timing", timing.header_value())],
        };
    }
    timing.note("rewrite", format!("streaming {} blocks", prepared.plan.len()));
    Disposition::Rewrite {
        plan: prepared.plan,
        headers: vec![
            // The body now depends on who asked: no shared cache may keep it,
            // including CDNs that obey targeted directives over Cache-Control (RFC 9213).
            HeaderEdit::Set("cache-control", "private, no-store".to_owned()),
            HeaderEdit::Remove("cdn-cache-control"),
            HeaderEdit::Remove("cloudflare-cdn-cache-control"),
            HeaderEdit::Remove("surrogate-control"),
            // Validators and length describe the origin's bytes, not ours.
            HeaderEdit::Remove("etag"),
            HeaderEdit::Remove("last-modified"),
            HeaderEdit::Remove("content-length"),
            HeaderEdit::Append("server-timing", timing.header_value()),
        ]
        .into_iter()
        .chain(prepared.set_cookie.map(|c| HeaderEdit::Append("set-cookie", c)))
        .collect(),
    }
}

/// A 200 response whose content type is HTML, and not a partial one.
pub fn is_personalizable_response(head: &impl ResponseHead) -> bool {
    head.status() == 200
        && head.header("content-range").is_none()
        && head.header("content-type").is_some_and(|ct| {
            ct.split(';')
                .next()
                .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("text/html"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_point_skips_the_same_static_extensions_as_rust() {
        // src/worker/entry.mjs sends these to the origin without entering wasm.
        let entry = include_str!("worker/entry.mjs");
        let start = entry
            .find("const STATIC_EXTENSIONS = new Set([")
            .expect("the list in entry.mjs");
        let list = &entry[start..];
        let list = &list[list.find('[').unwrap() + 1..list.find(']').unwrap()];
        let in_js: Vec<&str> = list
            .split(',')
            .map(|e| e.trim().trim_matches('\''))
            .filter(|e| !e.is_empty())
            .collect();
        assert_eq!(in_js, STATIC_EXTENSIONS);
    }

    fn req(method: &'static str, path: &'static str) -> PageRequest<'static> {
        PageRequest {
            method,
            path,
            has_range: false,
            record_visit: true,
            context: RequestContext::default(),
        }
    }

    #[test]
    fn paths_and_queries_are_taken_from_absolute_urls() {
        assert_eq!(path_of("https://example.com/pricing?plan=x#top"), "/pricing");
        assert_eq!(
            path_and_query_of("https://example.com/pricing?plan=x#top"),
            "/pricing?plan=x"
        );
        assert_eq!(path_of("http://127.0.0.1:8787"), "/");
        assert_eq!(path_and_query_of("http://h?x=1"), "/");
        assert_eq!(path_of("/already/a/path"), "/already/a/path");
        assert_eq!(
            query_of("https://example.com/p?utm_source=x&a=1#f"),
            "utm_source=x&a=1"
        );
        assert_eq!(query_of("https://example.com/p"), "");
    }

    #[test]
    fn only_get_and_head_page_requests_are_personalized() {
        assert_eq!(should_personalize(&req("GET", "/")), Ok(()));
        assert_eq!(should_personalize(&req("head", "/pricing")), Ok(()));
        assert_eq!(should_personalize(&req("POST", "/")), Err(Skip::Method));
        assert_eq!(
            should_personalize(&PageRequest {
                has_range: true,
                ..req("GET", "/")
            }),
            Err(Skip::Range)
        );
    }

    #[test]
    fn static_assets_skip_all_work_but_lookalike_paths_do_not() {
        assert_eq!(
            should_personalize(&req("GET", "/assets/site.CSS")),
            Err(Skip::StaticAsset)
        );
        assert_eq!(
            should_personalize(&req("GET", "/logo.png")),
            Err(Skip::StaticAsset)
        );
        assert_eq!(should_personalize(&req("GET", "/page.css;x")), Ok(()));
        assert_eq!(should_personalize(&req("GET", "/v1.2/")), Ok(()));
        assert_eq!(should_personalize(&req("GET", "/docs.html")), Ok(()));
    }
}
