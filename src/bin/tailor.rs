//! `tailor`: the command-line tool for origin teams and developers.
//!
//! - `tailor render PAGE.html --catalog catalog/demo.json [--path /]` shows a
//!   page exactly as the edge would serve it, through the same core flow and
//!   the native engine (the same parser as workerd's `HTMLRewriter`).
//! - `tailor catalog validate FILE` checks a catalog source file exactly as
//!   the control worker checks a push (schema, references, conditions, HTML).
//! - `tailor catalog push FILE --to URL` publishes it (a signed request;
//!   secrets from TAILOR_PUBLISH_SECRETS); `tailor catalog rollback --to URL
//!   VERSION` points the site back at a retained version.
//! - `tailor catalog kv-bulk FILE` writes its KV layout as JSON for
//!   `wrangler kv bulk put`.
//! - `tailor stats aggregate EVENTS.ndjson` turns events into per-variant
//!   Beta posteriors; `tailor catalog push --stats` publishes them.
//! - `tailor stats report EVENTS.ndjson [--catalog FILE] [--json] [--html
//!   OUT]` reports the lift over the holdout and the default, the
//!   experiments' sample ratios, exploration and conversion over time.
//! - `tailor init --site ID --route HOST/PATH [DIR]` writes a site's
//!   production configuration (both workers' `wrangler.toml`) and a catalog
//!   skeleton, and lists the secrets to set.
//! - `tailor review list|show|approve|reject --to URL` works the review
//!   queue of generated drafts (signed like a push).

#[path = "tailor/init.rs"]
mod init;
#[path = "tailor/review.rs"]
mod review;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Parser, Subcommand};
use tailor_edge::catalog::source::{inline_files, Bundle, SourceRules};
use tailor_edge::catalog::{pointer_key, ValidationError};
use tailor_edge::config::Config;
use tailor_edge::edge::{dispose, Disposition, Edge, Isolate};
use tailor_edge::events::aggregate::{aggregate, apply_to_source, Stats};
use tailor_edge::events::report::{
    render_html, render_text, report, ExperimentSpec, PublishRun, ReportOptions,
};
use tailor_edge::events::tally::{DayWindow, Exposures, Seen, Tallies};
use tailor_edge::platform::fakes::{ManualClock, MemoryKv, MemoryPlatform, MemoryResponse, NeverTimer};
use tailor_edge::platform::Clock;
use tailor_edge::profile::{sign, verify, Profile, ProfileSettings, Rejection};
use tailor_edge::publish::{clean_html, prepare, signature, PUBLISH_PATH, ROLLBACK_PATH};
use tailor_edge::rewrite::native;
use tailor_edge::route::Request;
use tailor_edge::targeting::NativeRegex;

/// The system's clock (the CLI runs natively).
struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64)
    }
}

