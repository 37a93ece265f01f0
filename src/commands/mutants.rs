//! `cedarcheck mutants [PATH…]`: would the tests notice a weakened policy? Finds the test files
//! as `cedarcheck test` does, runs them against every mutant of the policy sets they test
//! (crates/mutants), and prints the survivors and the score (README "Mutation testing"). With
//! cvc5, the survivors the solver proves equivalent are listed apart and each other survivor
//! comes with the test that kills it, which `--write-tests FILE` appends to a test file.
//! `junit`, `sarif` and `github` are in [`formats`].

mod formats;

use std::io::Write;
use std::path::Path;

use cedarcheck_mutants::{MutantsOptions, MutantsReport, Status};
use cedarcheck_test_runner::{Options, PolicySets};
use cedarcheck_workspace::DeepMode;
use regex::Regex;

use crate::cli::{CommonArgs, Format, MutantsArgs};

pub fn run(args: &MutantsArgs, common: &CommonArgs) -> u8 {
    match mutants(args, common) {
        Ok(code) => code,
        Err(message) => super::fail(message),
    }
}

fn mutants(args: &MutantsArgs, common: &CommonArgs) -> Result<u8, String> {
    let format = common.format.unwrap_or(Format::Pretty);
    let filter = args
        .filter
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| format!("--filter: invalid regular expression: {e}"))?;
    let (cwd, paths) = super::cwd_and_paths(&args.paths)?;
    let discovered = super::test::discover(&paths, common.config.as_deref(), &cwd)?;
    let jobs = common.jobs.unwrap_or_else(|| {
        discovered
            .sets
            .workspaces
            .first()
            .map_or(0, |w| w.analysis().jobs)
    });
    let jobs = if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    };
    let no_solver = format!(
        "equivalence and generated tests need cvc5: {}",
        cedarcheck_prover::INSTALL_CVC5
    );
    let analysis = discovered
        .sets
        .workspaces
        .first()
        .map_or_else(Default::default, |w| w.analysis());
    // As for `check`: --deep demands the solver, --no-deep or `deep = "off"` turns it off.
    let mode = if common.deep {
        DeepMode::On
    } else if common.no_deep {
        DeepMode::Off
    } else {
        analysis.deep
    };
    let solver = match mode {
        DeepMode::Off => None,
        DeepMode::On | DeepMode::Auto => cedarcheck_prover::find_cvc5()
            .map(|program| cedarcheck_prover::solver_command(program, analysis.timeout_ms)),
    };
    if solver.is_none() {
        match (mode, args.write_tests.is_some()) {
            (DeepMode::Off, true) => {
                return Err(format!(
                    "--write-tests needs the solver, and {} turns it off",
                    if common.no_deep {
                        "--no-deep"
                    } else {
                        "[analysis] deep = \"off\""
                    }
                ))
            }
            (DeepMode::Off, false) => {}
            (DeepMode::On, _) => {
                return Err(format!(
                    "the solver was demanded (--deep or [analysis] deep = \"on\"), but {no_solver}"
                ))
            }
            (DeepMode::Auto, true) => return Err(format!("--write-tests: {no_solver}")),
            (DeepMode::Auto, false) => eprintln!("note: {no_solver}"),
        }
    }
    // A test file that exists must be a native one the run reads, before any work is done.
    let target = args
        .write_tests
        .as_deref()
        .map(|file| target(file, &discovered.inputs))
        .transpose()?;
    let tests = Options {
        jobs,
        filter: None,
        cwd: cwd.clone(),
    };
    let started = std::time::Instant::now();
    let progress = crate::deep::Progress::with_template(
        format == Format::Pretty,
        "{spinner} mutants {bar:30} {pos}/{len} tested ({elapsed})",
    );
    let progress_fn = |done: usize, total: usize| progress.update(done, total);
    let report = cedarcheck_mutants::run(
        &discovered.inputs,
        &discovered.sets,
        &MutantsOptions {
            tests: &tests,
            policies: filter.as_ref(),
            solver: solver.as_ref(),
            no_solver: &no_solver,
            progress: Some(&progress_fn),
        },
    );
    progress.finish();
    let report = report.map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    let text = match format {
        Format::Json => json(&report),
        Format::Compact => compact(&report),
        Format::Junit => formats::junit(&report, solver.is_some()),
        Format::Github => formats::github(&report, &formats::Places::new(&cwd)),
        Format::Sarif => {
            // cvc5 missing, not turned off: the note the other formats give on stderr.
            let notes: Vec<String> = (solver.is_none() && mode != DeepMode::Off)
                .then(|| no_solver.clone())
                .into_iter()
                .collect();
            formats::sarif(&report, &formats::Places::new(&cwd), &notes)
        }
        Format::Pretty => pretty(&report, common.verbose, solver.is_some(), elapsed),
    };
    let mut out = std::io::stdout().lock();
    // A closed stdout (`| head`) is not an error of ours.
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    drop(out);
    if let (Some(file), Some(target)) = (&args.write_tests, target) {
        write_tests(file, target, &report, args, common, &cwd, &discovered)?;
    }
    let score = report.score();
    if let Some(minimum) = args.min_score {
        if score + 1e-9 < minimum {
            eprintln!("cedarcheck: mutation score {score:.1}% is below --min-score {minimum}%");
            return Ok(crate::exit::FINDINGS);
        }
    }
    Ok(crate::exit::CLEAN)
}

