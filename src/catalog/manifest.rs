//! The stored documents: the pointer and the manifest.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::ValidationError;
use crate::signals::{Firmographics, Signal, SignalSettings};

/// The manifest schema this build reads and writes.
pub const MANIFEST_SCHEMA: u32 = 1;
/// Largest manifest the edge will parse.
pub const MAX_MANIFEST_BYTES: usize = 1024 * 1024;
/// Largest pointer document the edge will parse.
pub const MAX_POINTER_BYTES: usize = 4 * 1024;
/// Most blocks one manifest may declare.
pub const MAX_BLOCKS: usize = 256;
/// Most variants one block may declare.
pub const MAX_VARIANTS: usize = 64;
/// Most page patterns one manifest may declare.
pub const MAX_PAGES: usize = 256;
const MAX_ID_LEN: usize = 64;
const MAX_PAGE_LEN: usize = 512;

/// The small document at `tailor/{site}/live` naming the live manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    /// Pointer schema (same numbering as the manifest).
    pub schema: u32,
    /// The live manifest's version.
    pub version: String,
}

/// One immutable, versioned description of a site's personalizable blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Schema number; a reader refuses schemas it does not know.
    pub schema: u32,
    /// The site this manifest belongs to.
    pub site: String,
    /// Content hash of this manifest (see [`Manifest::compute_version`]).
    pub version: String,
    /// Paths where personalization runs (`/pricing`, or a prefix `/docs/*`).
    /// Absent: every page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pages: Option<Vec<String>>,
    /// Blocks by name, as written in `<tailor-block name="…">`.
    pub blocks: BTreeMap<String, Block>,
    /// Share of identified visitors (0–0.5) who always see defaults, so the
    /// lift of personalization can be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holdout: Option<f64>,
    /// Deliberate exploration of adjacent variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploration: Option<Exploration>,
    /// Saved groups for `$inGroup` / `$notInGroup` conditions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub saved_groups: BTreeMap<String, Vec<serde_json::Value>>,
    /// Behavioral signals the edge keeps for visitors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<Signal>,
    /// Decay and visit settings for signals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal_settings: Option<SignalSettings>,
    /// Network → segment labels for first visits (used only when enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub firmographics: Option<Firmographics>,
}

/// The exploration quota: a share of eligible decisions shows an adjacent
/// variant instead of the best match, the same one per visitor and period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exploration {
    /// Share of decisions explored, 0–0.5.
    pub share: f64,
    /// How long a visitor keeps the same exploration draw, in hours.
    #[serde(default = "default_period_hours")]
    pub period_hours: u32,
}

fn default_period_hours() -> u32 {
    24
}

/// A personalizable block and its variants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Block {
    /// The id of the variant shown when nothing more specific applies.
    pub default: String,
    /// Variants in priority order.
    pub variants: Vec<Variant>,
    /// An experiment that splits eligible visitors between variants.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment: Option<BlockExperiment>,
    /// Per-variant success statistics: choose by Thompson sampling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bandit: Option<Bandit>,
}

/// An experiment on a block, GrowthBook-compatible: the same key, seed,
/// weights, coverage, hash version and namespace give the same arm as any
/// GrowthBook SDK.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BlockExperiment {
    /// Experiment key (the hash seed unless `seed` is set).
    pub key: String,
    /// Variant ids, one per arm, in arm order.
    pub variations: Vec<String>,
    /// Traffic share per arm; equal when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// Share of eligible visitors enrolled; 1 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<f64>,
    /// Hash version, 1 or 2 (GrowthBook's default is 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_version: Option<u32>,
    /// Hash seed; the key when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// Namespace `[id, start, end]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<(String, f64, f64)>,
    /// The attribute hashed; `id` (the profile's bucketing id) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash_attribute: Option<String>,
    /// Who is eligible (condition); everyone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<serde_json::Value>,
}

