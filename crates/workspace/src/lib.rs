//! Finding and reading what cedarcheck checks: `cedarcheck.toml` (or zero-config discovery), the
//! policy sets it describes, and their files. This crate does the IO the analysis core does not.

mod config;
mod discover;
mod error;

pub use config::{AnalysisConfig, Config, DeepMode, DeniedAction, SetConfig, CONFIG_FILE};
pub use discover::{find_config, PolicySetFiles, SchemaOrigin, Workspace};
pub use error::WorkspaceError;
