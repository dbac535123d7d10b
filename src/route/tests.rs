use super::gates::{ofrep_trusted, presents_api_key, preview_keys, preview_session_start};
use super::*;
use crate::config::Config;
use crate::profile::PreviewKeys;

fn page(method: &str, path: &str) -> Route {
    route(method, path, || false)
}

#[test]
fn only_get_and_head_page_requests_are_pages() {
    assert_eq!(page("GET", "/"), Route::Page);
    assert_eq!(page("head", "/pricing"), Route::Page);
    assert_eq!(page("POST", "/"), Route::PassThrough(Skip::Method));
    assert_eq!(route("GET", "/", || true), Route::PassThrough(Skip::Range));
}

#[test]
fn static_assets_skip_all_work_but_lookalike_paths_do_not() {
    assert_eq!(
        page("GET", "/assets/site.CSS"),
        Route::PassThrough(Skip::StaticAsset)
    );
    assert_eq!(page("GET", "/logo.png"), Route::PassThrough(Skip::StaticAsset));
    assert_eq!(page("GET", "/page.css;x"), Route::Page);
    assert_eq!(page("GET", "/v1.2/"), Route::Page);
    assert_eq!(page("GET", "/docs.html"), Route::Page);
}

#[test]
fn the_range_header_is_read_only_for_a_page() {
    let asked = std::cell::Cell::new(false);
    route("GET", "/logo.png", || asked.replace(true));
    route("GET", "/__tailor/decide", || asked.replace(true));
    route("POST", "/", || asked.replace(true));
    assert!(!asked.get());
    route("GET", "/", || asked.replace(true));
    assert!(asked.get());
}

