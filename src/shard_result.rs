//! The shard result: what `cedarcheck check --deep --shard K/N --format json` prints and
//! `cedarcheck merge` reads (docs/shard-result.md). It carries the solver's answers, not
//! findings: which findings hold depends on every environment, so `merge` re-runs the whole
//! analysis from the answers of all shards.

use serde::{Deserialize, Serialize};

/// Bumped on incompatible changes; `merge` reads only its own.
pub const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize, Debug)]
pub struct ShardResult {
    /// [`FORMAT`]; its name says what the document is.
    pub cedarcheck_shard: u32,
    /// The cedarcheck that wrote it: shards of different versions may ask different questions.
    pub cedarcheck_version: String,
    /// K, from 1.
    pub shard: usize,
    /// N.
    pub shards: usize,
    /// A digest of the sets' `inputs`.
    pub inputs: String,
    /// One per policy set checked, in order.
    pub sets: Vec<ShardSet>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct ShardSet {
    /// The `[[set]]` name, if any.
    pub name: Option<String>,
    /// A digest of every file the set's check read (policies, schema, links, invariants, the
    /// config) with its path, and of the cedarcheck version.
    pub inputs: String,
    /// Whether the deep analysis ran for the set (it does not for a schema that does not load).
    pub deep: bool,
    pub environments_in_all: usize,
    /// The environments this shard analysed.
    pub environments: Vec<String>,
    /// Queries that reached the solver in this shard.
    pub solver_queries: usize,
    /// The answers the shard's analysis used or found, and the witnesses it started with, as
    /// the query cache (`.cedarcheck_cache/`) stores them.
    pub answers: serde_json::Value,
}

/// The digest of everything one set's check read: `files` as (path, text), the config's text.
pub fn set_inputs<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    config: Option<&'a str>,
) -> String {
    let mut parts: Vec<&str> = vec!["cedarcheck", env!("CARGO_PKG_VERSION")];
    parts.push(config.unwrap_or("<no config>"));
    for (path, text) in files {
        parts.push(path);
        parts.push(text);
    }
    cedarcheck_prover::inputs_digest(parts)
}

/// The digest of a run's sets.
pub fn run_inputs(sets: &[ShardSet]) -> String {
    cedarcheck_prover::inputs_digest(sets.iter().map(|s| s.inputs.as_str()))
}