#[derive(Parser)]
#[command(
    name = "tailor",
    version,
    about = "Tailor edge personalization: tools for origin teams and developers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a site's production configuration into DIR: wrangler.toml (the
    /// page worker), control/wrangler.toml (the control worker), both with an
    /// [env.production], and catalog.json (a catalog skeleton); then lists
    /// the secrets to set and the next steps.
    Init {
        /// The folder to write into (created when missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// The site's id (the catalog's `site`, TAILOR_SITE): 1-64 of a-z 0-9 - _.
        #[arg(long)]
        site: String,
        /// The route the page worker runs on, host/path: `www.example.com/*`.
        #[arg(long)]
        route: String,
        /// The route's zone (default: the host's last two labels, so pass it
        /// for `www.example.co.uk/*`).
        #[arg(long)]
        zone: Option<String>,
        /// The Tailor build the configs' `main` names: worker/entry.mjs and
        /// control/worker/shim.mjs in it (`make build` in the Tailor repository).
        #[arg(long, value_name = "DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/build"))]
        build_dir: PathBuf,
        /// Overwrite files that exist.
        #[arg(long)]
        force: bool,
    },
    /// Shows PAGE as the edge would serve it with the catalog's decisions.
    Render {
        /// The origin's HTML page.
        page: PathBuf,
        /// The catalog source file.
        #[arg(long)]
        catalog: PathBuf,
        /// The request path the page is served at (for the catalog's `pages`).
        #[arg(long, default_value = "/")]
        path: String,
        /// Render for the visitor holding this profile cookie value (verified
        /// with the keys in the TAILOR_PROFILE_KEYS environment variable).
        #[arg(long)]
        cookie: Option<String>,
        /// Render as a request with `Sec-GPC: 1`.
        #[arg(long)]
        gpc: bool,
    },
    /// Catalog source files.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Profile cookies: keys, minting, checking (keys from TAILOR_PROFILE_KEYS).
    Profile {
        #[command(subcommand)]
        command: ProfileCommand,
    },
    /// Event statistics: the bandit's posteriors, the lift report.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
    /// The review queue of generated drafts: pending approval or refused by
    /// a guardrail (signed with the secrets in TAILOR_PUBLISH_SECRETS).
    Review {
        #[command(subcommand)]
        command: review::ReviewCommand,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Turns exposure and conversion events (NDJSON) into per-variant Beta
    /// posteriors per block and segment (a stats document).
    Aggregate {
        /// The events file (one JSON event per line), `-` for standard input.
        events: PathBuf,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Count only the last DAYS UTC days (today included), so the
        /// posteriors follow drift; all events when absent.
        #[arg(long, value_name = "DAYS")]
        window_days: Option<u32>,
        /// Which exposures count: `served` (what the edge put in pages) or
        /// `seen` (what the page's reporter saw on screen).
        #[arg(long, default_value = "served", value_parser = parse_exposures)]
        exposures: Exposures,
    },
    /// Reports on events (NDJSON): personalized traffic's lift over the
    /// holdout and the default per block and segment, the experiments'
    /// sample ratios, exploration share, conversion per day and variant.
    Report {
        /// The events file (one JSON event per line), `-` for standard input.
        events: PathBuf,
        /// The catalog source file, for the experiments' declared weights.
        #[arg(long)]
        catalog: Option<PathBuf>,
        /// Print the report as JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Also write the report as a self-contained HTML page, with charts.
        #[arg(long, value_name = "OUT.html")]
        html: Option<PathBuf>,
        /// Only the last DAYS UTC days (today included); all when absent.
        #[arg(long, value_name = "DAYS")]
        window_days: Option<u32>,
        /// The loop's publications (a JSON array of `{published_at_ms,
        /// newest_event_ms}`, or `wrangler d1 execute --json`'s answer of a
        /// query on `tailor_runs`), for its latency.
        #[arg(long, value_name = "FILE")]
        runs: Option<PathBuf>,
        /// Which exposures count: `served` or `seen` (as for `aggregate`).
        #[arg(long, default_value = "served", value_parser = parse_exposures)]
        exposures: Exposures,
    },
}

