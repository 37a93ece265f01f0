//! `cedarcheck test --suggest`: for every policy no test determines, the test the solver
//! writes for it ([`cedarcheck_mutants::suggest`]), kept with the run's coverage.

use std::path::Path;

use cedarcheck_analyzer::Settings;
use cedarcheck_mutants::kill::Original;
use cedarcheck_prover::SolverCommand;
use cedarcheck_test_runner::runner::parallel_map;
use cedarcheck_test_runner::set_under_test::SetUnderTest;
use cedarcheck_test_runner::{PolicySets, RunReport};
use cedarcheck_workspace::DeepMode;

use super::WorkspaceSets;
use crate::cli::CommonArgs;

/// cvc5, as `check` finds it; `--suggest` cannot do without it.
pub(super) fn solver(sets: &WorkspaceSets, common: &CommonArgs) -> Result<SolverCommand, String> {
    let analysis = sets
        .workspaces
        .first()
        .map_or_else(Default::default, |w| w.analysis());
    if common.no_deep {
        return Err("--suggest needs the solver, and --no-deep turns it off".into());
    }
    if analysis.deep == DeepMode::Off && !common.deep {
        return Err(
            "--suggest needs the solver, and [analysis] deep = \"off\" turns it off".into(),
        );
    }
    cedarcheck_prover::find_cvc5()
        .map(|program| cedarcheck_prover::solver_command(program, analysis.timeout_ms))
        .ok_or_else(|| {
            format!(
                "--suggest: suggested tests need cvc5: {}",
                cedarcheck_prover::INSTALL_CVC5
            )
        })
}

/// Asks the solver, for every uncovered policy of every set, for a test it determines.
pub(super) fn fill(
    report: &mut RunReport,
    sets: &WorkspaceSets,
    solver: &SolverCommand,
    jobs: usize,
    cwd: &Path,
) {
    let jobs = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    };
    for set in &mut report.sets {
        let uncovered: Vec<usize> = (0..set.policies.len())
            .filter(|&i| set.determined[i] == 0)
            .collect();
        if uncovered.is_empty() {
            continue;
        }
        let source = match set.source.map(|index| sets.read(index)) {
            Some(Ok(source)) => source,
            Some(Err(error)) => {
                let why = error.to_string();
                set.suggestions = uncovered
                    .into_iter()
                    .map(|i| (i, Err(why.clone())))
                    .collect();
                continue;
            }
            None => {
                let why = "the policies an integration test file names are not analysed; \
                           test them in a native test file of the workspace's set";
                set.suggestions = uncovered
                    .into_iter()
                    .map(|i| (i, Err(why.into())))
                    .collect();
                continue;
            }
        };
        let display = |relative: &str| {
            let full = source.root.join(relative);
            full.strip_prefix(cwd)
                .map_or_else(|_| full.display().to_string(), |p| p.display().to_string())
        };
        let checked = cedarcheck_analyzer::check(&source.input, &Settings::default());
        let under_test = SetUnderTest::from_input(source.label.clone(), &source.input, &display);
        let original = Original {
            input: &source.input,
            report: &checked,
            set: &under_test,
        };
        // Threads across policies; what is left over goes to each comparison's environments.
        let outer = jobs.min(uncovered.len());
        let inner = (jobs / outer).max(1);
        let found = parallel_map(&uncovered, outer, |&i| {
            cedarcheck_mutants::suggest::determining_test(
                &original,
                &set.policies[i].id,
                solver,
                inner,
            )
        });
        set.suggestions = uncovered.into_iter().zip(found).collect();
    }
}
