//! The profile cookie's payload: `key=value` pairs in a fixed order, with a
//! strict grammar for every value (see `docs/profile-cookie.md`).

use serde::{Deserialize, Serialize};

/// Most experiment buckets one cookie may carry.
pub const MAX_EXPERIMENTS: usize = 4;
/// Most site dimensions one cookie may carry.
pub const MAX_SITE_DIMENSIONS: usize = 8;
/// Most segment memberships one cookie may carry.
pub const MAX_SEGMENTS: usize = 8;

/// The profile as the origin declared it: segment labels only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Issued at, unix seconds.
    pub i: u64,
    /// Expires at, unix seconds.
    pub e: u64,
    /// Industry label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ind: Option<String>,
    /// Role label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Company-size bracket label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    /// Lifecycle stage label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
    /// Plan label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// The site's own dimensions (declared in its catalog): (name, label),
    /// names in ascending order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub d: Vec<(String, String)>,
    /// Segment memberships computed by the site (its CDP), ascending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub s: Vec<String>,
    /// Pseudonymous bucketing id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<String>,
    /// Experiment buckets: (experiment label, arm).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x: Vec<(String, u8)>,
    /// Consent flags: `-`, `p`, `a` or `pa`.
    pub c: String,
}

/// A payload field that breaks the grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile field `{field}`: {problem}")]
pub struct PayloadError {
    /// The payload key.
    pub field: &'static str,
    /// What is wrong.
    pub problem: &'static str,
}

fn err(field: &'static str, problem: &'static str) -> PayloadError {
    PayloadError { field, problem }
}

