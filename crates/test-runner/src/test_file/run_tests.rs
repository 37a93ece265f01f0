//! The Cedar CLI `run-tests` file: an array of `{name, request, entities, decision, reason,
//! num_errors}`, with exactly the fields and semantics of `cedar run-tests`.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    entities_source, name_of, offset_in, CaseSpec, Decision, EntitiesChoice, EntityRef,
    Expectation, ExpectedErrors, Parsed, RequestSpec, Shape, TestCase, TestFile,
};
use crate::located::Located;

/// The tests of a `run-tests` array, its items already told to be tests.
pub(super) fn parse(file: &str, text: &str, items: &[&RawValue]) -> Parsed {
    let tests = items
        .iter()
        .enumerate()
        .map(|(index, raw)| case(file, text, index, raw))
        .collect();
    Parsed::Tests(TestFile {
        shape: Shape::RunTests,
        tests,
        shared_entities: None,
        integration: None,
    })
}

/// `cedar run-tests`' own test case: every field but `name` is required, unknown fields are
/// ignored, `decision` is `allow` or `deny`, entity uids are strings.
#[derive(Deserialize)]
struct RunTestsEntry<'a> {
    #[serde(borrow)]
    request: RunTestsRequest<'a>,
    #[serde(borrow)]
    entities: &'a RawValue,
    decision: Decision,
    reason: Vec<String>,
    num_errors: usize,
}

#[derive(Deserialize)]
struct RunTestsRequest<'a> {
    #[serde(default)]
    principal: Option<String>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    resource: Option<String>,
    #[serde(borrow)]
    context: &'a RawValue,
}

impl<'de> Deserialize<'de> for Decision {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "allow" => Ok(Decision::Allow),
            "deny" => Ok(Decision::Deny),
            other => Err(serde::de::Error::custom(format!(
                "unknown decision `{other}`, expected `allow` or `deny`"
            ))),
        }
    }
}

fn case(file: &str, text: &str, index: usize, raw: &RawValue) -> TestCase {
    let offset = offset_in(text, raw);
    let name = name_of(raw, "name", index);
    let spec = serde_json::from_str::<RunTestsEntry>(raw.get())
        .map_err(|e| Located::json(file, text, offset, &e, "invalid test"))
        .and_then(|entry| {
            let context = serde_json::from_str(entry.request.context.get())
                .map_err(|e| Located::json(file, text, offset, &e, "invalid test context"))?;
            Ok(CaseSpec {
                request: RequestSpec {
                    principal: entry
                        .request
                        .principal
                        .map_or(EntityRef::Missing, EntityRef::Text),
                    action: entry
                        .request
                        .action
                        .map_or(EntityRef::Missing, EntityRef::Text),
                    resource: entry
                        .request
                        .resource
                        .map_or(EntityRef::Missing, EntityRef::Text),
                    context,
                },
                entities: EntitiesChoice::Own(entities_source(entry.entities)),
                expect: Expectation {
                    decision: entry.decision.into(),
                    reason: entry.reason,
                    reason_exact: false,
                    errors: ExpectedErrors::Count(entry.num_errors),
                },
                validate_request: true,
                inline_entities: Vec::new(),
            })
        });
    TestCase { name, offset, spec }
}
