//! Where is `depots[2].place` in the file? A small index from value paths to
//! line/column, built by a tolerant walk over RON text.
//!
//! serde tells us *what* is wrong with a value but not *where* it sits once
//! deserialization succeeded; validation (unknown place names, times outside
//! the run, ...) works on the typed [`Scenario`](super::Scenario). This module
//! closes the gap: [`SourceIndex::build`] walks the RON source once and records
//! the span of every value under a path such as `injects[3].action.0.radius_m`
//! (struct fields `.name`, list items `[i]`, map entries `[key]`, tuple and
//! enum-variant items `.i`; `Some(x)` is transparent). It never fails: on text it
//! cannot follow it simply records less, and lookups fall back to the nearest
//! recorded ancestor.

use std::collections::BTreeMap;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1.
    pub col: usize,
}

/// Byte span of a value plus its starting line/column.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    at: LineCol,
}

/// Path → span index of one RON document.
#[derive(Debug, Default)]
pub struct SourceIndex {
    spans: BTreeMap<String, Span>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open(char),
    Close(char),
    Colon,
    Comma,
    Ident(String),
    /// A scalar literal (string, number, char); strings are unquoted.
    Lit(String),
}

struct Token {
    tok: Tok,
    start: usize,
    end: usize,
}

impl SourceIndex {
    /// Index `src`. Never fails; unparseable tails are skipped.
    pub fn build(src: &str) -> SourceIndex {
        let mut line_starts = vec![0];
        line_starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        let tokens = tokenize(src);
        let mut index = SourceIndex {
            spans: BTreeMap::new(),
            line_starts,
        };
        let mut walker = Walker {
            toks: &tokens,
            pos: 0,
            out: BTreeMap::new(),
        };
        walker.value(String::new(), 0);
        let spans = std::mem::take(&mut walker.out);
        index.spans = spans
            .into_iter()
            .map(|(path, (start, end))| {
                let at = index.line_col(src, start);
                (path, Span { start, end, at })
            })
            .collect();
        index
    }

    /// Line/column of byte offset `offset` in `src`.
    pub fn line_col(&self, src: &str, offset: usize) -> LineCol {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0);
        let end = offset.min(src.len());
        let col = src.get(start..end).map_or(1, |s| s.chars().count() + 1);
        LineCol { line: line + 1, col }
    }

    /// Position of the value at `path`, or of its nearest recorded ancestor.
    pub fn locate(&self, path: &str) -> Option<LineCol> {
        let mut p = path.to_string();
        loop {
            if let Some(span) = self.spans.get(&p) {
                return Some(span.at);
            }
            if p.is_empty() {
                return None;
            }
            p = parent_path(&p);
        }
    }

    /// The deepest path whose value contains byte offset `offset`.
    pub fn path_at(&self, offset: usize) -> Option<&str> {
        self.spans
            .iter()
            .filter(|(_, s)| s.start <= offset && offset < s.end.max(s.start + 1))
            .max_by_key(|(p, s)| (p.len(), std::cmp::Reverse(s.end - s.start)))
            .map(|(p, _)| p.as_str())
            .filter(|p| !p.is_empty())
    }

    /// Byte offset of a 1-based line/column.
    pub fn offset_of(&self, src: &str, at: LineCol) -> usize {
        let start = self
            .line_starts
            .get(at.line.saturating_sub(1))
            .copied()
            .unwrap_or(src.len());
        let rest = src.get(start..).unwrap_or("");
        start
            + rest
                .char_indices()
                .nth(at.col.saturating_sub(1))
                .map_or(rest.len(), |(i, _)| i)
    }
}

/// `a.b[2].c` → `a.b[2]`; `a[2]` → `a`; `a` → ``.
fn parent_path(p: &str) -> String {
    match p.rfind(['.', '[']) {
        Some(i) => p[..i].to_string(),
        None => String::new(),
    }
}

struct Walker<'a> {
    toks: &'a [Token],
    pos: usize,
    out: BTreeMap<String, (usize, usize)>,
}

const MAX_DEPTH: usize = 64;

