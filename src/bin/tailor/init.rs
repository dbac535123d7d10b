//! `tailor init`: a site's production configuration, written into a folder of
//! its own: the page worker's `wrangler.toml`, the control worker's
//! `control/wrangler.toml` (both with an `[env.production]` for `wrangler
//! deploy --env production`) and a catalog skeleton, `catalog.json`.
//!
//! The workers themselves are not copied: each config's `main` names the
//! build in the Tailor repository (`make build` there, `build/` by default),
//! so upgrading Tailor is a rebuild there and a deploy here.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use tailor_edge::validation::is_valid_id;

/// As the repository's own `wrangler.toml`: the date the workers are built and tested for.
pub const COMPATIBILITY_DATE: &str = "2026-04-01";

/// Cloudflare's longest Worker name (a DNS label).
const MAX_WORKER_NAME: usize = 63;

/// The placeholders a team replaces before a real deploy (a dry run takes them as they are).
pub const KV_PLACEHOLDER: &str = "REPLACE-with-the-CATALOG-namespace-id";
/// The loop's D1 database id, in the control worker's config.
pub const D1_PLACEHOLDER: &str = "REPLACE-with-the-loop-database-id";

/// What `tailor init` was asked for.
pub struct InitOptions {
    /// The folder to write into (created when missing).
    pub dir: PathBuf,
    /// The site's id: the catalog's `site`, `TAILOR_SITE`.
    pub site: String,
    /// The zone route the page worker runs on, `www.example.com/*`.
    pub route: String,
    /// The route's zone; by default the route host's last two labels.
    pub zone: Option<String>,
    /// The Tailor build: `worker/entry.mjs` and `control/worker/shim.mjs` in it.
    pub build_dir: PathBuf,
    /// Overwrite files that exist.
    pub force: bool,
}

/// A checked route: `host/path`, the host maybe `*.`-prefixed.
struct Route {
    pattern: String,
    host: String,
    zone: String,
}

/// Writes the three files and returns what to tell the team: the files, the
/// secrets to set and the next steps.
pub fn init(options: &InitOptions) -> Result<String, String> {
    let site = check_site(&options.site)?;
    let route = check_route(&options.route, options.zone.as_deref())?;
    let build = absolute(&options.build_dir)?;
    let entry = build.join("worker").join("entry.mjs");
    let control_entry = build.join("control").join("worker").join("shim.mjs");

    let files = [
        (PathBuf::from("wrangler.toml"), page_config(site, &route, &entry)),
        (
            Path::new("control").join("wrangler.toml"),
            control_config(site, &control_entry),
        ),
        (PathBuf::from("catalog.json"), catalog_skeleton(site)?),
    ];
    let existing: Vec<String> = files
        .iter()
        .map(|(name, _)| options.dir.join(name))
        .filter(|path| path.exists())
        .map(|path| path.display().to_string())
        .collect();
    if !existing.is_empty() && !options.force {
        return Err(format!(
            "init: {} already exist(s); nothing written (--force overwrites)",
            existing.join(", ")
        ));
    }
    for (name, text) in &files {
        let path = options.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }

    let mut report = String::new();
    let dir = options.dir.display();
    let _ = writeln!(
        report,
        "tailor init: site `{site}` on {}: wrote {dir}/wrangler.toml, {dir}/control/wrangler.toml, {dir}/catalog.json",
        route.pattern
    );
    let missing: Vec<String> = [&entry, &control_entry]
        .into_iter()
        .filter(|path| !path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(
            report,
            "\nwarning: {} not built yet: `make build` in the Tailor repository first (or --build-dir)",
            missing.join(" and ")
        );
    }
    report.push_str(&next_steps(site, &route));
    Ok(report)
}

fn check_site(site: &str) -> Result<&str, String> {
    if !is_valid_id(site) {
        return Err(format!(
            "init: --site `{site}` must be 1-64 of a-z 0-9 - _ (the catalog's `site`)"
        ));
    }
    let longest = control_name(site).len() + "-production".len();
    if longest > MAX_WORKER_NAME {
        return Err(format!(
            "init: --site `{site}` is too long: the control worker's name, {}-production, must fit Cloudflare's {MAX_WORKER_NAME} characters",
            control_name(site)
        ));
    }
    Ok(site)
}

