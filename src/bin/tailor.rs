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

use clap::{Parser, Subcommand};
use tailor_edge::catalog::source::Bundle;
use tailor_edge::catalog::{pointer_key, CatalogStore};
use tailor_edge::config::Config;
use tailor_edge::page::{dispose, Disposition, Edge, PageRequest};
use tailor_edge::platform::fakes::{ManualClock, MemoryKv, MemoryResponse, NeverTimer};
use tailor_edge::rewrite::native;

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
    },
    /// Catalog source files.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
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
        Command::Render { page, catalog, path } => render(&page, &catalog, &path),
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

fn load_bundle(file: &Path) -> Result<Bundle, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let dir = file.parent().unwrap_or(Path::new(".")).to_path_buf();
    Bundle::from_source(&text, |relative| {
        std::fs::read_to_string(dir.join(relative)).map_err(|e| format!("cannot read {relative}: {e}"))
    })
    .map_err(|e| format!("{}: {e}", file.display()))
}

fn render(page: &Path, catalog: &Path, path: &str) -> Result<(), String> {
    let html = std::fs::read(page).map_err(|e| format!("{}: {e}", page.display()))?;
    let bundle = load_bundle(catalog)?;
    let kv = MemoryKv::with_entries(bundle.kv_entries());
    let config = Config {
        site: Some(bundle.manifest.site.clone()),
        ..Config::default()
    };
    let store = CatalogStore::new();
    let fragments = config.fragment_cache();
    let edge = Edge {
        config: &config,
        catalog: &store,
        fragments: &fragments,
        kv: &kv,
        clock: &ManualClock::at(0.0),
        timer: &NeverTimer,
    };
    let request = PageRequest {
        method: "GET",
        path,
        has_range: false,
    };
    let prepared = futures_executor::block_on(edge.prepare(&request, 0.0));
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
