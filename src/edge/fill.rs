//! Fragments for decisions: published ones from memory, the Cache API or KV,
//! generated ones from the caches or the origin's generator; all by the
//! deadline. Only a page (and the preview gallery) comes here.

use std::rc::Rc;

use futures_util::future::{join, join_all};

use super::{Decided, Edge};
use crate::budget::Deadline;
use crate::catalog::Manifest;
use crate::decide::{Decision, Reason};
use crate::fragments::generate::{generated, segment_of, GenerateMiss, GenerateScope, GeneratedSource};
use crate::fragments::{fetch_all, FragmentRef, FragmentScope, FragmentSource};
use crate::platform::{GenerateRequest, Platform};
use crate::profile::Visitor;
use crate::rewrite::{Fill, RewritePlan};
use crate::timing::ServerTiming;

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

type Generated = Option<Result<(Rc<str>, GeneratedSource), GenerateMiss>>;

impl<P: Platform> Edge<'_, P> {
    fn fragment_scope<'b>(&'b self, site: &'b str, version: &'b str) -> FragmentScope<'b> {
        FragmentScope {
            site,
            version,
            memory: self.isolate.fragments(self.config),
            ttl_s: self.config.fragment_ttl_s,
        }
    }

    /// The plan for `decided`: each decision's fragment (generated where the
    /// block asks for it and the generator delivers by the deadline), or
    /// nothing for that block when neither could be had in time.
    pub(super) async fn fill(
        &self,
        decided: &Decided,
        deadline: &Deadline,
        timing: &mut ServerTiming,
    ) -> RewritePlan {
        let (Some(site), Some(catalog)) = (self.config.site.as_deref(), decided.catalog.as_ref()) else {
            return RewritePlan::new();
        };
        let manifest = &catalog.manifest;
        let decisions = &decided.decisions;
        let t0 = self.now_ms();
        let refs: Vec<FragmentRef<'_>> = decisions
            .iter()
            .map(|d| FragmentRef {
                block: &d.block,
                variant: &d.variant,
                hash: &d.fragment,
            })
            .collect();
        let scope = self.fragment_scope(site, &manifest.version);
        let published = fetch_all(&refs, deadline, scope, &self.platform);
        let generated = self.generate_all(site, manifest, decisions, &decided.visitor, deadline);
        let (fetched, generated) = join(published, generated).await;
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
        timing.phase("fragments", self.now_ms() - t0, Some(desc));
        plan
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
    ) -> Vec<Generated> {
        let (Some(_), Some(segment)) = (self.platform.generation(), segment_of(visitor)) else {
            return vec![None; decisions.len()];
        };
        let scope = GenerateScope {
            state: &self.isolate.generation,
            memory: self.isolate.fragments(self.config),
            ttl_s: self.config.fragment_ttl_s,
            retry_s: self.config.generator_retry_s,
        };
        let lookups = decisions.iter().map(|decision| {
            let block = manifest.blocks.get(&decision.block);
            let variant = block.and_then(|b| b.variants.iter().find(|v| v.id == decision.variant));
            let settings = block.and_then(|b| b.generate.as_ref());
            let (unmatched, approval) = settings.map_or((false, false), |g| (g.unmatched, g.approval));
            let wanted =
                variant.is_some_and(|v| v.generated) || (unmatched && decision.reason == Reason::Default);
            let request = wanted.then(|| GenerateRequest {
                site: site.to_owned(),
                block: decision.block.clone(),
                variant: decision.variant.clone(),
                catalog_version: manifest.version.clone(),
                segment: segment.clone(),
                brief: settings.and_then(|g| g.brief.clone()),
                guardrails: settings.and_then(|g| g.guardrails.clone()),
            });
            async move {
                match request {
                    Some(request) => {
                        Some(generated(request, approval, deadline, scope, &self.platform).await)
                    }
                    None => None,
                }
            }
        });
        join_all(lookups).await
    }

    /// Every block's variants with their fragments, for the preview gallery.
    pub async fn gallery(&self) -> Vec<GalleryBlock> {
        let deadline = Deadline::new(self.now_ms(), self.config.budget_ms.max(1_000));
        let (Some(site), Ok(loaded)) = (self.config.site.as_deref(), self.live_catalog(&deadline).await)
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
        let scope = self.fragment_scope(site, &manifest.version);
        let mut fetched = fetch_all(&refs, &deadline, scope, &self.platform)
            .await
            .into_iter();
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
}

fn generated_label(source: GeneratedSource) -> &'static str {
    match source {
        GeneratedSource::Memory => "memory",
        GeneratedSource::Cache => "cache",
        GeneratedSource::Generator => "generator",
    }
}
