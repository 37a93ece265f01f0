//! One file per rule: its declaration, its documentation and, where it has one, its check.

pub mod constant_condition;
pub mod deep;
pub mod duplicate_policy_id;
pub mod entity_literal_attribute;
pub mod impossible_policy;
pub mod in_non_entity;
pub mod missing_policy_id;
pub mod new_access;
pub mod parse_error;
pub mod permit_all;
pub mod removed_access;
pub mod replay_new_access;
pub mod replay_removed_access;
pub mod schema_error;
pub mod suspicious_identifier;
pub mod unguarded_attribute;
pub mod unknown_ignored_rule;
pub mod unscoped_action;
pub mod unscoped_principal;
pub mod unscoped_resource;
pub mod wildcard_equality;
pub mod wildcard_pattern;
