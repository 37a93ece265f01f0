//! The shell steps of `action.yml` (README "GitHub Actions"), run by bash as the runner runs
//! them: the environment a runner gives (`RUNNER_TEMP`, `GITHUB_OUTPUT`,
//! `GITHUB_STEP_SUMMARY`, …) points into a scratch directory, and the step's `env:` is set
//! as its inputs would set it. `.ci/run` lints the same scripts with shellcheck and actionlint.

use std::path::{Path, PathBuf};
use std::process::Command;

const ACTION: &str = include_str!("../action.yml");

/// The `run: |` script of the step with `id: ID`: the lines indented deeper than `run:`.
fn step_script(id: &str) -> String {
    let start = ACTION
        .find(&format!("\n      id: {id}\n"))
        .unwrap_or_else(|| panic!("action.yml has a step with id {id}"));
    let run = start
        + ACTION[start..]
            .find("\n      run: |\n")
            .expect("the step runs a script")
        + "\n      run: |\n".len();
    ACTION[run..]
        .lines()
        .take_while(|line| line.is_empty() || line.starts_with("        "))
        .map(|line| line.strip_prefix("        ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A scratch runner: its temporary directory and the files the step writes outputs and the
/// summary to.
struct Runner {
    scratch: tempfile::TempDir,
}

impl Runner {
    fn new() -> Self {
        let scratch = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(scratch.path().join("temp/cedarcheck")).unwrap();
        Self { scratch }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_default()
    }

    /// The last value the steps gave the output `name` in `$GITHUB_OUTPUT`.
    fn output(&self, name: &str) -> Option<String> {
        let prefix = format!("{name}=");
        self.read("output")
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix(&prefix))
            .map(str::to_string)
    }

    /// The files the steps wrote under `$RUNNER_TEMP`, relative to it, sorted.
    fn temp_files(&self) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, files: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, files);
                } else {
                    let relative = path.strip_prefix(root).unwrap();
                    files.push(relative.to_string_lossy().into_owned());
                }
            }
        }
        let mut files = Vec::new();
        walk(&self.path("temp"), &self.path("temp"), &mut files);
        files.sort();
        files
    }

    /// Runs the step `id` in `dir` with `env`; its exit code and what it printed.
    fn run(&self, id: &str, dir: &Path, env: &[(&str, &str)]) -> (i32, String) {
        let binary = Path::new(env!("CARGO_BIN_EXE_cedarcheck"));
        let path = std::env::join_paths(
            std::iter::once(binary.parent().unwrap().to_path_buf())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let output = Command::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c"])
            .arg(step_script(id))
            .current_dir(dir)
            .env("PATH", path)
            .env("CVC5", "/nonexistent/cvc5")
            .env("NO_COLOR", "1")
            .env("RUNNER_TEMP", self.path("temp"))
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("GITHUB_OUTPUT", self.path("output"))
            .env("GITHUB_PATH", self.path("path"))
            .env("GITHUB_STEP_SUMMARY", self.path("summary"))
            .envs(env.iter().copied())
            .output()
            .expect("bash runs");
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!printed.contains("panicked"), "{printed}");
        (output.status.code().expect("exited"), printed)
    }
}

fn write(dir: &Path, path: &str, text: &str) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const SCHEMA: &str = r#"namespace Ops {
  entity User;
  entity Doc;
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

/// A set with one error finding (`permit-all`) in `policies/open.cedar`.
fn one_finding() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "policies/s.cedarschema", SCHEMA);
    write(
        dir.path(),
        "policies/open.cedar",
        "@id(\"everyone\")\npermit(principal, action, resource);\n",
    );
    dir
}

fn check_env<'a>(args: &'a str, sarif: &'a str, output_file: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("COMMAND", "check"),
        ("CEDARCHECK_ARGS", args),
        ("FORMAT", ""),
        ("SARIF", sarif),
        ("OUTPUT_FILE", output_file),
    ]
}

