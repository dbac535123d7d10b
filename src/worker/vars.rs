//! A configuration from `wrangler.toml` vars, once per isolate: workerd
//! hands every request the same `env` object, so the vars are read (~2 µs
//! each in wasm) only for a new one, and parsed only when their values
//! changed ([`ParsedOnce`]).

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::config::{ConfigWarning, ParsedOnce};

/// The configuration last read, and the `env` object it was read from.
pub struct ParsedVars<T> {
    env: RefCell<Option<(JsValue, Rc<T>)>>,
    parsed: ParsedOnce<T>,
}

impl<T> ParsedVars<T> {
    /// Nothing read yet.
    pub const fn new() -> Self {
        Self {
            env: RefCell::new(None),
            parsed: ParsedOnce::new(),
        }
    }

    /// The configuration for `env`'s values of `names` (warnings logged).
    pub fn get(
        &self,
        env: &Env,
        names: &[&str],
        parse: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> (T, Vec<ConfigWarning>),
    ) -> Rc<T> {
        let env_value: &JsValue = env.as_ref();
        if let Some((seen, config)) = self.env.borrow().as_ref() {
            if Object::is(seen, env_value) {
                return config.clone();
            }
        }
        let values = names
            .iter()
            .map(|name| env.var(name).ok().map(|v| v.to_string()))
            .collect();
        let config = self.parsed.get(names, values, parse, |warning| {
            worker::console_warn!("tailor: {}", warning)
        });
        *self.env.borrow_mut() = Some((env_value.clone(), config.clone()));
        config
    }
}
