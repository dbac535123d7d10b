//! The catalog source file origin teams edit (`catalog/demo.json`), and the
//! KV layout built from it: content-addressed fragments, a manifest, a pointer.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::ValidationError;
use super::keys::{fragment_key, manifest_key, pointer_key};
use super::manifest::{
    sha256_hex, Bandit, Block, BlockExperiment, Exploration, Generate, Manifest, Pointer, Variant,
    MANIFEST_SCHEMA,
};
use crate::guardrails::{source_numbers, GuardrailError, GuardrailProblem, NumbersRule};
use crate::profile::site::SiteProfile;
use crate::signals::{Firmographics, Signal, SignalSettings};
use crate::targeting::RegexEngine;

/// Largest fragment a catalog may hold.
pub const MAX_FRAGMENT_BYTES: usize = 64 * 1024;

/// A catalog as written by hand: variants carry their HTML inline or name a
/// file beside the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCatalog {
    /// Optional JSON-schema reference for editors; ignored.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema_ref: Option<String>,
    /// The site these blocks belong to.
    pub site: String,
    /// Paths where personalization runs; absent means every page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Vec<String>>,
    /// Blocks by marker name.
    pub blocks: BTreeMap<String, SourceBlock>,
    /// Share of identified visitors who always see defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<f64>,
    /// The exploration quota.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration: Option<Exploration>,
    /// Saved groups for `$savedGroup`, `$inGroup` and `$notInGroup`: lists
    /// of values or conditions (see `docs/catalog.md`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub saved_groups: BTreeMap<String, serde_json::Value>,
    /// Behavioral signals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// Signal decay and visit settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_settings: Option<SignalSettings>,
    /// Network → segment labels for first visits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmographics: Option<Firmographics>,
    /// The site's own profile dimensions and segments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<SiteProfile>,
}

/// A block as written by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceBlock {
    /// Free text for people; not published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The id of the default variant.
    pub default: String,
    /// Variants in priority order.
    pub variants: Vec<SourceVariant>,
    /// An experiment on the block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<BlockExperiment>,
    /// Bandit statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandit: Option<Bandit>,
    /// Generated content for this block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<Generate>,
}

/// A variant as written by hand: exactly one of `html` or `file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceVariant {
    /// Unique within the block.
    pub id: String,
    /// The fragment's HTML, inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// A file holding the fragment's HTML, relative to the catalog file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Targeting condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<serde_json::Value>,
    /// Content from the origin's generator per segment; the HTML is shown
    /// until a generated fragment is cached.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
}

/// A validated catalog ready to publish: the manifest and its fragments.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// The manifest, versioned by content.
    pub manifest: Manifest,
    /// Fragment HTML by SHA-256.
    pub fragments: BTreeMap<String, String>,
}

/// How a source catalog's pieces are loaded and checked while it becomes a
/// [`Bundle`].
pub struct SourceRules<'a> {
    /// Loads the file a variant names, relative to the catalog file. A pushed
    /// catalog carries its HTML inline, so the publisher refuses every file.
    pub read_file: &'a dyn Fn(&str) -> Result<String, String>,
    /// Checks a fragment's HTML; `Ok` is the HTML to store (sanitized), `Err`
    /// says what is unsafe.
    pub clean_html: &'a dyn Fn(&str) -> Result<String, String>,
    /// The regex engine the catalog's conditions must compile with.
    pub regex: &'a dyn RegexEngine,
}

