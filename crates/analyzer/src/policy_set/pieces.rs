//! Parsing large policy files in pieces on several threads, with the result of one parse of
//! each whole file.
//!
//! A piece is a run of whole statements (see [`split_statements`]) that starts at the start of
//! a line. It is parsed as the file's text up to the piece's end with every byte before the
//! piece but line breaks turned into a space: Cedar then skips the blank prefix, and the
//! source locations of the piece's policies are file offsets, on the file's lines and columns,
//! as a parse of the whole file gives them. A file whose pieces do not each parse into one
//! policy per statement (a syntax error, or text the statement scanner reads otherwise than
//! Cedar) is parsed whole, for Cedar's own errors.

use std::str::FromStr;

use cedar_policy::{PolicyId, PolicySet};

use super::{json, parse_file, Item};
use crate::policy_syntax::split_statements;
use crate::{Finding, SourceFile, Span};

/// The least text worth a piece of its own.
const MIN_PIECE: usize = 32 << 10;
/// The most pieces of one file: each holds a blanked copy of the text before it.
const MAX_PIECES: usize = 16;

/// What [`parse_file`] gives for one file: its items with Cedar's ids, or `None`, and its
/// findings.
pub(super) type FileParse = (Option<Vec<(PolicyId, Item)>>, Vec<Finding>);

/// Each file's policies and templates in file order with Cedar's ids (`policyN`), or `None`
/// with its `parse-error` findings, as [`parse_file`] gives them; the files parsed on up to
/// `threads` threads.
pub(super) fn parse_files(files: &[&SourceFile], threads: usize) -> Vec<FileParse> {
    let total: usize = files.iter().map(|file| file.text.len()).sum();
    let target = (total / (threads.max(1) * 2)).max(MIN_PIECE);
    let mut units = Vec::new();
    for (file_pos, file) in files.iter().enumerate() {
        let pieces = if threads > 1 && file.text.len() >= 2 * MIN_PIECE {
            pieces(file, target)
        } else {
            None
        };
        match pieces {
            Some(pieces) => units.extend(pieces.into_iter().map(|p| Unit::Piece(file_pos, p))),
            None => units.push(Unit::Whole(file_pos)),
        }
    }
    let parsed = crate::parallel::map(threads, &units, |unit| match unit {
        Unit::Whole(file_pos) => {
            let mut findings = Vec::new();
            Parsed::Whole(parse_file(files[*file_pos], &mut findings), findings)
        }
        Unit::Piece(file_pos, piece) => Parsed::Piece(piece.parse(&files[*file_pos].text)),
    });
    let mut by_file: Vec<Vec<Parsed>> = files.iter().map(|_| Vec::new()).collect();
    for (unit, parsed) in units.iter().zip(parsed) {
        let (Unit::Whole(file_pos) | Unit::Piece(file_pos, _)) = unit;
        by_file[*file_pos].push(parsed);
    }
    files
        .iter()
        .zip(by_file)
        .map(|(file, parsed)| {
            let mut items = Vec::new();
            for part in parsed {
                match part {
                    Parsed::Whole(items, findings) => return (items, findings),
                    Parsed::Piece(Some(piece)) => items.extend(piece),
                    Parsed::Piece(None) => {
                        let mut findings = Vec::new();
                        return (parse_file(file, &mut findings), findings);
                    }
                }
            }
            let items = items
                .into_iter()
                .enumerate()
                .map(|(position, item)| (PolicyId::new(format!("policy{position}")), item))
                .collect();
            (Some(items), Vec::new())
        })
        .collect()
}

enum Unit {
    Whole(usize),
    Piece(usize, Piece),
}

enum Parsed {
    Whole(Option<Vec<(PolicyId, Item)>>, Vec<Finding>),
    Piece(Option<Vec<Item>>),
}

/// A run of statements of a file: where it starts and ends, and the statements in it.
struct Piece {
    span: Span,
    statements: Vec<Span>,
}