/// Beta posteriors per variant, pushed by the origin's aggregator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bandit {
    /// Variant id → `[alpha, beta]` (successes + 1, failures + 1).
    pub arms: BTreeMap<String, (f64, f64)>,
    /// How long a visitor keeps the same draw, in hours.
    #[serde(default = "default_period_hours")]
    pub period_hours: u32,
}

/// One way to fill a block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Unique within the block.
    pub id: String,
    /// SHA-256 (lowercase hex) of the fragment's HTML: its KV key.
    pub fragment: String,
    /// Targeting condition (GrowthBook condition language), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<serde_json::Value>,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Block names and variant ids: 1–64 of `a-z`, `0-9`, `-`, `_`.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Pointer {
    /// Parses a stored pointer, refusing oversized or unknown-schema documents.
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        if text.len() > MAX_POINTER_BYTES {
            return Err(ValidationError::new("", "pointer is too large"));
        }
        let pointer: Pointer = serde_json::from_str(text)
            .map_err(|e| ValidationError::new("", format!("not a pointer document: {e}")))?;
        if pointer.schema != MANIFEST_SCHEMA {
            return Err(ValidationError::new(
                "schema",
                format!("unsupported schema {}", pointer.schema),
            ));
        }
        if !is_valid_version(&pointer.version) {
            return Err(ValidationError::new("version", "not a manifest version"));
        }
        Ok(pointer)
    }
}

fn is_valid_version(v: &str) -> bool {
    v.len() <= MAX_ID_LEN && is_valid_id(v)
}

impl Manifest {
    /// Parses and validates a stored manifest for `site`.
    pub fn parse(text: &str, site: &str) -> Result<Self, ValidationError> {
        if text.len() > MAX_MANIFEST_BYTES {
            return Err(ValidationError::new(
                "",
                format!("manifest is larger than {MAX_MANIFEST_BYTES} bytes"),
            ));
        }
        let manifest: Manifest = serde_json::from_str(text)
            .map_err(|e| ValidationError::new("", format!("not a manifest: {e}")))?;
        manifest.validate()?;
        if manifest.site != site {
            return Err(ValidationError::new(
                "site",
                format!("manifest is for site `{}`", manifest.site),
            ));
        }
        Ok(manifest)
    }

    /// Checks every rule a manifest must satisfy; the first problem found is
    /// returned with its path.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.schema != MANIFEST_SCHEMA {
            return Err(ValidationError::new(
                "schema",
                format!(
                    "unsupported schema {} (this build reads {MANIFEST_SCHEMA})",
                    self.schema
                ),
            ));
        }
        if !is_valid_id(&self.site) {
            return Err(ValidationError::new("site", "must be 1-64 of a-z 0-9 - _"));
        }
        if !is_valid_version(&self.version) {
            return Err(ValidationError::new("version", "not a manifest version"));
        }
        if let Some(pages) = &self.pages {
            validate_pages(pages)?;
        }
        if self.blocks.len() > MAX_BLOCKS {
            return Err(ValidationError::new(
                "blocks",
                format!("more than {MAX_BLOCKS} blocks"),
            ));
        }
        for (name, block) in &self.blocks {
            block.validate(&format!("blocks.{name}"), name)?;
        }
        if self.holdout.is_some_and(|h| !(0.0..=0.5).contains(&h)) {
            return Err(ValidationError::new(
                "holdout",
                "must be a share between 0 and 0.5",
            ));
        }
        crate::signals::validate(&self.signals, &self.signal_settings.clone().unwrap_or_default())?;
        if let Some(firmographics) = &self.firmographics {
            firmographics.validate()?;
        }
        if let Some(exploration) = &self.exploration {
            if !(0.0..=0.5).contains(&exploration.share) {
                return Err(ValidationError::new(
                    "exploration.share",
                    "must be between 0 and 0.5",
                ));
            }
            if exploration.period_hours == 0 {
                return Err(ValidationError::new(
                    "exploration.period_hours",
                    "must be at least 1",
                ));
            }
        }
        Ok(())
    }

    /// The version a manifest with this content must carry: a hash of the
    /// content, so the same set always gets the same version.
    pub fn compute_version(&self) -> String {
        let mut unversioned = self.clone();
        unversioned.version = String::new();
        // Serializing plain data with string keys cannot fail.
        let bytes = serde_json::to_vec(&unversioned).unwrap_or_default();
        let digest = sha256_hex(&bytes);
        format!("v-{}", digest.get(..16).unwrap_or(&digest))
    }

    /// Whether personalization runs on `path`.
    pub fn covers_page(&self, path: &str) -> bool {
        match &self.pages {
            None => true,
            Some(pages) => pages.iter().any(|pattern| page_matches(pattern, path)),
        }
    }
}

