//! The README documents every rule with its real category and default level.

use cedarcheck_analyzer::RULES;

#[test]
fn readme_rule_table_matches_the_registry() {
    let readme = include_str!("../README.md");
    for rule in RULES {
        let row = format!(
            "| `{}` | {} | {} |",
            rule.id,
            rule.category.as_str(),
            rule.default_level.as_str()
        );
        assert!(
            readme.contains(&row),
            "README lacks the row starting `{row}`"
        );
    }
}
