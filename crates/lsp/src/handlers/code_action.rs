//! Code actions on cedarcheck's diagnostics: silence the rule for the policy
//! (`@cedarcheck_ignore`) or for the workspace (`rule = "off"` in cedarcheck.toml), give the
//! policy an `@id`, fix an `in` on a non-entity ([`super::membership_fix`]), create a test
//! from a finding's counterexample request in a test file of the set, and show the rule's
//! documentation ([`super::rule_docs`]).

use std::collections::HashMap;

use cedarcheck_analyzer::{rules, Span, IGNORE_ANNOTATION};
use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, CodeActionResponse, Command,
    CreateFile, CreateFileOptions, Diagnostic, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, ResourceOp, TextDocumentEdit, TextEdit, Uri,
    WorkspaceEdit,
};

use crate::analysis::{self, PolicyItem};
use crate::handlers::{config_edit, membership_fix, policy_test, rule_docs};
use crate::state::State;
use crate::{from_proto, to_proto};

pub fn code_actions(state: &State, params: &CodeActionParams) -> Option<CodeActionResponse> {
    let uri = &params.text_document.uri;
    let (text, index) = state.text(uri)?;
    let policies = analysis::policies_in(&text).unwrap_or_default();
    let mut actions = Vec::new();
    for diagnostic in &params.context.diagnostics {
        if diagnostic.source.as_deref() != Some(to_proto::SOURCE) {
            continue;
        }
        let Some(rule) = diagnostic.data.as_ref().and_then(|d| d["rule"].as_str()) else {
            continue;
        };
        if rule == rules::in_non_entity::RULE.id {
            let span = from_proto::span(&text, &index, diagnostic.range);
            let fixed = text.get(span.start..span.end).and_then(membership_fix::fix);
            if let Some((title, replacement)) = fixed {
                let edit = Edit {
                    span,
                    text: replacement,
                };
                let mut fix = quick_fix(title, diagnostic, uri, vec![to_edit(&text, &index, edit)]);
                fix.is_preferred = Some(true);
                actions.push(CodeActionOrCommand::CodeAction(fix));
            }
        }
        let at = from_proto::offset(&text, &index, diagnostic.range.start);
        if let Some(policy) = policies
            .iter()
            .find(|p| p.span.start <= at && at < p.span.end.max(p.span.start + 1))
        {
            let edit = ignore_edit(&text, policy, rule);
            actions.push(action(
                format!("Ignore `{rule}` for this policy (@{IGNORE_ANNOTATION})"),
                diagnostic,
                uri,
                vec![to_edit(&text, &index, edit)],
            ));
            if rule == rules::missing_policy_id::RULE.id && !policy.has_id {
                let id = suggested_id(uri, policy, &policies);
                let edit = insertion(&text, policy.span.start, &format!("@id(\"{id}\")"));
                actions.push(action(
                    format!("Add @id(\"{id}\")"),
                    diagnostic,
                    uri,
                    vec![to_edit(&text, &index, edit)],
                ));
            }
        }
        if let Some(case) = diagnostic.data.as_ref().map(|d| &d["counterexample"]) {
            if case.is_object() {
                if let Some(action) = add_test_case(state, uri, diagnostic, case) {
                    actions.push(action);
                }
            }
        }
        if let Some(action) = ignore_in_config(state, uri, diagnostic, rule) {
            actions.push(action);
        }
        if rule_docs::documentation(rule).is_some() {
            actions.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: format!("Show documentation for `{rule}`"),
                diagnostics: Some(vec![diagnostic.clone()]),
                command: Some(Command {
                    title: format!("Show documentation for `{rule}`"),
                    command: rule_docs::RULE_DOCUMENTATION.into(),
                    arguments: Some(vec![serde_json::Value::from(rule)]),
                }),
                ..CodeAction::default()
            }));
        }
    }
    if let Some(action) = policy_test_action(state, uri, &text, &index, &policies, params) {
        actions.push(action);
    }
    // Several findings of one rule in the range offer its workspace-wide actions once.
    let mut titles = std::collections::HashSet::new();
    actions.retain(|action| match action {
        CodeActionOrCommand::CodeAction(action) => titles.insert(action.title.clone()),
        CodeActionOrCommand::Command(command) => titles.insert(command.title.clone()),
    });
    Some(actions)
}