impl Walker<'_> {
    fn peek(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k).map(|t| &t.tok)
    }

    fn last_end(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(0, |t| t.end)
    }

    /// Parse one value at the cursor and record it under `path`.
    fn value(&mut self, path: String, depth: usize) {
        let Some(first) = self.toks.get(self.pos) else {
            return;
        };
        let start = first.start;
        if depth > MAX_DEPTH {
            self.pos = self.toks.len();
            return;
        }
        match first.tok.clone() {
            Tok::Ident(name) => {
                self.pos += 1;
                if self.peek(0) == Some(&Tok::Open('(')) {
                    self.pos += 1;
                    if name == "Some" {
                        // `Some(x)` is transparent: x lives at the option's own path,
                        // but the option's span (from `Some`) wins.
                        self.value(path.clone(), depth + 1);
                        self.skip_to_close();
                        let end = self.last_end();
                        self.out.insert(path, (start, end));
                        return;
                    }
                    self.paren_body(&path, depth);
                }
            }
            Tok::Open('(') => {
                self.pos += 1;
                self.paren_body(&path, depth);
            }
            Tok::Open('[') => {
                self.pos += 1;
                let mut i = 0;
                while let Some(t) = self.peek(0) {
                    match t {
                        Tok::Close(_) => {
                            self.pos += 1;
                            break;
                        }
                        Tok::Comma => self.pos += 1,
                        _ => {
                            let before = self.pos;
                            self.value(format!("{path}[{i}]"), depth + 1);
                            i += 1;
                            if self.pos == before {
                                self.pos += 1;
                            }
                        }
                    }
                }
            }
            Tok::Open('{') => {
                self.pos += 1;
                while let Some(t) = self.peek(0).cloned() {
                    match t {
                        Tok::Close(_) => {
                            self.pos += 1;
                            break;
                        }
                        Tok::Comma => self.pos += 1,
                        Tok::Lit(key) | Tok::Ident(key) if self.peek(1) == Some(&Tok::Colon) => {
                            self.pos += 2;
                            self.value(format!("{path}[{key}]"), depth + 1);
                        }
                        _ => self.pos += 1,
                    }
                }
            }
            Tok::Open(_) | Tok::Lit(_) => self.pos += 1,
            Tok::Close(_) | Tok::Colon | Tok::Comma => {
                self.pos += 1;
                return;
            }
        }
        let end = self.last_end();
        self.out.entry(path).or_insert((start, end));
    }

    /// After an opening `(`: struct fields (`name: value`) or tuple items.
    fn paren_body(&mut self, path: &str, depth: usize) {
        let mut i = 0;
        while let Some(t) = self.peek(0).cloned() {
            match t {
                Tok::Close(_) => {
                    self.pos += 1;
                    return;
                }
                Tok::Comma => self.pos += 1,
                Tok::Ident(field) if self.peek(1) == Some(&Tok::Colon) => {
                    self.pos += 2;
                    let child = if path.is_empty() {
                        field
                    } else {
                        format!("{path}.{field}")
                    };
                    self.value(child, depth + 1);
                }
                _ => {
                    let before = self.pos;
                    self.value(format!("{path}.{i}"), depth + 1);
                    i += 1;
                    if self.pos == before {
                        self.pos += 1;
                    }
                }
            }
        }
    }

    /// Skip to just after the `)` closing the current parenthesis.
    fn skip_to_close(&mut self) {
        let mut level = 0usize;
        while let Some(t) = self.peek(0).cloned() {
            self.pos += 1;
            match t {
                Tok::Open(_) => level += 1,
                Tok::Close(_) if level == 0 => return,
                Tok::Close(_) => level -= 1,
                _ => {}
            }
        }
    }
}

