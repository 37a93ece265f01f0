//! The SMT solver process: finding cvc5, starting it with a per-query time limit, and counting
//! the queries that actually reach it (SymCC decides trivial ones itself).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cedar_policy_symcc::solver::{Decision, DecisionWithModel, LocalSolver, Solver, SolverError};

/// How to start the solver: the program and its arguments.
#[derive(Clone, Debug)]
pub struct SolverCommand {
    pub program: PathBuf,
    pub timeout: Duration,
}

/// cvc5 as `$CVC5` names it, else the first `cvc5` on `PATH`.
pub fn find_cvc5() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CVC5").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("cvc5"))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// A solver process that counts the `check-sat`s it answers, in the run's total and in its
/// own count. Dropping it kills the process.
pub struct CountingSolver {
    inner: LocalSolver,
    asked: Arc<AtomicUsize>,
    own: Arc<AtomicUsize>,
}

impl CountingSolver {
    pub fn spawn(
        command: &SolverCommand,
        asked: Arc<AtomicUsize>,
        own: Arc<AtomicUsize>,
    ) -> Result<Self, SolverError> {
        let mut process = tokio::process::Command::new(&command.program);
        process
            .args(["--lang", "smt"])
            // SymCC encodes `like` patterns with an inner or two-sided wildcard (`"*VP*"`) as
            // `str.contains`, which cvc5 1.0.x only decides in its extended strings mode.
            .arg("--strings-exp")
            // cvc5 answers `unknown` past this; the caller's own timeout covers a solver that
            // does not answer at all.
            .arg(format!(
                "--tlimit-per={}",
                command.timeout.as_millis().max(1)
            ))
            .kill_on_drop(true);
        Ok(Self {
            inner: LocalSolver::from_command(&mut process)?,
            asked,
            own,
        })
    }
}

impl CountingSolver {
    fn count(&self) {
        self.asked.fetch_add(1, Ordering::Relaxed);
        self.own.fetch_add(1, Ordering::Relaxed);
    }
}

impl Solver for CountingSolver {
    fn smtlib_input(&mut self) -> &mut (dyn tokio::io::AsyncWrite + Unpin + Send) {
        self.inner.smtlib_input()
    }

    async fn enable_models(&mut self) -> Result<(), SolverError> {
        self.inner.enable_models().await
    }

    async fn check_sat(&mut self) -> Result<Decision, SolverError> {
        self.count();
        self.inner.check_sat().await
    }

    async fn check_sat_with_model(&mut self) -> Result<DecisionWithModel, SolverError> {
        self.count();
        self.inner.check_sat_with_model().await
    }
}
