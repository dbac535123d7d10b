//! The preview UI for frontend teams: `/__tailor/preview` shows the site as
//! any kind of visitor, every block's variants side by side, forced variants,
//! and why each block shows what it shows. Everything it sets is signed with
//! keys derived from `TAILOR_PREVIEW_KEY` and honoured only where preview is
//! on (`docs/preview.md`).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::edge::{Decided, GalleryBlock};
use crate::http::html::esc;
use crate::http::{cookie_values, query, Response};
use crate::profile::preview::{FORCE_COOKIE, PREVIEW_PROFILE_COOKIE, SESSION_COOKIE};
use crate::profile::site::{DimensionKind, SiteProfile};
use crate::profile::{sign, PreviewKeys, Profile};

/// The dimensions the profile form offers, with their values.
pub const DIMENSIONS: &[(&str, &str, &[&str])] = &[
    (
        "industry",
        "Industry",
        &[
            "fintech",
            "healthcare",
            "retail",
            "software",
            "manufacturing",
            "public-sector",
            "other",
        ],
    ),
    (
        "role",
        "Role",
        &["cto", "engineer", "marketer", "finance", "founder", "other"],
    ),
    ("company_size", "Company size", &["smb", "mid", "enterprise"]),
    (
        "lifecycle",
        "Lifecycle stage",
        &["visitor", "lead", "trial", "customer", "lapsed"],
    ),
    ("plan", "Plan", &["free", "starter", "growth", "enterprise"]),
];

const SCRIPT: &str = include_str!("assets/preview.js");
const STYLE: &str = include_str!("assets/preview.css");

fn cookie_attributes(secure: bool, max_age: u32) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// The preview page for the visitor of `decided` (the preview profile, if set).
pub fn preview_page(decided: &Decided, stylesheets: &[String]) -> Response {
    let attributes = &decided.visitor.attributes;
    let mut fields = String::new();
    for (name, label, values) in DIMENSIONS {
        let current = attributes.get(*name).and_then(Value::as_str).unwrap_or("");
        let mut options = String::from("<option value=\"\">(not declared)</option>");
        for value in *values {
            let selected = if *value == current { " selected" } else { "" };
            options.push_str(&format!(
                "<option value=\"{0}\"{selected}>{0}</option>",
                esc(value)
            ));
        }
        fields.push_str(&format!(
            "<label>{}<select name=\"{}\" data-dimension=\"{1}\">{options}</select></label>",
            esc(label),
            esc(name)
        ));
    }
    let site = decided
        .catalog
        .as_ref()
        .and_then(|c| c.manifest.profile.clone())
        .unwrap_or_default();
    fields.push_str(&site_fields(&site, attributes));
    let consent_on = decided.visitor.personalization_allowed;
    let consent = format!(
        "<label>Consent<select name=\"consent\"><option value=\"pa\"{}>personalization + analytics</option>\
<option value=\"-\"{}>none (default experience)</option></select></label>",
        if consent_on { " selected" } else { "" },
        if consent_on { "" } else { " selected" }
    );
    let sheets: Vec<String> = stylesheets.iter().map(|s| esc(s)).collect();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>Tailor preview</title><style>{STYLE}</style></head>\
<body data-stylesheets=\"{}\"><header><strong>Tailor</strong> preview <span id=\"source\">{}</span></header>\
<div class=\"layout\"><aside>\
<form id=\"profile\" method=\"post\" action=\"/__tailor/preview/profile\"><h2>Visitor</h2>{fields}{consent}\
<div class=\"buttons\"><button type=\"submit\" name=\"action\" value=\"apply\">Show as this visitor</button>\
<button type=\"submit\" name=\"action\" value=\"reset\" class=\"secondary\">Anonymous</button></div></form>\
<section><h2>Explain</h2><table id=\"explain\"><thead><tr><th>Block</th><th>Variant</th><th>Why</th></tr></thead><tbody></tbody></table></section>\
<section><h2>Force a variant</h2><div id=\"force\"></div></section></aside>\
<main><nav><label>Page <select id=\"page\"><option>/</option><option>/pricing</option><option>/docs/</option></select></label>\
<a id=\"open\" href=\"/\" target=\"_blank\">open</a></nav>\
<iframe id=\"site\" title=\"The site as this visitor\" src=\"/\"></iframe>\
<section><h2>Gallery</h2><div id=\"gallery\"></div></section>\
<section id=\"review\"><h2>Review queue</h2><p class=\"note\">Generated drafts waiting for approval, and drafts a guardrail refused. \
Neither is ever served. Approving publishes the draft as a variant for exactly its segment.</p><div id=\"drafts\"></div></section></main></div>\
<script src=\"/__tailor/preview.js\"></script></body></html>",
        sheets.join(" "),
        esc(&decided.visitor.describe()),
    );
    Response::html(body)
}