#[test]
fn check_annotates_writes_the_summary_and_reports_the_exit_code() {
    let project = one_finding();
    let runner = Runner::new();
    let (code, printed) = runner.run("run", project.path(), &check_env("--no-deep", "false", ""));
    // The step itself succeeds: the last step of the action fails it by the exit code, after
    // the SARIF upload.
    assert_eq!(code, 0, "{printed}");
    let annotation = "::error file=policies/open.cedar,line=2,endLine=2,col=1,endColumn=36,\
                      title=cedarcheck permit-all::policy `everyone` permits every principal \
                      to perform every action on every resource%0Ahelp: constrain the \
                      principal, action and resource in the scope\n";
    assert!(
        printed.starts_with(&format!(
            "+ cedarcheck check --no-deep --format github\n{annotation}"
        )),
        "{printed}"
    );
    // The output goes to a directory of the step's own under $RUNNER_TEMP.
    let stdout_file = runner.output("output-file").unwrap();
    let own = Path::new(&stdout_file).parent().unwrap();
    assert_eq!(own.parent().unwrap(), runner.path("temp"));
    assert!(
        own.file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("cedarcheck."),
        "{stdout_file}"
    );
    assert_eq!(
        runner.read("output"),
        format!("exit-code=1\noutput-file={stdout_file}\n")
    );
    assert_eq!(
        runner.read("summary"),
        "### cedarcheck check: failed: findings at or above the fail level\n\n```text\n\
         policies/open.cedar:2:1: error permit-all: policy `everyone` permits every principal \
         to perform every action on every resource — help: constrain the principal, action \
         and resource in the scope\n\
         Found 1 error (1 policy in 2 files).\n```\n"
    );
}

#[test]
fn json_output_goes_to_the_output_file_and_sarif_is_written_beside_it() {
    let project = one_finding();
    let runner = Runner::new();
    let output_file = runner.path("results/check.json");
    let output_file = output_file.to_str().unwrap();
    // A word with `*` is a file pattern, expanded in the working directory.
    let env = check_env(
        "--no-deep policies/*.cedar --format json",
        "true",
        output_file,
    );
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    assert_eq!(
        printed,
        "+ cedarcheck check --no-deep policies/open.cedar --format json\n"
    );
    let sarif_file = runner.output("sarif-file").unwrap();
    assert!(
        sarif_file.starts_with(&format!("{}/cedarcheck.", runner.path("temp").display()))
            && sarif_file.ends_with("/cedarcheck.sarif"),
        "{sarif_file}"
    );
    assert_eq!(
        runner.read("output"),
        format!("exit-code=1\noutput-file={output_file}\nsarif-file={sarif_file}\n")
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(output_file).unwrap()).unwrap();
    assert_eq!(json["findings"][0]["rule"], "permit-all", "{json}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_file).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(
        sarif["runs"][0]["results"][0]["ruleId"], "permit-all",
        "{sarif}"
    );
    assert_eq!(
        runner.read("summary"),
        format!(
            "### cedarcheck check: failed: findings at or above the fail level\n\n```text\n\
             (the json output is in the step's output-file: {output_file})\n```\n"
        )
    );
}

#[test]
fn test_gets_no_annotation_format_and_its_failure_says_what_fails_a_test_run() {
    let project = tempfile::tempdir().unwrap();
    write(project.path(), "policies/s.cedarschema", SCHEMA);
    write(
        project.path(),
        "policies/users.cedar",
        "@id(\"users\")\npermit(principal is Ops::User, action, resource is Ops::Doc);\n",
    );
    let runner = Runner::new();
    let env = [
        ("COMMAND", "test"),
        ("CEDARCHECK_ARGS", ""),
        ("FORMAT", ""),
        ("SARIF", "false"),
        ("OUTPUT_FILE", ""),
    ];
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    // No test file: `cedarcheck test` exits 1 (README "Exit codes").
    assert!(printed.starts_with("+ cedarcheck test\n"), "{printed}");
    assert!(runner.read("output").starts_with("exit-code=1\n"));
    assert!(
        runner.read("summary").starts_with(
            "### cedarcheck test: failed: a test failed, no test ran, or the coverage is \
             below --min-coverage\n\n```text\n"
        ),
        "{}",
        runner.read("summary")
    );
}

