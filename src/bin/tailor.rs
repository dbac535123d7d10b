//! `tailor`: the command-line tool for origin teams and developers.
//!
//! - `tailor render PAGE.html --catalog catalog/demo.json [--path /]` shows a
//!   page exactly as the edge would serve it, through the same core flow and
//!   the native engine (the same parser as workerd's `HTMLRewriter`).
//! - `tailor catalog validate FILE` checks a catalog source file.
//! - `tailor catalog kv-bulk FILE` writes its KV layout as JSON for
//!   `wrangler kv bulk put`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Parser, Subcommand};
use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::{pointer_key, CatalogStore};
use tailor_edge::config::Config;
use tailor_edge::page::{dispose, Disposition, Edge, PageRequest};
use tailor_edge::platform::fakes::{ManualClock, MemoryKv, MemoryResponse, NeverTimer};
use tailor_edge::platform::Clock;
use tailor_edge::profile::{sign, verify, Profile, ProfileSettings, Rejection, RequestContext};
use tailor_edge::rewrite::native;
use tailor_edge::targeting::NativeRegex;

fn now_ms() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_millis() as f64)
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
        Command::Profile { command } => profile_command(command),
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
            let now = (now_ms() / 1000.0) as u64;
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
            let cookie = sign(&profile, key, &settings.cookie_name).map_err(|e| e.to_string())?;
            println!("{cookie}");
            Ok(())
        }
        ProfileCommand::Verify { cookie } => {
            let settings = profile_settings()?;
            let now = (now_ms() / 1000.0) as u64;
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

fn load_bundle(file: &Path) -> Result<Bundle, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    Bundle::from_source(&text, |relative| {
        std::fs::read_to_string(dir.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"))
    })
    .map_err(|e| format!("{}: {e}", file.display()))
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
    let cookie_header = cookie.map(|value| format!("{}={value}", config.profile.cookie_name));
    let store = CatalogStore::new();
    let clock = ManualClock::at(now_ms());
    let fragments = config.fragment_cache();
    let edge = Edge {
        config: &config,
        catalog: &store,
        fragments: &fragments,
        kv: &kv,
        clock: &clock,
        timer: &NeverTimer,
        regex: &NativeRegex,
    };
    let context = RequestContext {
        cookie_header: cookie_header.as_deref(),
        global_privacy_control: gpc,
        ..RequestContext::default()
    };
    let request = PageRequest {
        method: "GET",
        path,
        has_range: false,
        record_visit: true,
        context,
    };
    let prepared = futures_executor::block_on(edge.prepare(&request, clock.now_ms()));
    eprintln!("tailor: {}", prepared.timing.header_value());
    let response = MemoryResponse {
        body: html,
        ..MemoryResponse::html("")
    };
    let body = match dispose(prepared, &response) {
        Disposition::Rewrite { plan, .. } => {
            native::rewrite(&plan, &response.body).map_err(|e| e.to_string())?
        }
        Disposition::PassThrough | Disposition::Annotate { .. } => response.body,
    };
    std::io::stdout().write_all(&body).map_err(|e| e.to_string())
}
