//! cedarcheck's allow/deny test harness (README "Tests").
//!
//! Test files come in three shapes, told apart by their content ([`test_file`]): the Cedar
//! CLI's `run-tests` array, the Cedar integration-test file and the native file with shared
//! entities. A run ([`runner::run`]) parses and validates every policy set, schema and
//! entities file once, evaluates the tests in parallel with Cedar's authorizer, compares
//! decisions, reasons and errors with the expectations ([`evaluate`]), and counts for every
//! policy the tests it determined ([`report`]). A test whose decision is not the expected one
//! is explained ([`explain`]): which policies could have changed it, and the condition that
//! kept each from doing so, evaluated by Cedar.
//!
//! Only [`loader`] (and [`runner`], through it) touches the file system; parsing and
//! evaluation work on texts. [`runner::run_with_files`] reads the files' texts through a
//! [`runner::Files`] of the caller's (the language server's unsaved buffers).

pub mod error;
pub mod evaluate;
pub mod explain;
pub mod loader;
pub mod located;
pub mod report;
pub mod runner;
pub mod set_under_test;
pub mod test_file;

pub use error::{
    ConditionError, EntitiesError, EntitiesJsonError, InlineEntitiesError, PathError, RequestError,
    RunError, SetsError,
};
pub use located::Located;
pub use report::{ComparisonLine, Coverage, FileReport, RunReport, SetReport, TestReport, Tone};
pub use runner::{
    run, run_with_files, Disk, Files, Options, PolicySets, Session, SetSource, TestId, TestInput,
};
pub use test_file::Shape;
