//! `cedarcheck … | head -1`: a standard output whose reader is gone ends the run quietly — no
//! panic, nothing about a broken pipe on stderr — with the exit code the run has when its
//! output is read to the end. Every command that prints is run three ways: normally, with a
//! pipe whose reader has exited before cedarcheck starts (its first write fails), and with a
//! reader that takes the first line and then closes the pipe (a later write fails; the outputs
//! are made larger than a pipe holds, so one does). Any other failure to write stdout (a full
//! disk) is a tool error.
//!
//! Runs are without a solver (`$CVC5` names a missing file), except `diff`, which needs one:
//! without cvc5 those tests say they were skipped, and under CI=true they fail.

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const TIMEOUT: Duration = Duration::from_secs(120);

/// More than a pipe holds (64 KiB on Linux), so that a reader that stops early makes a write fail.
const MORE_THAN_A_PIPE: usize = 1 << 17;

#[derive(Clone, Copy, Debug)]
enum Closed {
    /// The pipe's reader has exited before cedarcheck starts.
    BeforeWriting,
    /// The reader takes the first line, then closes the pipe: `| head -1`.
    AfterFirstLine,
}

/// Exit code and stderr of a run.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

fn command(dir: &Path, args: &[&str], solver: bool) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cedarcheck"));
    command.current_dir(dir).args(args).env("NO_COLOR", "1");
    if !solver {
        command.env("CVC5", "/nonexistent/cvc5");
    }
    command
}

/// Waits for `child`, killing it and failing the test when it runs over [`TIMEOUT`].
fn wait(mut child: Child, what: &str) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status
                .code()
                .unwrap_or_else(|| panic!("{what}: killed by a signal: {status}"));
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: ran over {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The write end of a pipe whose read end is already closed: the other end belonged to a
/// process that has exited without reading.
fn pipe_without_reader() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let writer = reader.stdin.take().unwrap();
    assert!(reader.wait().unwrap().success());
    Stdio::from(writer)
}

fn normal_run(dir: &Path, args: &[&str], solver: bool) -> Run {
    let output = command(dir, args, solver)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: output.stdout,
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    run
}

fn closed_run(dir: &Path, args: &[&str], solver: bool, closed: Closed) -> Run {
    let stderr_dir = tempfile::tempdir().unwrap();
    let stderr_path = stderr_dir.path().join("stderr");
    let stderr = std::fs::File::create(&stderr_path).unwrap();
    let mut command = command(dir, args, solver);
    command.stdin(Stdio::null()).stderr(stderr);
    let what = format!("cedarcheck {args:?} with stdout closed {closed:?}");
    let code = match closed {
        Closed::BeforeWriting => {
            let child = command.stdout(pipe_without_reader()).spawn().unwrap();
            wait(child, &what)
        }
        Closed::AfterFirstLine => {
            let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
            let mut reader = BufReader::new(child.stdout.take().unwrap());
            let mut line = Vec::new();
            reader.read_until(b'\n', &mut line).unwrap();
            drop(reader);
            wait(child, &what)
        }
    };
    Run {
        code,
        stdout: Vec::new(),
        stderr: std::fs::read_to_string(&stderr_path).unwrap(),
    }
}

