//! `tailor review list|show|approve|reject --to URL`: the review queue of
//! generated drafts, through the control worker's signed `POST
//! /__tailor/review` (the page worker forwards it, like a push).

use clap::Subcommand;
use serde_json::{json, Value};
use tailor_edge::publish::REVIEW_PATH;

#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Lists the drafts pending approval and those a guardrail refused
    /// (with the rule they broke).
    List {
        /// The site's base URL (`https://www.example.com`, `http://127.0.0.1:8787`).
        #[arg(long)]
        to: String,
        /// Print the worker's JSON answer.
        #[arg(long)]
        json: bool,
    },
    /// Shows one draft: its segment, its HTML and the live variant's.
    Show {
        /// The site's base URL.
        #[arg(long)]
        to: String,
        /// The draft's id, as listed (`pending/BLOCK/VARIANT/HASH`).
        id: String,
    },
    /// Approves a pending draft: it becomes a variant of its block for
    /// exactly its segment, published as a new catalog version.
    Approve {
        /// The site's base URL.
        #[arg(long)]
        to: String,
        /// The draft's id.
        id: String,
    },
    /// Rejects a draft (pending or refused): dismissed, and the generator is
    /// not asked again for its block and segment.
    Reject {
        /// The site's base URL.
        #[arg(long)]
        to: String,
        /// The draft's id.
        id: String,
        /// Why (kept with the rejection).
        #[arg(long)]
        reason: String,
    },
}

pub fn run(command: ReviewCommand) -> Result<(), String> {
    let (to, body, json_out) = match &command {
        ReviewCommand::List { to, json } => (to, json!({ "action": "list" }), *json),
        ReviewCommand::Show { to, id } => (to, json!({ "action": "show", "id": id }), true),
        ReviewCommand::Approve { to, id } => (to, json!({ "action": "approve", "id": id }), false),
        ReviewCommand::Reject { to, id, reason } => (
            to,
            json!({ "action": "reject", "id": id, "reason": reason }),
            false,
        ),
    };
    let answer = super::post_signed(to, REVIEW_PATH, body.to_string().into_bytes())?;
    if json_out {
        println!(
            "{}",
            serde_json::to_string_pretty(&answer).unwrap_or_else(|_| answer.to_string())
        );
        return Ok(());
    }
    let text = |v: &Value, name: &str| v.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    match command {
        ReviewCommand::List { .. } => {
            let drafts = answer
                .get("drafts")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if drafts.is_empty() {
                println!("no drafts to review");
            }
            for draft in drafts {
                let segment: Vec<String> = draft
                    .get("segment")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect();
                let rule = match text(&draft, "rule").as_str() {
                    "" => String::new(),
                    rule => format!("  broke {rule}: {}", text(&draft, "detail")),
                };
                println!(
                    "{}  {}  {}  [{}]{rule}",
                    text(&draft, "id"),
                    text(&draft, "status"),
                    text(&draft, "block"),
                    segment.join(" "),
                );
            }
        }
        ReviewCommand::Approve { id, .. } => {
            let publish = answer.get("publish").cloned().unwrap_or_default();
            println!(
                "approved {id}: variant `{}` of its block, live in version {}",
                text(&answer, "variant"),
                text(&publish, "version")
            );
        }
        ReviewCommand::Reject { id, .. } => println!("rejected {id}"),
        ReviewCommand::Show { .. } => {}
    }
    Ok(())
}
