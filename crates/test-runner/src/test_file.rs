//! Test files: the three shapes of README "Test files", told apart by their content, each
//! test with the byte offset where it starts so that reports can name its line.
//!
//! 1. The Cedar CLI `run-tests` file: an array of `{name, request, entities, decision, reason,
//!    num_errors}`, with exactly the fields and semantics of `cedar run-tests`.
//! 2. The Cedar integration-test file: `{policies, entities, schema, shouldValidate, requests}`,
//!    as `cedar-testing` reads it (with its older spellings too).
//! 3. The native file: `{entities, tests: [...]}` with shared entities and lenient entries.
//!
//! This module tells the shapes apart; each shape's own fields are read in its module
//! (`run_tests`, `integration`, `native`), and YAML files in `yaml`.
//!
//! Parsing is IO-free: paths in the file are kept as written; the loader resolves them.

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use crate::located::Located;

mod integration;
mod native;
mod run_tests;
mod yaml;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    RunTests,
    Integration,
    Native,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::RunTests => "run-tests",
            Shape::Integration => "integration",
            Shape::Native => "native",
        }
    }
}

/// What a JSON file turned out to be.
#[derive(Debug)]
pub enum Parsed {
    Tests(TestFile),
    /// Valid JSON of another kind (entities, a schema, a JSON policy set…): not an error when
    /// found while searching a directory, as the Cedar test harness skips such files too.
    NotATest(&'static str),
    /// Not JSON, or a test file whose top level is malformed.
    Error(Located),
}

#[derive(Debug)]
pub struct TestFile {
    pub shape: Shape,
    pub tests: Vec<TestCase>,
    /// Native files: the entities every test uses unless it names its own.
    pub shared_entities: Option<EntitiesSource>,
    /// Integration files: the policies, schema and entities they name.
    pub integration: Option<IntegrationHeader>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    Cedar,
    Json,
}

#[derive(Debug)]
pub struct IntegrationHeader {
    pub policies: String,
    pub policy_format: SourceFormat,
    pub entities: String,
    pub schema: String,
    pub schema_format: SourceFormat,
    pub should_validate: bool,
}

#[derive(Debug)]
pub struct TestCase {
    pub name: String,
    /// Byte offset of the test in its file.
    pub offset: usize,
    /// A test whose own JSON is malformed fails alone, with this message (located).
    pub spec: Result<CaseSpec, Located>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntityRef {
    /// `Type::"id"`, as the Cedar CLI writes it.
    Text(String),
    /// `{"type": …, "id": …}` or `{"__entity": {…}}`.
    Json(Value),
    Missing,
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Text(text) => f.write_str(text),
            EntityRef::Json(value) => match cedar_policy::EntityUid::from_json(value.clone()) {
                Ok(uid) => write!(f, "{uid}"),
                Err(_) => write!(f, "{value}"),
            },
            EntityRef::Missing => f.write_str("(missing)"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct RequestSpec {
    pub principal: EntityRef,
    pub action: EntityRef,
    pub resource: EntityRef,
    pub context: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntitiesSource {
    Inline(Value),
    /// As written in the test file; the loader resolves it.
    Path(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum EntitiesChoice {
    /// The file's shared entities (native), or the integration file's entities.
    Shared,
    Own(EntitiesSource),
    /// No entities at all (a native test in a file without shared entities).
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

impl From<cedar_policy::Decision> for Decision {
    fn from(decision: cedar_policy::Decision) -> Self {
        match decision {
            cedar_policy::Decision::Allow => Decision::Allow,
            cedar_policy::Decision::Deny => Decision::Deny,
        }
    }
}

/// What a test expects Cedar to decide. `forbidden` and `not-permitted` (native and YAML
/// files) tell apart the two ways to be denied: a forbid that applied, or no permit that did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpectedDecision {
    Allow,
    Deny,
    /// Denied, and some forbid determined it.
    Forbidden,
    /// Denied, and no policy determined it: no permit applied (and no forbid).
    NotPermitted,
}

impl ExpectedDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedDecision::Allow => "allow",
            ExpectedDecision::Deny => "deny",
            ExpectedDecision::Forbidden => "forbidden",
            ExpectedDecision::NotPermitted => "not-permitted",
        }
    }

    /// Cedar's decision this expectation needs.
    pub fn decision(self) -> Decision {
        match self {
            ExpectedDecision::Allow => Decision::Allow,
            _ => Decision::Deny,
        }
    }

    /// Whether Cedar's decision, and the policies that determined it, are what is expected.
    pub fn holds(self, decision: Decision, determined_by: &[String]) -> bool {
        match self {
            ExpectedDecision::Allow | ExpectedDecision::Deny => decision == self.decision(),
            ExpectedDecision::Forbidden => decision == Decision::Deny && !determined_by.is_empty(),
            ExpectedDecision::NotPermitted => {
                decision == Decision::Deny && determined_by.is_empty()
            }
        }
    }

    /// Cedar's answer in this expectation's words: `allow`/`deny`, or for `forbidden` and
    /// `not-permitted` which of the two a deny was.
    pub fn describe(self, decision: Decision, determined_by: &[String]) -> &'static str {
        match (self, decision) {
            (_, Decision::Allow) => "allow",
            (ExpectedDecision::Allow | ExpectedDecision::Deny, Decision::Deny) => "deny",
            (_, Decision::Deny) if determined_by.is_empty() => "not-permitted",
            (_, Decision::Deny) => "forbidden",
        }
    }
}

impl From<Decision> for ExpectedDecision {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Allow => ExpectedDecision::Allow,
            Decision::Deny => ExpectedDecision::Deny,
        }
    }
}

impl<'de> Deserialize<'de> for ExpectedDecision {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.as_str() {
            "allow" => Ok(ExpectedDecision::Allow),
            "deny" => Ok(ExpectedDecision::Deny),
            "forbidden" => Ok(ExpectedDecision::Forbidden),
            "not-permitted" => Ok(ExpectedDecision::NotPermitted),
            other => Err(serde::de::Error::custom(format!(
                "unknown decision `{other}`, expected `allow`, `deny`, `forbidden` (a forbid \
                 decided) or `not-permitted` (no permit applied)"
            ))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExpectedErrors {
    /// `num_errors`: exactly this many policies raised an error.
    Count(usize),
    /// `errors`: exactly these policies raised an error.
    Policies(Vec<String>),
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub decision: ExpectedDecision,
    pub reason: Vec<String>,
    /// `reason` is the exact set of determining policies (integration), else a subset of it.
    pub reason_exact: bool,
    pub errors: ExpectedErrors,
}

#[derive(Clone, Debug)]
pub struct CaseSpec {
    pub request: RequestSpec,
    pub entities: EntitiesChoice,
    pub expect: Expectation,
    /// Validate the request against the schema, when there is one.
    pub validate_request: bool,
    /// Entities the test writes in its request (a principal or resource with `attrs` or
    /// `parents`), as Cedar entity JSON: added to the test's entities.
    pub inline_entities: Vec<Value>,
}

/// Whether a test file is YAML (`*.yaml`, `*.yml`) rather than JSON.
pub fn is_yaml(file: &str) -> bool {
    file.ends_with(".yaml") || file.ends_with(".yml")
}

/// Detects the shape of a test file and parses it. `file` names the file in messages, and
/// its extension tells YAML (the same shapes, written in YAML) from JSON.
pub fn parse(file: &str, text: &str) -> Parsed {
    if is_yaml(file) {
        return yaml::parse(file, text);
    }
    parse_json(file, text)
}

/// A JSON test file.
fn parse_json(file: &str, text: &str) -> Parsed {
    let trimmed = text.trim_start_matches('\u{feff}');
    let base = text.len() - trimmed.len();
    let first = trimmed.trim_start().chars().next();
    match first {
        Some('[') => parse_array(file, text, base),
        Some('{') => parse_object(file, text, base),
        // `cedarcheck test --format json > results.json` creates the file before the run
        // searches the directory: an empty file is not a test, not a broken one.
        None => Parsed::NotATest("an empty file"),
        _ => match serde_json::from_str::<Value>(trimmed) {
            Err(error) => Parsed::Error(Located::json(file, text, base, &error, "invalid JSON")),
            Ok(_) => Parsed::NotATest("JSON that is neither an array nor an object"),
        },
    }
}

/// A JSON syntax error, in the words of a full parse where it has better ones ("trailing
/// comma" rather than the raw-value scanner's "key must be a string").
fn syntax_error(file: &str, text: &str, base: usize, error: &serde_json::Error) -> Located {
    match serde_json::from_str::<Value>(&text[base..]) {
        Err(full)
            if full.is_syntax()
                && full.line() == error.line()
                && full.column() == error.column() =>
        {
            Located::json(file, text, base, &full, "invalid JSON")
        }
        _ => Located::json(file, text, base, error, "invalid JSON"),
    }
}

/// The byte offset of a borrowed raw value inside the text it was parsed from.
fn offset_in(text: &str, raw: &RawValue) -> usize {
    (raw.get().as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

fn parse_array(file: &str, text: &str, base: usize) -> Parsed {
    let items: Vec<&RawValue> = match serde_json::from_str(&text[base..]) {
        Ok(items) => items,
        Err(error) => return Parsed::Error(syntax_error(file, text, base, &error)),
    };
    const TEST_KEYS: [&str; 4] = ["request", "decision", "reason", "num_errors"];
    let mut looks_like_tests = false;
    for item in &items {
        if let Ok(object) = serde_json::from_str::<Fields>(item.get()) {
            if TEST_KEYS.iter().any(|key| object.contains_key(*key)) {
                looks_like_tests = true;
                break;
            }
        }
    }
    if !looks_like_tests {
        return Parsed::NotATest(if items.is_empty() {
            "an empty array"
        } else {
            "an array of something other than tests (entities?)"
        });
    }
    run_tests::parse(file, text, &items)
}

/// An object's fields, unparsed: telling shapes apart must not trip over deep values.
type Fields<'a> = std::collections::BTreeMap<String, &'a RawValue>;

fn parse_object(file: &str, text: &str, base: usize) -> Parsed {
    let fields: Fields = match serde_json::from_str(&text[base..]) {
        Ok(fields) => fields,
        Err(error) => return Parsed::Error(syntax_error(file, text, base, &error)),
    };
    if fields.contains_key("tests") {
        native::parse(file, text, base)
    } else if fields.contains_key("requests") || fields.contains_key("queries") {
        integration::parse(file, text, base)
    } else if fields.contains_key("staticPolicies") || fields.contains_key("templates") {
        Parsed::NotATest("a JSON policy set")
    } else if ["effect", "principal", "action", "resource"]
        .iter()
        .all(|key| fields.contains_key(*key))
    {
        Parsed::NotATest("a Cedar policy in JSON format")
    } else if fields.values().any(|v| {
        serde_json::from_str::<Fields>(v.get()).is_ok_and(|f| f.contains_key("entityTypes"))
    }) {
        Parsed::NotATest("a JSON schema")
    } else {
        Parsed::NotATest(
            "an object with neither `tests` (native test file) nor `requests` (integration test file)",
        )
    }
}

// ---- Shared by the shapes -----------------------------------------------------------------

/// The test's `name`, however malformed the rest of it: like the Cedar CLI, a test without a
/// string name is unnamed (numbered here, so that names stay unique).
fn name_of(raw: &RawValue, key: &str, index: usize) -> String {
    serde_json::from_str::<Fields>(raw.get())
        .ok()
        .and_then(|object| serde_json::from_str::<String>(object.get(key)?.get()).ok())
        .unwrap_or_else(|| format!("(unnamed #{})", index + 1))
}

/// A string is a path; anything else is the entities themselves, as in `cedar run-tests`.
fn entities_source(raw: &RawValue) -> EntitiesSource {
    let value: Value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
    match value {
        Value::String(path) => EntitiesSource::Path(path),
        other => EntitiesSource::Inline(other),
    }
}

/// A request's entity as written: missing, `Type::"id"`, or a uid object.
fn entity_ref(value: Value) -> EntityRef {
    match value {
        Value::Null => EntityRef::Missing,
        Value::String(text) => EntityRef::Text(text),
        other => EntityRef::Json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tests_of(text: &str) -> TestFile {
        match parse("t.json", text) {
            Parsed::Tests(file) => file,
            other => panic!("not tests: {other:?}"),
        }
    }

    #[test]
    fn run_tests_files_are_arrays_of_cedar_cli_entries() {
        let text = r#"[
  {"name": "a", "request": {"principal": "U::\"a\"", "action": "A::\"r\"", "resource": "D::\"d\"", "context": {}},
   "entities": "e.json", "decision": "allow", "reason": ["p"], "num_errors": 0},
  {"request": {"principal": "U::\"a\"", "action": "A::\"r\"", "resource": "D::\"d\"", "context": {}},
   "entities": [], "decision": "deny", "reason": [], "num_errors": 1, "extra": "ignored"}
]"#;
        let file = tests_of(text);
        assert_eq!(file.shape, Shape::RunTests);
        assert_eq!(file.tests[0].name, "a");
        assert_eq!(file.tests[1].name, "(unnamed #2)");
        let first = file.tests[0].spec.as_ref().unwrap();
        assert_eq!(
            first.entities,
            EntitiesChoice::Own(EntitiesSource::Path("e.json".into()))
        );
        assert!(!first.expect.reason_exact);
        let second = file.tests[1].spec.as_ref().unwrap();
        assert_eq!(second.expect.errors, ExpectedErrors::Count(1));
        // Each test knows its line.
        assert_eq!(file.tests[1].offset, text.find("{\"request\"").unwrap());
    }

    #[test]
    fn a_malformed_test_fails_alone_at_its_line() {
        let text = "[\n {\"name\": \"ok\", \"request\": {\"principal\": \"U::\\\"a\\\"\", \"action\": \"A::\\\"r\\\"\", \"resource\": \"D::\\\"d\\\"\", \"context\": {}}, \"entities\": [], \"decision\": \"deny\", \"reason\": [], \"num_errors\": 0},\n {\"name\": \"no decision\", \"request\": {\"context\": {}}, \"entities\": [], \"reason\": [], \"num_errors\": 0},\n {\"name\": \"Allow\", \"request\": {\"context\": {}}, \"entities\": [], \"decision\": \"Allow\", \"reason\": [], \"num_errors\": 0}\n]";
        let file = tests_of(text);
        assert!(file.tests[0].spec.is_ok());
        let error = file.tests[1].spec.as_ref().unwrap_err();
        assert_eq!(error.line, 3);
        assert!(
            error.message.contains("missing field `decision`"),
            "{error}"
        );
        let error = file.tests[2].spec.as_ref().unwrap_err();
        assert!(
            error.message.contains("unknown decision `Allow`"),
            "{error}"
        );
    }

    #[test]
    fn native_files_share_entities_and_default_the_rest() {
        let text = r#"{"entities": "shared.entities.json", "tests": [
  {"name": "t", "request": {"principal": {"type": "U", "id": "a"}, "action": "A::\"r\"", "resource": "D::\"d\""}, "decision": "deny"},
  {"name": "own", "request": {"principal": "U::\"a\"", "action": "A::\"r\"", "resource": "D::\"d\""}, "entities": [], "decision": "deny", "validate_request": false},
  {"name": "typo", "request": {"principal": "U::\"a\"", "action": "A::\"r\"", "resource": "D::\"d\""}, "decision": "deny", "reasons": ["p"]}
]}"#;
        let file = tests_of(text);
        assert_eq!(file.shape, Shape::Native);
        assert_eq!(
            file.shared_entities,
            Some(EntitiesSource::Path("shared.entities.json".into()))
        );
        let first = file.tests[0].spec.as_ref().unwrap();
        assert_eq!(first.entities, EntitiesChoice::Shared);
        assert_eq!(first.expect.errors, ExpectedErrors::Count(0));
        assert_eq!(first.request.principal.to_string(), "U::\"a\"");
        assert_eq!(first.request.context, serde_json::json!({}));
        assert!(first.validate_request);
        let own = file.tests[1].spec.as_ref().unwrap();
        assert!(!own.validate_request);
        let typo = file.tests[2].spec.as_ref().unwrap_err();
        assert!(typo.message.contains("unknown field `reasons`"), "{typo}");
        assert_eq!(typo.line, 4);
    }

    #[test]
    fn integration_files_name_their_sources_and_expect_exact_sets() {
        let text = r#"{
 "policies": "tests/p.cedar", "entities": "sample-data/e.json", "schema": "sample-data/s.cedarschema",
 "schemaFormat": "cedar", "shouldValidate": true,
 "requests": [{"description": "alice views", "principal": {"type": "User", "id": "alice"},
   "action": {"type": "Action", "id": "view"}, "resource": {"type": "Photo", "id": "p"},
   "context": {}, "decision": "allow", "reason": ["policy0"], "errors": []}]
}"#;
        let file = tests_of(text);
        assert_eq!(file.shape, Shape::Integration);
        let header = file.integration.as_ref().unwrap();
        assert_eq!(header.policies, "tests/p.cedar");
        assert!(header.should_validate);
        assert_eq!(file.tests[0].name, "alice views");
        let spec = file.tests[0].spec.as_ref().unwrap();
        assert!(spec.expect.reason_exact);
        assert_eq!(spec.expect.errors, ExpectedErrors::Policies(vec![]));
        assert!(spec.validate_request);
    }

    #[test]
    fn older_integration_spellings_are_read() {
        let text = r#"{"policies": "p.cedar", "entities": "e.json", "schema": "s.cedarschema",
 "should_validate": false, "queries": [{"desc": "old", "principal": null,
 "action": {"type": "Action", "id": "view"}, "resource": {"type": "Photo", "id": "p"},
 "context": {}, "enable_request_validation": false, "decision": "Deny", "reasons": [], "errors": ["policy0"]}]}"#;
        let file = tests_of(text);
        assert_eq!(file.tests[0].name, "old");
        let spec = file.tests[0].spec.as_ref().unwrap();
        assert_eq!(spec.request.principal, EntityRef::Missing);
        assert_eq!(spec.expect.decision, ExpectedDecision::Deny);
        assert!(!spec.validate_request);
    }