#[derive(Subcommand)]
enum ProfileCommand {
    /// Prints a new random key as `kid:secret` for TAILOR_PROFILE_KEYS.
    Keygen {
        /// The key id, 1-16 of a-z 0-9.
        #[arg(long, default_value = "k1")]
        kid: String,
    },
    /// Mints a profile cookie value.
    Sign {
        /// The key to sign with (default: the first in TAILOR_PROFILE_KEYS).
        #[arg(long)]
        kid: Option<String>,
        /// A dimension: industry, role, company_size, lifecycle, plan, bucketing_id.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// An experiment bucket assigned by the origin.
        #[arg(long = "experiment", value_name = "LABEL=ARM")]
        experiments: Vec<String>,
        /// One of the site's own dimensions, as its catalog's `profile`
        /// declares it (`usage_pct=80`, `renewal=due-14d`).
        #[arg(long = "dimension", value_name = "NAME=LABEL")]
        dimensions: Vec<String>,
        /// A segment the visitor belongs to (the site's CDP computed it).
        #[arg(long = "segment", value_name = "LABEL")]
        segments: Vec<String>,
        /// Consent flags: p (personalization), a (analytics), pa, or - (none).
        #[arg(long, default_value = "pa")]
        consent: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 30 * 86_400)]
        ttl: u64,
    },
    /// Verifies a cookie value and prints its profile, or why it is refused.
    Verify {
        /// The cookie value (without the name).
        cookie: String,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Checks a catalog source file; prints each problem with its path.
    Validate {
        /// The catalog source file.
        file: PathBuf,
    },
    /// Publishes a catalog source file to a Tailor worker (signed with the
    /// secrets in TAILOR_PUBLISH_SECRETS).
    Push {
        /// The catalog source file.
        file: PathBuf,
        /// The site's base URL (`https://www.example.com`, `http://127.0.0.1:8787`).
        #[arg(long)]
        to: String,
        /// A stats document (`tailor stats aggregate`): its posteriors become
        /// the `bandit.arms` of the blocks that declare a bandit.
        #[arg(long)]
        stats: Option<PathBuf>,
    },
    /// Prints the self-contained set a push sends: the source file with every
    /// variant's `file` read into `html` (to push with your own client).
    Inline {
        /// The catalog source file.
        file: PathBuf,
    },
    /// Points the site back at a retained version (signed like a push).
    Rollback {
        /// The site's base URL.
        #[arg(long)]
        to: String,
        /// The version to restore (`v-…`, as printed by push).
        version: String,
    },
    /// Writes the catalog's KV layout as a JSON array for `wrangler kv bulk put`.
    KvBulk {
        /// The catalog source file.
        file: PathBuf,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Only the immutable documents (fragments and manifest), or only the
        /// pointer: write them in two calls so the pointer never lands first.
        #[arg(long, value_enum)]
        only: Option<Part>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Part {
    /// Fragments and the manifest.
    Content,
    /// The live pointer.
    Pointer,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tailor: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Init {
            dir,
            site,
            route,
            zone,
            build_dir,
            force,
        } => {
            let report = init::init(&init::InitOptions {
                dir,
                site,
                route,
                zone,
                build_dir,
                force,
            })?;
            print!("{report}");
            Ok(())
        }
        Command::Profile { command } => profile_command(command),
        Command::Stats { command } => stats_command(command),
        Command::Review { command } => review::run(command),
        Command::Render {
            page,
            catalog,
            path,
            cookie,
            gpc,
        } => render(&page, &catalog, &path, cookie.as_deref(), gpc),
        Command::Catalog {
            command: CatalogCommand::Validate { file },
        } => {
            let bundle = load_bundle(&file)?;
            println!(
                "{}: valid: site `{}`, {} blocks, {} fragments, version {}",
                file.display(),
                bundle.manifest.site,
                bundle.manifest.blocks.len(),
                bundle.fragments.len(),
                bundle.manifest.version
            );
            Ok(())
        }
        Command::Catalog {
            command: CatalogCommand::Push { file, to, stats },
        } => {
            // Checked here first, with the worker's own rules, for a quick local answer.
            load_bundle(&file)?;
            let mut body = inlined(&file)?;
            if let Some(stats) = stats {
                body = with_stats(&body, &stats)?;
                prepare(&body, &NativeRegex).map_err(|problems| listed(&file, &problems))?;
            }
            send_signed(&to, PUBLISH_PATH, body.into_bytes())
        }
        Command::Catalog {
            command: CatalogCommand::Inline { file },
        } => {
            println!("{}", inlined(&file)?);
            Ok(())
        }
        Command::Catalog {
            command: CatalogCommand::Rollback { to, version },
        } => {
            let body = serde_json::json!({ "version": version }).to_string();
            send_signed(&to, ROLLBACK_PATH, body.into_bytes())
        }
        Command::Catalog {
            command: CatalogCommand::KvBulk { file, out, only },
        } => {
            let bundle = load_bundle(&file)?;
            let pointer = pointer_key(&bundle.manifest.site);
            let entries: Vec<serde_json::Value> = bundle
                .kv_entries()
                .into_iter()
                .filter(|(key, _)| match only {
                    None => true,
                    Some(Part::Content) => *key != pointer,
                    Some(Part::Pointer) => *key == pointer,
                })
                .map(|(key, value)| serde_json::json!({ "key": key, "value": value }))
                .collect();
            let json = serde_json::to_string_pretty(&entries).map_err(|e| e.to_string())?;
            match out {
                Some(path) => std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display())),
                None => {
                    println!("{json}");
                    Ok(())
                }
            }
        }
    }
}

/// The inlined catalog `source` with the posteriors of `stats_file` in its bandits.
fn with_stats(source: &str, stats_file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(stats_file).map_err(|e| format!("{}: {e}", stats_file.display()))?;
    let stats: Stats = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a stats document: {e}", stats_file.display()))?;
    let mut doc: serde_json::Value = serde_json::from_str(source).map_err(|e| e.to_string())?;
    let updated = apply_to_source(&mut doc, &stats);
    eprintln!(
        "tailor: bandit statistics for {} block(s): {}",
        updated.len(),
        updated.join(", ")
    );
    Ok(doc.to_string())
}

