//! One solver process per worker thread, reused across queries; a query that times out or
//! breaks the process gets a fresh process for the next one.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use cedar_policy_symcc::CedarSymCompiler;

use crate::solver::{CountingSolver, SolverCommand};

pub type Compiler = CedarSymCompiler<CountingSolver>;

pub struct Worker {
    command: SolverCommand,
    compiler: Option<Compiler>,
    pub asked: Arc<AtomicUsize>,
}

impl Worker {
    pub fn new(command: SolverCommand, asked: Arc<AtomicUsize>) -> Self {
        Self {
            command,
            compiler: None,
            asked,
        }
    }

    pub fn timeout(&self) -> std::time::Duration {
        // cvc5 stops itself at the limit; this margin covers a solver that never answers.
        self.command.timeout + std::time::Duration::from_millis(500)
    }

    pub fn compiler(&mut self) -> Result<&mut Compiler, String> {
        if self.compiler.is_none() {
            let solver = CountingSolver::spawn(&self.command, self.asked.clone()).map_err(|e| {
                format!(
                    "cannot start the solver {}: {e}",
                    self.command.program.display()
                )
            })?;
            let compiler = CedarSymCompiler::new(solver).map_err(|e| e.to_string())?;
            self.compiler = Some(compiler);
        }
        self.compiler
            .as_mut()
            .ok_or_else(|| "the solver is not running".to_string())
    }

    /// Ends the solver process (dropping it kills it); the next query starts a new one.
    pub fn discard(&mut self) {
        self.compiler = None;
    }
}

/// Runs `task` for every item index `0..items` on `workers` threads (0 = one per core), each
/// with its own solver process and single-threaded runtime; `done` is called after each item
/// with (items done, items). Results come back in item order.
pub fn on_workers<T: Send>(
    items: usize,
    workers: usize,
    command: &SolverCommand,
    asked: &Arc<AtomicUsize>,
    task: impl Fn(&mut Worker, &tokio::runtime::Runtime, usize) -> T + Sync,
    done: impl Fn(usize, usize) + Sync,
) -> Vec<T> {
    let workers = match workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(items.max(1));
    let queue = std::sync::Mutex::new((0..items).rev().collect::<Vec<_>>());
    let finished = AtomicUsize::new(0);
    let mut results: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (queue, finished, task, done) = (&queue, &finished, &task, &done);
                let mut worker = Worker::new(command.clone(), asked.clone());
                scope.spawn(move || {
                    let mut results = Vec::new();
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return results;
                    };
                    while let Some(item) = queue.lock().ok().and_then(|mut q| q.pop()) {
                        results.push((item, task(&mut worker, &runtime, item)));
                        done(
                            finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                            items,
                        );
                    }
                    results
                })
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .collect()
    });
    results.sort_by_key(|(item, _)| *item);
    results.into_iter().map(|(_, result)| result).collect()
}

/// Runs one SymCC call on the worker's solver, bounded by the time limit. A timeout, a solver
/// that crashed or printed garbage, an `unknown` answer: each becomes `Err(reason)`, and a
/// process in an unknown state is ended.
macro_rules! solve {
    ($worker:expr, |$compiler:ident| $call:expr) => {{
        let limit = $worker.timeout();
        let result: Result<_, (String, bool)> = match $worker.compiler() {
            Err(reason) => Err((reason, false)),
            Ok($compiler) => match tokio::time::timeout(limit, $call).await {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => {
                    let broken = matches!(error, cedar_policy_symcc::err::Error::SolverError(_));
                    Err((error.to_string(), broken))
                }
                Err(_) => Err((
                    format!("the solver did not answer within {} ms", limit.as_millis()),
                    true,
                )),
            },
        };
        match result {
            Ok(value) => Ok(value),
            Err((reason, broken)) => {
                if broken {
                    $worker.discard();
                }
                Err(reason)
            }
        }
    }};
}
pub(crate) use solve;
