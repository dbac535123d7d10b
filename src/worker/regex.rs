//! `$regex` conditions on JS `RegExp`: GrowthBook's SDKs run JavaScript
//! regular expressions, so the Worker uses the real thing (exact semantics,
//! no regex engine in the wasm).

use std::rc::Rc;

use wasm_bindgen::prelude::*;

use crate::targeting::{CompiledRegex, RegexEngine};

#[wasm_bindgen]
extern "C" {
    /// The global `RegExp`.
    #[wasm_bindgen(js_name = RegExp)]
    type JsRegExp;
    /// `new RegExp(pattern, flags)`, which throws on an invalid pattern.
    #[wasm_bindgen(constructor, js_class = "RegExp", catch)]
    fn new(pattern: &str, flags: &str) -> Result<JsRegExp, JsValue>;
    /// `RegExp.prototype.test`.
    #[wasm_bindgen(method, js_class = "RegExp", catch)]
    fn test(this: &JsRegExp, text: &str) -> Result<bool, JsValue>;
}

/// The platform's `RegExp`.
pub struct JsRegex;

struct Compiled(JsRegExp);

impl CompiledRegex for Compiled {
    fn is_match(&self, text: &str) -> bool {
        self.0.test(text).unwrap_or(false)
    }
}

fn compile(pattern: &str, flags: &str) -> Result<Rc<dyn CompiledRegex>, String> {
    JsRegExp::new(pattern, flags)
        .map(|re| Rc::new(Compiled(re)) as Rc<dyn CompiledRegex>)
        .map_err(|_| "not a valid JavaScript regular expression".to_owned())
}

impl RegexEngine for JsRegex {
    fn compile(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        compile(pattern, "")
    }

    fn compile_case_insensitive(&self, pattern: &str) -> Result<Rc<dyn CompiledRegex>, String> {
        compile(pattern, "i")
    }
}
