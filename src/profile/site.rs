//! The site's own profile dimensions and segments: what its customer data
//! platform knows ("renewal in 14 days", "at 80 % of the usage limit",
//! computed segment memberships), declared in the catalog's `profile` and
//! carried by the signed cookie's `d` and `s` (`docs/profile-cookie.md`).
//!
//! The cookie may carry anything its grammar allows; only what the live
//! catalog declares becomes a targeting attribute, and only while it is
//! younger than its declared age. An undeclared name, a label outside the
//! declared ones, a number out of range: left out, never an error (the
//! cookie was signed against another catalog version, perhaps).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::payload::{is_dimension_name, is_label, MAX_SITE_DIMENSIONS};

/// Attribute names a site dimension may not take: the edge sets these.
pub const RESERVED_NAMES: &[&str] = &[
    "id",
    "industry",
    "role",
    "company_size",
    "lifecycle",
    "plan",
    "experiments",
    "segments",
    "device",
    "bot",
    "source",
    "country",
    "visitor",
    "visits",
    "signals",
    "consent",
    "firmographics",
    "language",
    "timezone",
    "local_hour",
    "weekday",
    "local_date",
    "date",
];

/// Most segments a catalog may declare.
pub const MAX_DECLARED_SEGMENTS: usize = 64;
/// Longest `max_age_days`: the cookie's own longest lifetime.
pub const MAX_AGE_DAYS: u32 = 400;

/// The catalog's `profile`: dimensions by name, and segments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteProfile {
    /// Dimensions by attribute name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub dimensions: BTreeMap<String, Dimension>,
    /// Segment labels the site computes; exposed as `segments`, a list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub segments: Vec<String>,
    /// Segment memberships older than this (from the cookie's `i`) are
    /// forgotten; none: the cookie's life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments_max_age_days: Option<u32>,
}

/// One declared dimension.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    /// What its values are.
    #[serde(rename = "type")]
    pub kind: DimensionKind,
    /// `label`: the allowed labels; absent: any label (`[a-z0-9-]{1,32}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// `number`: the smallest value accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// `number`: the largest value accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Older than this (from the cookie's `i`), the value counts as
    /// unknown; none: the cookie's life.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
}

/// A dimension's kind of value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DimensionKind {
    /// A label: one of `labels`, or any when absent.
    Label,
    /// A whole number from `min` to `max`, exposed as a number (so
    /// conditions can compare it: `{"usage_pct": {"$gte": 80}}`).
    Number,
}

/// A declaration that cannot be used; says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {problem}")]
pub struct SiteProfileError {
    /// The declaration's path in the catalog (`profile.dimensions.usage_pct`).
    pub at: String,
    /// What is wrong.
    pub problem: String,
}

/// What the cookie carried for the site, before the catalog is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CarriedLabels {
    /// `d`: (name, label).
    pub dimensions: Vec<(String, String)>,
    /// `s`.
    pub segments: Vec<String>,
    /// The cookie's `i`, unix seconds.
    pub issued_s: u64,
}

impl SiteProfile {
    /// Checks names, labels, ranges and ages (the publisher refuses a
    /// catalog that breaks one).
    pub fn validate(&self) -> Result<(), SiteProfileError> {
        let fail = |at: String, problem: &str| {
            Err(SiteProfileError {
                at,
                problem: problem.to_owned(),
            })
        };
        if self.dimensions.len() > MAX_SITE_DIMENSIONS {
            return fail(
                "profile.dimensions".into(),
                "at most 8 dimensions (the cookie carries 8)",
            );
        }
        for (name, dimension) in &self.dimensions {
            let at = format!("profile.dimensions.{name}");
            if !is_dimension_name(name) {
                return fail(at, "a dimension's name is [a-z][a-z0-9_]{0,31}");
            }
            if RESERVED_NAMES.contains(&name.as_str()) || name.starts_with("utm_") {
                return fail(at, "this attribute is the edge's own; choose another name");
            }
            match (dimension.kind, &dimension.labels, dimension.min, dimension.max) {
                (DimensionKind::Label, Some(labels), None, None) => {
                    if labels.is_empty() || labels.iter().any(|l| !is_label(l)) {
                        return fail(at, "`labels` are 1 or more of [a-z0-9-]{1,32}");
                    }
                }
                (DimensionKind::Label, None, None, None) => {}
                (DimensionKind::Label, _, _, _) => {
                    return fail(at, "a `label` dimension takes `labels`, not `min` or `max`");
                }
                (DimensionKind::Number, None, Some(min), Some(max)) if min <= max => {}
                (DimensionKind::Number, _, _, _) => {
                    return fail(
                        at,
                        "a `number` dimension takes `min` and `max`, `min` at most `max`",
                    );
                }
            }
            if dimension
                .max_age_days
                .is_some_and(|d| !(1..=MAX_AGE_DAYS).contains(&d))
            {
                return fail(format!("{at}.max_age_days"), "from 1 to 400 days");
            }
        }
        if self.segments.len() > MAX_DECLARED_SEGMENTS {
            return fail("profile.segments".into(), "at most 64 segments");
        }
        if let Some(bad) = self.segments.iter().find(|s| !is_label(s)) {
            return fail(
                format!(
                    "profile.segments.{}",
                    self.segments.iter().position(|s| s == bad).unwrap_or(0)
                ),
                "a segment is a label [a-z0-9-]{1,32}",
            );
        }
        if self
            .segments_max_age_days
            .is_some_and(|d| !(1..=MAX_AGE_DAYS).contains(&d))
        {
            return fail("profile.segments_max_age_days".into(), "from 1 to 400 days");
        }
        Ok(())
    }