/// "Create a test from this policy's request" on the policy at the start of the range
/// ([`super::policy_test`]).
fn policy_test_action(
    state: &State,
    uri: &Uri,
    text: &str,
    index: &cedarcheck_analyzer::LineIndex,
    policies: &[PolicyItem],
    params: &CodeActionParams,
) -> Option<CodeActionOrCommand> {
    let at = from_proto::offset(text, index, params.range.start);
    let policy = policies
        .iter()
        .find(|p| p.span.start <= at && at < p.span.end.max(p.span.start + 1))?;
    let path = from_proto::file_path(uri)?;
    let overlay = state.overlay();
    let found = policy_test::policy_case(
        &path,
        text,
        policy,
        &overlay,
        &state.folders(),
        |file, case| {
            let (edit, entry) = appended_test(file, case)?;
            let mut out = file.to_string();
            out.replace_range(edit.span.start..edit.span.end, &entry);
            Some(out)
        },
    )?;
    let (edit, entry) = appended_test(&found.text, &found.case)?;
    let test_index = cedarcheck_analyzer::LineIndex::new(&found.text);
    let edit = to_edit(
        &found.text,
        &test_index,
        Edit {
            span: edit.span,
            text: entry,
        },
    );
    let root = state
        .cache
        .membership(&path, &state.folders())
        .ok()?
        .workspace
        .root
        .clone();
    let test_uri = to_proto::uri_of(&overlay, &root.join(&found.test))?;
    Some(CodeActionOrCommand::CodeAction(CodeAction {
        title: format!(
            "Create a test from the request of `{}` in {}",
            policy.id, found.test
        ),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(test_uri, vec![edit])])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    }))
}

/// `rule = "off"` in the workspace's cedarcheck.toml, created when there is none (if the
/// client can create files). Not offered for `parse-error`: a file that does not parse is
/// fixed, not silenced.
fn ignore_in_config(
    state: &State,
    uri: &Uri,
    diagnostic: &Diagnostic,
    rule: &str,
) -> Option<CodeActionOrCommand> {
    if rule == rules::parse_error::RULE.id || cedarcheck_analyzer::rule(rule).is_none() {
        return None;
    }
    let path = from_proto::file_path(uri)?;
    let workspace = analysis::workspace_of(&path, &state.folders()).ok()?;
    let (config, exists) = match &workspace.config {
        Some(config) => (config.path.clone(), true),
        None => (
            workspace.root.join(cedarcheck_workspace::CONFIG_FILE),
            false,
        ),
    };
    let overlay = state.overlay();
    let config_uri = to_proto::uri_of(&overlay, &config)?;
    let title = format!("Ignore `{rule}` in {}", cedarcheck_workspace::CONFIG_FILE);
    let action = |edit: WorkspaceEdit| {
        CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diagnostic.clone()]),
            edit: Some(edit),
            ..CodeAction::default()
        })
    };
    if !exists {
        if !state.can_create_files() {
            return None;
        }
        let edit = config_edit::turn_off(None, rule)?;
        let created = CreateFile {
            uri: config_uri.clone(),
            options: Some(CreateFileOptions {
                overwrite: Some(false),
                ignore_if_exists: Some(true),
            }),
            annotation_id: None,
        };
        let text = TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: config_uri,
                version: None,
            },
            edits: vec![OneOf::Left(TextEdit {
                range: tower_lsp_server::ls_types::Range::default(),
                new_text: edit.text,
            })],
        };
        return Some(action(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(vec![
                DocumentChangeOperation::Op(ResourceOp::Create(created)),
                DocumentChangeOperation::Edit(text),
            ])),
            ..WorkspaceEdit::default()
        }));
    }
    let text: std::sync::Arc<str> = match overlay.get(&config) {
        Some(doc) => doc.text.clone(),
        None => std::fs::read_to_string(&config).ok()?.into(),
    };
    let edit = config_edit::turn_off(Some(&text), rule)?;
    let index = cedarcheck_analyzer::LineIndex::new(&text);
    let edit = to_edit(
        &text,
        &index,
        Edit {
            span: edit.span,
            text: edit.text,
        },
    );
    Some(action(WorkspaceEdit {
        changes: Some(HashMap::from([(config_uri, vec![edit])])),
        ..WorkspaceEdit::default()
    }))
}

