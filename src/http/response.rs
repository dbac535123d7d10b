//! Tailor's own responses, and the changes it makes to the origin's.

/// A response of Tailor's own (an endpoint's answer, a refusal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers (several `set-cookie` allowed).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl Response {
    /// A response with the headers every answer of ours carries: never
    /// stored, never sniffed, never indexed.
    pub fn new(status: u16, content_type: &str, body: String) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", content_type.to_owned()),
                ("cache-control", "no-store".to_owned()),
                ("x-content-type-options", "nosniff".to_owned()),
                ("x-robots-tag", "noindex".to_owned()),
            ],
            body,
        }
    }

    /// A status with no body and no headers (`204`, a preflight).
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A JSON body.
    pub fn json(status: u16, value: &serde_json::Value) -> Self {
        Self::new(status, "application/json; charset=utf-8", value.to_string())
    }

    /// An HTML page, with a strict content security policy.
    pub fn html(body: String) -> Self {
        let mut response = Self::new(200, "text/html; charset=utf-8", body);
        response.headers.push((
            "content-security-policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'self'"
                .to_owned(),
        ));
        response
    }

    /// A JavaScript body.
    pub fn script(body: &str) -> Self {
        Self::new(200, "text/javascript; charset=utf-8", body.to_owned())
    }

    /// A JSON error: `{"error": message}`. The message is ours: it never
    /// repeats what the request sent.
    pub fn error(status: u16, message: &str) -> Self {
        Self::json(status, &serde_json::json!({ "error": message }))
    }

    /// `303 See Other` to `location` (a path of ours).
    pub fn see_other(location: &str) -> Self {
        let mut response = Self::new(303, "text/plain; charset=utf-8", String::new());
        response.headers.push(("location", location.to_owned()));
        response
    }

    /// Adds a `Set-Cookie` header.
    pub fn with_cookie(mut self, cookie: String) -> Self {
        self.headers.push(("set-cookie", cookie));
        self
    }

    /// Replaces every value of header `name` with `value`.
    pub fn with_header(mut self, name: &'static str, value: String) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value));
        self
    }

    /// The first value of header `name`, if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A change Tailor makes to the origin's response headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// Replace any value with this one.
    Set(&'static str, String),
    /// Add this value beside any existing ones.
    Append(&'static str, String),
    /// Remove the header.
    Remove(&'static str),
}

/// What the core reads of the origin's response to decide whether (and
/// how) to personalize it. The body stays with the adapter.
pub trait ResponseHead {
    /// The HTTP status code.
    fn status(&self) -> u16;
    /// The value of a response header, if present (case-insensitive name).
    fn header(&self, name: &str) -> Option<String>;
}
