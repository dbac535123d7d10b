//! The events sink: a batch of NDJSON events POSTed to `TAILOR_EVENTS_URL`
//! after the response (`waitUntil`). A failed send is logged and dropped:
//! events never hold or break a page.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::Context;

use super::http::post;
use super::origin::global_fetch;
use crate::events::{ndjson, Event};

/// How long one send may take.
const SEND_TIMEOUT_MS: u32 = 10_000;

async fn send(url: String, body: String) -> Result<(), JsValue> {
    let request = post(&url, "application/x-ndjson", &body, Some(SEND_TIMEOUT_MS))?;
    JsFuture::from(global_fetch(&request)?).await?;
    Ok(())
}

/// Sends `events` in one batch after the response, if there are any and a
/// sink is configured.
pub fn send_after_response(ctx: &Context, url: Option<&str>, events: &[Event]) {
    let (Some(url), false) = (url, events.is_empty()) else {
        return;
    };
    let send = send(url.to_owned(), ndjson(events));
    let count = events.len();
    ctx.wait_until(async move {
        if send.await.is_err() {
            worker::console_warn!("tailor: {count} event(s) could not be sent");
        }
    });
}