/// Split RON text into tokens, skipping whitespace, comments and `#![...]`
/// attributes. Unknown characters become one-character literals.
fn tokenize(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut level = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        level += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        level -= 1;
                        i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'#' if b.get(i + 1) == Some(&b'!') => {
                let mut level = 0usize;
                i += 2;
                while i < b.len() {
                    match b[i] {
                        b'[' => level += 1,
                        b']' => {
                            level = level.saturating_sub(1);
                            if level == 0 {
                                i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                i += 1;
                Tok::Open(c as char)
            }
            b')' | b']' | b'}' => {
                i += 1;
                Tok::Close(c as char)
            }
            b':' => {
                i += 1;
                Tok::Colon
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'"' => {
                i += 1;
                let mut s = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if let Some(raw) = src.get(start + 1..i.min(b.len())) {
                    s.push_str(raw);
                }
                i += 1;
                Tok::Lit(s)
            }
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#')) && raw_string_follows(b, i + 1) => {
                let mut hashes = 0;
                i += 1;
                while b.get(i) == Some(&b'#') {
                    hashes += 1;
                    i += 1;
                }
                i += 1; // opening quote
                let body = i;
                loop {
                    if i >= b.len() {
                        break;
                    }
                    if b[i] == b'"' && b[i + 1..].iter().take(hashes).filter(|&&h| h == b'#').count() == hashes {
                        break;
                    }
                    i += 1;
                }
                let s = src.get(body..i.min(b.len())).unwrap_or("").to_string();
                i = (i + 1 + hashes).min(b.len());
                Tok::Lit(s)
            }
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                Tok::Lit(src.get(start..i.min(b.len())).unwrap_or("").to_string())
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'#') {
                    i += 1;
                }
                let word = src.get(start..i).unwrap_or("").trim_start_matches("r#");
                Tok::Ident(word.to_string())
            }
            c if c.is_ascii_digit() || c == b'-' || c == b'+' || c == b'.' => {
                i += 1;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'_' | b'+' | b'-')) {
                    i += 1;
                }
                Tok::Lit(src.get(start..i).unwrap_or("").to_string())
            }
            _ => {
                // A stray byte: advance one whole UTF-8 character.
                i += 1;
                while i < b.len() && (b[i] & 0xC0) == 0x80 {
                    i += 1;
                }
                Tok::Lit(src.get(start..i).unwrap_or("").to_string())
            }
        };
        out.push(Token {
            tok,
            start,
            end: i.min(b.len()),
        });
    }
    out
}

fn raw_string_follows(b: &[u8], mut i: usize) -> bool {
    while b.get(i) == Some(&b'#') {
        i += 1;
    }
    b.get(i) == Some(&b'"')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"// a comment
Scenario(
    name: "x",
    depots: [
        (id: "a", stock: (initial: 10)),
        (id: "b", place: Some("北仓")),
    ],
    injects: [(at: "2h", action: CloseRoads(Near(at: "p", radius_m: 5.0)))],
    m: {"k": 3},
)
"#;

    #[test]
    fn finds_nested_fields_and_list_items() {
        let idx = SourceIndex::build(SRC);
        assert_eq!(idx.locate("name"), Some(LineCol { line: 3, col: 11 }));
        assert_eq!(idx.locate("depots[1]"), Some(LineCol { line: 6, col: 9 }));
        assert_eq!(idx.locate("depots[1].place"), Some(LineCol { line: 6, col: 26 }));
        assert_eq!(
            idx.locate("depots[0].stock.initial"),
            Some(LineCol { line: 5, col: 36 })
        );
        assert_eq!(
            idx.locate("injects[0].action.0.radius_m"),
            Some(LineCol { line: 8, col: 69 })
        );
        assert_eq!(idx.locate("m[k]"), Some(LineCol { line: 9, col: 14 }));
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let idx = SourceIndex::build(SRC);
        assert_eq!(idx.locate("depots[0].nope"), idx.locate("depots[0]"));
    }

    #[test]
    fn offset_maps_back_to_the_deepest_path() {
        let idx = SourceIndex::build(SRC);
        let off = idx.offset_of(SRC, LineCol { line: 6, col: 30 });
        assert_eq!(idx.path_at(off), Some("depots[1].place"));
    }

    #[test]
    fn garbage_never_panics() {
        for src in ["(", ")", "[[[", "r#\"", "\"", "/*", "(a: (b: [1, 2", "{:::}", "臨(清"] {
            let idx = SourceIndex::build(src);
            let _ = idx.locate("a.b");
            let _ = idx.path_at(1);
        }
    }
}
