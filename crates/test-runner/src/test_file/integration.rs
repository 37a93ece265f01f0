//! The Cedar integration-test file: `{policies, entities, schema, shouldValidate, requests}`,
//! as `cedar-testing` reads it (with its older spellings too).

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{
    entity_ref, name_of, offset_in, CaseSpec, Decision, EntitiesChoice, Expectation,
    ExpectedErrors, IntegrationHeader, Parsed, RequestSpec, Shape, SourceFormat, TestCase,
    TestFile,
};
use crate::located::Located;

/// `cedar-testing`'s `JsonTest`, with the spellings older corpora used as aliases.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IntegrationFile<'a> {
    policies: String,
    #[serde(default)]
    policy_format: Option<String>,
    entities: String,
    schema: String,
    #[serde(default)]
    schema_format: Option<String>,
    #[serde(alias = "should_validate")]
    should_validate: bool,
    #[serde(alias = "queries", borrow)]
    requests: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IntegrationRequest {
    #[serde(alias = "desc")]
    #[expect(
        dead_code,
        reason = "read by `name_of` even when the rest is malformed"
    )]
    description: String,
    #[serde(default)]
    principal: Value,
    #[serde(default)]
    action: Value,
    #[serde(default)]
    resource: Value,
    context: Value,
    #[serde(default = "yes", alias = "enable_request_validation")]
    validate_request: bool,
    decision: IntegrationDecision,
    #[serde(alias = "reasons")]
    reason: Vec<String>,
    errors: Vec<String>,
}

fn yes() -> bool {
    true
}

/// `allow`/`deny`, as `cedar_policy::Decision` reads it; older corpora wrote `Allow`/`Deny`.
struct IntegrationDecision(Decision);

impl<'de> Deserialize<'de> for IntegrationDecision {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "allow" | "Allow" => Ok(Self(Decision::Allow)),
            "deny" | "Deny" => Ok(Self(Decision::Deny)),
            other => Err(serde::de::Error::custom(format!(
                "unknown decision `{other}`, expected `allow` or `deny`"
            ))),
        }
    }
}

fn source_format(
    file: &str,
    text: &str,
    key: &str,
    value: Option<String>,
) -> Result<SourceFormat, Located> {
    match value.as_deref() {
        None | Some("cedar") => Ok(SourceFormat::Cedar),
        Some("json") => Ok(SourceFormat::Json),
        Some(other) => {
            let at = text.find(&format!("\"{key}\"")).unwrap_or(0);
            Err(Located::at(
                file,
                text,
                at,
                format!("`{key}` is \"{other}\": expected \"cedar\" or \"json\""),
            ))
        }
    }
}

pub(super) fn parse(file: &str, text: &str, base: usize) -> Parsed {
    let parsed: IntegrationFile = match serde_json::from_str(&text[base..]) {
        Ok(parsed) => parsed,
        Err(error) => {
            return Parsed::Error(Located::json(
                file,
                text,
                base,
                &error,
                "invalid integration test file",
            ))
        }
    };
    let formats = source_format(file, text, "policyFormat", parsed.policy_format).and_then(|p| {
        source_format(file, text, "schemaFormat", parsed.schema_format).map(|s| (p, s))
    });
    let (policy_format, schema_format) = match formats {
        Ok(formats) => formats,
        Err(error) => return Parsed::Error(error),
    };
    let tests = parsed
        .requests
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let offset = offset_in(text, raw);
            let name = {
                let described = name_of(raw, "description", index);
                if described.starts_with("(unnamed") {
                    name_of(raw, "desc", index)
                } else {
                    described
                }
            };
            let spec = serde_json::from_str::<IntegrationRequest>(raw.get())
                .map_err(|e| Located::json(file, text, offset, &e, "invalid request"))
                .map(|request| CaseSpec {
                    request: RequestSpec {
                        principal: entity_ref(request.principal),
                        action: entity_ref(request.action),
                        resource: entity_ref(request.resource),
                        context: request.context,
                    },
                    entities: EntitiesChoice::Shared,
                    inline_entities: Vec::new(),
                    expect: Expectation {
                        decision: request.decision.0.into(),
                        reason: request.reason,
                        reason_exact: true,
                        errors: ExpectedErrors::Policies(request.errors),
                    },
                    validate_request: request.validate_request,
                });
            TestCase { name, offset, spec }
        })
        .collect();
    Parsed::Tests(TestFile {
        shape: Shape::Integration,
        tests,
        shared_entities: None,
        integration: Some(IntegrationHeader {
            policies: parsed.policies,
            policy_format,
            entities: parsed.entities,
            schema: parsed.schema,
            schema_format,
            should_validate: parsed.should_validate,
        }),
    })
}
