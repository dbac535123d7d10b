//! `/__tailor/why`: "why am I seeing this?" for visitors, in plain words,
//! with an opt-out honoured like consent off.

use super::decide::explain;
use crate::edge::Decided;
use crate::http::html::esc;
use crate::http::{query, Response};
use crate::profile::preview::OPT_OUT_COOKIE;
use crate::signals::STATE_COOKIE;
use crate::visitor::id;

const STYLE: &str = "body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#1c2430}\
h1{font-size:1.6rem}li{margin:.5rem 0}button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #888;cursor:pointer}\
.note{color:#556}";

/// What the site itself told the edge about the visitor (its declared
/// dimensions and segments, from the profile cookie), as a section.
fn site_labels(decided: &Decided) -> String {
    let Some(site) = decided.catalog.as_ref().and_then(|c| c.manifest.profile.as_ref()) else {
        return String::new();
    };
    let attributes = &decided.visitor.attributes;
    let mut items = String::new();
    for name in site.dimensions.keys() {
        if let Some(value) = attributes.get(name) {
            let value = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
            items.push_str(&format!(
                "<li>{}: {}</li>",
                esc(&name.replace('_', " ")),
                esc(&value)
            ));
        }
    }
    if let Some(segments) = attributes.get("segments").and_then(|s| s.as_array()) {
        let names: Vec<String> = segments
            .iter()
            .filter_map(|s| s.as_str())
            .map(|s| esc(&s.replace('-', " ")))
            .collect();
        items.push_str(&format!("<li>groups: {}</li>", names.join(", ")));
    }
    if items.is_empty() {
        return String::new();
    }
    format!("<h2>What this site told us about your account</h2><ul id=\"site-labels\">{items}</ul>\
<p class=\"note\">Labels the site keeps for your account (never your name or e-mail address), sent in its signed cookie.</p>")
}

/// The page for the visitor of `decided`.
pub fn why_page(decided: &Decided) -> Response {
    let visitor = &decided.visitor;
    let mut items = String::new();
    for decision in &decided.decisions {
        items.push_str(&format!(
            "<li><strong>{}</strong>: “{}”, because {}.</li>",
            esc(&decision.block.replace('-', " ")),
            esc(&decision.variant),
            esc(&explain(decision))
        ));
    }
    if items.is_empty() {
        items.push_str("<li>Nothing on this site is personalized for you right now.</li>");
    }
    let mut signals = String::new();
    if let Some(scores) = visitor.attributes.get("signals").and_then(|s| s.as_object()) {
        for (id, score) in scores {
            signals.push_str(&format!(
                "<li>{} (strength {})</li>",
                esc(&id.replace('_', " ")),
                esc(&score.to_string())
            ));
        }
    }
    if let Some(visits) = visitor.attributes.get("visits") {
        signals.push_str(&format!(
            "<li>visits to this site: {}</li>",
            esc(&visits.to_string())
        ));
    }
    let signals = if signals.is_empty() {
        String::new()
    } else {
        format!("<h2>What we noticed during your visits</h2><ul id=\"signals\">{signals}</ul>\
<p class=\"note\">Only which parts of the site you looked at, as small scores that fade over time; never what you typed or the addresses you came from.</p>")
    };
    let declared = site_labels(decided);
    let (state, button, choice) = if visitor.opted_out {
        ("You have turned personalization off. Everyone's standard version is shown to you, and nothing about your visits is tracked.", "Turn personalization back on", "in")
    } else if !visitor.personalization_allowed {
        ("Personalization is off for you (your consent settings or your browser's Global Privacy Control).", "Keep it off", "out")
    } else {
        ("Some parts of this site adapt to the kind of visitor you are: your industry, role or company size if you told us, and the page you came from. We never use your name or e-mail address for this.", "Turn personalization off", "out")
    };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>Why am I seeing this?</title><style>{STYLE}</style></head><body>\
<h1>Why am I seeing this?</h1><p>{}</p><h2>On the home page</h2><ul>{items}</ul>{declared}{signals}\
<form method=\"post\" action=\"/__tailor/why\"><input type=\"hidden\" name=\"choice\" value=\"{choice}\"><button type=\"submit\">{}</button></form>\
<p class=\"note\">Your choice is kept in a cookie on this site for a year.</p><p><a href=\"/\">Back to the site</a></p></body></html>",
        esc(state),
        esc(button)
    );
    Response::html(body)
}

/// `POST /__tailor/why`: `choice=out` sets the opt-out cookie and deletes
/// what the edge keeps (its id and state cookies: opting back in starts a
/// new id); `choice=in` removes the opt-out cookie.
pub fn why_choice(form: &str, secure: bool) -> Response {
    let secure = if secure { "; Secure" } else { "" };
    match query::value(form, "choice").as_deref() {
        Some("out") => Response::see_other("/__tailor/why")
            .with_cookie(format!(
                "{OPT_OUT_COOKIE}=1; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
            ))
            .with_cookie(id::delete_cookie())
            .with_cookie(format!(
                "{STATE_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
            )),
        Some("in") => Response::see_other("/__tailor/why").with_cookie(format!(
            "{OPT_OUT_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}"
        )),
        _ => Response::error(400, "choice must be `out` or `in`"),
    }
}