/// A DNS host name as a route may hold it: labels of `a-z 0-9 -`, at least two.
fn is_host(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

fn check_route(pattern: &str, zone: Option<&str>) -> Result<Route, String> {
    let example = "a route is host/path, e.g. `www.example.com/*`";
    if pattern.contains("://") {
        return Err(format!("init: --route `{pattern}`: no scheme: {example}"));
    }
    let Some((host, path)) = pattern.split_once('/') else {
        return Err(format!("init: --route `{pattern}`: no path: {example}"));
    };
    let bare = host.strip_prefix("*.").unwrap_or(host);
    if !is_host(bare) {
        return Err(format!(
            "init: --route `{pattern}`: `{host}` is not a lowercase host name (`*.` may start it): {example}"
        ));
    }
    let path_ok = path
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b"\"\\?#*".contains(&b))
        || path.strip_suffix('*').is_some_and(|p| {
            p.bytes()
                .all(|b| b.is_ascii_graphic() && !b"\"\\?#*".contains(&b))
        });
    if !path_ok {
        return Err(format!(
            "init: --route `{pattern}`: the path may only end with `*` and holds no query, quotes or spaces: {example}"
        ));
    }
    let zone = match zone {
        Some(zone) => zone.to_string(),
        None => {
            let labels: Vec<&str> = bare.split('.').collect();
            labels
                .get(labels.len().saturating_sub(2)..)
                .map(|last| last.join("."))
                .unwrap_or_default()
        }
    };
    if !is_host(&zone) || !(bare == zone || bare.ends_with(&format!(".{zone}"))) {
        return Err(format!(
            "init: --zone `{zone}` must be a host name that the route's host `{bare}` is in"
        ));
    }
    Ok(Route {
        pattern: pattern.to_string(),
        host: bare.to_string(),
        zone,
    })
}