fn stats_command(command: StatsCommand) -> Result<(), String> {
    let (events, out, window_days, exposures) = match command {
        StatsCommand::Aggregate {
            events,
            out,
            window_days,
            exposures,
        } => (events, out, window_days, exposures),
        StatsCommand::Report {
            events,
            catalog,
            json,
            html,
            window_days,
            runs,
            exposures,
        } => {
            return stats_report(
                &events,
                catalog.as_deref(),
                json,
                html.as_deref(),
                window_days,
                runs.as_deref(),
                exposures,
            )
        }
    };
    let text = read_events(&events)?;
    let window = window_days.map(|days| DayWindow::ending_at(SystemClock.now_unix_ms(), days));
    let stats = aggregate(text.lines(), window, exposures);
    let json = serde_json::to_string_pretty(&stats).map_err(|e| e.to_string())?;
    eprintln!(
        "tailor: {} events, {} duplicates skipped, {} lines skipped",
        stats.events, stats.duplicates, stats.skipped
    );
    match out {
        Some(path) => std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display())),
        None => {
            println!("{json}");
            Ok(())
        }
    }
}

/// `--exposures`: `served` or `seen`.
fn parse_exposures(text: &str) -> Result<Exposures, String> {
    Exposures::parse(text).ok_or_else(|| format!("`{text}` is not `served` or `seen`"))
}

/// The events file's text; `-` reads standard input.
fn read_events(events: &Path) -> Result<String, String> {
    if events.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).map_err(|e| format!("standard input: {e}"))
    } else {
        std::fs::read_to_string(events).map_err(|e| format!("{}: {e}", events.display()))
    }
}

/// `tailor stats report`: events counted once into rows, then the report.
fn stats_report(
    events: &Path,
    catalog: Option<&Path>,
    json: bool,
    html: Option<&Path>,
    window_days: Option<u32>,
    runs: Option<&Path>,
    exposures: Exposures,
) -> Result<(), String> {
    let text = read_events(events)?;
    let tallies = Tallies::from_lines(text.lines(), &mut Seen::default(), exposures);
    eprintln!(
        "tailor: {} events, {} duplicates skipped, {} lines skipped",
        tallies.events, tallies.duplicates, tallies.skipped
    );
    let experiments = match catalog {
        Some(file) => ExperimentSpec::from_source(&read_json(file, "a catalog source")?),
        None => Vec::new(),
    };
    let runs: Vec<PublishRun> = match runs {
        Some(file) => {
            let mut value = read_json(file, "a list of runs")?;
            // `wrangler d1 execute --json` wraps the rows: `[{"results": [...]}]`.
            if let Some(results) = value.pointer_mut("/0/results") {
                value = results.take();
            }
            serde_json::from_value(value)
                .map_err(|e| format!("{}: not a list of runs: {e}", file.display()))?
        }
        None => Vec::new(),
    };
    let options = ReportOptions {
        window: window_days.map(|days| DayWindow::ending_at(SystemClock.now_unix_ms(), days)),
        runs,
    };
    let report = report(&tallies.to_rows(), &experiments, &options);
    if let Some(out) = html {
        std::fs::write(out, render_html(&report)).map_err(|e| format!("{}: {e}", out.display()))?;
        eprintln!("tailor: wrote {}", out.display());
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render_text(&report));
    }
    Ok(())
}

/// A JSON file, `what` naming it in errors.
fn read_json(file: &Path, what: &str) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not {what} (JSON): {e}", file.display()))
}

fn profile_settings() -> Result<ProfileSettings, String> {
    let (config, warnings) = Config::from_vars(|name| std::env::var(name).ok());
    for warning in warnings {
        eprintln!("tailor: {warning}");
    }
    if config.profile.keys.is_empty() {
        return Err(
            "no keys: set TAILOR_PROFILE_KEYS to `kid:secret` pairs (see `tailor profile keygen`)".into(),
        );
    }
    Ok(config.profile)
}

