//! Reading decision logs (docs/decision-logs.md): files, globs and `-` for standard input,
//! gzipped or not, streamed one line at a time. A CloudTrail file is one JSON document and is
//! read whole (CloudTrail writes one file every few minutes).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use cedarcheck_decision_log::{cloudtrail, sniff, Format, LineError, Problem, Record};

/// Where a log comes from.
#[derive(Clone, Debug)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

/// What a log argument names: itself, or for a glob the files it matches, sorted.
pub fn expand(args: &[String]) -> Result<Vec<Source>, String> {
    let mut sources = Vec::new();
    for arg in args {
        if arg == "-" {
            sources.push(Source::Stdin);
        } else if arg.contains(['*', '?', '[', '{']) && !Path::new(arg).exists() {
            let matched = glob(arg)?;
            if matched.is_empty() {
                return Err(format!("{arg}: no file matches"));
            }
            sources.extend(matched.into_iter().map(Source::File));
        } else {
            let path = PathBuf::from(arg);
            if !path.is_file() {
                return Err(format!("{arg}: no such file"));
            }
            sources.push(Source::File(path));
        }
    }
    Ok(sources)
}

/// The files `pattern` matches, walking from its longest directory prefix without a glob.
fn glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let matcher = globset::GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("{pattern}: {e}"))?
        .compile_matcher();
    let mut base = PathBuf::new();
    for component in Path::new(pattern).components() {
        let text = component.as_os_str().to_string_lossy();
        if text.contains(['*', '?', '[', '{']) {
            break;
        }
        base.push(component);
    }
    let root = if base.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        base.clone()
    };
    let mut found: Vec<PathBuf> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let path = e.into_path();
            // `./x` walked from "." is matched as `x`, as the pattern writes it.
            match (base.as_os_str().is_empty(), path.strip_prefix(".")) {
                (true, Ok(stripped)) => stripped.to_path_buf(),
                _ => path,
            }
        })
        .filter(|path| matcher.is_match(path))
        .collect();
    found.sort();
    Ok(found)
}

impl Source {
    /// The name positions are shown with.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".into(),
            Source::File(path) => path.to_string_lossy().replace('\\', "/"),
        }
    }

    /// The decompressed bytes: gzip is told by its magic number, not the file name.
    fn open(&self) -> Result<Box<dyn BufRead + Send>, String> {
        let raw: Box<dyn Read + Send> = match self {
            Source::Stdin => Box::new(std::io::stdin()),
            Source::File(path) => {
                Box::new(std::fs::File::open(path).map_err(|e| format!("{}: {e}", self.name()))?)
            }
        };
        let mut reader = BufReader::with_capacity(1 << 16, raw);
        let gzipped = reader
            .fill_buf()
            .map_err(|e| format!("{}: {e}", self.name()))?
            .starts_with(&[0x1f, 0x8b]);
        Ok(if gzipped {
            Box::new(BufReader::with_capacity(
                1 << 16,
                flate2::read::MultiGzDecoder::new(reader),
            ))
        } else {
            Box::new(reader)
        })
    }
}

/// One logged decision to replay, at `file` (an index into the sources) and `line`.
pub struct Item {
    pub file: usize,
    pub line: usize,
    pub body: Body,
}

pub enum Body {
    /// A native line, still to be parsed (by the worker threads).
    Line(String),
    /// A CloudTrail decision, already mapped; or any line that cannot be read.
    Mapped(Box<Result<Record, LineError>>),
}

/// The decisions of every source, in order, a bounded number in memory at a time.
pub struct Reader {
    sources: Vec<Source>,
    next_source: usize,
    current: Option<Current>,
}

enum Current {
    Native {
        file: usize,
        reader: Box<dyn BufRead + Send>,
        line: usize,
        buffer: Vec<u8>,
    },
    Queued(VecDeque<Item>),
}

impl Reader {
    pub fn new(sources: Vec<Source>) -> Self {
        Self {
            sources,
            next_source: 0,
            current: None,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.sources.iter().map(Source::name).collect()
    }

    /// The next decision, `Ok(None)` at the end, `Err` when a file cannot be read.
    pub fn next_item(&mut self) -> Result<Option<Item>, String> {
        loop {
            match &mut self.current {
                None => {
                    let Some(source) = self.sources.get(self.next_source) else {
                        return Ok(None);
                    };
                    let file = self.next_source;
                    self.next_source += 1;
                    self.current = Some(open(source, file)?);
                }
                Some(Current::Queued(queue)) => match queue.pop_front() {
                    Some(item) => return Ok(Some(item)),
                    None => self.current = None,
                },
                Some(Current::Native {
                    file,
                    reader,
                    line,
                    buffer,
                }) => {
                    buffer.clear();
                    let read = reader
                        .read_until(b'\n', buffer)
                        .map_err(|e| format!("{}: {e}", self.sources[*file].name()))?;
                    if read == 0 {
                        self.current = None;
                        continue;
                    }
                    *line += 1;
                    while matches!(buffer.last(), Some(b'\n' | b'\r')) {
                        buffer.pop();
                    }
                    if buffer.iter().all(u8::is_ascii_whitespace) {
                        // Blank lines are not decisions.
                        continue;
                    }
                    let body = match std::str::from_utf8(buffer) {
                        Ok(text) => Body::Line(text.to_string()),
                        Err(e) => Body::Mapped(Box::new(Err(LineError {
                            problem: Problem::InvalidJson,
                            column: Some(e.valid_up_to() + 1),
                            message: "invalid JSON: not UTF-8".into(),
                        }))),
                    };
                    return Ok(Some(Item {
                        file: *file,
                        line: *line,
                        body,
                    }));
                }
            }
        }
    }
}

fn open(source: &Source, file: usize) -> Result<Current, String> {
    let mut reader = source.open()?;
    let head = reader
        .fill_buf()
        .map_err(|e| format!("{}: {e}", source.name()))?;
    match sniff(head) {
        Format::Native => Ok(Current::Native {
            file,
            reader,
            line: 0,
            buffer: Vec::new(),
        }),
        Format::CloudTrail => {
            let mut text = String::new();
            reader
                .read_to_string(&mut text)
                .map_err(|e| format!("{}: {e}", source.name()))?;
            let lines = cedarcheck_analyzer::LineIndex::new(&text);
            let line_of = |offset: usize| lines.position(&text, offset).line;
            let items = match cloudtrail::parse_file(&text) {
                Ok(entries) => entries
                    .into_iter()
                    .map(|entry| Item {
                        file,
                        line: line_of(entry.offset),
                        body: Body::Mapped(Box::new(entry.record)),
                    })
                    .collect(),
                Err((offset, mut error)) => {
                    let at = lines.position(&text, offset);
                    error.column = Some(at.column);
                    VecDeque::from([Item {
                        file,
                        line: at.line,
                        body: Body::Mapped(Box::new(Err(error))),
                    }])
                }
            };
            Ok(Current::Queued(items))
        }
    }
}
