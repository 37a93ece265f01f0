//! Schemas in Cedar syntax (`*.cedarschema`) and JSON syntax (`*.cedarschema.json`).

use cedar_policy::{CedarSchemaError, Schema};

use crate::diagnostic::finding_from_diagnostic;
use crate::rules::{parse_error, schema_error};
use crate::{Finding, SourceFile, Span};

/// Whether the schema file is in JSON syntax, judged by its name.
pub fn is_json_schema(path: &str) -> bool {
    path.ends_with(".json")
}

/// Parses the schema; `None` (with findings) when it cannot be used for validation.
pub fn load_schema(file: &SourceFile, findings: &mut Vec<Finding>) -> Option<Schema> {
    if let Some(offset) = file.invalid_utf8_at {
        findings.push(parse_error::not_utf8(file, offset));
        return None;
    }
    if !is_json_schema(&file.path) {
        if let Some(finding) =
            parse_error::unreadable_cedar(file, crate::policy_syntax::Syntax::Schema)
        {
            findings.push(finding);
            return None;
        }
    }
    let start = Span::empty_at(0);
    if is_json_schema(&file.path) {
        // serde_json locates syntax errors; Cedar's own JSON errors carry no position.
        let value: serde_json::Value = match serde_json::from_str(&file.text) {
            Ok(value) => value,
            Err(error) => {
                findings.push(parse_error::from_json_error(file, &error, "JSON schema"));
                return None;
            }
        };
        match Schema::from_json_value(value) {
            Ok(schema) => Some(schema),
            Err(error) => {
                let mut finding =
                    finding_from_diagnostic(&schema_error::RULE, &file.path, &error, start);
                finding.span = locate_schema_error(&file.text, &finding.message);
                findings.push(finding);
                None
            }
        }
    } else {
        match Schema::from_cedarschema_str(&file.text) {
            Ok((schema, _warnings)) => Some(schema),
            Err(CedarSchemaError::Parse(error)) => {
                findings.push(finding_from_diagnostic(
                    &parse_error::RULE,
                    &file.path,
                    &error,
                    start,
                ));
                None
            }
            Err(error) => {
                findings.push(finding_from_diagnostic(
                    &schema_error::RULE,
                    &file.path,
                    &error,
                    start,
                ));
                None
            }
        }
    }
}

/// Cedar's JSON-schema errors name the offending type or attribute in backticks but give no
/// position; point at the first place the schema text mentions that name.
fn locate_schema_error(text: &str, message: &str) -> Span {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|name| {
            [
                name.to_string(),
                name.rsplit("::").next().unwrap_or(name).to_string(),
            ]
        })
        .filter(|name| !name.is_empty())
        .find_map(|name| {
            let quoted = format!("\"{name}\"");
            text.find(&quoted).map(|i| Span::new(i, i + quoted.len()))
        })
        .unwrap_or(Span::empty_at(0))
}