    /// The targeting attributes of what the cookie carried, as of `now_s`:
    /// each declared dimension whose value is allowed and young enough
    /// (numbers as numbers), and `segments` (declared, young enough; absent
    /// when none).
    pub fn attributes(&self, carried: &CarriedLabels, now_s: u64) -> Vec<(String, Value)> {
        let age_s = now_s.saturating_sub(carried.issued_s);
        let young = |max_age_days: Option<u32>| max_age_days.is_none_or(|d| age_s <= u64::from(d) * 86_400);
        let mut out = Vec::new();
        for (name, label) in &carried.dimensions {
            let Some(dimension) = self.dimensions.get(name).filter(|d| young(d.max_age_days)) else {
                continue;
            };
            let value = match dimension.kind {
                DimensionKind::Label => dimension
                    .labels
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(label))
                    .then(|| json!(label)),
                DimensionKind::Number => canonical_integer(label)
                    .filter(|n| dimension.min.is_none_or(|min| *n >= min))
                    .filter(|n| dimension.max.is_none_or(|max| *n <= max))
                    .map(|n| json!(n)),
            };
            if let Some(value) = value {
                out.push((name.clone(), value));
            }
        }
        if young(self.segments_max_age_days) {
            let segments: Vec<&String> = carried
                .segments
                .iter()
                .filter(|s| self.segments.contains(s))
                .collect();
            if !segments.is_empty() {
                out.push(("segments".to_owned(), json!(segments)));
            }
        }
        out
    }
}

/// `label` as a whole number written canonically (`80`, `-5`, `0`; not
/// `080` or `+5`).
fn canonical_integer(label: &str) -> Option<i64> {
    let n: i64 = label.parse().ok()?;
    (n.to_string() == label).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared() -> SiteProfile {
        serde_json::from_value(json!({
            "dimensions": {
                "usage_pct": {"type": "number", "min": 0, "max": 100, "max_age_days": 2},
                "renewal": {"type": "label", "labels": ["due-14d", "due-30d"]},
                "team": {"type": "label"}
            },
            "segments": ["power-users", "expansion-ready"],
            "segments_max_age_days": 7
        }))
        .unwrap()
    }

    fn carried(issued_s: u64) -> CarriedLabels {
        CarriedLabels {
            dimensions: vec![
                ("renewal".into(), "due-14d".into()),
                ("secret_score".into(), "9".into()),
                ("team".into(), "grew-3".into()),
                ("usage_pct".into(), "80".into()),
            ],
            segments: vec!["expansion-ready".into(), "unknown".into()],
            issued_s,
        }
    }

    #[test]
    fn declared_dimensions_become_attributes_and_numbers_stay_numbers() {
        let attributes = declared().attributes(&carried(1_000), 1_000 + 3_600);
        assert_eq!(
            attributes,
            vec![
                ("renewal".to_owned(), json!("due-14d")),
                ("team".to_owned(), json!("grew-3")),
                ("usage_pct".to_owned(), json!(80)),
                ("segments".to_owned(), json!(["expansion-ready"])),
            ]
        );
    }

    #[test]
    fn a_value_older_than_its_age_or_outside_the_declaration_is_left_out() {
        let three_days = 1_000 + 3 * 86_400;
        let names: Vec<String> = declared()
            .attributes(&carried(1_000), three_days)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            ["renewal", "team", "segments"],
            "usage_pct is 2 days at most"
        );
        let mut odd = carried(1_000);
        odd.dimensions = vec![
            ("renewal".into(), "due-90d".into()),
            ("usage_pct".into(), "080".into()),
        ];
        assert!(declared()
            .attributes(&odd, 1_000)
            .iter()
            .all(|(n, _)| n == "segments"));
        odd.dimensions = vec![("usage_pct".into(), "101".into())];
        assert_eq!(declared().attributes(&odd, 1_000).len(), 1);
    }

    #[test]
    fn declarations_that_cannot_work_are_refused_with_where() {
        let bad = |value: Value| {
            serde_json::from_value::<SiteProfile>(value)
                .unwrap()
                .validate()
                .unwrap_err()
                .at
        };
        assert_eq!(
            bad(json!({"dimensions": {"industry": {"type": "label"}}})),
            "profile.dimensions.industry"
        );
        assert_eq!(
            bad(json!({"dimensions": {"Usage": {"type": "label"}}})),
            "profile.dimensions.Usage"
        );
        assert_eq!(
            bad(json!({"dimensions": {"n": {"type": "number", "min": 5, "max": 1}}})),
            "profile.dimensions.n"
        );
        assert_eq!(
            bad(json!({"dimensions": {"n": {"type": "label", "max_age_days": 0}}})),
            "profile.dimensions.n.max_age_days"
        );
        assert_eq!(bad(json!({"segments": ["ok", "Not OK"]})), "profile.segments.1");
        assert!(
            serde_json::from_value::<SiteProfile>(json!({"dimensions": {"n": {"type": "colour"}}})).is_err()
        );
        assert!(declared().validate().is_ok());
    }
}