fn validate_pages(pages: &[String]) -> Result<(), ValidationError> {
    if pages.len() > MAX_PAGES {
        return Err(ValidationError::new(
            "pages",
            format!("more than {MAX_PAGES} patterns"),
        ));
    }
    for (i, page) in pages.iter().enumerate() {
        let star_inside = page.trim_end_matches('*').contains('*');
        if !page.starts_with('/') || page.len() > MAX_PAGE_LEN || star_inside {
            return Err(ValidationError::new(
                format!("pages.{i}"),
                "a page is an absolute path, optionally ending in `*`",
            ));
        }
    }
    Ok(())
}

/// `/docs/*` matches every path under `/docs/`; anything else matches exactly.
fn page_matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

impl Block {
    fn validate(&self, at: &str, name: &str) -> Result<(), ValidationError> {
        if !is_valid_id(name) {
            return Err(ValidationError::new(at, "block name must be 1-64 of a-z 0-9 - _"));
        }
        if self.variants.is_empty() {
            return Err(ValidationError::new(
                format!("{at}.variants"),
                "a block needs at least its default variant",
            ));
        }
        if self.variants.len() > MAX_VARIANTS {
            return Err(ValidationError::new(
                format!("{at}.variants"),
                format!("more than {MAX_VARIANTS} variants"),
            ));
        }
        let mut seen = HashSet::new();
        for (i, variant) in self.variants.iter().enumerate() {
            let vat = format!("{at}.variants.{i}");
            if !is_valid_id(&variant.id) {
                return Err(ValidationError::new(
                    format!("{vat}.id"),
                    "must be 1-64 of a-z 0-9 - _",
                ));
            }
            if !seen.insert(variant.id.as_str()) {
                return Err(ValidationError::new(
                    format!("{vat}.id"),
                    format!("duplicate variant id `{}`", variant.id),
                ));
            }
            if !is_sha256_hex(&variant.fragment) {
                return Err(ValidationError::new(
                    format!("{vat}.fragment"),
                    "must be a lowercase hex SHA-256",
                ));
            }
        }
        if !seen.contains(self.default.as_str()) {
            return Err(ValidationError::new(
                format!("{at}.default"),
                format!("names no variant of this block (`{}`)", self.default),
            ));
        }
        if let Some(experiment) = &self.experiment {
            for (i, id) in experiment.variations.iter().enumerate() {
                if !seen.contains(id.as_str()) {
                    return Err(ValidationError::new(
                        format!("{at}.experiment.variations.{i}"),
                        format!("names no variant of this block (`{id}`)"),
                    ));
                }
            }
        }
        if let Some(bandit) = &self.bandit {
            for (id, (alpha, beta)) in &bandit.arms {
                if !seen.contains(id.as_str()) {
                    return Err(ValidationError::new(
                        format!("{at}.bandit.arms.{id}"),
                        "names no variant of this block",
                    ));
                }
                if !(alpha.is_finite() && beta.is_finite() && *alpha > 0.0 && *beta > 0.0) {
                    return Err(ValidationError::new(
                        format!("{at}.bandit.arms.{id}"),
                        "alpha and beta must be positive numbers",
                    ));
                }
            }
            if bandit.period_hours == 0 {
                return Err(ValidationError::new(
                    format!("{at}.bandit.period_hours"),
                    "must be at least 1",
                ));
            }
        }
        Ok(())
    }

