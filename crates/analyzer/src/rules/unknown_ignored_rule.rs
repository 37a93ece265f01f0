use crate::suppression::{listed_rules, IGNORE_ANNOTATION};
use crate::{Category, Finding, Level, PolicyUnit, Rule, Source, Span, RULES};

pub const RULE: Rule = Rule {
    id: "unknown-ignored-rule",
    category: Category::Suspicious,
    default_level: Level::Warn,
    summary: "`@cedarcheck_ignore` names a rule that does not exist, or no rule at all",
    source: Source::Policy(check),
    doc: r#"## What it does
Reports each id in a policy's `@cedarcheck_ignore("…")` annotation that is not a cedarcheck
rule, and an annotation that lists no rule at all.

## Why is this bad?
`@cedarcheck_ignore("rule-a, rule-b")` silences exactly the rules it names for that policy. A
misspelt id silences nothing: the finding it was meant to acknowledge keeps firing, or — worse —
the reviewer believes a rule was consciously waived when it was not. An empty annotation looks
like a blanket waiver but waives nothing.

## Example
```cedar
@id("anyone-reboots")
@cedarcheck_ignore("unscoped-principals")
permit (principal, action == Ops::Action::"RebootHost", resource is Ops::Host);
```

Use instead:
```cedar
@id("anyone-reboots")
@cedarcheck_ignore("unscoped-principal")
permit (principal, action == Ops::Action::"RebootHost", resource is Ops::Host);
```
"#,
};

fn check(unit: &PolicyUnit<'_>, out: &mut Vec<Finding>) {
    let Some((_, annotation)) = unit
        .template
        .annotations()
        .find(|(key, _)| key.as_ref() == IGNORE_ANNOTATION)
    else {
        return;
    };
    let value = annotation.val.as_str();
    let annotation_span = annotation
        .loc
        .as_ref()
        .map_or(unit.span, crate::policy::loc_span);
    // Where the value's text starts in the file, when the source spells it without escapes.
    let text = &unit.file.text;
    let value_start = text
        .get(annotation_span.start..annotation_span.end)
        .and_then(|a| a.find('"'))
        .map(|quote| annotation_span.start + quote + 1)
        .filter(|&start| text.get(start..start + value.len()) == Some(value));
    let mut listed = 0;
    for (offset, id) in listed_rules(value) {
        listed += 1;
        if RULES.iter().any(|rule| rule.id == id) {
            continue;
        }
        let span = value_start.map_or(annotation_span, |start| {
            Span::new(start + offset, start + offset + id.len())
        });
        let help = match closest_rule(id) {
            Some(near) => format!("did you mean `{near}`? (`cedarcheck rules` lists the rules)"),
            None => "`cedarcheck rules` lists the rules".into(),
        };
        out.push(
            unit.finding(
                &RULE,
                span,
                format!(
                    "`@{IGNORE_ANNOTATION}` names `{id}`, which is not a rule; it silences nothing"
                ),
            )
            .with_help(help),
        );
    }
    if listed == 0 {
        out.push(
            unit.finding(
                &RULE,
                annotation_span,
                format!("`@{IGNORE_ANNOTATION}` names no rule; it silences nothing"),
            )
            .with_help(format!(
                "list the rules to silence, e.g. @{IGNORE_ANNOTATION}(\"unscoped-principal\")"
            )),
        );
    }
}

/// The rule id within a few edits of `id`, for typos.
fn closest_rule(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|rule| (edit_distance(id, rule.id), rule.id))
        .filter(|&(distance, _)| distance <= 3)
        .min()
        .map(|(_, id)| id)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_suggest_the_nearest_rule() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            closest_rule("unscoped-principals"),
            Some("unscoped-principal")
        );
        assert_eq!(closest_rule("no-such-thing-at-all"), None);
    }
}