fn profile_command(command: ProfileCommand) -> Result<(), String> {
    match command {
        ProfileCommand::Keygen { kid } => {
            if !tailor_edge::profile::keys::is_kid(&kid) {
                return Err(format!("key id `{kid}` must be 1-16 of a-z 0-9"));
            }
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| format!("no randomness: {e}"))?;
            println!("{kid}:{}", URL_SAFE_NO_PAD.encode(secret));
            Ok(())
        }
        ProfileCommand::Sign {
            kid,
            set,
            experiments,
            dimensions,
            segments,
            consent,
            ttl,
        } => {
            let settings = profile_settings()?;
            let key = match &kid {
                Some(kid) => settings
                    .keys
                    .get(kid)
                    .ok_or(format!("no key `{kid}` in TAILOR_PROFILE_KEYS"))?,
                None => settings.keys.current().ok_or("no keys")?,
            };
            let now = SystemClock.now_s();
            let mut profile = Profile {
                i: now,
                e: now + ttl,
                c: consent,
                ..Profile::default()
            };
            for pair in &set {
                let (name, value) = pair
                    .split_once('=')
                    .ok_or(format!("--set {pair}: expected NAME=VALUE"))?;
                let slot = match name {
                    "industry" => &mut profile.ind,
                    "role" => &mut profile.role,
                    "company_size" => &mut profile.size,
                    "lifecycle" => &mut profile.stage,
                    "plan" => &mut profile.plan,
                    "bucketing_id" => &mut profile.bid,
                    _ => return Err(format!("--set {name}: not a profile dimension")),
                };
                *slot = Some(value.to_owned());
            }
            for pair in &experiments {
                let (label, arm) = pair
                    .split_once('=')
                    .ok_or(format!("--experiment {pair}: expected LABEL=ARM"))?;
                let arm = arm
                    .parse()
                    .map_err(|_| format!("--experiment {pair}: arm must be 0-99"))?;
                profile.x.push((label.to_owned(), arm));
            }
            for pair in &dimensions {
                let (name, label) = pair
                    .split_once('=')
                    .ok_or(format!("--dimension {pair}: expected NAME=LABEL"))?;
                profile.d.push((name.to_owned(), label.to_owned()));
            }
            // The payload's canonical order; a repeated name is refused by `sign`.
            profile.d.sort();
            profile.s = segments;
            profile.s.sort();
            let cookie = sign(&profile, key, &settings.cookie_name).map_err(|e| e.to_string())?;
            println!("{cookie}");
            Ok(())
        }
        ProfileCommand::Verify { cookie } => {
            let settings = profile_settings()?;
            let now = SystemClock.now_s();
            match verify(&cookie, &settings.keys, &settings.cookie_name, now) {
                Ok(verified) => {
                    let out = serde_json::json!({ "kid": verified.kid, "profile": verified.profile });
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
                    );
                    Ok(())
                }
                Err(reason) => Err(format!("refused: {} ({})", reason.label(), explain(reason))),
            }
        }
    }
}

fn explain(reason: Rejection) -> &'static str {
    match reason {
        Rejection::Oversized => "longer than 512 bytes",
        Rejection::Malformed => "not v1.<kid>.<payload>.<tag> with each part in its alphabet",
        Rejection::UnknownVersion => "a format version this build does not read",
        Rejection::UnknownKey => "signed with a key id not in TAILOR_PROFILE_KEYS",
        Rejection::BadSignature => {
            "the tag does not match: changed, or signed with another secret or cookie name"
        }
        Rejection::BadPayload => "authentic, but the payload breaks the grammar",
        Rejection::NotYetValid => "issued more than 300 s in the future",
        Rejection::Expired => "expired more than 300 s ago",
        Rejection::BadLifetime => "expiry not after issue, or a lifetime over 400 days",
        Rejection::Duplicate => "more than one profile cookie",
    }
}

/// The bundle a source file publishes, under the control worker's rules
/// (fragments sanitized, so versions match what a push produces).
fn load_bundle(file: &Path) -> Result<Bundle, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    let rules = SourceRules {
        read_file: &|relative| read_beside(&dir, relative),
        clean_html: &clean_html,
        regex: &NativeRegex,
    };
    Bundle::build(&text, &rules).map_err(|problems| listed(file, &problems))
}

/// The source file with its fragment files inlined.
fn inlined(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    inline_files(&text, |relative| read_beside(&dir, relative)).map_err(|problems| listed(file, &problems))
}

fn read_beside(dir: &Path, relative: &str) -> Result<String, String> {
    std::fs::read_to_string(dir.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"))
}

/// Every problem on its own line, with its path.
fn listed(file: &Path, problems: &[ValidationError]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "  {}: {}",
                if p.path.is_empty() { "(document)" } else { &p.path },
                p.message
            )
        })
        .collect();
    format!(
        "{}: {} problem(s)\n{}",
        file.display(),
        problems.len(),
        lines.join("\n")
    )
}

/// POSTs `body` to `base` + `path`, signed with every secret in
/// TAILOR_PUBLISH_SECRETS, and prints the worker's answer.
fn send_signed(base: &str, path: &str, body: Vec<u8>) -> Result<(), String> {
    println!("{}", post_signed(base, path, body)?);
    Ok(())
}

