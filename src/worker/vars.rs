//! A configuration parsed from `wrangler.toml` vars once per isolate: parsing
//! derives keys (HKDF), and even reading the vars costs ~2 µs each in wasm,
//! so neither happens per request. workerd hands every request the same
//! `env` object; a different one (a new deploy reusing the isolate) has its
//! vars read again, and parsed again if they changed.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::JsValue;
use worker::Env;

use crate::config::ConfigWarning;

/// The values of the vars, in the order of their names.
type Values = Vec<Option<String>>;

struct Parsed<T> {
    /// The `env` object the values were read from.
    env: JsValue,
    values: Values,
    config: Rc<T>,
}

/// The last configuration parsed, and what it was parsed from.
pub struct ParsedVars<T> {
    last: RefCell<Option<Parsed<T>>>,
}

impl<T> ParsedVars<T> {
    /// Nothing parsed yet.
    pub const fn new() -> Self {
        Self {
            last: RefCell::new(None),
        }
    }

    /// The configuration for `env`'s values of `names`: the cached one for
    /// the same `env` object or the same values, else `parse`d anew (its
    /// warnings logged).
    pub fn get(
        &self,
        env: &Env,
        names: &[&str],
        parse: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> (T, Vec<ConfigWarning>),
    ) -> Rc<T> {
        let env_value: &JsValue = env.as_ref();
        if let Some(last) = self
            .last
            .borrow()
            .as_ref()
            .filter(|l| Object::is(&l.env, env_value))
        {
            return last.config.clone();
        }
        let values: Values = names
            .iter()
            .map(|name| env.var(name).ok().map(|v| v.to_string()))
            .collect();
        let unchanged = self
            .last
            .borrow()
            .as_ref()
            .filter(|l| l.values == values)
            .map(|l| l.config.clone());
        let config = match unchanged {
            Some(config) => config,
            None => {
                let var = |name: &str| {
                    names
                        .iter()
                        .position(|n| *n == name)
                        .and_then(|i| values.get(i).cloned().flatten())
                };
                let (config, warnings) = parse(&var);
                for warning in &warnings {
                    worker::console_warn!("tailor: {}", warning);
                }
                Rc::new(config)
            }
        };
        *self.last.borrow_mut() = Some(Parsed {
            env: env_value.clone(),
            values,
            config: config.clone(),
        });
        config
    }
}
