//! Where `check` spends its time on the LSP latency benchmark's input (1,000 policies and a
//! schema), phase by phase, and what a re-check after a one-policy edit costs.
//! `cargo bench -p cedarcheck-analyzer --bench check_phases`

use std::str::FromStr;
use std::time::{Duration, Instant};

use cedar_policy::{PolicySet, Schema, ValidationMode, Validator};
use cedarcheck_analyzer::{check, IncrementalCheck, PolicySetInput, Settings, SourceFile};

const SCHEMA: &str = "namespace App {\n  entity User { admin: Bool, level: Long };\n  entity Doc { owner: User };\n  action read, write appliesTo { principal: [User], resource: [Doc] };\n}\n";

fn policies(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "@id(\"p{i}\")\npermit(principal is App::User, action == App::Action::\"read\", resource is App::Doc)\nwhen {{ resource.owner == principal && principal.level > {i} }};\n"
            )
        })
        .collect()
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut samples: Vec<Duration> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            std::hint::black_box(f());
            started.elapsed()
        })
        .collect();
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runs = 20;
    let text = policies(1000);
    let input = PolicySetInput {
        policies: vec![SourceFile::new("policies.cedar", text.as_str())],
        schema: Some(SourceFile::new("app.cedarschema", SCHEMA)),
        links: Vec::new(),
    };
    let settings = Settings::default();
    let parsed = PolicySet::from_str(&text).unwrap();
    let (schema, _) = Schema::from_cedarschema_str(SCHEMA).unwrap();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    // For a profiler: `PROFILE=1` runs only `check`, many times; `PROFILE=cold` a first
    // `IncrementalCheck::check`; `PROFILE=warm` one after an edit.
    match std::env::var("PROFILE").as_deref() {
        Ok("warm") => {
            time(1000, edits(&input, &text, &settings));
            return;
        }
        Ok("cold") => {
            time(100, || IncrementalCheck::new().check(&input, &settings));
            return;
        }
        Ok(_) => {
            time(200, || check(&input, &settings));
            return;
        }
        Err(_) => {}
    }
    println!("median of {runs} runs, 1,000 policies:");
    println!(
        "  PolicySet::from_str (whole file)  {:7.2} ms",
        ms(time(runs, || PolicySet::from_str(&text).is_ok()))
    );
    println!(
        "  Schema::from_cedarschema_str      {:7.2} ms",
        ms(time(runs, || Schema::from_cedarschema_str(SCHEMA).is_ok()))
    );
    println!(
        "  Validator::new (schema clone)     {:7.2} ms",
        ms(time(runs, || Validator::new(schema.clone())))
    );
    let validator = Validator::new(schema.clone());
    println!(
        "  validate (strict, whole set)      {:7.2} ms",
        ms(time(runs, || validator.validate(&parsed, ValidationMode::Strict)))
    );
    println!(
        "  check (from scratch)              {:7.2} ms",
        ms(time(runs, || check(&input, &settings)))
    );
    println!(
        "  IncrementalCheck, first check     {:7.2} ms",
        ms(time(runs, || IncrementalCheck::new().check(&input, &settings)))
    );
    let again = time(runs * 5, edits(&input, &text, &settings));
    println!("  IncrementalCheck, after an edit   {:7.2} ms", ms(again));
}

/// A check after each call to the returned closure, each after one character typed into a
/// policy, a different one each time (every policy after it moves), as in the editor.
fn edits<'a>(
    input: &'a PolicySetInput,
    text: &str,
    settings: &'a Settings,
) -> impl FnMut() -> Vec<cedarcheck_analyzer::Finding> + 'a {
    let mut incremental = IncrementalCheck::new();
    incremental.check(input, settings);
    let mut edited = text.to_string();
    let mut edit = 0;
    move || {
        edit += 1;
        let at = edited
            .match_indices("principal.level")
            .nth((edit * 197) % 1000)
            .map_or(0, |(i, _)| i);
        edited.insert(at, ' ');
        let input = PolicySetInput {
            policies: vec![SourceFile::new("policies.cedar", edited.as_str())],
            ..input.clone()
        };
        incremental.check(&input, settings)
    }
}
