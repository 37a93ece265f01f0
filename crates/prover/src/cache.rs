//! Query results keyed by content hash: the schema, the request environment, the query and the
//! text of every policy it involves. Editing one policy invalidates exactly the queries that
//! policy takes part in. Unknown answers are never cached.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped whenever a query's meaning or encoding changes, so old caches are ignored.
const CACHE_VERSION: &str = "cedarcheck-deep-3";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Cache {
    version: String,
    #[serde(serialize_with = "sorted")]
    entries: HashMap<String, CachedAnswer>,
    /// Per environment (by [`key`] of schema and environment): requests that settled
    /// questions last time. A request does not depend on the policies, so these stay valid
    /// across edits; they are seeded into the next run's witnesses.
    #[serde(default, serialize_with = "sorted")]
    witnesses: HashMap<String, Vec<StoredRequest>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CachedAnswer {
    Yes,
    /// With the counterexample's request and entities, when the query produces one.
    No(Option<StoredRequest>),
}

/// A counterexample or a witness as its JSON text. A large set's run holds tens of thousands
/// of them until the cache is written; as text they take a fraction of the memory of parsed JSON values, and
/// they are written back byte for byte.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoredRequest(Box<serde_json::value::RawValue>);

impl StoredRequest {
    pub fn new(request: &serde_json::Value) -> Self {
        Self(
            serde_json::value::to_raw_value(request).expect("a JSON value serializes to JSON text"),
        )
    }

    /// A request already written as JSON text; `None` if it is not JSON.
    pub fn from_text(text: &str) -> Option<Self> {
        serde_json::value::RawValue::from_string(text.to_owned())
            .ok()
            .map(Self)
    }

    /// The request and entities as JSON; `None` if the text is not JSON (a cache file edited
    /// by hand).
    pub fn value(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.0.get()).ok()
    }
}

impl PartialEq for StoredRequest {
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Eq for StoredRequest {}

impl Cache {
    pub fn new() -> Self {
        Self {
            version: CACHE_VERSION.into(),
            entries: HashMap::new(),
            witnesses: HashMap::new(),
        }
    }

    /// A cache read back from disk; one written by another version starts empty.
    pub fn from_json(text: &str) -> Self {
        match serde_json::from_str::<Cache>(text) {
            Ok(cache) if cache.version == CACHE_VERSION => cache,
            _ => Self::new(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn get(&self, key: &str) -> Option<&CachedAnswer> {
        self.entries.get(key)
    }

    pub fn insert(&mut self, key: String, answer: CachedAnswer) {
        self.entries.insert(key, answer);
    }

    pub fn merge(&mut self, other: Cache) {
        self.entries.extend(other.entries);
        self.witnesses.extend(other.witnesses);
    }

    /// The answers alone.
    pub fn without_witnesses(&self) -> Self {
        Self {
            version: self.version.clone(),
            entries: self.entries.clone(),
            witnesses: HashMap::new(),
        }
    }

    /// A cache read from JSON: `Err` when it is not one, or one of another version.
    pub fn from_value(value: serde_json::Value) -> Result<Self, String> {
        let cache: Cache = serde_json::from_value(value).map_err(|e| e.to_string())?;
        if cache.version != CACHE_VERSION {
            return Err(format!(
                "its answers are of cache version `{}`, this cedarcheck reads `{CACHE_VERSION}`",
                cache.version
            ));
        }
        Ok(cache)
    }

    pub fn to_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    pub fn witnesses(&self, environment: &str) -> &[StoredRequest] {
        self.witnesses.get(environment).map_or(&[], Vec::as_slice)
    }

    pub fn set_witnesses(&mut self, environment: String, requests: Vec<StoredRequest>) {
        self.witnesses.insert(environment, requests);
    }

    /// Keeps only `used` keys (answers and environments' witnesses), so that the file does
    /// not grow with every edit.
    pub fn retain(&mut self, used: &std::collections::HashSet<String>) {
        self.entries.retain(|key, _| used.contains(key));
        self.witnesses.retain(|key, _| used.contains(key));
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Maps are written in key order: the same cache, the same bytes.
fn sorted<S: serde::Serializer, V: Serialize>(
    map: &HashMap<String, V>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    map.iter()
        .collect::<std::collections::BTreeMap<_, _>>()
        .serialize(serializer)
}

/// The key of a query: a hash over its parts, each length-prefixed so that parts cannot run
/// into each other.
pub fn key<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(CACHE_VERSION.as_bytes());
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_parts_and_caches_survive_a_round_trip() {
        assert_ne!(key(["ab", "c"]), key(["a", "bc"]));
        let mut cache = Cache::new();
        cache.insert(key(["q"]), CachedAnswer::Yes);
        let back = Cache::from_json(&cache.to_json());
        assert_eq!(back.get(&key(["q"])), Some(&CachedAnswer::Yes));
        assert!(Cache::from_json("{\"version\":\"old\",\"entries\":{}}").is_empty());
        assert!(Cache::from_json("not json").is_empty());
    }

    /// Shard results carry caches: the same answers must be the same bytes.
    #[test]
    fn a_cache_is_written_in_key_order() {
        let mut cache = Cache::new();
        for k in ["c", "a", "b", "e", "d"] {
            cache.insert(k.into(), CachedAnswer::Yes);
            cache.set_witnesses(k.into(), Vec::new());
        }
        assert_eq!(
            cache.to_json(),
            format!(
                "{{\"version\":\"{CACHE_VERSION}\",\"entries\":{{\"a\":\"Yes\",\"b\":\"Yes\",\
                 \"c\":\"Yes\",\"d\":\"Yes\",\"e\":\"Yes\"}},\"witnesses\":{{\"a\":[],\"b\":[],\
                 \"c\":[],\"d\":[],\"e\":[]}}}}"
            )
        );
        let back = Cache::from_value(cache.to_value()).unwrap();
        assert_eq!(back.to_json(), cache.to_json());
        assert_eq!(
            Cache::from_value(serde_json::json!({"version": "old", "entries": {}})).unwrap_err(),
            format!(
                "its answers are of cache version `old`, this cedarcheck reads `{CACHE_VERSION}`"
            )
        );
    }
}
