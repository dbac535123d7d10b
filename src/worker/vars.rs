//! A configuration parsed from `wrangler.toml` vars once per isolate and set
//! of values: parsing derives keys (HKDF), so it must not run per request,
//! and a changed var (a new deploy reusing the isolate) is still seen.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::config::ConfigWarning;

/// The values of the vars, in the order of their names.
type Values = Vec<Option<String>>;

/// The last values read and what they parsed to.
pub struct ParsedVars<T> {
    last: RefCell<Option<(Values, Rc<T>)>>,
}

impl<T> ParsedVars<T> {
    /// Nothing parsed yet.
    pub const fn new() -> Self {
        Self {
            last: RefCell::new(None),
        }
    }

    /// The configuration for the current values of `names`: the cached one
    /// when they have not changed, else `parse`d anew (its warnings logged).
    pub fn get(
        &self,
        env: &Env,
        names: &[&str],
        parse: impl FnOnce(&dyn Fn(&str) -> Option<String>) -> (T, Vec<ConfigWarning>),
    ) -> Rc<T> {
        let values: Values = names
            .iter()
            .map(|name| env.var(name).ok().map(|v| v.to_string()))
            .collect();
        if let Some((_, config)) = self.last.borrow().as_ref().filter(|(seen, _)| *seen == values) {
            return config.clone();
        }
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
        let config = Rc::new(config);
        *self.last.borrow_mut() = Some((values, config.clone()));
        config
    }
}