impl Bundle {
    /// Builds a bundle from a source catalog's text under `rules`. Every
    /// fragment problem is reported (each with its path), then the first
    /// problem of the manifest itself.
    pub fn build(text: &str, rules: &SourceRules<'_>) -> Result<Self, Vec<ValidationError>> {
        let source: SourceCatalog = serde_json::from_str(text)
            .map_err(|e| vec![ValidationError::new("", format!("not a catalog: {e}"))])?;
        let mut problems = Vec::new();
        let mut fragments = BTreeMap::new();
        let mut blocks = BTreeMap::new();
        for (name, block) in &source.blocks {
            let mut variants = Vec::with_capacity(block.variants.len());
            for (i, variant) in block.variants.iter().enumerate() {
                let at = format!("blocks.{name}.variants.{i}");
                match fragment_html(variant, &at, rules) {
                    Ok(html) => {
                        let hash = sha256_hex(html.as_bytes());
                        fragments.insert(hash.clone(), html);
                        variants.push(Variant {
                            id: variant.id.clone(),
                            fragment: hash,
                            when: variant.when.clone(),
                            generated: variant.generated,
                        });
                    }
                    Err(problem) => problems.push(problem),
                }
            }
            let mut generate = block.generate.clone();
            if let Some(guardrails) = generate.as_mut().and_then(|g| g.guardrails.as_mut()) {
                if !guardrails.source_numbers.is_empty() {
                    problems.push(
                        GuardrailError {
                            block: name.clone(),
                            field: "guardrails.source_numbers".to_owned(),
                            problem: GuardrailProblem::SourceNumbersWritten,
                        }
                        .into(),
                    );
                }
                if guardrails.numbers == Some(NumbersRule::Source) {
                    // The block's source content: the text of every variant as published.
                    guardrails.source_numbers = source_numbers(
                        variants
                            .iter()
                            .filter_map(|v| fragments.get(&v.fragment).map(String::as_str)),
                    );
                }
            }
            blocks.insert(
                name.clone(),
                Block {
                    default: block.default.clone(),
                    variants,
                    experiment: block.experiment.clone(),
                    bandit: block.bandit.clone(),
                    generate,
                },
            );
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut manifest = Manifest {
            schema: MANIFEST_SCHEMA,
            site: source.site,
            version: String::new(),
            pages: source.pages,
            blocks,
            holdout: source.holdout,
            exploration: source.exploration,
            saved_groups: source.saved_groups,
            signals: source.signals,
            signal_settings: source.signal_settings,
            firmographics: source.firmographics,
            profile: source.profile,
        };
        manifest.version = manifest.compute_version();
        manifest.validate().map_err(|e| vec![e])?;
        // Conditions must compile now, not be discovered broken per request.
        super::CompiledCatalog::compile(std::rc::Rc::new(manifest.clone()), rules.regex)
            .map_err(|e| vec![e])?;
        Ok(Self { manifest, fragments })
    }

    /// Builds a bundle from trusted test and bench fixtures: files through
    /// `read_file`, HTML unchecked, native regexes; the first problem only.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_source(
        text: &str,
        read_file: impl Fn(&str) -> Result<String, String>,
    ) -> Result<Self, ValidationError> {
        let rules = SourceRules {
            read_file: &read_file,
            clean_html: &|html| Ok(html.to_owned()),
            regex: &crate::targeting::NativeRegex,
        };
        Self::build(text, &rules).map_err(|problems| {
            problems
                .into_iter()
                .next()
                .unwrap_or_else(|| ValidationError::new("", "invalid catalog"))
        })
    }

    /// The KV entries that publish this bundle, in safe write order:
    /// fragments, then the manifest, then the pointer that makes it live.
    pub fn kv_entries(&self) -> Vec<(String, String)> {
        let site = &self.manifest.site;
        let mut entries: Vec<(String, String)> = self
            .fragments
            .iter()
            .map(|(hash, html)| (fragment_key(site, hash), html.clone()))
            .collect();
        // Plain data with string keys: serialization cannot fail.
        let manifest = serde_json::to_string(&self.manifest).unwrap_or_default();
        entries.push((manifest_key(site, &self.manifest.version), manifest));
        let pointer = Pointer {
            schema: MANIFEST_SCHEMA,
            version: self.manifest.version.clone(),
        };
        entries.push((
            pointer_key(site),
            serde_json::to_string(&pointer).unwrap_or_default(),
        ));
        entries
    }
}

