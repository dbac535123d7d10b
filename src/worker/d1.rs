//! The loop's count store on D1 (the control worker's `LOOP` binding): the
//! core's SQL ([`crate::feedback`]), run through `io.mjs`. Every failure is
//! a [`StoreError`]; the caller retries the batch or the tick.

use std::cell::Cell;
use std::future::Future;

use js_sys::Array;
use wasm_bindgen::JsValue;
use worker::Env;

use super::io::{binding, d1_batch, describe, settle};
use crate::events::tally::Row;
use crate::feedback::{
    Batch, CountStore, Run, SqlRow, StoreError, SQL_APPLY_COUNTS, SQL_APPLY_IDS, SQL_PRUNE_IDS,
    SQL_RECORD_RUN, SQL_ROWS_SINCE, SQL_RUNS, SQL_SCHEMA,
};

/// The D1 binding the loop counts into.
pub const LOOP_BINDING: &str = "LOOP";

thread_local! {
    /// Whether this isolate has made sure the tables exist.
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
}

/// D1 through the `LOOP` binding.
#[derive(Clone)]
pub struct D1Store(JsValue);

impl D1Store {
    /// The `LOOP` binding, if bound.
    pub fn from_env(env: &Env) -> Option<Self> {
        binding(env.as_ref(), LOOP_BINDING).map(|db| Self(db.into()))
    }

    /// Runs `statements` as one transaction; each one's rows as JSON.
    async fn run(&self, statements: Vec<Vec<JsValue>>) -> Result<Vec<Vec<serde_json::Value>>, StoreError> {
        if !SCHEMA_READY.with(Cell::get) {
            let schema: Array = SQL_SCHEMA
                .split(";\n")
                .map(|sql| JsValue::from(Array::of1(&JsValue::from_str(sql))))
                .collect();
            settle(d1_batch(&self.0, schema))
                .await
                .map_err(|e| StoreError(describe(&e)))?;
            SCHEMA_READY.with(|ready| ready.set(true));
        }
        let batch: Array = statements
            .into_iter()
            .map(|parts| JsValue::from(parts.into_iter().collect::<Array>()))
            .collect();
        let text = settle(d1_batch(&self.0, batch))
            .await
            .map_err(|e| StoreError(describe(&e)))?
            .as_string()
            .unwrap_or_default();
        serde_json::from_str(&text).map_err(|e| StoreError(format!("D1 answered something else: {e}")))
    }
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn number(value: u64) -> JsValue {
    JsValue::from_f64(value as f64)
}

impl CountStore for D1Store {
    fn apply(&self, batch: &Batch) -> impl Future<Output = Result<(), StoreError>> {
        let (json, tag) = (batch.compact_json(), JsValue::from_f64(batch.tag() as f64));
        let statements = vec![
            vec![text(SQL_APPLY_IDS), text(&json), tag.clone()],
            vec![text(SQL_APPLY_COUNTS), text(&json), tag],
        ];
        let store = self.clone();
        async move { store.run(statements).await.map(drop) }
    }

    fn rows_since(&self, first_day: u32) -> impl Future<Output = Result<Vec<Row>, StoreError>> {
        let statements = vec![vec![text(SQL_ROWS_SINCE), number(u64::from(first_day))]];
        let store = self.clone();
        async move {
            let mut results = store.run(statements).await?;
            let rows = results.pop().unwrap_or_default();
            rows.into_iter()
                .map(|row| {
                    serde_json::from_value::<SqlRow>(row)
                        .map(Row::from)
                        .map_err(|e| StoreError(format!("a row D1 returned is not a count: {e}")))
                })
                .collect()
        }
    }

    fn record_run(&self, run: &Run) -> impl Future<Output = Result<(), StoreError>> {
        let statements = vec![vec![
            text(SQL_RECORD_RUN),
            number(run.published_at_ms),
            number(run.newest_event_ms),
            text(&run.version),
            number(run.events),
        ]];
        let store = self.clone();
        async move { store.run(statements).await.map(drop) }
    }

    fn runs(&self, limit: u32) -> impl Future<Output = Result<Vec<Run>, StoreError>> {
        let statements = vec![vec![text(SQL_RUNS), number(u64::from(limit))]];
        let store = self.clone();
        async move {
            let rows = store.run(statements).await?.pop().unwrap_or_default();
            serde_json::from_value(serde_json::Value::Array(rows))
                .map_err(|e| StoreError(format!("a run D1 returned is not a run: {e}")))
        }
    }

    fn prune_ids(&self, first_day: u32) -> impl Future<Output = Result<(), StoreError>> {
        let statements = vec![vec![text(SQL_PRUNE_IDS), number(u64::from(first_day))]];
        let store = self.clone();
        async move { store.run(statements).await.map(drop) }
    }
}
