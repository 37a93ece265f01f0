//! The one list of rules. Adding a rule means adding its file under `rules/` and a line here.

use crate::rules::*;
use crate::Rule;

pub static RULES: &[&Rule] = &[
    &parse_error::RULE,
    &schema_error::RULE,
    &impossible_policy::RULE,
    &suspicious_identifier::RULE,
    &duplicate_policy_id::RULE,
    &permit_all::RULE,
    &unscoped_action::RULE,
    &unscoped_principal::RULE,
    &unscoped_resource::RULE,
    &constant_condition::RULE,
    &wildcard_pattern::RULE,
    &wildcard_equality::RULE,
    &in_non_entity::RULE,
    &unguarded_attribute::RULE,
    &entity_literal_attribute::RULE,
    &missing_policy_id::RULE,
    &unknown_ignored_rule::RULE,
    &deep::vacuous_policy::RULE,
    &deep::unconditional_permit::RULE,
    &deep::overridden_permit::RULE,
    &deep::redundant_permit::RULE,
    &deep::redundant_forbid::RULE,
    &deep::equivalent_policies::RULE,
    &deep::allows_all::RULE,
    &deep::unreachable_action::RULE,
    &deep::forbid_may_error::RULE,
    &deep::permit_may_error::RULE,
    &deep::invariant_violated::RULE,
    &new_access::RULE,
    &removed_access::RULE,
];

/// What invariant files themselves are checked for: like policies, they must parse and validate
/// (`check`, `test` and the language server report these about them, nothing else).
pub static INVARIANT_FILE_RULES: &[&Rule] = &[
    &parse_error::RULE,
    &schema_error::RULE,
    &impossible_policy::RULE,
    &duplicate_policy_id::RULE,
];

/// The rule with this id, if there is one.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|rule| rule.id == id)
}