/// `[a-z0-9-]{1,32}`.
pub fn is_label(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A site dimension's name: `[a-z][a-z0-9_]{0,31}` (a plain attribute name).
pub fn is_dimension_name(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Whether `items` are in strictly ascending order (sorted, each once).
fn strictly_ascending<'a>(mut items: impl Iterator<Item = &'a str>) -> bool {
    let Some(mut previous) = items.next() else {
        return true;
    };
    for item in items {
        if item <= previous {
            return false;
        }
        previous = item;
    }
    true
}

/// A bucketing id (`bid`): 8–64 of `A-Z a-z 0-9 - _`.
pub fn is_bucketing_id(s: &str) -> bool {
    (8..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn parse_seconds(s: &str, field: &'static str) -> Result<u64, PayloadError> {
    let canonical = s == "0" || (!s.starts_with('0') && (1..=11).contains(&s.len()));
    if !canonical || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err(field, "not unix seconds"));
    }
    s.parse().map_err(|_| err(field, "not unix seconds"))
}

const LABEL_FIELDS: [&str; 5] = ["ind", "role", "size", "stage", "plan"];

impl Profile {
    /// Whether the consent flags allow personalization.
    pub fn allows_personalization(&self) -> bool {
        self.c.contains('p')
    }

    /// Whether the consent flags allow analytics.
    pub fn allows_analytics(&self) -> bool {
        self.c.contains('a')
    }

    fn label(&self, field: &str) -> Option<&String> {
        match field {
            "ind" => self.ind.as_ref(),
            "role" => self.role.as_ref(),
            "size" => self.size.as_ref(),
            "stage" => self.stage.as_ref(),
            _ => self.plan.as_ref(),
        }
    }

    fn label_mut(&mut self, field: &str) -> &mut Option<String> {
        match field {
            "ind" => &mut self.ind,
            "role" => &mut self.role,
            "size" => &mut self.size,
            "stage" => &mut self.stage,
            _ => &mut self.plan,
        }
    }

    /// Checks every field against the grammar (what a signer must refuse).
    pub fn validate(&self) -> Result<(), PayloadError> {
        for field in LABEL_FIELDS {
            if self.label(field).is_some_and(|v| !is_label(v)) {
                return Err(err(label_name(field), "must be 1-32 of a-z 0-9 -"));
            }
        }
        if self.d.len() > MAX_SITE_DIMENSIONS {
            return Err(err("d", "at most 8 site dimensions"));
        }
        if self
            .d
            .iter()
            .any(|(name, value)| !is_dimension_name(name) || !is_label(value))
        {
            return Err(err(
                "d",
                "each dimension is a name [a-z][a-z0-9_]{0,31} and a label [a-z0-9-]{1,32}",
            ));
        }
        if !strictly_ascending(self.d.iter().map(|(name, _)| name.as_str())) {
            return Err(err("d", "dimension names in ascending order, each once"));
        }
        if self.s.len() > MAX_SEGMENTS {
            return Err(err("s", "at most 8 segments"));
        }
        if self.s.iter().any(|label| !is_label(label)) {
            return Err(err("s", "each segment is a label [a-z0-9-]{1,32}"));
        }
        if !strictly_ascending(self.s.iter().map(String::as_str)) {
            return Err(err("s", "segments in ascending order, each once"));
        }
        if self.bid.as_deref().is_some_and(|b| !is_bucketing_id(b)) {
            return Err(err("bid", "must be 8-64 of A-Z a-z 0-9 - _"));
        }
        if self.x.len() > MAX_EXPERIMENTS {
            return Err(err("x", "at most 4 experiment buckets"));
        }
        if self.x.iter().any(|(label, arm)| !is_label(label) || *arm > 99) {
            return Err(err("x", "each bucket is a label and an arm 0-99"));
        }
        let repeated = self
            .x
            .iter()
            .enumerate()
            .any(|(n, (label, _))| self.x.iter().take(n).any(|(earlier, _)| earlier == label));
        if repeated {
            return Err(err("x", "each experiment label at most once"));
        }
        if !matches!(self.c.as_str(), "-" | "p" | "a" | "pa") {
            return Err(err("c", "must be -, p, a or pa"));
        }
        if self.i > 99_999_999_999 || self.e > 99_999_999_999 {
            return Err(err("e", "not unix seconds"));
        }
        Ok(())
    }

    /// The canonical payload text (validate first).
    pub fn encode(&self) -> String {
        let mut out = format!("i={}&e={}", self.i, self.e);
        for field in LABEL_FIELDS {
            if let Some(value) = self.label(field) {
                out.push('&');
                out.push_str(field);
                out.push('=');
                out.push_str(value);
            }
        }
        if !self.d.is_empty() {
            let pairs: Vec<String> = self.d.iter().map(|(n, v)| format!("{n}~{v}")).collect();
            out.push_str("&d=");
            out.push_str(&pairs.join("|"));
        }
        if !self.s.is_empty() {
            out.push_str("&s=");
            out.push_str(&self.s.join("|"));
        }
        if let Some(bid) = &self.bid {
            out.push_str("&bid=");
            out.push_str(bid);
        }
        if !self.x.is_empty() {
            let buckets: Vec<String> = self.x.iter().map(|(l, a)| format!("{l}~{a}")).collect();
            out.push_str("&x=");
            out.push_str(&buckets.join("|"));
        }
        out.push_str("&c=");
        out.push_str(&self.c);
        out
    }

    /// Parses a payload, refusing anything but the canonical form.
    pub fn decode(payload: &str) -> Result<Self, PayloadError> {
        const ORDER: [&str; 12] = [
            "i", "e", "ind", "role", "size", "stage", "plan", "d", "s", "bid", "x", "c",
        ];
        let mut profile = Profile::default();
        let mut next = 0usize;
        let mut seen_i = false;
        let mut seen_e = false;
        let mut seen_c = false;
        for pair in payload.split('&') {
            let (key, value) = pair.split_once('=').ok_or(err("payload", "a pair without `=`"))?;
            let position = ORDER
                .get(next..)
                .unwrap_or_default()
                .iter()
                .position(|k| *k == key)
                .ok_or(err("payload", "unknown, repeated or out-of-order key"))?;
            next += position + 1;
            match key {
                "i" => {
                    profile.i = parse_seconds(value, "i")?;
                    seen_i = true;
                }
                "e" => {
                    profile.e = parse_seconds(value, "e")?;
                    seen_e = true;
                }
                "bid" => profile.bid = Some(value.to_owned()),
                "d" => {
                    for pair in value.split('|') {
                        let (name, label) = pair.split_once('~').ok_or(err("d", "dimension without `~`"))?;
                        profile.d.push((name.to_owned(), label.to_owned()));
                    }
                }
                "s" => profile.s = value.split('|').map(str::to_owned).collect(),
                "x" => {
                    for bucket in value.split('|') {
                        let (label, arm) = bucket.split_once('~').ok_or(err("x", "bucket without `~`"))?;
                        let arm_ok = !arm.is_empty()
                            && arm.len() <= 2
                            && arm.bytes().all(|b| b.is_ascii_digit())
                            && (arm == "0" || !arm.starts_with('0'));
                        if !arm_ok {
                            return Err(err("x", "arm must be 0-99"));
                        }
                        let arm = arm.parse().map_err(|_| err("x", "arm must be 0-99"))?;
                        profile.x.push((label.to_owned(), arm));
                    }
                }
                "c" => {
                    profile.c = value.to_owned();
                    seen_c = true;
                }
                label => *profile.label_mut(label) = Some(value.to_owned()),
            }
        }
        if !(seen_i && seen_e && seen_c) {
            return Err(err("payload", "i, e and c are required"));
        }
        profile.validate()?;
        Ok(profile)
    }

    /// Forgets the declared dimensions (they are older than the edge trusts).
    /// The site's own dimensions and segments have their own ages, in the
    /// site's catalog ([`crate::profile::site`]).
    pub fn drop_dimensions(&mut self) {
        for field in LABEL_FIELDS {
            *self.label_mut(field) = None;
        }
    }
}

/// The targeting attribute a payload label is exposed as.
pub fn label_name(field: &str) -> &'static str {
    match field {
        "ind" => "industry",
        "role" => "role",
        "size" => "company_size",
        "stage" => "lifecycle",
        _ => "plan",
    }
}

