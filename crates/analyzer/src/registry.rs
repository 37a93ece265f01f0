//! The one list of rules. Adding a rule means adding its file under `rules/` and a line here
//! (a deep rule: a line in `rules/deep/mod.rs`).

use crate::rules::*;
use crate::Rule;

/// Made by [`crate::deep_rules!`], which splices the deep rules in between the static ones and
/// the diff's.
macro_rules! registry {
    ($($variant:ident => $module:ident,)*) => {
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
            $(&deep::$module::RULE,)*
            &new_access::RULE,
            &removed_access::RULE,
            &replay_new_access::RULE,
            &replay_removed_access::RULE,
        ];
    };
}

crate::deep_rules!(registry);

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
