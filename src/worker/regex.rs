//! `$regex` conditions on JS `RegExp`: GrowthBook's SDKs run JavaScript
//! regular expressions, so the Worker uses the real thing (exact semantics,
//! no regex engine in the wasm).

use std::rc::Rc;

use js_sys::Object;

use super::io::{reg_exp, reg_exp_test};
use crate::platform::{CompiledRegex, RegexEngine};

/// The platform's `RegExp`.
pub struct JsRegex;

struct Compiled(Object);

impl CompiledRegex for Compiled {
    fn is_match(&self, text: &str) -> bool {
        reg_exp_test(&self.0, text)
    }
}

fn compile(pattern: &str, flags: &str) -> Result<Rc<dyn CompiledRegex>, String> {
    let re = reg_exp(pattern, flags).ok_or("not a valid JavaScript regular expression")?;
    Ok(Rc::new(Compiled(re)))
}

impl RegexEngine for JsRegex {
    fn compile(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        compile(pattern, "")
    }

    fn compile_case_insensitive(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        compile(pattern, "i")
    }
}