/// Elapsed times (`0.02 s`) differ from run to run.
fn without_times(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `cedarcheck ARGS` in `dir` normally and with its stdout closed both ways; the closed
/// runs must end as the normal one does, with nothing on stderr that it does not print.
fn assert_quiet_when_closed(dir: &Path, args: &[&str], solver: bool, min_output: usize) {
    let normal = normal_run(dir, args, solver);
    assert!(
        normal.stdout.len() >= min_output,
        "{args:?} printed only {} bytes; the test needs at least {min_output}",
        normal.stdout.len()
    );
    let expected_stderr = without_times(&normal.stderr);
    for closed in [Closed::BeforeWriting, Closed::AfterFirstLine] {
        let run = closed_run(dir, args, solver, closed);
        assert!(run.stdout.is_empty());
        let context = format!(
            "cedarcheck {args:?}, stdout closed {closed:?}\nstderr:\n{}\nstderr of a normal run:\n{}",
            run.stderr, normal.stderr
        );
        assert_eq!(run.code, normal.code, "{context}");
        for forbidden in [
            "panicked",
            "Broken pipe",
            "broken pipe",
            "os error",
            "backtrace",
            "cedarcheck: error",
            "standard output",
        ] {
            assert!(!run.stderr.contains(forbidden), "{context}");
        }
        for line in without_times(&run.stderr).lines() {
            assert!(
                expected_stderr.lines().any(|l| l == line),
                "a line a normal run does not print: {line:?}\n{context}"
            );
        }
    }
}

fn write(dir: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

const SCHEMA: &str = r#"namespace Ops {
  entity Team;
  entity User in [Team] { name: String };
  entity Doc { owner: User, secret: Bool };
  action Read, Write appliesTo { principal: User, resource: Doc, context: { mfa: Bool } };
}
"#;

/// A policy set with hundreds of findings, on one line each.
fn many_findings() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "docs.cedarschema", SCHEMA);
    let policies: String = (0..600)
        .map(|i| {
            format!(
                "@id(\"reader-{i}-whose-id-is-long-so-that-every-message-naming-it-is-long-too\")\npermit (principal, action, resource)\nwhen {{ principal.nmae == \"n{i}\" }};\n\n"
            )
        })
        .collect();
    write(dir.path(), "docs.cedar", policies);
    dir
}

#[test]
fn check_ends_quietly_in_every_format() {
    let dir = many_findings();
    for format in ["compact", "pretty", "json", "sarif", "github", "junit"] {
        let args = ["check", "--format", format];
        assert_quiet_when_closed(dir.path(), &args, false, MORE_THAN_A_PIPE);
    }
    // The default command, whose format is `compact` on a pipe.
    assert_quiet_when_closed(dir.path(), &[], false, MORE_THAN_A_PIPE);
    // A clean run: its only output is the summary line.
    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "docs.cedarschema", SCHEMA);
    write(
        clean.path(),
        "docs.cedar",
        "@id(\"owner-reads\")\npermit (principal, action == Ops::Action::\"Read\", resource is Ops::Doc)\nwhen { resource.owner == principal };\n",
    );
    for format in ["compact", "pretty", "json", "sarif"] {
        assert_quiet_when_closed(clean.path(), &["check", "--format", format], false, 1);
    }
}

#[test]
fn test_ends_quietly_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cedarcheck.toml",
        "policies = [\"policies/*.cedar\"]\nschema = \"policies/docs.cedarschema\"\ntests = [\"tests/**/*.json\"]\n",
    );
    write(dir.path(), "policies/docs.cedarschema", SCHEMA);
    write(
        dir.path(),
        "policies/docs.cedar",
        "@id(\"owner-reads\")\npermit (principal, action == Ops::Action::\"Read\", resource is Ops::Doc)\nwhen { resource.owner == principal };\n",
    );
    write(
        dir.path(),
        "tests/docs.entities.json",
        r#"[
  {"uid": {"type": "Ops::User", "id": "bob"}, "attrs": {"name": "Bob"}, "parents": []},
  {"uid": {"type": "Ops::Doc", "id": "plan"}, "attrs": {"owner": {"__entity": {"type": "Ops::User", "id": "bob"}}, "secret": false}, "parents": []}
]
"#,
    );
    // Every other test fails, so that the run exits 1 and pretty output has much to say.
    let tests: Vec<String> = (0..1800)
        .map(|i| {
            let decision = if i % 2 == 0 { "allow" } else { "deny" };
            serde_json::json!({
                "name": format!("bob reads his own plan, case number {i} of a long list of cases, each with a name that is long"),
                "request": {
                    "principal": "Ops::User::\"bob\"",
                    "action": "Ops::Action::\"Read\"",
                    "resource": "Ops::Doc::\"plan\"",
                    "context": {"mfa": true}
                },
                "decision": decision,
                "reason": ["owner-reads"],
            })
            .to_string()
        })
        .collect();
    write(
        dir.path(),
        "tests/docs.json",
        format!(
            "{{\"entities\": \"docs.entities.json\", \"tests\": [\n{}\n]}}\n",
            tests.join(",\n")
        ),
    );
    for format in ["compact", "pretty", "json", "junit"] {
        let args = ["test", "--format", format];
        assert_quiet_when_closed(dir.path(), &args, false, MORE_THAN_A_PIPE);
    }
}