#[test]
fn the_last_step_fails_with_cedarcheck_s_exit_code() {
    let runner = Runner::new();
    let dir = runner.path("temp");
    let script = ACTION
        .split("\n    - name: Fail the step by cedarcheck's exit code\n")
        .nth(1)
        .expect("the last step");
    assert!(script.contains("      if: always()\n"), "{script}");
    // Its script, run as the runner does (this step has no id; found by its name).
    let run = &script[script.find("      run: |\n").unwrap() + "      run: |\n".len()..];
    let run: String = run
        .lines()
        .map(|line| line.strip_prefix("        ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join("\n");
    for (code, expected) in [("0", 0), ("1", 1), ("2", 2), ("", 2)] {
        let output = Command::new("bash")
            .args(["-c", &run])
            .current_dir(&dir)
            .env("CODE", code)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(expected), "CODE={code:?}");
    }
}

/// A release of `o/cedarcheck` at `file://ROOT`, laid out as GitHub serves one, holding the
/// freshly built binary as the x86_64 Linux archive; `corrupt` makes its checksum wrong.
fn fake_release(root: &Path, tag: &str, corrupt: bool) {
    let download = root.join(format!("o/cedarcheck/releases/download/{tag}"));
    let target = "cedarcheck-x86_64-unknown-linux-musl";
    let staging = root.join("staging").join(target);
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::create_dir_all(&download).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_cedarcheck"), staging.join("cedarcheck")).unwrap();
    let archive = download.join(format!("{target}.tar.gz"));
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(root.join("staging"))
        .arg(target)
        .status()
        .unwrap();
    assert!(tar.success());
    let sums = Command::new("sha256sum")
        .arg(format!("{target}.tar.gz"))
        .current_dir(&download)
        .output()
        .unwrap();
    let mut sums = String::from_utf8(sums.stdout).unwrap();
    if corrupt {
        sums.replace_range(..4, "0000");
    }
    std::fs::write(download.join("SHA256SUMS"), sums).unwrap();
}

/// curl, tar and sha256sum, which the install step uses (every GitHub Linux runner has them).
fn have_download_tools() -> bool {
    let missing: Vec<&str> = ["curl", "tar", "sha256sum"]
        .into_iter()
        .filter(|tool| {
            Command::new(tool)
                .arg("--version")
                .output()
                .map_or(true, |o| !o.status.success())
        })
        .collect();
    if !missing.is_empty() {
        eprintln!("skipped: the install step needs {}", missing.join(", "));
    }
    missing.is_empty()
}

fn install_env<'a>(
    server: &'a str,
    version: &'a str,
    action_ref: &'a str,
) -> [(&'a str, &'a str); 5] {
    install_env_at(server, version, action_ref, "/nonexistent/action")
}

/// The install step's `env:`, with the action's sources at `action_path`.
fn install_env_at<'a>(
    server: &'a str,
    version: &'a str,
    action_ref: &'a str,
    action_path: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("VERSION", version),
        ("ACTION_REF", action_ref),
        ("ACTION_REPOSITORY", "o/cedarcheck"),
        ("ACTION_PATH", action_path),
        ("SERVER", server),
    ]
}

#[test]
fn install_takes_the_release_of_the_action_s_tag_after_checking_its_checksum() {
    if !have_download_tools() {
        return;
    }
    let runner = Runner::new();
    let releases = runner.path("releases");
    fake_release(&releases, "v9.8.7", false);
    let server = format!("file://{}", releases.display());
    let (code, printed) = runner.run(
        "install",
        runner.scratch.path(),
        &install_env(&server, "", "v9.8.7"),
    );
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.starts_with("cedarcheck-x86_64-unknown-linux-musl.tar.gz: OK\ncedarcheck "),
        "{printed}"
    );
    let bin = runner.path("temp/cedarcheck/bin");
    assert_eq!(runner.read("path"), format!("{}\n", bin.display()));
    let version = Command::new(env!("CARGO_BIN_EXE_cedarcheck"))
        .arg("--version")
        .output()
        .unwrap();
    let version = String::from_utf8(version.stdout).unwrap();
    assert_eq!(runner.read("output"), format!("version={version}"));
    assert!(bin.join("cedarcheck").is_file());
}

#[test]
fn at_a_major_tag_install_takes_the_release_of_the_action_s_cargo_toml() {
    if !have_download_tools() {
        return;
    }
    let runner = Runner::new();
    let releases = runner.path("releases");
    fake_release(&releases, "v9.8.7", false);
    let server = format!("file://{}", releases.display());
    let action = runner.path("action");
    write(
        &action,
        "Cargo.toml",
        "[package]\nname = \"cedarcheck\"\nversion = \"9.8.7\"\n",
    );
    let (code, printed) = runner.run(
        "install",
        runner.scratch.path(),
        &install_env_at(&server, "", "v9", action.to_str().unwrap()),
    );
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.starts_with("cedarcheck-x86_64-unknown-linux-musl.tar.gz: OK\n"),
        "{printed}"
    );
    assert!(runner.path("temp/cedarcheck/bin/cedarcheck").is_file());
}