    #[test]
    fn other_json_is_not_a_test_and_broken_json_is_located() {
        for text in [
            "[]",
            r#"[{"uid": {"type": "U", "id": "a"}, "attrs": {}, "parents": []}]"#,
            r#"{"staticPolicies": {}, "templates": {}, "templateLinks": []}"#,
            r#"{"": {"entityTypes": {}, "actions": {}}}"#,
            "42",
        ] {
            assert!(
                matches!(parse("x.json", text), Parsed::NotATest(_)),
                "{text}"
            );
        }
        // A single policy in Cedar's JSON format is a policy, and said to be one.
        let policy = r#"{"effect": "forbid", "principal": {"op": "All"}, "action": {"op": "All"},
            "resource": {"op": "All"}, "conditions": []}"#;
        assert!(matches!(
            parse("single.json", policy),
            Parsed::NotATest("a Cedar policy in JSON format")
        ));
        match parse("x.json", "{\n  \"tests\": [\n    {,}\n  ]\n}") {
            Parsed::Error(error) => {
                assert_eq!(
                    (error.file.as_str(), error.line, error.column),
                    ("x.json", 3, 6)
                );
            }
            other => panic!("{other:?}"),
        }
        match parse(
            "x.json",
            "{\"policies\": \"p\", \"requests\": [], \"shouldvalidate\": true}",
        ) {
            Parsed::Error(error) => assert!(
                error.message.contains("unknown field `shouldvalidate`"),
                "{error}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
