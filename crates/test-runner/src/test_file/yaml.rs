//! YAML test files: the shapes of the JSON ones, written in YAML (README "Tests"). The YAML
//! is read as JSON values and parsed by the JSON code; what that code locates in the JSON it
//! was given is located again in the YAML the user wrote: each test at its `-` item, an error
//! inside a test at the key or value it names when the test mentions it, else at the test.

use cedarcheck_analyzer::LineIndex;
use serde_json::Value;

use super::{parse_json, Parsed};
use crate::located::Located;

pub(super) fn parse(file: &str, text: &str) -> Parsed {
    let value: Value = match serde_norway::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            let offset = error.location().map_or(0, |location| {
                LineIndex::new(text).offset(text, location.line(), location.column())
            });
            let message = error.to_string();
            let message = message
                .split_once(" at line ")
                .map_or(message.as_str(), |(head, _)| head);
            return Parsed::Error(Located::at(
                file,
                text,
                offset.min(text.len()),
                format!("invalid YAML: {message}"),
            ));
        }
    };
    if !(value.is_object() || value.is_array()) {
        return Parsed::NotATest("YAML that is neither a mapping nor a sequence");
    }
    let json = match serde_json::to_string_pretty(&value) {
        Ok(json) => json,
        Err(error) => {
            return Parsed::Error(Located::at(file, text, 0, format!("invalid YAML: {error}")))
        }
    };
    match parse_json(file, &json) {
        Parsed::NotATest(what) => Parsed::NotATest(what),
        Parsed::Error(error) => Parsed::Error(relocate(file, text, &error.message, 0, text.len())),
        Parsed::Tests(mut tests) => {
            let starts = item_starts(text, tests.shape == super::Shape::RunTests);
            let starts = if starts.len() == tests.tests.len() {
                starts
            } else {
                vec![0; tests.tests.len()]
            };
            for (i, case) in tests.tests.iter_mut().enumerate() {
                let start = starts[i];
                let end = starts
                    .get(i + 1)
                    .copied()
                    .filter(|&e| e > start)
                    .unwrap_or(text.len());
                case.offset = start;
                if let Err(error) = &case.spec {
                    case.spec = Err(relocate(file, text, &error.message, start, end));
                }
            }
            Parsed::Tests(tests)
        }
    }
}

/// A message about the JSON rendering, located in the YAML between `start` and `end`: at the
/// first name it quotes in backticks (`unknown field `reasons``) that the YAML mentions there.
fn relocate(file: &str, text: &str, message: &str, start: usize, end: usize) -> Located {
    let region = &text[start..end];
    let at = message
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty())
        .find_map(|name| region.find(name))
        .map_or(start, |i| start + i);
    Located::at(file, text, at, message)
}

/// Where each test begins: the `-` of the items of the top-level `tests:` sequence (native
/// files), or of the top-level sequence itself (`run-tests` files). Flow style (`[…]`) has
/// none; the caller then places every test at the start of the file.
fn item_starts(text: &str, top_level: bool) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    let mut inside = top_level;
    let mut indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        let content = line.trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let depth = content.len() - trimmed.len();
        if !inside {
            let key = trimmed.split(" #").next().unwrap_or(trimmed).trim_end();
            if depth == 0 && key == "tests:" {
                inside = true;
            }
            continue;
        }
        let is_item = trimmed == "-" || trimmed.starts_with("- ");
        match indent {
            None if is_item => {
                indent = Some(depth);
                starts.push(here + depth);
            }
            None => break,
            Some(level) if depth == level && is_item => starts.push(here + depth),
            Some(level) if depth <= level => {
                if top_level {
                    continue;
                }
                break;
            }
            Some(_) => {}
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_tests_start_at_their_items() {
        let text = "entities: e.entities.json\ntests:\n  - name: a\n    decision: allow\n    request:\n      principal: U::\"a\"\n  # a comment\n  - name: b\n    decision: deny\nvalidate_request: true\n";
        let starts = item_starts(text, false);
        assert_eq!(
            starts,
            [
                text.find("- name: a").unwrap(),
                text.find("- name: b").unwrap()
            ]
        );
        let commented = "tests: # the reads\n- name: a\n- name: b\n";
        assert_eq!(item_starts(commented, false).len(), 2);
        let text = "- name: a\n  decision: allow\n- name: b\n";
        assert_eq!(
            item_starts(text, true),
            [0, text.find("- name: b").unwrap()]
        );
    }

    #[test]
    fn yaml_errors_are_located_in_the_yaml() {
        let text = "tests:\n  - name: a\n    request: {principal: 'U::\"a\"', action: 'A::\"r\"', resource: 'D::\"d\"'}\n    decision: allow\n  - name: typo\n    request: {principal: 'U::\"a\"', action: 'A::\"r\"', resource: 'D::\"d\"'}\n    decision: deny\n    reasons: [p]\n";
        let Parsed::Tests(file) = parse("t.yaml", text) else {
            panic!("not tests")
        };
        assert!(file.tests[0].spec.is_ok());
        assert_eq!(file.tests[1].name, "typo");
        let error = file.tests[1].spec.as_ref().unwrap_err();
        assert_eq!(
            (error.line, error.column),
            (8, 5),
            "{error}: at the key it names"
        );
        assert!(error.message.contains("unknown field `reasons`"), "{error}");
        match parse("t.yaml", "tests:\n  - name: [\n") {
            Parsed::Error(error) => {
                assert_eq!(error.file, "t.yaml");
                assert_eq!(error.line, 3, "{error}");
                assert!(error.message.starts_with("invalid YAML: "), "{error}");
            }
            other => panic!("{other:?}"),
        }
    }
}
