//! The `Server-Timing` header: what the worker did for a response and how
//! long each phase took. Descriptions are fixed labels or numbers, never
//! anything taken from the request.

use std::fmt::Write;

/// One `Server-Timing` metric.
#[derive(Debug, Clone, PartialEq)]
struct Metric {
    name: &'static str,
    dur_ms: Option<f64>,
    desc: Option<String>,
}

/// Metrics collected while serving one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerTiming {
    metrics: Vec<Metric>,
}

impl ServerTiming {
    /// No metrics yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a phase with its duration and an optional fixed description.
    pub fn phase(&mut self, name: &'static str, dur_ms: f64, desc: Option<String>) {
        self.metrics.push(Metric {
            name,
            dur_ms: Some(dur_ms.max(0.0)),
            desc,
        });
    }

    /// Adds a description-only metric.
    pub fn note(&mut self, name: &'static str, desc: impl Into<String>) {
        self.metrics.push(Metric {
            name,
            dur_ms: None,
            desc: Some(desc.into()),
        });
    }

    /// The header value, e.g. `catalog;dur=0.4;desc="kv", rewrite;desc="3 blocks"`.
    pub fn header_value(&self) -> String {
        let mut out = String::new();
        for (i, metric) in self.metrics.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(metric.name);
            if let Some(dur) = metric.dur_ms {
                let _ = write!(out, ";dur={dur:.1}");
            }
            if let Some(desc) = &metric.desc {
                // Descriptions are our own labels; keep them token-safe anyway.
                let clean: String = desc
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || " -_.:/".contains(*c))
                    .collect();
                let _ = write!(out, ";desc=\"{clean}\"");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_listed_in_order_with_durations_and_descriptions() {
        let mut timing = ServerTiming::new();
        timing.phase("catalog", 1.25, Some("kv".into()));
        timing.phase("decide", 0.0, None);
        timing.note("tailor", "fail-open: \"x\"");
        assert_eq!(
            timing.header_value(),
            "catalog;dur=1.2;desc=\"kv\", decide;dur=0.0, tailor;desc=\"fail-open: x\""
        );
    }
}
