//! Signal criteria: what about a request activates a signal.

use serde::{Deserialize, Serialize};

use super::RequestFacts;
use crate::http::{cookie_values, host_of, query};
use crate::validation::ValidationError;

/// A query parameter or cookie test: present, or equal to a glob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameValue {
    /// The parameter's or cookie's name.
    pub name: String,
    /// A glob its value must match (`*` for any run); absent: present at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// One test on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Criterion {
    /// The path matches a glob (`/pricing*`, `/docs/*`).
    Path(String),
    /// A query parameter (e.g. `utm_campaign`) is present or matches.
    Query(NameValue),
    /// The referrer's host is this host or a subdomain of it.
    ReferrerHost(String),
    /// A first-party cookie is present or matches.
    Cookie(NameValue),
    /// This visit has at least this many page views (this one included).
    VisitPageViewsAtLeast(u32),
}

/// Criteria combined with all/any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Match {
    /// Every criterion holds.
    All(Vec<Criterion>),
    /// At least one holds.
    Any(Vec<Criterion>),
}

/// `*` matches any run of characters; everything else literally.
pub fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let Some(first) = parts.next() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = rest.get(i + part.len()..).unwrap_or_default(),
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl Criterion {
    fn matches(&self, facts: &RequestFacts<'_>, page_views: u32) -> bool {
        let value_ok = |value: Option<&str>, want: &Option<String>| match (value, want) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(v), Some(pattern)) => glob(pattern, v),
        };
        match self {
            Self::Path(pattern) => glob(pattern, facts.path),
            Self::Query(q) => value_ok(query::value(facts.query, &q.name).as_deref(), &q.value),
            Self::ReferrerHost(want) => facts
                .referer
                .and_then(host_of)
                .is_some_and(|host| host == *want || host.ends_with(&format!(".{want}"))),
            Self::Cookie(c) => value_ok(
                facts.cookie_header.and_then(|h| cookie_values(h, &c.name).next()),
                &c.value,
            ),
            Self::VisitPageViewsAtLeast(n) => page_views >= *n,
        }
    }

    fn validate(&self, at: &str) -> Result<(), ValidationError> {
        let short = |s: &str| !s.is_empty() && s.len() <= 256;
        let ok = match self {
            Self::Path(p) => p.starts_with('/') && short(p),
            Self::Query(nv) | Self::Cookie(nv) => short(&nv.name) && nv.value.as_deref().is_none_or(short),
            Self::ReferrerHost(h) => short(h) && !h.contains(['/', ':']) && *h == h.to_ascii_lowercase(),
            Self::VisitPageViewsAtLeast(n) => (1..=1000).contains(n),
        };
        if ok {
            Ok(())
        } else {
            Err(ValidationError::new(at, "not a valid criterion"))
        }
    }
}

impl Match {
    /// Whether the request (and the visit's page views) satisfy it.
    pub fn matches(&self, facts: &RequestFacts<'_>, page_views: u32) -> bool {
        match self {
            Self::All(criteria) => criteria.iter().all(|c| c.matches(facts, page_views)),
            Self::Any(criteria) => criteria.iter().any(|c| c.matches(facts, page_views)),
        }
    }

    /// Checks every criterion.
    pub fn validate(&self, at: &str) -> Result<(), ValidationError> {
        let (kind, criteria) = match self {
            Self::All(c) => ("all", c),
            Self::Any(c) => ("any", c),
        };
        if criteria.is_empty() || criteria.len() > 16 {
            return Err(ValidationError::new(format!("{at}.{kind}"), "1-16 criteria"));
        }
        for (i, c) in criteria.iter().enumerate() {
            c.validate(&format!("{at}.{kind}.{i}"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_prefixes_suffixes_and_middles() {
        assert!(glob("/pricing*", "/pricing"));
        assert!(glob("/pricing*", "/pricing/enterprise"));
        assert!(!glob("/pricing*", "/about/pricing"));
        assert!(glob("/docs/*/api", "/docs/v2/api"));
        assert!(glob("dev-*", "dev-summit"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("*", ""));
    }

    #[test]
    fn criteria_read_the_request() {
        let facts = RequestFacts {
            path: "/docs/start",
            query: "utm_campaign=dev-summit&x",
            referer: Some("https://www.github.com/org"),
            cookie_header: Some("a=1; plan_seen=yes"),
        };
        let m: Match = serde_json::from_str(
            r#"{"all":[{"path":"/docs/*"},{"query":{"name":"utm_campaign","value":"dev-*"}},
                {"referrer_host":"github.com"},{"cookie":{"name":"plan_seen"}},{"visit_page_views_at_least":2}]}"#,
        )
        .unwrap();
        assert!(m.matches(&facts, 2));
        assert!(!m.matches(&facts, 1));
        let any: Match =
            serde_json::from_str(r#"{"any":[{"path":"/pricing*"},{"query":{"name":"x"}}]}"#).unwrap();
        assert!(any.matches(&facts, 1));
    }

    #[test]
    fn invalid_criteria_are_refused_with_their_path() {
        let m: Match = serde_json::from_str(r#"{"any":[{"path":"no-slash"}]}"#).unwrap();
        assert_eq!(
            m.validate("signals.0.when").unwrap_err().path,
            "signals.0.when.any.0"
        );
        assert!(serde_json::from_str::<Match>(r#"{"any":[{"url":"/x"}]}"#).is_err());
    }
}
