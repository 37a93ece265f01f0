//! One module per LSP feature; each translates the protocol's request into calls on the core
//! (through [`crate::analysis`], or the IO-free `cedarcheck_analyzer::ide` functions over the
//! buffers) and the answer back (through [`crate::to_proto`]). Handlers
//! are leaves: only [`crate::server`] calls them, and a handler imports no other handler but
//! the helpers of its own feature: the code actions' `config_edit`, `membership_fix`,
//! `policy_test` and `rule_docs` (whose command the server also serves), and the diagnostics'
//! `test_files`.

pub mod code_action;
pub mod code_lens;
pub mod config_edit;
pub mod definition;
pub mod diagnostics;
pub mod formatting;
pub mod hover;
pub mod membership_fix;
pub mod policy_test;
pub mod rule_docs;
pub mod symbols;
pub mod test_files;
pub mod watched_files;
