//! Firmographics for first visits: an optional catalog document mapping the
//! network a request comes from (`request.cf.asn`, `asOrganization`, which
//! the platform already gives the worker) to segment labels, so a first-time
//! visitor from a known company's network gets industry-level content without
//! any cookie. Labels only: no IP address is stored or logged, nothing is
//! written to a cookie, and it is off unless `TAILOR_FIRMOGRAPHICS = "on"`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::profile::payload::is_label;
use crate::validation::ValidationError;

/// Most entries the document may hold.
pub const MAX_ENTRIES: usize = 10_000;

/// Labels for one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    /// Industry label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
    /// Company-size bracket label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_size: Option<String>,
}

/// The mapping document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firmographics {
    /// Autonomous system number (as a decimal string) → labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub asn: BTreeMap<String, Labels>,
    /// Lowercased `asOrganization` → labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub as_organization: BTreeMap<String, Labels>,
}

impl Firmographics {
    /// Checks sizes and that every value is a label.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.asn.len() + self.as_organization.len() > MAX_ENTRIES {
            return Err(ValidationError::new(
                "firmographics",
                format!("more than {MAX_ENTRIES} entries"),
            ));
        }
        for (kind, map) in [("asn", &self.asn), ("as_organization", &self.as_organization)] {
            for (key, labels) in map {
                let at = format!("firmographics.{kind}.{key}");
                let key_ok = if kind == "asn" {
                    // Canonical decimal only: lookups use the number's own text,
                    // so "+5" or "007" would never match.
                    key.parse::<u32>().is_ok_and(|n| n.to_string() == *key)
                } else {
                    !key.is_empty() && key.len() <= 128 && *key == key.to_lowercase()
                };
                if !key_ok {
                    return Err(ValidationError::new(
                        at,
                        "not an ASN number / lowercase organization name",
                    ));
                }
                let values = [&labels.industry, &labels.company_size];
                if values.iter().any(|v| v.as_deref().is_some_and(|v| !is_label(v))) {
                    return Err(ValidationError::new(at, "labels must be 1-32 of a-z 0-9 -"));
                }
            }
        }
        Ok(())
    }

    /// The labels for a network, by ASN first, then organization name.
    pub fn lookup(&self, asn: Option<u32>, as_organization: Option<&str>) -> Option<&Labels> {
        asn.and_then(|n| self.asn.get(&n.to_string()))
            .or_else(|| as_organization.and_then(|o| self.as_organization.get(&o.trim().to_lowercase())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Firmographics {
        serde_json::from_str(
            r#"{"asn":{"64500":{"industry":"fintech","company_size":"enterprise"}},
                "as_organization":{"example health systems":{"industry":"healthcare"}}}"#,
        )
        .unwrap()
    }

    #[test]
    fn networks_map_to_labels_by_asn_then_organization() {
        let d = doc();
        assert_eq!(
            d.lookup(Some(64500), None).unwrap().industry.as_deref(),
            Some("fintech")
        );
        assert_eq!(
            d.lookup(Some(1), Some("Example Health Systems"))
                .unwrap()
                .industry
                .as_deref(),
            Some("healthcare")
        );
        assert!(d.lookup(Some(1), Some("other")).is_none());
        assert!(d.validate().is_ok());
    }

    #[test]
    fn only_labels_are_accepted() {
        let mut d = doc();
        d.asn.insert(
            "64501".into(),
            Labels {
                industry: Some("Jane Doe".into()),
                company_size: None,
            },
        );
        assert_eq!(d.validate().unwrap_err().path, "firmographics.asn.64501");
    }
}