/// The source catalog `text` with every variant's `file` read into `html`:
/// the self-contained set `tailor catalog push` sends.
pub fn inline_files(
    text: &str,
    read_file: impl Fn(&str) -> Result<String, String>,
) -> Result<String, Vec<ValidationError>> {
    let mut source: SourceCatalog = serde_json::from_str(text)
        .map_err(|e| vec![ValidationError::new("", format!("not a catalog: {e}"))])?;
    let mut problems = Vec::new();
    for (name, block) in &mut source.blocks {
        for (i, variant) in block.variants.iter_mut().enumerate() {
            if let (None, Some(file)) = (&variant.html, &variant.file) {
                match read_file(file) {
                    Ok(html) => {
                        variant.html = Some(html);
                        variant.file = None;
                    }
                    Err(e) => problems.push(ValidationError::new(
                        format!("blocks.{name}.variants.{i}.file"),
                        e,
                    )),
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::to_string(&source).map_err(|e| vec![ValidationError::new("", e.to_string())])
}

/// A variant's HTML: inline or from its file, within the size cap, cleaned.
fn fragment_html(
    variant: &SourceVariant,
    at: &str,
    rules: &SourceRules<'_>,
) -> Result<String, ValidationError> {
    let html = match (&variant.html, &variant.file) {
        (Some(html), None) => html.clone(),
        (None, Some(file)) => {
            (rules.read_file)(file).map_err(|e| ValidationError::new(format!("{at}.file"), e))?
        }
        _ => return Err(ValidationError::new(at, "give exactly one of `html` or `file`")),
    };
    if html.len() > MAX_FRAGMENT_BYTES {
        return Err(ValidationError::new(
            at,
            format!(
                "fragment is {} bytes; the cap is {MAX_FRAGMENT_BYTES}",
                html.len()
            ),
        ));
    }
    (rules.clean_html)(&html).map_err(|e| ValidationError::new(at, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"{
      "site": "demo",
      "blocks": {
        "hero": {
          "default": "default",
          "variants": [
            { "id": "default", "html": "<h1>Hello</h1>" },
            { "id": "cto", "file": "hero/cto.html", "when": { "role": "cto" } }
          ]
        }
      }
    }"#;

    fn files(path: &str) -> Result<String, String> {
        match path {
            "hero/cto.html" => Ok("<h1>Hello, CTO</h1>".to_owned()),
            _ => Err(format!("cannot read {path}")),
        }
    }

    #[test]
    fn a_source_catalog_becomes_fragments_a_manifest_and_a_pointer_in_that_order() {
        let bundle = Bundle::from_source(SOURCE, files).unwrap();
        let keys: Vec<String> = bundle.kv_entries().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys.len(), 4);
        assert!(keys[0].starts_with("tailor/demo/fragment/"));
        assert!(keys[1].starts_with("tailor/demo/fragment/"));
        assert_eq!(
            keys[2],
            format!("tailor/demo/manifest/{}", bundle.manifest.version)
        );
        assert_eq!(keys[3], "tailor/demo/live");
        let cto = &bundle.manifest.blocks["hero"].variants[1];
        assert_eq!(bundle.fragments[&cto.fragment], "<h1>Hello, CTO</h1>");
    }

    #[test]
    fn inlining_files_yields_a_self_contained_set_with_the_same_version() {
        let inlined = inline_files(SOURCE, files).unwrap();
        assert!(!inlined.contains("\"file\""));
        let pushed = Bundle::from_source(&inlined, |_| Err("no files".into())).unwrap();
        assert_eq!(pushed, Bundle::from_source(SOURCE, files).unwrap());
        let missing = SOURCE.replace("hero/cto.html", "hero/nope.html");
        assert_eq!(
            inline_files(&missing, files).unwrap_err()[0].path,
            "blocks.hero.variants.1.file"
        );
    }

    #[test]
    fn the_same_source_always_yields_the_same_version() {
        let a = Bundle::from_source(SOURCE, files).unwrap();
        let b = Bundle::from_source(SOURCE, files).unwrap();
        assert_eq!(a.manifest.version, b.manifest.version);
    }

    #[test]
    fn guardrails_are_compiled_with_the_numbers_of_the_blocks_source_content() {
        let with = |generate: &str| {
            SOURCE.replace(
                "\"variants\": [",
                &format!("\"generate\": {generate}, \"variants\": ["),
            )
        };
        let text = with(r#"{"unmatched": true, "brief": "A hero.", "guardrails": {"max_words": 12, "numbers": "source"}}"#)
            .replace("<h1>Hello</h1>", "<h1>Hello in 2 minutes, 1,000 teams</h1>");
        let bundle = Bundle::from_source(&text, files).unwrap();
        let generate = bundle.manifest.blocks["hero"].generate.clone().unwrap();
        assert_eq!(generate.brief.as_deref(), Some("A hero."));
        assert_eq!(generate.guardrails.unwrap().source_numbers, ["1000", "2"]);
        let hand_written = with(r#"{"guardrails": {"numbers": "source", "source_numbers": ["99"]}}"#);
        assert_eq!(
            Bundle::from_source(&hand_written, files).unwrap_err().path,
            "blocks.hero.generate.guardrails.source_numbers"
        );
        let zero = with(r#"{"guardrails": {"max_chars": 0}}"#);
        let error = Bundle::from_source(&zero, files).unwrap_err();
        assert_eq!(error.path, "blocks.hero.generate.guardrails.max_chars");
        assert_eq!(error.message, "must be a whole number from 1 to 65536");
        let empty_brief = with(r#"{"brief": " "}"#);
        assert_eq!(
            Bundle::from_source(&empty_brief, files).unwrap_err().path,
            "blocks.hero.generate.brief"
        );
    }

    #[test]
    fn problems_are_reported_with_their_path() {
        let missing_file = SOURCE.replace("hero/cto.html", "hero/nope.html");
        let err = Bundle::from_source(&missing_file, files).unwrap_err();
        assert_eq!(err.path, "blocks.hero.variants.1.file");
        let typo = SOURCE.replace("\"when\"", "\"wen\"");
        assert!(Bundle::from_source(&typo, files)
            .unwrap_err()
            .message
            .contains("wen"));
        let bad_default = SOURCE.replace("\"default\": \"default\"", "\"default\": \"x\"");
        assert_eq!(
            Bundle::from_source(&bad_default, files).unwrap_err().path,
            "blocks.hero.default"
        );
    }
}