    /// The default variant (validated to exist).
    pub fn default_variant(&self) -> Option<&Variant> {
        self.variants.iter().find(|v| v.id == self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(c: char) -> String {
        std::iter::repeat_n(c, 64).collect()
    }

    fn manifest() -> Manifest {
        let mut blocks = BTreeMap::new();
        blocks.insert(
            "hero".to_owned(),
            Block {
                default: "default".to_owned(),
                variants: vec![Variant {
                    id: "default".to_owned(),
                    fragment: hash('a'),
                    when: None,
                }],
                experiment: None,
                bandit: None,
            },
        );
        let mut m = Manifest {
            schema: 1,
            site: "demo".to_owned(),
            version: String::new(),
            pages: None,
            blocks,
            holdout: None,
            exploration: None,
            saved_groups: BTreeMap::new(),
            signals: Vec::new(),
            signal_settings: None,
            firmographics: None,
        };
        m.version = m.compute_version();
        m
    }

    #[test]
    fn a_well_formed_manifest_round_trips_through_json() {
        let m = manifest();
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(Manifest::parse(&text, "demo").unwrap(), m);
    }

    #[test]
    fn the_version_is_a_hash_of_the_content() {
        let a = manifest();
        let mut b = manifest();
        assert_eq!(a.compute_version(), b.compute_version());
        b.blocks.get_mut("hero").unwrap().variants[0].fragment = hash('b');
        assert_ne!(a.compute_version(), b.compute_version());
        assert!(a.version.starts_with("v-") && a.version.len() == 18);
    }

    #[test]
    fn a_manifest_for_another_site_is_refused() {
        let text = serde_json::to_string(&manifest()).unwrap();
        let err = Manifest::parse(&text, "other").unwrap_err();
        assert_eq!(err.path, "site");
    }

    #[test]
    fn a_default_that_names_no_variant_is_refused_with_its_path() {
        let mut m = manifest();
        m.blocks.get_mut("hero").unwrap().default = "nope".to_owned();
        assert_eq!(m.validate().unwrap_err().path, "blocks.hero.default");
    }

    #[test]
    fn duplicate_variant_ids_and_bad_hashes_are_refused() {
        let mut m = manifest();
        let v = m.blocks["hero"].variants[0].clone();
        m.blocks.get_mut("hero").unwrap().variants.push(v);
        assert_eq!(m.validate().unwrap_err().path, "blocks.hero.variants.1.id");
        let mut m = manifest();
        m.blocks.get_mut("hero").unwrap().variants[0].fragment = "ABC".to_owned();
        assert_eq!(m.validate().unwrap_err().path, "blocks.hero.variants.0.fragment");
    }

    #[test]
    fn unknown_schemas_and_oversized_documents_are_refused() {
        let mut m = manifest();
        m.schema = 2;
        assert_eq!(m.validate().unwrap_err().path, "schema");
        let huge = " ".repeat(MAX_MANIFEST_BYTES + 1);
        assert!(Manifest::parse(&huge, "demo").is_err());
    }

    #[test]
    fn page_patterns_match_exact_paths_and_prefixes() {
        let mut m = manifest();
        m.pages = Some(vec!["/".to_owned(), "/docs/*".to_owned()]);
        assert!(m.covers_page("/"));
        assert!(m.covers_page("/docs/"));
        assert!(m.covers_page("/docs/a/b"));
        assert!(!m.covers_page("/pricing"));
        assert!(!m.covers_page("/docs"));
        m.pages = Some(vec!["/a*b".to_owned()]);
        assert_eq!(m.validate().unwrap_err().path, "pages.0");
    }

    #[test]
    fn pointers_are_parsed_strictly() {
        assert_eq!(
            Pointer::parse(r#"{"schema":1,"version":"v-0123456789abcdef"}"#)
                .unwrap()
                .version,
            "v-0123456789abcdef"
        );
        assert!(Pointer::parse(r#"{"schema":9,"version":"v-1"}"#).is_err());
        assert!(Pointer::parse(r#"{"schema":1,"version":"../x"}"#).is_err());
        assert!(Pointer::parse("not json").is_err());
    }
}