/// Where `--write-tests` writes: an existing file (its text, and whether the run reads it), or
/// a new one.
enum Target {
    Existing { text: String },
    New,
}

/// FILE as `--write-tests` names it: a native JSON test file the run reads, or a new file.
fn target(file: &Path, inputs: &[cedarcheck_test_runner::TestInput]) -> Result<Target, String> {
    let shown = file.display().to_string();
    let text = match std::fs::read(file) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| format!("--write-tests {shown}: not a UTF-8 text file"))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Refused names (a YAML file) are refused before anything is created.
            let empty = cedarcheck_mutants::write::new_file(&[]);
            cedarcheck_mutants::write::append(&shown, &empty, &[]).map_err(|e| e.to_string())?;
            return Ok(Target::New);
        }
        Err(e) => return Err(format!("--write-tests {shown}: {e}")),
    };
    cedarcheck_mutants::write::append(&shown, &text, &[]).map_err(|e| e.to_string())?;
    let absolute = std::path::absolute(file).map_err(|e| format!("{shown}: {e}"))?;
    if !inputs.iter().any(|input| input.path == absolute) {
        return Err(not_picked_up(&shown));
    }
    Ok(Target::Existing { text })
}

fn not_picked_up(shown: &str) -> String {
    format!(
        "--write-tests {shown}: not a test file of this run: name a file the set's `tests` \
         (or the paths given) select, so that the next run reads the tests written there"
    )
}

/// Appends the survivors' tests to FILE: those of the policy set FILE runs against, each
/// request once.
fn write_tests(
    file: &Path,
    target: Target,
    report: &MutantsReport,
    args: &MutantsArgs,
    common: &CommonArgs,
    cwd: &Path,
    discovered: &super::test::Discovered,
) -> Result<(), String> {
    let shown = file.display().to_string();
    if !report.mutants.iter().any(|m| m.test.is_some()) {
        let survivors: Vec<&cedarcheck_mutants::Mutant> = report
            .mutants
            .iter()
            .filter(|m| m.status == cedarcheck_mutants::Status::Survived)
            .collect();
        match survivors.first() {
            None => eprintln!("cedarcheck: no survivor, no test to write; {shown} is left as it was"),
            Some(first) => eprintln!(
                "cedarcheck: {} survived, none with a test to write ({}); {shown} is left as it was",
                plural(survivors.len(), "mutant"),
                first.note.as_deref().unwrap_or("the solver wrote none")
            ),
        }
        return Ok(());
    }
    let absolute = std::path::absolute(file).map_err(|e| format!("{shown}: {e}"))?;
    // The set FILE runs against: by the run's own binding, or for a new file by finding it
    // again with the paths of this run.
    let set_label = match &target {
        Target::Existing { .. } => {
            let set = discovered
                .sets
                .set_for(&absolute)
                .map_err(|e| e.to_string())?;
            discovered.sets.read(set).map_err(|e| e.to_string())?.label
        }
        Target::New => {
            if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| format!("{shown}: {e}"))?;
            }
            std::fs::write(file, cedarcheck_mutants::write::new_file(&[]))
                .map_err(|e| format!("{shown}: {e}"))?;
            let label = label_of_new(&absolute, args, common, cwd);
            match label {
                Some(label) => label,
                None => {
                    let _ = std::fs::remove_file(file);
                    return Err(not_picked_up(&shown));
                }
            }
        }
    };
    let mut entries: Vec<serde_json::Value> = Vec::new();
    let mut elsewhere = 0;
    for m in &report.mutants {
        let Some(test) = &m.test else { continue };
        if m.set != set_label {
            elsewhere += 1;
            continue;
        }
        let same = |e: &serde_json::Value| {
            ["request", "entities", "decision", "reason"]
                .iter()
                .all(|key| e.get(*key) == test.get(*key))
        };
        if !entries.iter().any(same) {
            entries.push(test.clone());
        }
    }
    if entries.is_empty() {
        if matches!(target, Target::New) {
            let _ = std::fs::remove_file(file);
        }
        eprintln!(
            "cedarcheck: no survivor of `{set_label}`, which {shown} runs against, has a test to write; {shown} is left as it was"
        );
        return Ok(());
    }
    let text = match &target {
        Target::Existing { text } => text.clone(),
        Target::New => cedarcheck_mutants::write::new_file(&[]),
    };
    let written =
        cedarcheck_mutants::write::append(&shown, &text, &entries).map_err(|e| e.to_string())?;
    std::fs::write(file, written).map_err(|e| format!("{shown}: {e}"))?;
    eprintln!(
        "cedarcheck: wrote {} to {shown}; `cedarcheck mutants` now reports their mutants killed",
        plural(entries.len(), "test")
    );
    if elsewhere > 0 {
        eprintln!(
            "note: {} for other policy sets than `{set_label}` (which {shown} runs against) were not written",
            plural(elsewhere, "test")
        );
    }
    Ok(())
}