impl Piece {
    /// Its policies and templates in order, each ending at its statement's `;`, or `None`.
    fn parse(&self, text: &str) -> Option<Vec<Item>> {
        let mut padded = String::with_capacity(self.span.end);
        padded.extend(text.get(..self.span.start)?.bytes().map(|b| match b {
            b'\n' | b'\r' => char::from(b),
            _ => ' ',
        }));
        padded.push_str(text.get(self.span.start..self.span.end)?);
        let parsed = PolicySet::from_str(&padded).ok()?;
        let mut items: Vec<Item> = parsed
            .policies()
            .map(|p| Item::Static(p.clone()))
            .chain(parsed.templates().map(|t| Item::Template(t.clone())))
            .collect();
        items.sort_by_key(|item| item.span().start);
        let whole = items.len() == self.statements.len()
            && items.iter().zip(&self.statements).all(|(item, statement)| {
                let span = item.span();
                span.start >= statement.start && span.end == statement.end
            });
        whole.then_some(items)
    }
}

/// `file` cut into pieces of about `target` bytes, or `None` when it is not Cedar text that
/// splits into more than one.
fn pieces(file: &SourceFile, target: usize) -> Option<Vec<Piece>> {
    if json::is_json_policy_file(&file.path) {
        return None;
    }
    let text = &file.text;
    let bytes = text.as_bytes();
    let (statements, _) = split_statements(text)?;
    let target = target.max(text.len() / MAX_PIECES + 1);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut run = Vec::new();
    for statement in statements {
        run.push(statement);
        if statement.end - start < target {
            continue;
        }
        // Cut at the next line start when only blanks follow the `;` on its line.
        let mut cut = statement.end;
        while matches!(bytes.get(cut), Some(b' ' | b'\t' | b'\r')) {
            cut += 1;
        }
        if bytes.get(cut) != Some(&b'\n') || cut + 1 >= text.len() {
            continue;
        }
        pieces.push(Piece {
            span: Span::new(start, cut + 1),
            statements: std::mem::take(&mut run),
        });
        start = cut + 1;
    }
    pieces.push(Piece {
        span: Span::new(start, text.len()),
        statements: run,
    });
    (pieces.len() > 1).then_some(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces give the policies, ids and source locations of one parse of the whole file.
    #[test]
    fn pieces_parse_as_the_whole_file() {
        let mut text = String::from("// héllo; \"\n");
        for i in 0..3000 {
            text.push_str(&format!(
                "@id(\"p{i}\") permit (principal, action, resource) when {{ context.s == \"a;b\" }}; // ;\r\n\
                 forbid (principal == ?principal, action, resource);\n"
            ));
        }
        let file = SourceFile::new("p.cedar", text.as_str());
        let mut findings = Vec::new();
        let whole = parse_file(&file, &mut findings).unwrap();
        let pieces = pieces(&file, MIN_PIECE).unwrap();
        assert!(pieces.len() > 4, "{}", pieces.len());
        for threads in [1, 2, 4] {
            let files = [&file];
            let (items, findings) = parse_files(&files, threads).pop().unwrap();
            assert!(findings.is_empty());
            let items = items.unwrap();
            assert_eq!(items.len(), whole.len());
            for ((id, item), (whole_id, whole_item)) in items.iter().zip(&whole) {
                assert_eq!(id, whole_id);
                assert_eq!(item.span(), whole_item.span());
                assert_eq!(
                    item.template().to_string(),
                    whole_item.template().to_string()
                );
            }
        }
    }

    /// A syntax error in one piece gives Cedar's errors for the whole file.
    #[test]
    fn a_file_that_does_not_parse_is_parsed_whole() {
        let mut text = String::new();
        for i in 0..3000 {
            text.push_str(&format!(
                "@id(\"p{i}\") permit (principal, action, resource);\n"
            ));
        }
        text.push_str("permit (principal, action, resource) when { ;\n");
        let file = SourceFile::new("p.cedar", text.as_str());
        let mut expected = Vec::new();
        assert!(parse_file(&file, &mut expected).is_none());
        let (items, findings) = parse_files(&[&file], 4).pop().unwrap();
        assert!(items.is_none());
        assert_eq!(findings, expected);
    }
}