#[test]
fn install_refuses_a_release_whose_checksum_does_not_match() {
    if !have_download_tools() {
        return;
    }
    let runner = Runner::new();
    let releases = runner.path("releases");
    fake_release(&releases, "v9.8.7", true);
    let server = format!("file://{}", releases.display());
    let (code, printed) = runner.run(
        "install",
        runner.scratch.path(),
        &install_env(&server, "v9.8.7", "main"),
    );
    assert_eq!(code, 1, "{printed}");
    assert!(
        printed.contains("cedarcheck-x86_64-unknown-linux-musl.tar.gz: FAILED\n"),
        "{printed}"
    );
    // Nothing was installed, nothing put on PATH, and no build from source was tried.
    assert!(!runner.path("temp/cedarcheck/bin/cedarcheck").exists());
    assert_eq!(runner.read("path"), "");
    assert!(!printed.contains("Building cedarcheck"), "{printed}");
}

#[test]
fn install_builds_from_the_action_s_sources_when_the_release_has_no_binary() {
    if !have_download_tools() {
        return;
    }
    let runner = Runner::new();
    let releases = runner.path("releases");
    std::fs::create_dir_all(&releases).unwrap();
    let server = format!("file://{}", releases.display());
    // No release v9.8.7, the action's tag, with `version` not given: the step says so and
    // runs cargo on the action's path (which does not exist here, so cargo fails and the
    // step with it).
    let (code, printed) = runner.run(
        "install",
        runner.scratch.path(),
        &install_env(&server, "", "v9.8.7"),
    );
    assert_ne!(code, 0, "{printed}");
    assert!(
        printed.contains(
            "Building cedarcheck from the action's sources (no release v9.8.7 of o/cedarcheck \
             with cedarcheck-x86_64-unknown-linux-musl.tar.gz)\n"
        ),
        "{printed}"
    );
}

#[test]
fn a_long_output_is_cut_at_300_lines_in_a_closed_fence_and_the_step_passes() {
    let project = tempfile::tempdir().unwrap();
    write(project.path(), "policies/s.cedarschema", SCHEMA);
    let policies: String = (1..=2000)
        .map(|n| format!("@id(\"p{n}\")\npermit(principal, action, resource);\n"))
        .collect();
    write(project.path(), "policies/open.cedar", &policies);
    let runner = Runner::new();
    let (code, printed) = runner.run("run", project.path(), &check_env("--no-deep", "false", ""));
    // 2001 lines (half a megabyte) of output: `head -n 300` stopped reading, sed got SIGPIPE
    // and under pipefail the step failed with 141 though the run was fine.
    assert_eq!(code, 0, "{printed}");
    assert_eq!(runner.output("exit-code").as_deref(), Some("1"));
    let output_file = runner.output("output-file").unwrap();
    assert_eq!(
        std::fs::read_to_string(&output_file)
            .unwrap()
            .lines()
            .count(),
        2001
    );
    let summary = runner.read("summary");
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 3 + 300 + 3, "{summary}");
    assert_eq!(
        lines[..3],
        [
            "### cedarcheck check: failed: findings at or above the fail level",
            "",
            "```text"
        ]
    );
    assert_eq!(
        lines[3],
        "policies/open.cedar:2:1: error permit-all: policy `p1` permits every principal to \
         perform every action on every resource — help: constrain the principal, action and \
         resource in the scope"
    );
    assert!(
        lines[302].contains("policy `p300` permits"),
        "{}",
        lines[302]
    );
    assert_eq!(
        lines[303..],
        [
            "```".to_string(),
            String::new(),
            format!(
                "… 1701 more lines: the whole output is in the log and in the step's \
                 output-file, `{output_file}`"
            )
        ]
    );
}

