//! Tailor's own endpoints under `/__tailor/`: the decision API, the visitors'
//! "why am I seeing this?" page, and the preview UI. Pure: request facts in,
//! [`ApiResponse`] out; the adapter does the I/O. See `docs/preview.md`.

mod decide;
mod html;
mod preview;
mod why;

pub use decide::{decide_json, explain};
pub use preview::{
    gallery_json, preview_page, preview_script, set_forced, set_preview_profile, start_session,
};
pub use why::{why_choice, why_page};

const EVENTS_SCRIPT: &str = include_str!("assets/events.js");

/// `GET /__tailor/events.js`: the optional click reporter.
pub fn events_script() -> ApiResponse {
    let mut response = ApiResponse::script(EVENTS_SCRIPT);
    response.headers.retain(|(name, _)| *name != "cache-control");
    response
        .headers
        .push(("cache-control", "public, max-age=3600".to_owned()));
    response
}

/// The path prefix of every Tailor endpoint.
pub const PREFIX: &str = "/__tailor/";
/// Largest form body accepted.
pub const MAX_FORM_BYTES: usize = 4 * 1024;

/// An endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /__tailor/decide?path=…`
    Decide,
    /// `GET /__tailor/why`
    Why,
    /// `POST /__tailor/why` (opt out / back in)
    WhyChoice,
    /// `GET /__tailor/preview`
    Preview,
    /// `GET /__tailor/preview.js`
    PreviewScript,
    /// `GET /__tailor/preview/gallery`
    PreviewGallery,
    /// `POST /__tailor/preview/profile`
    PreviewProfile,
    /// `POST /__tailor/preview/force`
    PreviewForce,
    /// `POST /__tailor/event` (conversion beacon)
    Event,
    /// `GET /__tailor/events.js` (the optional click reporter)
    EventsScript,
}

impl Route {
    /// Whether the route belongs to the preview UI (off unless enabled).
    pub fn is_preview(self) -> bool {
        matches!(
            self,
            Self::Preview
                | Self::PreviewScript
                | Self::PreviewGallery
                | Self::PreviewProfile
                | Self::PreviewForce
        )
    }
}

/// The endpoint for a method and path under [`PREFIX`]; `Err` with the
/// response to send when the path is ours but the request is not valid.
pub fn route(method: &str, path: &str) -> Option<Result<Route, ApiResponse>> {
    let rest = path.strip_prefix(PREFIX)?;
    let get = method.eq_ignore_ascii_case("GET") || method.eq_ignore_ascii_case("HEAD");
    let post = method.eq_ignore_ascii_case("POST");
    let found = match (rest, get, post) {
        ("decide", true, _) => Route::Decide,
        ("why", true, _) => Route::Why,
        ("why", _, true) => Route::WhyChoice,
        ("preview", true, _) => Route::Preview,
        ("preview.js", true, _) => Route::PreviewScript,
        ("preview/gallery", true, _) => Route::PreviewGallery,
        ("preview/profile", _, true) => Route::PreviewProfile,
        ("preview/force", _, true) => Route::PreviewForce,
        ("event", _, true) => Route::Event,
        ("events.js", true, _) => Route::EventsScript,
        (
            "decide" | "why" | "preview" | "preview.js" | "preview/gallery" | "preview/profile"
            | "preview/force" | "event" | "events.js",
            _,
            _,
        ) => return Some(Err(ApiResponse::error(405, "method not allowed"))),
        _ => return Some(Err(ApiResponse::error(404, "no such Tailor endpoint"))),
    };
    Some(Ok(found))
}

/// A response of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers (several `set-cookie` allowed).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: String,
}

impl ApiResponse {
    fn new(status: u16, content_type: &str, body: String) -> Self {
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

    /// A JSON error: `{"error": message}`.
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
}

/// The value of `name` in an `application/x-www-form-urlencoded` body or a
/// query string (`+` and `%XX` decoded; invalid UTF-8 replaced).
pub fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| decode(v))
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_matched_by_method_and_path() {
        assert_eq!(route("GET", "/__tailor/decide"), Some(Ok(Route::Decide)));
        assert_eq!(route("POST", "/__tailor/why"), Some(Ok(Route::WhyChoice)));
        assert_eq!(route("DELETE", "/__tailor/why").unwrap().unwrap_err().status, 405);
        assert_eq!(route("GET", "/__tailor/nope").unwrap().unwrap_err().status, 404);
        assert_eq!(route("GET", "/pricing"), None);
    }

    #[test]
    fn form_values_are_decoded() {
        assert_eq!(
            form_value("a=1&industry=public%2Dsector&x=a+b", "industry").as_deref(),
            Some("public-sector")
        );
        assert_eq!(form_value("x=a+b%zz", "x").as_deref(), Some("a b%zz"));
        assert_eq!(form_value("x=1", "y"), None);
    }
}