fn action(
    title: String,
    diagnostic: &Diagnostic,
    uri: &Uri,
    edits: Vec<TextEdit>,
) -> CodeActionOrCommand {
    CodeActionOrCommand::CodeAction(quick_fix(title, diagnostic, uri, edits))
}

fn quick_fix(
    title: String,
    diagnostic: &Diagnostic,
    uri: &Uri,
    edits: Vec<TextEdit>,
) -> CodeAction {
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(HashMap::from([(uri.clone(), edits)])),
            ..WorkspaceEdit::default()
        }),
        ..CodeAction::default()
    }
}

/// A byte range of a text and what replaces it.
struct Edit {
    span: Span,
    text: String,
}

fn to_edit(text: &str, index: &cedarcheck_analyzer::LineIndex, edit: Edit) -> TextEdit {
    TextEdit {
        range: to_proto::range(text, index, edit.span),
        new_text: edit.text,
    }
}

/// `line` on its own line before the policy, indented like it.
fn insertion(text: &str, at: usize, line: &str) -> Edit {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..at]
        .chars()
        .take_while(|c| c.is_whitespace())
        .collect();
    Edit {
        span: Span::empty_at(at),
        text: format!("{line}\n{indent}"),
    }
}

/// Adds `rule` to the policy's `@cedarcheck_ignore("…")`, or adds the annotation.
fn ignore_edit(text: &str, policy: &PolicyItem, rule: &str) -> Edit {
    let policy_text = &text[policy.span.start..policy.span.end];
    let existing = regex::Regex::new(&format!(r#"@{IGNORE_ANNOTATION}\s*\(\s*"([^"]*)""#))
        .ok()
        .and_then(|re| re.captures(policy_text))
        .and_then(|c| c.get(1));
    match existing {
        Some(value) => {
            let end = policy.span.start + value.end();
            let separator = if value.as_str().trim().is_empty() {
                ""
            } else {
                ", "
            };
            Edit {
                span: Span::empty_at(end),
                text: format!("{separator}{rule}"),
            }
        }
        None => insertion(
            text,
            policy.span.start,
            &format!("@{IGNORE_ANNOTATION}(\"{rule}\")"),
        ),
    }
}

/// `<file stem>-<effect>-<n>`, unused by the other policies of the file.
fn suggested_id(uri: &Uri, policy: &PolicyItem, policies: &[PolicyItem]) -> String {
    let stem = uri
        .path()
        .as_str()
        .rsplit('/')
        .next()
        .and_then(|name| name.strip_suffix(".cedar"))
        .filter(|s| !s.is_empty())
        .unwrap_or("policy")
        .to_string();
    let position = policies
        .iter()
        .position(|p| p.span == policy.span)
        .unwrap_or(0);
    (position..)
        .map(|n| format!("{stem}-{}-{n}", policy.effect))
        .find(|id| !policies.iter().any(|p| &p.id == id))
        .unwrap_or(stem)
}

/// Appends the counterexample to the first test file of the document's set that is a
/// `run-tests` array or a native `{"tests": […]}` file.
fn add_test_case(
    state: &State,
    uri: &Uri,
    diagnostic: &Diagnostic,
    case: &serde_json::Value,
) -> Option<CodeActionOrCommand> {
    let path = from_proto::file_path(uri)?;
    let membership = state.cache.membership(&path, &state.folders()).ok()?;
    let root = &membership.workspace.root;
    let overlay = state.overlay();
    for (_, set) in &membership.sets {
        for test in &set.tests {
            let Ok(file) = analysis::read(root, test, &overlay) else {
                continue;
            };
            let Some((edit, entry)) = appended_test(&file.text, case) else {
                continue;
            };
            let index = cedarcheck_analyzer::LineIndex::new(&file.text);
            let edit = to_edit(
                &file.text,
                &index,
                Edit {
                    span: edit.span,
                    text: entry,
                },
            );
            let test_uri = to_proto::uri_of(&overlay, &root.join(test))?;
            return Some(action(
                format!("Create a test from this request in {test}"),
                diagnostic,
                &test_uri,
                vec![edit],
            ));
        }
    }
    None
}

/// The edit that appends `case` (renamed if its name is taken) to the test file `file`: where,
/// and the text inserted there.
fn appended_test(file: &str, case: &serde_json::Value) -> Option<(Edit, String)> {
    let (edit, indent) = append_to_tests(file)?;
    let entry = serde_json::to_string_pretty(&unique_name(case, file)).ok()?;
    let entry = entry.replace('\n', &format!("\n{indent}"));
    let text = edit.text.replace("{entry}", &format!("{indent}{entry}"));
    Some((edit, text))
}

/// The test case with a name no test of `file` has: `name`, else `name (2)`, `name (3)`….
fn unique_name(case: &serde_json::Value, file: &str) -> serde_json::Value {
    let value: serde_json::Value = serde_json::from_str(file).unwrap_or_default();
    let tests = value
        .as_array()
        .or_else(|| value["tests"].as_array())
        .cloned()
        .unwrap_or_default();
    let taken = |name: &str| tests.iter().any(|t| t["name"] == name);
    let Some(name) = case["name"].as_str() else {
        return case.clone();
    };
    let unique = std::iter::once(name.to_string())
        .chain((2..).map(|n| format!("{name} ({n})")))
        .find(|candidate| !taken(candidate))
        .unwrap_or_else(|| name.to_string());
    let mut case = case.clone();
    case["name"] = unique.into();
    case
}

/// Where a test entry goes in a test file: an edit whose text holds `{entry}`, and the
/// indentation of entries.
fn append_to_tests(text: &str) -> Option<(Edit, &'static str)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let (open, indent) = match &value {
        serde_json::Value::Array(_) => (text.find('[')?, "  "),
        serde_json::Value::Object(map) if map.get("tests").is_some_and(|t| t.is_array()) => {
            let key = text.find("\"tests\"")?;
            (key + text[key..].find('[')?, "    ")
        }
        _ => return None,
    };
    let close = crate::scan::matching_bracket(text, open)?;
    let inside = &text[open + 1..close];
    let closing_indent = &indent[2..];
    Some(if inside.trim().is_empty() {
        (
            Edit {
                span: Span::new(open + 1, close),
                text: format!("\n{{entry}}\n{closing_indent}"),
            },
            indent,
        )
    } else {
        let last = open + 1 + inside.trim_end().len();
        (
            Edit {
                span: Span::empty_at(last),
                text: ",\n{entry}".to_string(),
            },
            indent,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edit: &Edit, entry: &str) -> String {
        let mut out = text.to_string();
        out.replace_range(
            edit.span.start..edit.span.end,
            &edit.text.replace("{entry}", entry),
        );
        out
    }

    #[test]
    fn test_cases_are_appended_inside_the_tests_array() {
        let (edit, indent) = append_to_tests("[\n  {\"name\": \"a\"}\n]\n").unwrap();
        assert_eq!(indent, "  ");
        let out = apply("[\n  {\"name\": \"a\"}\n]\n", &edit, "  {}");
        assert_eq!(out, "[\n  {\"name\": \"a\"},\n  {}\n]\n");
        serde_json::from_str::<serde_json::Value>(&out).unwrap();

        let native = "{\"entities\": [], \"tests\": []}";
        let (edit, indent) = append_to_tests(native).unwrap();
        let out = apply(native, &edit, &format!("{indent}{{\"name\": \"]\"}}"));
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["tests"][0]["name"], "]");
        assert!(append_to_tests("{\"policies\": \"x\"}").is_none());
    }
}