/// The form's fields for the site's own dimensions and segments, as the
/// catalog declares them: a choice of labels, a number in its range, a
/// free label, a checkbox per segment.
fn site_fields(site: &SiteProfile, attributes: &Value) -> String {
    let mut fields = String::new();
    for (name, dimension) in &site.dimensions {
        let current = match attributes.get(name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        let input = match (dimension.kind, &dimension.labels) {
            (DimensionKind::Label, Some(labels)) => {
                let mut options = String::from("<option value=\"\">(not declared)</option>");
                for label in labels {
                    let selected = if *label == current { " selected" } else { "" };
                    options.push_str(&format!("<option value=\"{0}\"{selected}>{0}</option>", esc(label)));
                }
                format!("<select name=\"dim.{}\" data-dimension=\"{0}\">{options}</select>", esc(name))
            }
            (DimensionKind::Label, None) => format!(
                "<input name=\"dim.{}\" data-dimension=\"{0}\" value=\"{}\" pattern=\"[a-z0-9-]{{1,32}}\">",
                esc(name),
                esc(&current)
            ),
            (DimensionKind::Number, _) => format!(
                "<input type=\"number\" name=\"dim.{}\" data-dimension=\"{0}\" value=\"{}\" min=\"{}\" max=\"{}\" step=\"1\">",
                esc(name),
                esc(&current),
                dimension.min.unwrap_or_default(),
                dimension.max.unwrap_or_default()
            ),
        };
        fields.push_str(&format!("<label>{}{input}</label>", esc(name)));
    }
    if !site.segments.is_empty() {
        let member = |segment: &str| {
            attributes
                .get("segments")
                .and_then(Value::as_array)
                .is_some_and(|all| all.iter().any(|s| s == segment))
        };
        fields.push_str("<fieldset><legend>Segments</legend>");
        for segment in &site.segments {
            let checked = if member(segment) { " checked" } else { "" };
            fields.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"segment\" value=\"{0}\"{checked}>{0}</label>",
                esc(segment)
            ));
        }
        fields.push_str("</fieldset>");
    }
    fields
}

/// The preview UI's script.
pub fn preview_script() -> Response {
    Response::script(SCRIPT)
}

/// Every block's variants with their conditions and HTML.
pub fn gallery_json(gallery: &[GalleryBlock]) -> Response {
    let blocks: Vec<Value> = gallery
        .iter()
        .map(|block| {
            let variants: Vec<Value> = block
                .variants
                .iter()
                .map(|v| json!({ "id": v.id, "condition": v.condition, "html": v.html.as_deref() }))
                .collect();
            json!({ "block": block.name, "default": block.default, "variants": variants })
        })
        .collect();
    Response::json(200, &json!({ "blocks": blocks }))
}

