use std::path::PathBuf;

/// Why a workspace could not be loaded. Each is a reason to stop with exit code 2.
#[derive(Debug)]
pub enum WorkspaceError {
    /// A problem in `cedarcheck.toml`, located at line and column.
    Config {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Discovery below the root found several schemas and cannot tell which one is meant:
    /// zero-config, or a config whose top-level keys have no `schema`.
    AmbiguousSchema {
        root: PathBuf,
        /// The config without a `schema` key, if there is one.
        config: Option<PathBuf>,
        candidates: Vec<String>,
    },
    NoPolicies {
        root: PathBuf,
        detail: String,
    },
}

impl std::fmt::Display for WorkspaceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WorkspaceError::Config {
                file,
                line,
                column,
                message,
            } => write!(f, "{}:{line}:{column}: {message}", file.display()),
            WorkspaceError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            WorkspaceError::AmbiguousSchema {
                root,
                config: None,
                candidates,
            } => write!(
                f,
                "{}: found {} schemas ({}) and no cedarcheck.toml saying which one to use; \
                 create one with `cedarcheck init`, which proposes a [[set]] per directory that \
                 holds its own schema and policies, or set `schema = \"…\"` in it",
                root.display(),
                candidates.len(),
                candidates.join(", ")
            ),
            WorkspaceError::AmbiguousSchema {
                root,
                config: Some(config),
                candidates,
            } => write!(
                f,
                "{}: found {} schemas ({}) and {} has no `schema` saying which one to use; \
                 set `schema = \"…\"` in it",
                root.display(),
                candidates.len(),
                candidates.join(", "),
                config.display()
            ),
            WorkspaceError::NoPolicies { root, detail } => {
                write!(f, "{}: {detail}", root.display())
            }
        }
    }
}

impl std::error::Error for WorkspaceError {}
