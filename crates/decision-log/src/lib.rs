//! Decision logs (docs/decision-logs.md): one recorded authorization decision mapped to a Cedar
//! request and its entities, or the precise reason it cannot be.
//!
//! Two formats: native JSON Lines ([`native`], one decision a line) and Amazon Verified
//! Permissions `IsAuthorized` / `BatchIsAuthorized` CloudTrail records ([`cloudtrail`]). Both
//! map to a [`Record`]; [`prepare`] builds the [`cedar_policy::Request`] and
//! [`cedar_policy::Entities`] from it, validated against the schema. Nothing here reads files:
//! the caller hands over texts.

pub mod cloudtrail;
pub mod native;
mod prepare;
mod uid;

pub use prepare::{prepare, Prepared};

use serde_json::Value;

/// What the application decided, as logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

/// One logged decision, mapped: the request as Cedar JSON pieces, not yet checked against a
/// schema.
#[derive(Clone, Debug)]
pub struct Record {
    /// `time` (RFC 3339) as logged, or CloudTrail's `eventTime`.
    pub time: Option<String>,
    pub principal: cedar_policy::EntityUid,
    pub action: cedar_policy::EntityUid,
    pub resource: cedar_policy::EntityUid,
    /// A JSON object in Cedar's context format.
    pub context: Value,
    /// Cedar's entities JSON (an array), when the line carries its entities.
    pub entities: Option<Value>,
    pub decision: Option<Decision>,
    /// Ids of the determining policies, where the application logged them in cedarcheck's ids.
    pub reason: Option<Vec<String>>,
    /// Ids of the policies that raised errors, where logged.
    pub errors: Option<Vec<String>>,
}

/// Why a logged decision cannot be replayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Problem {
    /// The line is not JSON.
    InvalidJson,
    /// JSON, but not a decision of the format (a field missing or of the wrong shape).
    Unmapped,
    /// A decision that no longer validates against the schema.
    Schema,
    /// The log does not hold what replaying needs (entities, or fields CloudTrail hides).
    NotReplayable,
}

impl Problem {
    /// The kind as reports name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::InvalidJson => "invalid-json",
            Problem::Unmapped => "does-not-map",
            Problem::Schema => "schema",
            Problem::NotReplayable => "not-replayable",
        }
    }

    /// Whether the line is invalid (counted against `--max-invalid`) rather than merely not
    /// replayable.
    pub fn is_invalid(self) -> bool {
        self != Problem::NotReplayable
    }
}

/// A line that cannot be replayed, and why. `column` is set for JSON syntax errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineError {
    pub problem: Problem,
    pub column: Option<usize>,
    pub message: String,
}

impl LineError {
    pub fn new(problem: Problem, message: impl Into<String>) -> Self {
        Self {
            problem,
            column: None,
            message: message.into(),
        }
    }

    pub(crate) fn unmapped(message: impl Into<String>) -> Self {
        Self::new(Problem::Unmapped, message)
    }

    pub(crate) fn json(error: &serde_json::Error) -> Self {
        // serde_json appends " at line L column C"; the position is reported apart.
        let message = error.to_string();
        let message = match message.rfind(" at line ") {
            Some(at) => message[..at].to_string(),
            None => message,
        };
        Self {
            problem: Problem::InvalidJson,
            column: Some(error.column()),
            message: format!("invalid JSON: {message}"),
        }
    }
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LineError {}

/// The format of a log file, told from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One decision a line.
    Native,
    /// A CloudTrail log file: `{"Records": [...]}`.
    CloudTrail,
}

/// A log whose first JSON key is `"Records"` is a CloudTrail file (CloudTrail writes that key
/// first); anything else is read as JSON Lines.
pub fn sniff(head: &[u8]) -> Format {
    let text = String::from_utf8_lossy(head);
    let rest = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    let Some(rest) = rest.strip_prefix('{') else {
        return Format::Native;
    };
    if rest.trim_start().starts_with("\"Records\"") {
        Format::CloudTrail
    } else {
        Format::Native
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudtrail_files_start_with_records() {
        assert_eq!(sniff(b"{\"Records\": []}"), Format::CloudTrail);
        assert_eq!(sniff(b"\n{\n  \"Records\": [\n"), Format::CloudTrail);
        assert_eq!(sniff(b"{\"time\": \"x\"}"), Format::Native);
        assert_eq!(sniff(b"not json"), Format::Native);
    }

    #[test]
    fn json_errors_keep_the_column_apart() {
        let error = serde_json::from_str::<Value>("{\"a\": }").unwrap_err();
        let error = LineError::json(&error);
        assert_eq!(error.column, Some(7));
        assert_eq!(error.message, "invalid JSON: expected value");
    }
}