/// `POST /__tailor/preview/profile`: signs the chosen profile into the
/// preview cookie (or clears it for `action=reset`).
pub fn set_preview_profile(form: &str, keys: &PreviewKeys, now_s: u64, secure: bool) -> Response {
    if query::value(form, "action").as_deref() == Some("reset") {
        return Response::see_other("/__tailor/preview").with_cookie(format!(
            "{PREVIEW_PROFILE_COOKIE}=; {}",
            cookie_attributes(secure, 0)
        ));
    }
    let value = |name: &str| query::value(form, name).filter(|v| !v.is_empty());
    let consent = match value("consent").as_deref() {
        Some("-") => "-",
        _ => "pa",
    };
    let mut profile = Profile {
        i: now_s,
        e: now_s + 86_400,
        ind: value("industry"),
        role: value("role"),
        size: value("company_size"),
        stage: value("lifecycle"),
        plan: value("plan"),
        c: consent.to_owned(),
        ..Profile::default()
    };
    for (name, label) in query::pairs(form) {
        if let Some(dimension) = name.strip_prefix("dim.").filter(|_| !label.is_empty()) {
            profile.d.push((dimension.to_owned(), label.into_owned()));
        } else if name == "segment" && !label.is_empty() && !profile.s.iter().any(|s| *s == label) {
            profile.s.push(label.into_owned());
        }
    }
    // The payload's canonical order (the signer refuses anything else).
    profile.d.sort();
    profile.s.sort();
    match sign(&profile, &keys.profile, PREVIEW_PROFILE_COOKIE) {
        Ok(cookie) => Response::see_other("/__tailor/preview").with_cookie(format!(
            "{PREVIEW_PROFILE_COOKIE}={cookie}; {}",
            cookie_attributes(secure, 86_400)
        )),
        // The error would name the label sent: never echoed.
        Err(_) => Response::error(400, "the profile's labels must be lowercase words from the form"),
    }
}

/// `POST /__tailor/preview/force`: `block=…&variant=…` forces a variant
/// (an empty variant un-forces the block; `block=*` clears all).
pub fn set_forced(form: &str, keys: &PreviewKeys, cookie_header: Option<&str>, secure: bool) -> Response {
    let mut forced: BTreeMap<String, String> = cookie_header
        .and_then(|h| cookie_values(h, FORCE_COOKIE).next())
        .map(|v| keys.verify_forced(v))
        .unwrap_or_default();
    let Some(block) = query::value(form, "block") else {
        return Response::error(400, "block is required");
    };
    match query::value(form, "variant").filter(|v| !v.is_empty()) {
        _ if block == "*" => forced.clear(),
        Some(variant) => {
            forced.insert(block, variant);
        }
        None => {
            forced.remove(&block);
        }
    }
    let token = keys.sign_forced(&forced);
    Response::see_other("/__tailor/preview").with_cookie(format!(
        "{FORCE_COOKIE}={token}; {}",
        cookie_attributes(secure, 86_400)
    ))
}

/// The review action a panel form asks for (`action=approve|reject`,
/// `id`, `reason`), as the control worker's JSON; `Err` says what is wrong.
pub fn review_action(form: &str) -> Result<String, &'static str> {
    let id = query::value(form, "id").filter(|id| !id.is_empty() && id.len() <= 256);
    match (query::value(form, "action").as_deref(), id) {
        (_, None) => Err("id is required"),
        (Some("approve"), Some(id)) => Ok(json!({ "action": "approve", "id": id }).to_string()),
        (Some("reject"), Some(id)) => {
            let reason = query::value(form, "reason").unwrap_or_default();
            Ok(json!({ "action": "reject", "id": id, "reason": reason }).to_string())
        }
        _ => Err("action must be approve or reject"),
    }
}

/// `GET /__tailor/preview?key=…` with the right key (production): starts a
/// preview session for this browser and drops the key from the address.
pub fn start_session(keys: &PreviewKeys, secure: bool) -> Response {
    Response::see_other("/__tailor/preview").with_cookie(format!(
        "{SESSION_COOKIE}={}; {}",
        keys.session_token(),
        cookie_attributes(secure, 8 * 3600)
    ))
}