#[test]
fn tailor_endpoints_are_matched_by_method_and_path() {
    assert_eq!(page("GET", "/__tailor/decide"), Route::Api(Ok(Api::Decide)));
    assert_eq!(page("GET", "/__tailor/fragments"), Route::Api(Ok(Api::Fragments)));
    assert_eq!(
        page("POST", "/__tailor/fragments"),
        Route::Api(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(page("HEAD", "/__tailor/why"), Route::Api(Ok(Api::Why)));
    assert_eq!(page("POST", "/__tailor/why"), Route::Api(Ok(Api::WhyChoice)));
    assert_eq!(page("POST", "/__tailor/event"), Route::Api(Ok(Api::Beacon)));
    assert_eq!(
        page("DELETE", "/__tailor/why"),
        Route::Api(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(
        page("GET", "/__tailor/event"),
        Route::Api(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(page("GET", "/__tailor/nope"), Route::Api(Err(Refusal::NotFound)));
    assert_eq!(
        page("GET", "/__tailor/generated"),
        Route::Api(Err(Refusal::NotFound))
    );
    assert!(Api::PreviewForce.is_preview() && !Api::Decide.is_preview());
}

#[test]
fn publish_rollback_and_review_go_to_the_control_worker_whatever_the_method() {
    assert_eq!(page("POST", "/__tailor/publish"), Route::Control);
    assert_eq!(page("GET", "/__tailor/rollback"), Route::Control);
    assert_eq!(page("POST", "/__tailor/review"), Route::Control);
}

#[test]
fn the_control_workers_internal_review_path_is_never_routed_and_the_panel_is_preview() {
    for method in ["GET", "POST"] {
        assert_eq!(
            page(method, "/__tailor/review/internal"),
            Route::Api(Err(Refusal::NotFound))
        );
    }
    assert_eq!(
        page("GET", "/__tailor/preview/review"),
        Route::Api(Ok(Api::PreviewReview))
    );
    let action = page("POST", "/__tailor/preview/review");
    assert_eq!(action, Route::Api(Ok(Api::PreviewReviewAction)));
    assert_eq!(action.body_limit(), Some(MAX_FORM_BYTES));
    assert!(Api::PreviewReviewAction.changes_state() && Api::PreviewReviewAction.is_preview());
    assert!(Api::PreviewReview.is_preview() && !Api::PreviewReview.changes_state());
}

#[test]
fn ofrep_routes_follow_the_protocol() {
    assert_eq!(
        page("POST", "/ofrep/v1/evaluate/flags"),
        Route::Ofrep(Ok(Ofrep::Bulk))
    );
    assert_eq!(
        page("POST", "/ofrep/v1/evaluate/flags/hero"),
        Route::Ofrep(Ok(Ofrep::Single("hero".into())))
    );
    assert_eq!(
        page("GET", "/ofrep/v1/configuration"),
        Route::Ofrep(Ok(Ofrep::Configuration))
    );
    assert_eq!(
        page("OPTIONS", "/ofrep/v1/evaluate/flags"),
        Route::Ofrep(Ok(Ofrep::Preflight))
    );
    assert_eq!(
        page("GET", "/ofrep/v1/evaluate/flags"),
        Route::Ofrep(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(
        page("POST", "/ofrep/v1/evaluate/flags/"),
        Route::Ofrep(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(
        page("POST", "/ofrep/v1/evaluate/flags/a/b"),
        Route::Ofrep(Err(Refusal::MethodNotAllowed))
    );
    assert_eq!(
        page("POST", "/ofrep/v1/other"),
        Route::Ofrep(Err(Refusal::NotFound))
    );
}

#[test]
fn only_routes_that_take_a_body_read_one_and_each_has_its_cap() {
    assert_eq!(
        page("POST", "/__tailor/event").body_limit(),
        Some(MAX_BEACON_BYTES)
    );
    assert_eq!(page("POST", "/__tailor/why").body_limit(), Some(MAX_FORM_BYTES));
    assert_eq!(
        page("POST", "/ofrep/v1/evaluate/flags").body_limit(),
        Some(MAX_OFREP_BODY_BYTES)
    );
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/__tailor/decide"),
        ("OPTIONS", "/ofrep/v1/x"),
        ("POST", "/x"),
    ] {
        assert_eq!(page(method, path).body_limit(), None, "{method} {path}");
    }
}

#[test]
fn requests_read_their_headers_and_the_edge_context() {
    let header = |name: &str| match name {
        "cookie" => Some("a=1".to_owned()),
        "sec-gpc" => Some(" 1".to_owned()),
        "x-tailor-dev-cf-asn" => Some("64500".to_owned()),
        "x-tailor-dev-cf-timezone" => Some("Asia/Tokyo".to_owned()),
        "x-tailor-dev-now" => Some("1796513400".to_owned()),
        "accept-language" => Some("de-CH".to_owned()),
        _ => None,
    };
    let edge = EdgeContext {
        country: Some("de".into()),
        asn: Some(13335.0),
        as_organization: None,
        timezone: Some("Europe/Berlin".into()),
    };
    let req = Request::read(
        "GET".into(),
        "https://s.example/p?utm_source=x".into(),
        &header,
        edge.clone(),
        false,
    );
    assert_eq!(req.cookie.as_deref(), Some("a=1"));
    assert!(req.global_privacy_control);
    assert_eq!(req.asn, Some(13335));
    assert_eq!((req.path(), req.query()), ("/p", "utm_source=x"));
    assert!(req.secure());
    assert_eq!(req.accept_language.as_deref(), Some("de-CH"));
    assert_eq!(
        (req.timezone.as_deref(), req.now_override_s),
        (Some("Europe/Berlin"), None)
    );
    let dev = Request::read("GET".into(), "http://s/".into(), &header, edge, true);
    assert_eq!(dev.asn, Some(64500), "dev overrides stand in for request.cf");
    assert_eq!(
        (dev.timezone.as_deref(), dev.now_override_s),
        (Some("Asia/Tokyo"), Some(1_796_513_400))
    );
    for odd in [-1.0, 1.5, 5e9, f64::NAN] {
        let edge = EdgeContext {
            asn: Some(odd),
            ..EdgeContext::default()
        };
        assert_eq!(
            Request::read("GET".into(), "/".into(), &|_| None, edge, false).asn,
            None
        );
    }
}

#[test]
fn api_keys_are_accepted_by_header_or_bearer_token() {
    let keys = vec!["old-key".to_owned(), "new-key".to_owned()];
    assert!(presents_api_key(&keys, Some("new-key"), None));
    assert!(presents_api_key(&keys, None, Some("Bearer old-key")));
    assert!(!presents_api_key(&keys, Some("guess"), Some("Basic x")));
    assert!(!presents_api_key(&[], Some(""), None));
    let config = Config {
        ofrep_keys: keys,
        ..Config::default()
    };
    let mut req = Request::new("POST", "https://s/ofrep/v1/evaluate/flags");
    assert!(!ofrep_trusted(&config, &req));
    req.authorization = Some("Bearer new-key".into());
    assert!(ofrep_trusted(&config, &req));
}

#[test]
fn preview_is_on_only_with_a_key_and_then_by_mode_key_or_session() {
    let keys = PreviewKeys::derive("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
    let session = keys.session_token();
    let mut config = Config::default();
    let mut req = Request::new("GET", "https://s/__tailor/preview");
    assert!(preview_keys(&config, &req).is_none(), "no key configured: never");
    config.preview_keys = Some(keys);
    assert!(
        preview_keys(&config, &req).is_none(),
        "production, nothing presented"
    );
    req.cookie = Some(format!("{}={session}", crate::profile::preview::SESSION_COOKIE));
    assert!(preview_keys(&config, &req).is_some(), "a session");
    req.cookie = None;
    req.preview_key = Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8".into());
    assert!(preview_keys(&config, &req).is_some(), "the key, by header");
    req.preview_key = Some("guess".into());
    assert!(preview_keys(&config, &req).is_none());
    config.preview_mode = true;
    assert!(preview_keys(&config, &req).is_some(), "preview mode");
    let start = Request::new(
        "GET",
        "https://s/__tailor/preview?key=AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
    );
    assert!(preview_session_start(&config, &start).is_some());
    assert!(
        preview_session_start(&config, &Request::new("GET", "https://s/__tailor/preview?key=x")).is_none()
    );
}

#[test]
fn requests_from_another_site_are_told_apart_from_the_sites_own() {
    use super::gates::cross_site;
    let post = |fetch_site: Option<&str>, origin: Option<&str>| Request {
        fetch_site: fetch_site.map(str::to_owned),
        origin: origin.map(str::to_owned),
        ..Request::new("POST", "https://shop.example/__tailor/why")
    };
    assert!(
        !cross_site(&post(Some("same-origin"), Some("https://evil.example"))),
        "the browser's word counts"
    );
    assert!(!cross_site(&post(Some("none"), None)));
    assert!(cross_site(&post(Some("cross-site"), None)));
    assert!(
        cross_site(&post(Some("same-site"), None)),
        "a sibling subdomain is another site here"
    );
    assert!(!cross_site(&post(None, Some("https://shop.example"))));
    assert!(!cross_site(&post(None, Some("HTTPS://Shop.Example"))));
    assert!(cross_site(&post(None, Some("https://evil.example"))));
    assert!(cross_site(&post(None, Some("https://shop.example:8443"))));
    assert!(cross_site(&post(None, Some("null"))));
    assert!(
        !cross_site(&post(None, None)),
        "no browser said anything: a server or curl"
    );
    assert!(Api::Beacon.changes_state() && !Api::Decide.changes_state());
}
