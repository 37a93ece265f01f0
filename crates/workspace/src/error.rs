use std::path::{Path, PathBuf};

/// Why a workspace could not be loaded. Each is a reason to stop with exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// A problem in `cedarcheck.toml`, located at line and column.
    #[error("{}:{line}:{column}: {message}", file.display())]
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    /// Discovery below the root found several schemas and cannot tell which one is meant:
    /// zero-config, or a config whose top-level keys have no `schema`.
    #[error("{}", ambiguous_schema(root, config.as_deref(), candidates))]
    AmbiguousSchema {
        root: PathBuf,
        /// The config without a `schema` key, if there is one.
        config: Option<PathBuf>,
        candidates: Vec<String>,
    },
    #[error("{}: {detail}", root.display())]
    NoPolicies { root: PathBuf, detail: String },
}

fn ambiguous_schema(root: &Path, config: Option<&Path>, candidates: &[String]) -> String {
    match config {
        None => format!(
            "{}: found {} schemas ({}) and no cedarcheck.toml saying which one to use; \
             create one with `cedarcheck init`, which proposes a [[set]] per directory that \
             holds its own schema and policies, or set `schema = \"…\"` in it",
            root.display(),
            candidates.len(),
            candidates.join(", ")
        ),
        Some(config) => format!(
            "{}: found {} schemas ({}) and {} has no `schema` saying which one to use; \
             set `schema = \"…\"` in it",
            root.display(),
            candidates.len(),
            candidates.join(", "),
            config.display()
        ),
    }
}
