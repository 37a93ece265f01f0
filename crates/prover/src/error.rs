//! The prover's errors. Most say why a question has no answer: their text becomes the reason
//! of an "unknown" verdict (`Outcome::Unknown`), which the findings and the deep summary show.
//! Cedar's and SymCC's errors are large, so they are kept boxed: the answer, not the error, is
//! the common path.

use std::path::PathBuf;
use std::sync::Arc;

/// An `intentionally-denied` entry of the config that names no action of the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntentionallyDeniedError {
    #[error(
        "`{entry}` in [analysis] intentionally-denied is not an action uid like \
         `Ops::Action::\"read\"`"
    )]
    NotAUid { entry: String },
    /// `actions`: the schema's, sorted.
    #[error(
        "`{entry}` in [analysis] intentionally-denied is not an action of the schema (its \
         actions: {})",
        actions.join(", ")
    )]
    NotAnAction { entry: String, actions: Vec<String> },
}

/// The solver process could not be had.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("cannot start the solver {}: {source}", program.display())]
    Spawn {
        program: PathBuf,
        #[source]
        source: Box<cedar_policy_symcc::solver::SolverError>,
    },
    #[error("{0}")]
    Compiler(#[source] Box<cedar_policy_symcc::err::Error>),
    #[error("the solver is not running")]
    NotRunning,
}

/// Why one SymCC call on a worker's solver gave no answer (see `worker::solve!`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SolveError {
    #[error("the analysis was cancelled")]
    Cancelled,
    #[error(transparent)]
    Start(#[from] StartError),
    /// SymCC's own error: a solver that crashed or printed garbage, an `unknown` answer, …
    #[error("{0}")]
    Symcc(#[source] Box<cedar_policy_symcc::err::Error>),
    #[error("the solver did not answer within {limit_ms} ms")]
    Timeout { limit_ms: u128 },
}

/// A counterexample that cannot be written as, or read back from, `run-tests` JSON.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CounterexampleError {
    #[error("the counterexample has an unknown request variable")]
    UnknownVariable,
    #[error("counterexample has no {0}")]
    Missing(&'static str),
    #[error("{0}")]
    Context(#[source] Box<cedar_policy::entities_json_errors::JsonSerializationError>),
    #[error("{0}")]
    Entities(#[source] Box<cedar_policy::entities_errors::EntitiesError>),
    #[error("{0}")]
    Uid(#[source] Box<cedar_policy::ParseErrors>),
    #[error("{0}")]
    ContextJson(#[source] Box<cedar_policy::ContextJsonError>),
    #[error("{0}")]
    Request(#[source] Box<cedar_policy::RequestValidationError>),
}

/// A counterexample the Authorizer cannot replay.
#[derive(Debug, thiserror::Error)]
#[error("the counterexample does not load: {0}")]
pub(crate) struct ReplayError(#[source] pub CounterexampleError);

/// A policy whose effect could not be swapped (through its JSON form).
#[derive(Debug, thiserror::Error)]
pub(crate) enum EffectError {
    #[error("{0}")]
    ToJson(#[source] Box<cedar_policy::PolicyToJsonError>),
    #[error("{0}")]
    FromJson(#[source] Box<cedar_policy::PolicyFromJsonError>),
}

/// Why a question asked in one request environment has no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum QueryError {
    /// Kept for every later question about the same policy, hence shared.
    #[error("cannot compile `{policy}`: {source}")]
    Compile {
        policy: String,
        #[source]
        source: Arc<cedar_policy_symcc::err::Error>,
    },
    #[error("{0}")]
    PolicySet(#[source] Box<cedar_policy::PolicySetError>),
    #[error("{0}")]
    CompileSet(#[source] Box<cedar_policy_symcc::err::Error>),
    #[error(transparent)]
    Effect(#[from] EffectError),
    #[error(transparent)]
    Solve(#[from] SolveError),
    #[error(transparent)]
    Counterexample(#[from] CounterexampleError),
}
