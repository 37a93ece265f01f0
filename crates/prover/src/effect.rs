//! A policy with its effect replaced: coverage asks "does the union of these forbids deny
//! everything this permit allows?" over policies turned into permits or forbids, and the
//! witnesses evaluate every policy of an environment at once as permits.

use cedar_policy::{Effect, Policy};
use serde_json::Value;

use crate::error::EffectError;

/// The policy with its effect replaced (through its JSON form, which keeps scope and
/// conditions exactly).
pub fn with_effect(policy: &Policy, effect: Effect) -> Result<Policy, EffectError> {
    if policy.effect() == effect {
        return Ok(policy.clone());
    }
    let mut json = policy
        .to_json()
        .map_err(|e| EffectError::ToJson(Box::new(e)))?;
    json["effect"] = Value::String(match effect {
        Effect::Permit => "permit".into(),
        Effect::Forbid => "forbid".into(),
    });
    Policy::from_json(Some(policy.id().clone()), json)
        .map_err(|e| EffectError::FromJson(Box::new(e)))
}