#[test]
fn two_uses_in_one_job_keep_their_own_output_files() {
    let project = one_finding();
    let runner = Runner::new();
    let (code, printed) = runner.run("run", project.path(), &check_env("--no-deep", "true", ""));
    assert_eq!(code, 0, "{printed}");
    let first = runner.output("output-file").unwrap();
    let first_sarif = runner.output("sarif-file").unwrap();
    let env = check_env("--no-deep --fail-level error --format json", "true", "");
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    let second = runner.output("output-file").unwrap();
    let second_sarif = runner.output("sarif-file").unwrap();
    assert_ne!(first, second);
    assert_ne!(first_sarif, second_sarif);
    // The first run's files are still the first run's.
    let first_text = std::fs::read_to_string(&first).unwrap();
    assert!(
        first_text.starts_with("::error file=policies/open.cedar,line=2,"),
        "{first_text}"
    );
    let second_text = std::fs::read_to_string(&second).unwrap();
    let json: serde_json::Value = serde_json::from_str(&second_text).unwrap();
    assert_eq!(json["findings"][0]["rule"], "permit-all", "{json}");
    let base = |file: &str| {
        Path::new(file)
            .strip_prefix(runner.path("temp"))
            .unwrap()
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .into_owned()
    };
    let (one, two) = (base(&first), base(&second));
    assert_eq!(
        runner.temp_files(),
        [
            format!("{one}/cedarcheck.sarif"),
            format!("{one}/output.txt"),
            format!("{one}/shown.txt"),
            format!("{one}/stderr.txt"),
            format!("{one}/stderr.txt.sarif"),
            format!("{two}/cedarcheck.sarif"),
            format!("{two}/output.txt"),
            format!("{two}/shown.txt"),
            format!("{two}/stderr.txt"),
            format!("{two}/stderr.txt.sarif"),
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
}

#[test]
fn sarif_with_a_command_without_sarif_warns_and_runs_it_once() {
    let project = one_finding();
    let runner = Runner::new();
    let env = [
        ("COMMAND", "fmt"),
        ("CEDARCHECK_ARGS", "--check"),
        ("FORMAT", ""),
        ("SARIF", "true"),
        ("OUTPUT_FILE", ""),
    ];
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.starts_with(
            "::warning title=cedarcheck::sarif: true needs command check, merge, diff or \
             replay; cedarcheck fmt has no SARIF output, so nothing is uploaded\n\
             + cedarcheck fmt --check\n"
        ),
        "{printed}"
    );
    assert_eq!(printed.matches("+ cedarcheck").count(), 1, "{printed}");
    assert_eq!(runner.output("sarif-file"), None);
    assert!(
        !runner.temp_files().iter().any(|f| f.ends_with(".sarif")),
        "{:?}",
        runner.temp_files()
    );
}

#[test]
fn a_sarif_run_that_could_not_run_leaves_no_sarif_file_output() {
    let project = one_finding();
    let runner = Runner::new();
    // A path that does not exist: exit 2, for the run and its SARIF twin.
    let env = check_env("--no-deep missing/", "true", "");
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    assert_eq!(runner.output("exit-code").as_deref(), Some("2"));
    assert!(
        printed.contains(
            "::warning title=cedarcheck::no SARIF: cedarcheck check --format sarif exited 2\n"
        ),
        "{printed}"
    );
    assert_eq!(runner.output("sarif-file"), None);
}

#[test]
fn multi_line_args_take_every_line() {
    let project = one_finding();
    let runner = Runner::new();
    let env = check_env(
        "--no-deep\n--fail-level error\n  policies/*.cedar\n",
        "false",
        "",
    );
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.starts_with(
            "+ cedarcheck check --no-deep --fail-level error policies/open.cedar --format github\n"
        ),
        "{printed}"
    );
    // The last line without a newline counts too.
    let runner = Runner::new();
    let env = check_env("--no-deep\n--fail-level error", "false", "");
    let (code, printed) = runner.run("run", project.path(), &env);
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.starts_with("+ cedarcheck check --no-deep --fail-level error --format github\n"),
        "{printed}"
    );
}

#[test]
fn a_relative_output_file_is_reported_absolute() {
    let project = one_finding();
    let runner = Runner::new();
    // working-directory: policies (the step runs there), output-file: out/check.txt.
    let dir = project.path().join("policies");
    let env = check_env("--no-deep", "false", "out/check.txt");
    let (code, printed) = runner.run("run", &dir, &env);
    assert_eq!(code, 0, "{printed}");
    let expected = dir.join("out/check.txt");
    assert_eq!(
        runner.output("output-file").as_deref(),
        Some(expected.to_str().unwrap())
    );
    let text = std::fs::read_to_string(&expected).unwrap();
    assert!(
        text.starts_with("::error file=open.cedar,line=2,"),
        "{text}"
    );
}

#[test]
fn an_explicit_version_without_a_release_is_an_error_not_a_build() {
    if !have_download_tools() {
        return;
    }
    let runner = Runner::new();
    let releases = runner.path("releases");
    std::fs::create_dir_all(&releases).unwrap();
    let server = format!("file://{}", releases.display());
    let (code, printed) = runner.run(
        "install",
        runner.scratch.path(),
        &install_env(&server, "v9.8.7", "main"),
    );
    assert_eq!(code, 1, "{printed}");
    assert!(
        printed.contains(
            "::error title=cedarcheck::version v9.8.7: no release v9.8.7 of o/cedarcheck with \
             cedarcheck-x86_64-unknown-linux-musl.tar.gz (a release tag such as v0.1.0, latest, \
             or source)\n"
        ),
        "{printed}"
    );
    assert!(!printed.contains("Building cedarcheck"), "{printed}");
    assert_eq!(runner.read("path"), "");
}