/// The declared dimensions as (attribute name, value) pairs.
pub fn dimensions(profile: &Profile) -> impl Iterator<Item = (&'static str, &str)> {
    LABEL_FIELDS
        .into_iter()
        .filter_map(|field| profile.label(field).map(|v| (label_name(field), v.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Profile {
        Profile {
            i: 1_795_000_000,
            e: 1_797_592_000,
            ind: Some("fintech".into()),
            role: Some("cto".into()),
            size: Some("enterprise".into()),
            stage: Some("lead".into()),
            plan: None,
            d: Vec::new(),
            s: Vec::new(),
            bid: Some("Zk3qL9xT2mVbQ0aa".into()),
            x: vec![("hero-test".into(), 1)],
            c: "pa".into(),
        }
    }

    #[test]
    fn a_profile_round_trips_through_its_canonical_text() {
        let text = full().encode();
        assert_eq!(
            text,
            "i=1795000000&e=1797592000&ind=fintech&role=cto&size=enterprise&stage=lead&bid=Zk3qL9xT2mVbQ0aa&x=hero-test~1&c=pa"
        );
        assert_eq!(Profile::decode(&text).unwrap(), full());
    }

    #[test]
    fn out_of_order_repeated_unknown_or_missing_keys_are_refused() {
        for bad in [
            "e=2&i=1&c=pa",
            "i=1&i=1&e=2&c=pa",
            "i=1&e=2&email=a&c=pa",
            "i=1&e=2",
            "i=1&e=2&c=pa&",
            "i=01&e=2&c=pa",
            "i=1&e=2&ind=&c=pa",
            "i=1&e=2&ind=Fin%20Tech&c=pa",
            "i=1&e=2&x=a~100&c=pa",
            "i=1&e=2&x=a~01&c=pa",
            "i=1&e=2&c=ap",
            "i=1&e=2&bid=short&c=p",
            "i=1&e=2&x=a~1|a~2&c=p",
            "i=1&e=2&x=a~1|b~1|c~1|d~1|e~1&c=p",
            "i=1&e=2&d=usage~80&ind=x&c=p",
            "i=1&e=2&d=b~1|a~1&c=p",
            "i=1&e=2&d=a~1|a~2&c=p",
            "i=1&e=2&d=Usage~80&c=p",
            "i=1&e=2&d=1st~80&c=p",
            "i=1&e=2&d=usage&c=p",
            "i=1&e=2&d=usage~&c=p",
            "i=1&e=2&s=b|a&c=p",
            "i=1&e=2&s=a|a&c=p",
            "i=1&e=2&s=&c=p",
            "i=1&e=2&s=a|b|c|d|e|f|g|h|i&c=p",
            "i=1&e=2&bid=abcdefgh&s=a&c=p",
        ] {
            assert!(Profile::decode(bad).is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn site_dimensions_and_segments_round_trip_in_canonical_order() {
        let profile = Profile {
            d: vec![
                ("renewal".into(), "due-14d".into()),
                ("usage_pct".into(), "80".into()),
            ],
            s: vec!["expansion-ready".into(), "power-users".into()],
            ..full()
        };
        let text = profile.encode();
        assert!(
            text.contains("&stage=lead&d=renewal~due-14d|usage_pct~80&s=expansion-ready|power-users&bid=")
        );
        assert_eq!(Profile::decode(&text).unwrap(), profile);
        let unsorted = Profile {
            s: vec!["b".into(), "a".into()],
            ..full()
        };
        assert_eq!(unsorted.validate().unwrap_err().field, "s");
    }

    #[test]
    fn labels_cannot_hold_an_email_address_or_a_name() {
        let mut p = full();
        p.ind = Some("jane@example.com".into());
        assert_eq!(p.validate().unwrap_err().field, "industry");
        p.ind = Some("Jane Doe".into());
        assert!(p.validate().is_err());
    }
}