/// The label of the set a just-created test file runs against, when this run's paths find it.
fn label_of_new(
    absolute: &Path,
    args: &MutantsArgs,
    common: &CommonArgs,
    cwd: &Path,
) -> Option<String> {
    let (_, paths) = super::cwd_and_paths(&args.paths).ok()?;
    let again = super::test::discover(&paths, common.config.as_deref(), cwd).ok()?;
    if !again.inputs.iter().any(|input| input.path == absolute) {
        return None;
    }
    let set = again.sets.set_for(absolute).ok()?;
    Some(again.sets.read(set).ok()?.label)
}

/// The survivors, one line each (every mutant with --verbose), each with the test that kills
/// it; then the equivalent mutants; then the score.
fn pretty(
    report: &MutantsReport,
    verbose: bool,
    solver: bool,
    elapsed: std::time::Duration,
) -> String {
    let mut text = String::new();
    let mut equivalent = String::new();
    for m in &report.mutants {
        let what = format!(
            "{}:{}:{}: {}: {} in {} {}",
            m.file,
            m.line,
            m.column,
            m.status.word(),
            m.diff,
            m.kind,
            m.mutation.policy
        );
        match &m.status {
            Status::Survived => {
                text.push_str(&format!("{what} (no test notices)\n"));
                match (&m.test, &m.note) {
                    (Some(test), _) => {
                        text.push_str("  kill it with:\n");
                        text.push_str(&cedarcheck_mutants::write::indented(test, "    "));
                        text.push('\n');
                    }
                    // Without a solver the note said so once, on stderr.
                    (None, Some(note)) if solver => {
                        text.push_str(&format!("  no test generated: {note}\n"))
                    }
                    _ => {}
                }
            }
            Status::Equivalent => equivalent.push_str(&format!(
                "{what} (the solver proves it decides every request as the set does)\n"
            )),
            Status::Killed { file, test } if verbose => {
                text.push_str(&format!("{what} (by {})\n", killer(file, test)))
            }
            Status::Invalid { why } if verbose => text.push_str(&format!("{what} ({why})\n")),
            _ => {}
        }
    }
    text.push_str(&equivalent);
    text.push_str(&format!(
        "{}: {} killed, {} survived, {} equivalent, {} invalid; score {:.1}% ({} test decisions in {:.1}s)\n",
        plural(report.mutants.len(), "mutant"),
        report.count("killed"),
        report.count("survived"),
        report.count("equivalent"),
        report.count("invalid"),
        report.score(),
        report.test_runs,
        elapsed.as_secs_f64()
    ));
    text
}

fn killer(file: &str, test: &str) -> String {
    if test.is_empty() {
        file.to_string()
    } else {
        format!("{file}: {test}")
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// One line per survivor, as `check --format compact` writes findings.
fn compact(report: &MutantsReport) -> String {
    report
        .mutants
        .iter()
        .filter(|m| m.status == Status::Survived)
        .map(|m| {
            format!(
                "{}:{}:{}: survived: {} in {} {}\n",
                m.file, m.line, m.column, m.diff, m.kind, m.mutation.policy
            )
        })
        .collect()
}

fn json(report: &MutantsReport) -> String {
    let mutants: Vec<serde_json::Value> = report
        .mutants
        .iter()
        .map(|m| {
            let mut value = serde_json::json!({
                "file": m.file,
                "line": m.line,
                "column": m.column,
                "policy": m.mutation.policy,
                "kind": m.kind,
                "operator": m.mutation.operator.id(),
                "mutation": m.diff,
                "replacement": m.mutation.replacement,
                "status": m.status.word(),
            });
            match &m.status {
                Status::Killed { file, test } => {
                    value["killed_by"] = serde_json::json!({ "file": file, "test": test });
                }
                Status::Invalid { why } => value["invalid"] = serde_json::json!(why),
                Status::Survived => match (&m.test, &m.note) {
                    (Some(test), _) => value["test"] = test.clone(),
                    (None, Some(note)) => value["note"] = serde_json::json!(note),
                    (None, None) => {}
                },
                Status::Equivalent => {}
            }
            value
        })
        .collect();
    let value = serde_json::json!({
        "version": 1,
        "summary": {
            "mutants": report.mutants.len(),
            "killed": report.count("killed"),
            "survived": report.count("survived"),
            "equivalent": report.count("equivalent"),
            "invalid": report.count("invalid"),
            "score": (report.score() * 10.0).round() / 10.0,
            "tests": report.tests,
            "test_decisions": report.test_runs,
            "solver_comparisons": report.solved,
        },
        "mutants": mutants,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
