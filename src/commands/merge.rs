//! `cedarcheck merge SHARD.json… [PATH…]`: the report of one `check --deep` from the shard
//! results of `check --deep --shard K/N` (README "Sharding across CI jobs"). The shards must be
//! all N shards of one run over the inputs here; the check then runs whole, starting from their
//! answers, so that its report, exit code and every format are those of an unsharded run. A
//! query no shard answered goes to the solver, and the merge says so on stderr.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use cedarcheck_prover::Cache;

use super::check::{self, MergedSet, Plan};
use crate::cli::{CheckArgs, CommonArgs, MergeArgs};
use crate::shard_result::{self, ShardResult};

pub fn run(args: &MergeArgs, common: &CommonArgs) -> u8 {
    let (files, paths): (Vec<PathBuf>, Vec<PathBuf>) = args
        .args
        .iter()
        .cloned()
        .partition(|path| path.extension().is_some_and(|e| e == "json"));
    if files.is_empty() {
        return super::fail(
            "give the shard results to merge: the `.json` files `cedarcheck check --deep \
             --shard K/N --format json` printed",
        );
    }
    let merged = match read(&files).and_then(|shards| merge(&shards)) {
        Ok(merged) => merged,
        Err(message) => return super::fail(message),
    };
    let check_args = CheckArgs {
        paths,
        ..CheckArgs::default()
    };
    match check::check(&check_args, common, &Plan::Merge(&merged)) {
        Ok(checked) => {
            let asked: usize = checked.sets.iter().map(|s| s.solver_queries).sum();
            if asked > 0 {
                eprintln!(
                    "cedarcheck: merge: the shard results did not answer {asked} solver {}; \
                     the solver was asked",
                    if asked == 1 { "query" } else { "queries" }
                );
            }
            check::report(&checked.result, common)
        }
        Err(message) => super::fail(message),
    }
}

/// A shard result and the file it came from, as given.
struct Loaded {
    file: String,
    result: ShardResult,
}

fn read(files: &[PathBuf]) -> Result<Vec<Loaded>, String> {
    files
        .iter()
        .map(|path| {
            let file = path.display().to_string();
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{file}: cannot read the shard result: {e}"))?;
            let result: ShardResult = serde_json::from_str(&text).map_err(|e| {
                format!(
                    "{file}: not a shard result of `cedarcheck check --deep --shard K/N \
                     --format json`: {e}"
                )
            })?;
            if result.cedarcheck_shard != shard_result::FORMAT {
                return Err(format!(
                    "{file}: a shard result of format {}; this cedarcheck reads format {}",
                    result.cedarcheck_shard,
                    shard_result::FORMAT
                ));
            }
            if result.shard == 0 || result.shard > result.shards {
                return Err(format!(
                    "{file}: shard {}/{} does not exist",
                    result.shard, result.shards
                ));
            }
            Ok(Loaded { file, result })
        })
        .collect()
}

/// Checks that `shards` are every shard of one run, once, and joins their answers set by set.
fn merge(shards: &[Loaded]) -> Result<Vec<MergedSet>, String> {
    let first = &shards[0];
    let version = env!("CARGO_PKG_VERSION");
    for shard in shards {
        let result = &shard.result;
        if result.cedarcheck_version != version {
            return Err(format!(
                "{}: written by cedarcheck {}, and this is cedarcheck {version}: run the \
                 shards and the merge with one cedarcheck",
                shard.file, result.cedarcheck_version
            ));
        }
        if result.shards != first.result.shards {
            return Err(format!(
                "{} is shard {}/{} and {} is shard {}/{}: the shards of one run have the same N",
                first.file,
                first.result.shard,
                first.result.shards,
                shard.file,
                result.shard,
                result.shards
            ));
        }
        if result.inputs != first.result.inputs || result.sets.len() != first.result.sets.len() {
            return Err(format!(
                "{} and {} are shards of different inputs (their policies, schema, links, \
                 invariants or config differ): run every shard on one commit",
                first.file, shard.file
            ));
        }
    }
    let count = first.result.shards;
    let mut given: BTreeMap<usize, &str> = BTreeMap::new();
    for shard in shards {
        if let Some(other) = given.insert(shard.result.shard, &shard.file) {
            return Err(format!(
                "shard {}/{count} is given twice: {other} and {}",
                shard.result.shard, shard.file
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !given.contains_key(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = given
            .iter()
            .map(|(k, file)| format!("{k}/{count} in {file}"))
            .collect();
        return Err(format!(
            "{} {} missing (given: {}): merge needs all {count} shard results",
            if missing.len() == 1 {
                "shard"
            } else {
                "shards"
            },
            missing.join(", ") + if missing.len() == 1 { " is" } else { " are" },
            given.join(", ")
        ));
    }
    (0..first.result.sets.len())
        .map(|index| merge_set(shards, index))
        .collect()
}

/// One policy set's answers from every shard; each of its environments in exactly one shard.
fn merge_set(shards: &[Loaded], index: usize) -> Result<MergedSet, String> {
    let set = &shards[0].result.sets[index];
    let label = match &set.name {
        Some(name) => format!("policy set `{name}`"),
        None => "the policy set".to_string(),
    };
    let mut covered: HashMap<&str, &str> = HashMap::new();
    let mut answers = Cache::new();
    let mut solver_queries = 0;
    for shard in shards {
        let part = &shard.result.sets[index];
        for environment in &part.environments {
            if let Some(other) = covered.insert(environment, &shard.file) {
                return Err(format!(
                    "environment {environment} of {label} is in two shard results, {other} \
                     and {}",
                    shard.file
                ));
            }
        }
        let cache = Cache::from_value(part.answers.clone())
            .map_err(|e| format!("{}: the answers of {label} do not load: {e}", shard.file))?;
        answers.merge(cache);
        solver_queries += part.solver_queries;
    }
    if covered.len() != set.environments_in_all {
        return Err(format!(
            "the shard results cover {} of the {} environments of {label}",
            covered.len(),
            set.environments_in_all
        ));
    }
    Ok(MergedSet {
        inputs: set.inputs.clone(),
        answers,
        solver_queries,
    })
}