/// POSTs `body` to `base` + `path`, signed with every secret in
/// TAILOR_PUBLISH_SECRETS; the worker's JSON answer (or text) when it
/// accepted, else what it said was wrong.
fn post_signed(base: &str, path: &str, body: Vec<u8>) -> Result<serde_json::Value, String> {
    let secrets = std::env::var("TAILOR_PUBLISH_SECRETS").map_err(|_| {
        "set TAILOR_PUBLISH_SECRETS to the push secret (several, comma-separated, while rotating)"
    })?;
    let secrets: Vec<&str> = secrets
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if secrets.is_empty() {
        return Err("TAILOR_PUBLISH_SECRETS is empty".into());
    }
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).map_err(|e| format!("no randomness: {e}"))?;
    let id = hex::encode(id);
    let timestamp = SystemClock.now_s();
    let signature = secrets
        .iter()
        .map(|secret| signature::sign(secret, &id, timestamp, "POST", path, &body))
        .collect::<Vec<_>>()
        .join(" ");
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(std::time::Duration::from_secs(60)))
        .build()
        .into();
    let mut response = agent
        .post(&url)
        .header("content-type", "application/json")
        .header(signature::HEADER_ID, &id)
        .header(signature::HEADER_TIMESTAMP, &timestamp.to_string())
        .header(signature::HEADER_SIGNATURE, &signature)
        .send(&body[..])
        .map_err(|e| format!("{url}: {e}"))?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("{url}: reading the answer: {e}"))?;
    let answer: Option<serde_json::Value> = serde_json::from_str(&text).ok();
    if (200..300).contains(&status) {
        return Ok(answer.unwrap_or(serde_json::Value::String(text)));
    }
    let Some(answer) = answer else {
        return Err(format!(
            "{url}: HTTP {status}: {}",
            text.chars().take(300).collect::<String>()
        ));
    };
    let mut message = format!(
        "{url}: HTTP {status}: {}",
        answer.get("error").and_then(|e| e.as_str()).unwrap_or("refused")
    );
    let text_of =
        |v: &serde_json::Value, name: &str| v.get(name).and_then(|t| t.as_str()).unwrap_or("").to_owned();
    for problem in answer
        .get("problems")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        message.push_str(&format!(
            "\n  {}: {}",
            text_of(problem, "path"),
            text_of(problem, "message")
        ));
    }
    if let Some(retained) = answer.get("retained") {
        message.push_str(&format!("\n  retained: {retained}"));
    }
    Err(message)
}

fn render(page: &Path, catalog: &Path, path: &str, cookie: Option<&str>, gpc: bool) -> Result<(), String> {
    let html = std::fs::read(page).map_err(|e| format!("{}: {e}", page.display()))?;
    let bundle = load_bundle(catalog)?;
    let kv = MemoryKv::with_entries(bundle.kv_entries());
    let (mut config, warnings) = Config::from_vars(|name| std::env::var(name).ok());
    for warning in warnings {
        eprintln!("tailor: {warning}");
    }
    config.site = Some(bundle.manifest.site.clone());
    let mut request = Request::new("GET", &format!("https://tailor.local{path}"));
    request.cookie = cookie.map(|value| format!("{}={value}", config.profile.cookie_name));
    request.global_privacy_control = gpc;
    // Rendering shows the catalog's own fragments: no generator is called,
    // and nothing in memory is slower than the budget.
    let mut platform = MemoryPlatform::new(kv, &NativeRegex).with_timer(NeverTimer);
    platform.clock = ManualClock::at(SystemClock.now_ms());
    let isolate = Isolate::new();
    let edge = Edge::new(&config, &isolate, platform);
    let prepared = futures_executor::block_on(edge.prepare(&request, edge.now_ms()));
    eprintln!("tailor: {}", prepared.decided.timing.header_value());
    let response = MemoryResponse {
        body: html,
        ..MemoryResponse::html("")
    };
    let body = match dispose(prepared, &response) {
        // As at the edge: if the engine fails, the origin's page, unchanged.
        Disposition::Rewrite { plan, .. } => native::rewrite(&plan, &response.body).unwrap_or_else(|e| {
            eprintln!("tailor: {e}; serving the origin's page unchanged");
            response.body.clone()
        }),
        Disposition::PassThrough | Disposition::Annotate { .. } => response.body,
    };
    std::io::stdout().write_all(&body).map_err(|e| e.to_string())
}
