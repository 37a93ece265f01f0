//! Template-linked policies from links files in the Cedar CLI's format:
//! `[{"template_id": "…", "link_id": "…", "args": {"?principal": "Type::\"id\""}}]`.

use std::collections::HashMap;
use std::str::FromStr;

use cedar_policy::{EntityUid, SlotId};
use serde::Deserialize;

use crate::policy_set::{LoadedSet, PolicyEntry, PolicyKind};
use crate::rules::parse_error;
use crate::{Finding, SourceFile, Span};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    template_id: String,
    link_id: String,
    #[serde(default)]
    args: HashMap<String, String>,
}

/// Links every entry of the links file `file_index` into `loaded`.
pub fn load_links(
    files: &[&SourceFile],
    file_index: usize,
    loaded: &mut LoadedSet,
    findings: &mut Vec<Finding>,
) {
    let file = files[file_index];
    if let Some(offset) = file.invalid_utf8_at {
        findings.push(parse_error::not_utf8(file, offset));
        return;
    }
    let links: Vec<Link> = match serde_json::from_str(&file.text) {
        Ok(links) => links,
        Err(error) => {
            findings.push(parse_error::from_json_error(file, &error, "links file"));
            return;
        }
    };
    for link in links {
        let span = find_string_literal(&file.text, &link.link_id);
        let fail = |findings: &mut Vec<Finding>, message: String| {
            findings.push(
                Finding::new(&parse_error::RULE, &file.path, span, message)
                    .with_policy(&link.link_id),
            );
        };
        let Some(template_index) = loaded.entry_index_by_id(&link.template_id) else {
            fail(
                findings,
                format!(
                    "link `{}` names template `{}`, which does not exist",
                    link.link_id, link.template_id
                ),
            );
            continue;
        };
        let template = &loaded.entries[template_index];
        if template.kind != PolicyKind::Template {
            fail(
                findings,
                format!(
                    "link `{}` names `{}`, which is a static policy, not a template",
                    link.link_id, link.template_id
                ),
            );
            continue;
        }
        let template_internal = template.internal_id.clone();
        let mut values = HashMap::new();
        let mut bad_arg = None;
        for (slot, value) in &link.args {
            let slot_id = match slot.as_str() {
                "?principal" => SlotId::principal(),
                "?resource" => SlotId::resource(),
                other => {
                    bad_arg = Some(format!(
                        "unknown slot `{other}`: expected `?principal` or `?resource`"
                    ));
                    break;
                }
            };
            match EntityUid::from_str(value) {
                Ok(uid) => {
                    values.insert(slot_id, uid);
                }
                Err(error) => {
                    bad_arg = Some(format!("`{value}` is not an entity uid: {error}"));
                    break;
                }
            }
        }
        if let Some(message) = bad_arg {
            fail(findings, format!("link `{}`: {message}", link.link_id));
            continue;
        }
        let internal = loaded.unique_internal_id(&link.link_id);
        if let Err(error) = loaded.set.link(template_internal, internal.clone(), values) {
            fail(findings, format!("link `{}`: {error}", link.link_id));
            continue;
        }
        let entry = PolicyEntry {
            id: link.link_id.clone(),
            internal_id: internal,
            file: file_index,
            span,
            id_span: span,
            kind: PolicyKind::Link,
            template: Some(template_index),
        };
        loaded.register(entry, files, findings);
    }
}

/// The span of the first JSON string literal equal to `value`, so a link's findings point at it.
fn find_string_literal(text: &str, value: &str) -> Span {
    let needle = serde_json::to_string(value).unwrap_or_default();
    text.find(&needle)
        .map_or(Span::empty_at(0), |i| Span::new(i, i + needle.len()))
}
