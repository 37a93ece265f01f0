//! One solver process per worker thread, started afresh every [`QUERIES_PER_PROCESS`]
//! queries; a query that times out or breaks the process gets a fresh process for the next one.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use cedar_policy_symcc::CedarSymCompiler;

use crate::error::StartError;
use crate::solver::{CountingSolver, SolverCommand};

pub type Compiler = CedarSymCompiler<CountingSolver>;

/// How many queries one cvc5 process answers before it is replaced. cvc5 1.0.3 gets slower
/// with every query it has answered, `(reset)` notwithstanding: replaying one worker's 2,714
/// queries of `bench/deep_check.py` took 166 s of CPU in one process, 91 s with a new process
/// every 60 queries, 80 s every 20, and 58 s with a new process per query (starting one costs
/// ~5 ms).
pub const QUERIES_PER_PROCESS: usize = 1;

pub struct Worker {
    command: SolverCommand,
    compiler: Option<Compiler>,
    /// Queries the current process has answered.
    answered: Arc<AtomicUsize>,
    pub asked: Arc<AtomicUsize>,
    /// Set when the caller no longer wants the results: queries stop, a running one is cut off.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Worker {
    pub fn new(
        command: SolverCommand,
        asked: Arc<AtomicUsize>,
        cancel: Option<Arc<AtomicBool>>,
    ) -> Self {
        Self {
            command,
            compiler: None,
            answered: Arc::new(AtomicUsize::new(0)),
            asked,
            cancel,
        }
    }

    pub fn is_cancelled(&self) -> bool {
        is_set(self.cancel.as_deref())
    }

    /// Retires the process once it has answered its share of queries (SymCC decides some
    /// without asking it).
    pub fn retire_if_spent(&mut self) {
        if self.answered.load(Ordering::Relaxed) >= QUERIES_PER_PROCESS {
            self.discard();
        }
    }

    pub fn timeout(&self) -> std::time::Duration {
        // cvc5 stops itself at the limit; this margin covers a solver that never answers.
        self.command.timeout + std::time::Duration::from_millis(500)
    }

    pub fn compiler(&mut self) -> Result<&mut Compiler, StartError> {
        if self.compiler.is_none() {
            let solver =
                CountingSolver::spawn(&self.command, self.asked.clone(), self.answered.clone())
                    .map_err(|source| StartError::Spawn {
                        program: self.command.program.clone(),
                        source: Box::new(source),
                    })?;
            let compiler =
                CedarSymCompiler::new(solver).map_err(|e| StartError::Compiler(Box::new(e)))?;
            self.compiler = Some(compiler);
        }
        self.compiler.as_mut().ok_or(StartError::NotRunning)
    }

    /// Ends the solver process (dropping it kills it); the next query starts a new one.
    pub fn discard(&mut self) {
        self.compiler = None;
        self.answered.store(0, Ordering::Relaxed);
    }
}

fn is_set(flag: Option<&AtomicBool>) -> bool {
    flag.is_some_and(|f| f.load(Ordering::SeqCst))
}

/// Resolves once `flag` is set; never without one.
pub async fn cancelled(flag: Option<Arc<AtomicBool>>) {
    match flag {
        None => std::future::pending().await,
        Some(flag) => {
            while !flag.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Runs `task` for every item index `0..items` on `workers` threads (0 = one per core), each
/// with its own solver process and single-threaded runtime; `done` is called after each item
/// with (items done, items). Results come back in item order. Once `cancel` is set no new
/// item starts; the results cover the items that ran.
pub fn on_workers<T: Send>(
    items: usize,
    workers: usize,
    command: &SolverCommand,
    asked: &Arc<AtomicUsize>,
    cancel: Option<&Arc<AtomicBool>>,
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
                let mut worker = Worker::new(command.clone(), asked.clone(), cancel.cloned());
                scope.spawn(move || {
                    let mut results = Vec::new();
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return results;
                    };
                    while let Some(item) = queue
                        .lock()
                        .ok()
                        .filter(|_| !worker.is_cancelled())
                        .and_then(|mut q| q.pop())
                    {
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

/// Runs one SymCC call on the worker's solver, bounded by the time limit and cut off by
/// cancellation. A timeout, a solver that crashed or printed garbage, an `unknown` answer:
/// each becomes `Err(SolveError)`, and a process in an unknown state is ended.
macro_rules! solve {
    ($worker:expr, |$compiler:ident| $call:expr) => {{
        let limit = $worker.timeout();
        let cancel = $worker.cancel.clone();
        let result: Result<_, ($crate::error::SolveError, bool)> = if $worker.is_cancelled() {
            Err(($crate::error::SolveError::Cancelled, false))
        } else {
            match $worker.compiler() {
                Err(error) => Err(($crate::error::SolveError::Start(error), false)),
                Ok($compiler) => {
                    let answer = tokio::select! {
                        answer = tokio::time::timeout(limit, $call) => Some(answer),
                        () = $crate::worker::cancelled(cancel) => None,
                    };
                    match answer {
                        None => Err(($crate::error::SolveError::Cancelled, true)),
                        Some(Ok(Ok(value))) => Ok(value),
                        Some(Ok(Err(error))) => {
                            let broken =
                                matches!(error, cedar_policy_symcc::err::Error::SolverError(_));
                            Err(($crate::error::SolveError::Symcc(Box::new(error)), broken))
                        }
                        Some(Err(_)) => Err((
                            $crate::error::SolveError::Timeout {
                                limit_ms: limit.as_millis(),
                            },
                            true,
                        )),
                    }
                }
            }
        };
        match result {
            Ok(value) => {
                $worker.retire_if_spent();
                Ok(value)
            }
            Err((error, broken)) => {
                if broken {
                    $worker.discard();
                }
                Err(error)
            }
        }
    }};
}
pub(crate) use solve;
