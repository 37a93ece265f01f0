//! The test runner's errors, by phase. A [`RunError`] stops the run (a tool error, exit 2);
//! the others fail one test file or one test, and reach the report as their `Display` text,
//! which is the message `cedarcheck test` prints (README "Tests"). An error about a place in a
//! file is a [`Located`], which keeps the file, line and column apart from the message.
//! Cedar's errors are large, so they are kept boxed.

use std::sync::Arc;

use cedar_policy::EntityUid;

use crate::located::Located;

/// Why a run cannot go on: a tool error (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A test file, or an integration file's policies or schema, could not be read.
    #[error("{path}: {source}")]
    Read {
        /// As reports show it.
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// An integration file's policies or schema is not UTF-8 text.
    #[error("{path}: file is not valid UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { path: String, offset: usize },
    /// The caller could not say which policy set runs a test file, or read it.
    #[error(transparent)]
    PolicySets(#[from] SetsError),
}

/// Why a [`crate::PolicySets`] could not give a test file's policy set: the caller's own error
/// (the workspace's, for `cedarcheck test`), kept as it is. Its text is the message shown.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SetsError(Box<dyn std::error::Error + Send + Sync>);

impl SetsError {
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

/// A path written in a test file that does not lead to a usable file.
#[derive(Clone, Debug, thiserror::Error)]
pub enum PathError {
    #[error(
        "entities path `{written}` is outside the test file's directory `{dir}`: entities \
         files must lie in it or below it"
    )]
    OutsideTestDir {
        written: String,
        /// The test file's directory, as reports show it.
        dir: String,
    },
    #[error("entities file `{written}` not found (looked for `{looked_for}`)")]
    EntitiesNotFound { written: String, looked_for: String },
    #[error("entities file `{written}`: {source}")]
    Entities {
        written: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// An absolute path in an integration file.
    #[error("`{written}` not found")]
    NotFound { written: String },
    /// A repository-relative path in an integration file.
    #[error(
        "`{written}` not found relative to the working directory or any directory above \
         `{test_file}` (paths in integration tests are relative to the root of the repository \
         that holds them)"
    )]
    NotFoundAbove { written: String, test_file: String },
}

/// Cedar could not read entities from JSON. The text is Cedar's message followed by each of
/// its causes that the message does not already say, as `cedar run-tests` reports them.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", with_causes(.0.as_ref()))]
pub struct EntitiesJsonError(pub Arc<cedar_policy::entities_errors::EntitiesError>);

fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message = format!("{message}: {cause_text}");
        }
        source = cause.source();
    }
    message
}

/// The entities a test writes in its request do not fit those it runs against.
#[derive(Debug, thiserror::Error)]
pub enum InlineEntitiesError {
    #[error(transparent)]
    Invalid(EntitiesJsonError),
    /// `differences` says, per key that differs, what each side gives.
    #[error(
        "entity `{uid}` is given twice with different contents: {}",
        differences.join("; ")
    )]
    Conflict {
        uid: Box<EntityUid>,
        differences: Vec<String>,
    },
    /// Cedar's own message alone, without its causes.
    #[error("{0}")]
    Add(Box<cedar_policy::entities_errors::EntitiesError>),
}

/// Why a test has no entities to run against. The test fails with this message.
#[derive(Clone, Debug, thiserror::Error)]
pub enum EntitiesError {
    #[error(transparent)]
    Path(PathError),
    #[error("cannot read entities file `{path}`: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: Arc<std::io::Error>,
    },
    /// A problem at a place in an entities file, or in the test file's own entities.
    #[error(transparent)]
    Located(Located),
    /// The schema's action entities alone could not be made.
    #[error("invalid entities: {0}")]
    Invalid(EntitiesJsonError),
    #[error("invalid shared entities: {0}")]
    InvalidShared(EntitiesJsonError),
    #[error("entities file `{0}` was not resolved")]
    NotResolved(String),
    #[error("entities file `{0}` was not loaded")]
    NotLoaded(String),
    #[error("the file's entities were not loaded")]
    FileEntitiesNotLoaded,
    #[error("cannot run: the file's entities could not be found")]
    NotFound,
}

/// A test's request that Cedar does not accept.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// `what`: principal, action or resource, written as Cedar text.
    #[error("failed to parse {what} `{written}`: {source}")]
    Uid {
        what: &'static str,
        written: String,
        #[source]
        source: Box<cedar_policy::ParseErrors>,
    },
    /// As JSON: `{"type": …, "id": …}`.
    #[error("failed to parse {what} `{written}`: {source}")]
    UidJson {
        what: &'static str,
        written: serde_json::Value,
        #[source]
        source: Box<cedar_policy::entities_json_errors::JsonDeserializationError>,
    },
    #[error("the request has no {what} (Cedar 4 has no unspecified entities)")]
    Missing { what: &'static str },
    #[error("invalid context `{context}`: {source}")]
    Context {
        context: serde_json::Value,
        #[source]
        source: Box<cedar_policy::ContextJsonError>,
    },
    #[error("invalid request: {0}")]
    Invalid(#[source] Box<cedar_policy::RequestValidationError>),
}

/// A condition an explanation evaluates, which Cedar could not parse or evaluate.
#[derive(Debug, thiserror::Error)]
pub enum ConditionError {
    #[error(transparent)]
    Parse(Box<cedar_policy::ParseErrors>),
    #[error(transparent)]
    Evaluate(Box<cedar_policy::EvaluationError>),
}