#[test]
fn diff_ends_quietly_in_every_format() {
    if !support::have_cvc5("diff_ends_quietly_in_every_format") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for side in ["old", "new"] {
        write(dir.path(), &format!("{side}/docs.cedarschema"), SCHEMA);
    }
    write(
        dir.path(),
        "old/docs.cedar",
        "@id(\"owner-reads\")\npermit (principal, action == Ops::Action::\"Read\", resource)\nwhen { resource.owner == principal };\n",
    );
    write(
        dir.path(),
        "new/docs.cedar",
        "@id(\"owner-reads\")\npermit (principal, action, resource)\nwhen { resource.owner == principal || resource.secret };\n",
    );
    for format in ["pretty", "compact", "json", "sarif", "github", "junit"] {
        let args = ["diff", "--old", "old", "--new", "new", "--format", format];
        assert_quiet_when_closed(dir.path(), &args, true, 1);
    }
}

#[test]
fn rules_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["rules"][..],
        &["rules", "--format", "json"],
        &["rules", "permit-all"],
        &["rules", "permit-all", "--format", "json"],
        &["--help"],
        &["rules", "--help"],
    ] {
        assert_quiet_when_closed(dir.path(), args, false, 1);
    }
}

#[test]
fn fmt_check_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let unformatted: String = (0..600)
        .map(|i| {
            format!(
                "permit(principal==User::\"u{i}\",action,resource)when{{principal.a==\"x\"}};\n"
            )
        })
        .collect();
    write(dir.path(), "a.cedar", &unformatted);
    write(dir.path(), "b.cedar", &unformatted);
    assert_quiet_when_closed(dir.path(), &["fmt", "--check"], false, MORE_THAN_A_PIPE);
}

#[test]
fn init_ends_quietly() {
    let fresh = || {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "policies/docs.cedar",
            "permit (principal, action, resource);\n",
        );
        write(dir.path(), "policies/docs.cedarschema", SCHEMA);
        dir
    };
    let normal = fresh();
    let normal = normal_run(normal.path(), &["init"], false);
    assert_eq!(normal.code, 0, "{}", normal.stderr);
    assert!(!normal.stdout.is_empty());
    for closed in [Closed::BeforeWriting, Closed::AfterFirstLine] {
        let dir = fresh();
        let run = closed_run(dir.path(), &["init"], false, closed);
        assert_eq!(run.code, 0, "{closed:?}: {}", run.stderr);
        assert_eq!(run.stderr, normal.stderr, "{closed:?}");
        assert!(dir.path().join("cedarcheck.toml").is_file());
    }
}

/// Any other failure to write stdout is the tool failing at its job: said once, exit 2.
#[test]
fn a_stdout_that_cannot_be_written_is_a_tool_error() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("a_stdout_that_cannot_be_written_is_a_tool_error: skipped: no /dev/full");
        return;
    };
    let dir = many_findings();
    let child = command(dir.path(), &["check", "--format", "json"], false)
        .stdout(full)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.starts_with("cedarcheck: error: cannot write to standard output"))
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `cedarcheck … 2>&1 | head -0`: stderr closed too. What would have gone to stderr is lost;
/// the run ends with its exit code, never a panic (exit 101).
#[test]
fn a_closed_stderr_ends_the_run_with_its_exit_code() {
    let dir = many_findings();
    for (args, expected) in [
        (&["check", "--format", "sarif"][..], 1),
        (&["check", "--format", "compact"][..], 1),
        (&["check", "--config", "missing.toml"][..], 2),
        (&["test", "--format", "json"][..], 1),
    ] {
        let what = format!("cedarcheck {args:?} with stdout and stderr closed");
        let child = command(dir.path(), args, false)
            .stdin(Stdio::null())
            .stdout(pipe_without_reader())
            .stderr(pipe_without_reader())
            .spawn()
            .unwrap();
        assert_eq!(wait(child, &what), expected, "{what}");
    }
}