/// `dir` as an absolute path (canonical when it exists), for `main`.
fn absolute(dir: &Path) -> Result<PathBuf, String> {
    if let Ok(path) = dir.canonicalize() {
        return Ok(path);
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .map_err(|e| format!("init: the current folder: {e}"))
}

/// A TOML basic string.
fn toml_str(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn page_name(site: &str) -> String {
    format!("tailor-{site}")
}

fn control_name(site: &str) -> String {
    format!("tailor-{site}-control")
}

/// Queue and D1 names: letters, digits and dashes.
fn resource(site: &str, what: &str) -> String {
    format!("tailor-{}-{what}", site.replace('_', "-"))
}

fn page_config(site: &str, route: &Route, entry: &Path) -> String {
    format!(
        r#"# Tailor in front of {host}: the page worker. Written by `tailor init`; every
# var and binding is described in the Tailor repository's docs/configuration.md.
# Deploy: `wrangler deploy --env production` (as {page}-production), after
# the control worker (control/wrangler.toml). Replace every REPLACE-… value.
name = "{page}"
# The page worker as built in the Tailor repository (`make build` there).
# Upgrading Tailor: rebuild there, deploy again here.
main = {entry}
compatibility_date = "{date}"
# Nothing outside an environment is served: the top level only holds what
# the environments inherit.
workers_dev = false

[env.production]
# The zone's traffic runs the worker; each page is fetched from the zone's own
# origin as requested (no ORIGIN_URL, no ASSETS binding).
routes = [{{ pattern = {pattern}, zone_name = {zone} }}]
workers_dev = false

[env.production.vars]
TAILOR_SITE = "{site}"
# Consent: granted where the visitor has said nothing, except where the law
# asks first (your policy decides). Where your consent tool sets a cookie,
# name it: an IAB TCF CMP's `euconsent-v2` is read with format `tcf`.
TAILOR_CONSENT_DEFAULT = "granted except EEA,GB,CH"
# TAILOR_CONSENT_COOKIE = "euconsent-v2"
# TAILOR_CONSENT_FORMAT = "tcf"
# Preview sessions only for whoever presents TAILOR_PREVIEW_KEY (a secret).
TAILOR_PREVIEW = "off"
# Secrets (`wrangler secret put NAME --env production`): TAILOR_PROFILE_KEYS,
# TAILOR_STATE_KEY, TAILOR_PREVIEW_KEY, optionally TAILOR_OFREP_KEYS.

# The catalog: `wrangler kv namespace create {kv}`, its id here and in
# control/wrangler.toml.
[[env.production.kv_namespaces]]
binding = "CATALOG"
id = "{kv_id}"

# Conversion beacons per visitor. namespace_id: any number unique among your
# account's rate-limit namespaces.
[[env.production.ratelimits]]
name = "BEACON_LIMIT"
namespace_id = "1001"
simple = {{ limit = 20, period = 60 }}

# The loop: exposures and conversions go to this Queue (`wrangler queues
# create {queue}`), the control worker counts them into D1, and every 5
# minutes the cron asks it to publish the bandits' posteriors.
[[env.production.queues.producers]]
binding = "EVENTS"
queue = "{queue}"

[env.production.triggers]
crons = ["*/5 * * * *"]

# Publish, rollback and the sanitizer: the control worker's production environment.
[[env.production.services]]
binding = "CONTROL"
service = "{control}-production"
"#,
        host = route.host,
        page = page_name(site),
        entry = toml_str(&entry.display().to_string()),
        date = COMPATIBILITY_DATE,
        pattern = toml_str(&route.pattern),
        zone = toml_str(&route.zone),
        kv = resource(site, "catalog"),
        kv_id = KV_PLACEHOLDER,
        queue = resource(site, "events"),
        control = control_name(site),
    )
}

fn control_config(site: &str, entry: &Path) -> String {
    format!(
        r#"# Tailor's control worker for {site}: publish and rollback (signed pushes), the
# fragment sanitizer, KV writes, the loop. Written by `tailor init`; reached
# only through the page worker's CONTROL binding. Deploy it first:
# `wrangler deploy -c control/wrangler.toml --env production` (as
# {control}-production). Replace every REPLACE-… value.
name = "{control}"
# The control worker as built in the Tailor repository (`make build` there).
main = {entry}
compatibility_date = "{date}"
workers_dev = false

[env.production]
workers_dev = false

[env.production.vars]
TAILOR_SITE = "{site}"
TAILOR_PUBLISH_RETAIN = "10"
TAILOR_LOOP_WINDOW_DAYS = "14"
# "seen" counts only blocks the page's reporter saw on screen (docs/events.md).
TAILOR_LOOP_EXPOSURES = "served"
# Secret: `wrangler secret put TAILOR_PUBLISH_SECRETS -c control/wrangler.toml --env production`.

# The same namespace as the page worker's CATALOG.
[[env.production.kv_namespaces]]
binding = "CATALOG"
id = "{kv_id}"

[[env.production.queues.consumers]]
queue = "{queue}"
max_batch_size = 100
max_batch_timeout = 5

# `wrangler d1 create {d1}`: its id here.
[[env.production.d1_databases]]
binding = "LOOP"
database_name = "{d1}"
database_id = "{d1_id}"
"#,
        control = control_name(site),
        entry = toml_str(&entry.display().to_string()),
        date = COMPATIBILITY_DATE,
        kv_id = KV_PLACEHOLDER,
        queue = resource(site, "events"),
        d1 = resource(site, "loop"),
        d1_id = D1_PLACEHOLDER,
    )
}

/// A catalog that `tailor catalog validate` accepts: the home page's hero, a
/// variant for a campaign's visitors and the default.
fn catalog_skeleton(site: &str) -> Result<String, String> {
    let catalog = serde_json::json!({
        "site": site,
        "pages": ["/"],
        "blocks": {
            "hero": {
                "description": "The home page's hero: wrap it in <tailor-block name=\"hero\">…</tailor-block>",
                "default": "default",
                "variants": [
                    {
                        "id": "launch",
                        "when": { "utm_campaign": "launch" },
                        "html": "<h1>You came for the launch</h1>\n<p>Here is what is new this week.</p>"
                    },
                    {
                        "id": "default",
                        "html": "<h1>Welcome</h1>\n<p>The hero every other visitor sees.</p>"
                    }
                ]
            }
        }
    });
    serde_json::to_string_pretty(&catalog)
        .map(|text| text + "\n")
        .map_err(|e| e.to_string())
}

fn next_steps(site: &str, route: &Route) -> String {
    let base = if route.pattern.starts_with("*.") {
        "https://<a host of the route>".to_string()
    } else {
        format!("https://{}", route.host)
    };
    let control = "-c control/wrangler.toml --env production";
    format!(
        r#"
Secrets: `wrangler secret put` asks for each value; keep the values in your
secrets manager, never in these files.
  # profile-cookie keys, from `tailor profile keygen`; your origin signs cookies with them
  wrangler secret put TAILOR_PROFILE_KEYS --env production
  # the edge's id and signals cookie: openssl rand -base64 32 | tr '+/' '-_' | tr -d '='
  wrangler secret put TAILOR_STATE_KEY --env production
  # optional, the same kind of value: whoever presents it gets a preview session
  wrangler secret put TAILOR_PREVIEW_KEY --env production
  # the push secret (>= 32 bytes): `tailor catalog push` signs with it
  wrangler secret put TAILOR_PUBLISH_SECRETS {control}

Next steps:
  1. wrangler kv namespace create {kv}
     its id replaces {kv_id} in wrangler.toml and control/wrangler.toml
  2. wrangler queues create {queue}
     wrangler d1 create {d1}
     its id replaces {d1_id} in control/wrangler.toml
  3. the secrets above
  4. wrangler deploy {control}
     wrangler deploy --env production
  5. wrap the hero of your home page in <tailor-block name="hero">…</tailor-block>
     (the origin's own content stays the fallback), edit catalog.json, then
     tailor catalog validate catalog.json
     TAILOR_PUBLISH_SECRETS=… tailor catalog push catalog.json --to {base}
  (a dry run first, nothing uploaded: wrangler deploy --dry-run --env production)
"#,
        kv = resource(site, "catalog"),
        kv_id = KV_PLACEHOLDER,
        queue = resource(site, "events"),
        d1 = resource(site, "loop"),
        d1_id = D1_PLACEHOLDER,
    )
}
