//! The wire format between the page worker and the control worker for a
//! generated fragment: the page worker asks the control worker's sanitizer
//! (`POST /__tailor/generated` over the service binding) and reads its answer.

use serde_json::{json, Value};

use crate::guardrails::{GuardrailRule, Violation};
use crate::platform::{GenerateRequest, GeneratorRefusal, Sanitized};

/// The control worker's internal endpoint for generated fragments (reached
/// only over the page worker's service binding).
pub const GENERATED_PATH: &str = "/__tailor/generated";

/// The body the page worker sends the control worker for a generated
/// fragment (the control worker's `handle_generated` answers it); `refused`
/// when the generator itself refused the draft (it is then only recorded).
pub fn generated_request(
    request: &GenerateRequest,
    html: &str,
    approval: bool,
    refused: Option<&GeneratorRefusal>,
) -> String {
    match refused {
        None => json!({ "request": request, "html": html, "approval": approval }),
        Some(refused) => {
            json!({ "request": request, "html": html, "approval": approval, "refused": refused })
        }
    }
    .to_string()
}

/// What the control worker's answer to [`generated_request`] says; `None`
/// when it is not one of the control worker's answers (the call failed).
pub fn generated_answer(text: &str) -> Option<Sanitized> {
    let answer: Value = serde_json::from_str(text).ok()?;
    let field = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
    match field("status").as_deref()? {
        "clean" => Some(Sanitized::Clean(field("html").unwrap_or_default())),
        "pending" => Some(Sanitized::Pending),
        // A guardrail refusal names its rule; an older control worker's
        // refusals (no rule) are unsafe markup.
        "refused" => Some(match field("rule") {
            Some(rule) => Sanitized::Guardrail(Violation {
                rule: GuardrailRule::from_name(&rule),
                detail: field("error").unwrap_or_default(),
            }),
            None => Sanitized::Refused(field("error").unwrap_or_default()),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_and_anything_else_is_a_failed_call() {
        assert_eq!(
            generated_answer(r#"{"status":"clean","html":"<p>x</p>"}"#),
            Some(Sanitized::Clean("<p>x</p>".into()))
        );
        assert_eq!(
            generated_answer(r#"{"status":"pending"}"#),
            Some(Sanitized::Pending)
        );
        assert_eq!(
            generated_answer(r#"{"status":"refused","error":"<script>"}"#),
            Some(Sanitized::Refused("<script>".into()))
        );
        assert_eq!(
            generated_answer(
                r#"{"status":"refused","rule":"max_words","error":"41 words; the limit is 40"}"#
            ),
            Some(Sanitized::Guardrail(Violation {
                rule: GuardrailRule::MaxWords,
                detail: "41 words; the limit is 40".into()
            }))
        );
        for bad in ["", "{}", "[1]", r#"{"status":"maybe"}"#, r#"{"error":"no site"}"#] {
            assert_eq!(generated_answer(bad), None, "{bad}");
        }
    }
}
