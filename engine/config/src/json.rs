//! A small JSON parser following Kea's lexical rules (section d.1 of the
//! compatibility fact sheet):
//!
//! * `# ...` and `// ...` comments run to the end of the line, `/* ... */`
//!   comments may span lines (an unterminated one is an error);
//! * `<?include "path"?>` splices another file (path relative to the file
//!   that contains the directive) at the token level;
//! * every value and every map key carries its file name, line and column;
//! * map keys keep their order and duplicates are an error;
//! * a trailing comma before `]` or `}` is accepted with a warning (newest Kea).
//!
//! The parser never panics: nesting depth and include depth are bounded.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::ConfigError;

/// Maximum nesting of arrays/maps (Kea configurations are far shallower).
pub const MAX_DEPTH: usize = 128;
/// Maximum nesting of `<?include?>` directives.
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// A position in a source file (1-based line and column, columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pos {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn new(file: &str, line: u32, col: u32) -> Pos {
        Pos {
            file: Arc::from(file),
            line,
            col,
        }
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A value together with the position where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

impl<T> Spanned<T> {
    pub fn new(value: T, pos: Pos) -> Self {
        Spanned { value, pos }
    }
}

/// A JSON value. Maps keep their key order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Array(Vec<Spanned<Value>>),
    Map(Vec<(Spanned<String>, Spanned<Value>)>),
}

impl Value {
    /// Human name of the type, used in error messages ("a string", "an integer", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a real number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Map(_) => "a map",
        }
    }

    /// Looks a key up in a map (None for non-maps or missing keys).
    pub fn get(&self, key: &str) -> Option<&Spanned<Value>> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Spanned<Value>]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Spanned<String>, Spanned<Value>)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Compact JSON text (positions and comments are dropped).
    pub fn to_json(&self) -> String {
        self.to_string()
    }
}

fn write_json_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

impl fmt::Display for Value {
    /// Compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => {
                if x.is_finite() {
                    if x.fract() == 0.0 && x.abs() < 1e15 {
                        write!(f, "{x:.1}")
                    } else {
                        write!(f, "{x}")
                    }
                } else {
                    f.write_str("null")
                }
            }
            Value::String(s) => write_json_string(f, s),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{}", item.value)?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write_json_string(f, &k.value)?;
                    write!(f, ":{}", v.value)?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Result of parsing: the tree plus non-fatal warnings (e.g. trailing commas).
#[derive(Debug, Clone)]
pub struct Parsed {
    pub root: Spanned<Value>,
    pub warnings: Vec<String>,
}

/// Parses a file (with `<?include?>` support).
pub fn parse_file(path: &Path) -> Result<Parsed, ConfigError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        file: name.clone(),
        line: 0,
        col: 0,
        path: String::new(),
        key: String::new(),
        message: format!("cannot read configuration file: {e}"),
    })?;
    parse_with_dir(&text, &name, path.parent().map(Path::to_path_buf))
}

/// Parses text; `origin` is the name used in positions. Includes are resolved
/// relative to the directory of `origin` if it names an existing path,
/// else relative to the current directory.
pub fn parse_str(text: &str, origin: &str) -> Result<Parsed, ConfigError> {
    let dir = Path::new(origin).parent().map(Path::to_path_buf);
    parse_with_dir(text, origin, dir)
}

fn parse_with_dir(text: &str, origin: &str, dir: Option<PathBuf>) -> Result<Parsed, ConfigError> {
    let mut p = Parser {
        lex: Lexer {
            stack: vec![Source::new(text, origin, dir)],
        },
        peeked: None,
        warnings: Vec::new(),
        path: Vec::new(),
    };
    let root = p.parse_value(0)?;
    let (tok, pos) = match p.next() {
        Ok(t) => t,
        Err(e) if e.message.contains("comment not closed") => return Err(e),
        Err(e) => {
            let pos = Pos::new(&e.file, e.line, e.col);
            return Err(syntax(
                &pos,
                "unexpected text after the end of the top-level value (expected end of file)"
                    .into(),
            ));
        }
    };
    if tok != Tok::Eof {
        return Err(syntax(
            &pos,
            format!(
                "unexpected {} after the end of the top-level value (expected end of file)",
                tok.describe()
            ),
        ));
    }
    Ok(Parsed {
        root,
        warnings: p.warnings,
    })
}

fn syntax(pos: &Pos, message: String) -> ConfigError {
    ConfigError {
        file: pos.file.to_string(),
        line: pos.line,
        col: pos.col,
        path: String::new(),
        key: String::new(),
        message: format!("syntax error: {message}"),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Colon,
    Comma,
    Str(String),
    Int(i64),
    Float(f64),
    True,
    False,
    Null,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::LBrace => "'{'".into(),
            Tok::RBrace => "'}'".into(),
            Tok::LBracket => "'['".into(),
            Tok::RBracket => "']'".into(),
            Tok::Colon => "':'".into(),
            Tok::Comma => "','".into(),
            Tok::Str(s) => {
                let short: String = s.chars().take(40).collect();
                format!("string \"{short}\"")
            }
            Tok::Int(i) => format!("number {i}"),
            Tok::Float(x) => format!("number {x}"),
            Tok::True => "'true'".into(),
            Tok::False => "'false'".into(),
            Tok::Null => "'null'".into(),
            Tok::Eof => "end of file".into(),
        }
    }
}

struct Source {
    file: Arc<str>,
    chars: Vec<char>,
    i: usize,
    line: u32,
    col: u32,
    dir: Option<PathBuf>,
}

impl Source {
    fn new(text: &str, origin: &str, dir: Option<PathBuf>) -> Source {
        Source {
            file: Arc::from(origin),
            chars: text.chars().collect(),
            i: 0,
            line: 1,
            col: 1,
            dir,
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            file: self.file.clone(),
            line: self.line,
            col: self.col,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.i + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.get(self.i).copied()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(n, c)| self.peek_at(n) == Some(c))
    }
}

struct Lexer {
    stack: Vec<Source>,
}

impl Lexer {
    /// Skips blanks and comments in the current source.
    fn skip_blanks(src: &mut Source) -> Result<(), ConfigError> {
        loop {
            match src.peek() {
                Some(' ' | '\t' | '\r' | '\n' | '\u{feff}') => {
                    src.bump();
                }
                Some('#') => {
                    while let Some(c) = src.peek() {
                        if c == '\n' {
                            break;
                        }
                        src.bump();
                    }
                }
                Some('/') if src.peek_at(1) == Some('/') => {
                    while let Some(c) = src.peek() {
                        if c == '\n' {
                            break;
                        }
                        src.bump();
                    }
                }
                Some('/') if src.peek_at(1) == Some('*') => {
                    let start = src.pos();
                    src.bump();
                    src.bump();
                    loop {
                        if src.starts_with("*/") {
                            src.bump();
                            src.bump();
                            break;
                        }
                        if src.bump().is_none() {
                            return Err(syntax(
                                &start,
                                "comment not closed: '/*' without a matching '*/'".into(),
                            ));
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn next(&mut self) -> Result<(Tok, Pos), ConfigError> {
        loop {
            let Some(src) = self.stack.last_mut() else {
                return Ok((Tok::Eof, Pos::new("", 0, 0)));
            };
            Self::skip_blanks(src)?;
            let pos = src.pos();
            let Some(c) = src.peek() else {
                if self.stack.len() > 1 {
                    self.stack.pop();
                    continue;
                }
                return Ok((Tok::Eof, pos));
            };
            let tok = match c {
                '{' => {
                    src.bump();
                    Tok::LBrace
                }
                '}' => {
                    src.bump();
                    Tok::RBrace
                }
                '[' => {
                    src.bump();
                    Tok::LBracket
                }
                ']' => {
                    src.bump();
                    Tok::RBracket
                }
                ':' => {
                    src.bump();
                    Tok::Colon
                }
                ',' => {
                    src.bump();
                    Tok::Comma
                }
                '"' => Tok::Str(Self::string(src)?),
                '-' | '0'..='9' => Self::number(src)?,
                '.' if src.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => Self::number(src)?,
                '<' if src.starts_with("<?include") => {
                    self.include()?;
                    continue;
                }
                c if c.is_ascii_alphabetic() => {
                    let mut word = String::new();
                    while let Some(c) = src.peek() {
                        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                            word.push(c);
                            src.bump();
                        } else {
                            break;
                        }
                    }
                    match word.as_str() {
                        "true" => Tok::True,
                        "false" => Tok::False,
                        "null" => Tok::Null,
                        _ => {
                            return Err(syntax(
                                &pos,
                                format!(
                                    "invalid word '{word}' (strings must be in double quotes; \
                                     expected a value, 'true', 'false' or 'null')"
                                ),
                            ));
                        }
                    }
                }
                c => {
                    return Err(syntax(
                        &pos,
                        format!("invalid character {c:?}: expected a JSON value or punctuation"),
                    ));
                }
            };
            return Ok((tok, pos));
        }
    }

    /// Handles `<?include "path"?>` at the current position of the top source.
    fn include(&mut self) -> Result<(), ConfigError> {
        let src = self.stack.last_mut().expect("include with no source");
        let start = src.pos();
        for _ in 0.."<?include".len() {
            src.bump();
        }
        while matches!(src.peek(), Some(' ' | '\t')) {
            src.bump();
        }
        if src.peek() != Some('"') {
            return Err(syntax(
                &start,
                "malformed include: expected <?include \"path\"?>".into(),
            ));
        }
        let path = Self::string(src)?;
        while matches!(src.peek(), Some(' ' | '\t')) {
            src.bump();
        }
        if !src.starts_with("?>") {
            return Err(syntax(
                &start,
                "malformed include: expected '?>' after the path".into(),
            ));
        }
        src.bump();
        src.bump();
        let dir = src.dir.clone();
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(syntax(
                &start,
                format!(
                    "includes nested too deeply (more than {MAX_INCLUDE_DEPTH} levels; recursive include?)"
                ),
            ));
        }
        let p = Path::new(&path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            match &dir {
                Some(d) => d.join(p),
                None => p.to_path_buf(),
            }
        };
        let text = std::fs::read_to_string(&full).map_err(|e| {
            syntax(
                &start,
                format!("cannot read included file '{}': {e}", full.display()),
            )
        })?;
        let name = full.display().to_string();
        let dir = full.parent().map(Path::to_path_buf);
        self.stack.push(Source::new(&text, &name, dir));
        Ok(())
    }

    fn string(src: &mut Source) -> Result<String, ConfigError> {
        let start = src.pos();
        src.bump(); // opening quote
        let mut out = String::new();
        loop {
            let pos = src.pos();
            let Some(c) = src.bump() else {
                return Err(syntax(&start, "string not closed: missing '\"'".into()));
            };
            match c {
                '"' => return Ok(out),
                '\n' => {
                    return Err(syntax(
                        &start,
                        "string not closed before the end of the line".into(),
                    ));
                }
                '\\' => {
                    let Some(e) = src.bump() else {
                        return Err(syntax(&start, "string not closed: missing '\"'".into()));
                    };
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hi = Self::hex4(src, &pos)?;
                            let code = if (0xd800..0xdc00).contains(&hi) {
                                if src.starts_with("\\u") {
                                    src.bump();
                                    src.bump();
                                    let lo = Self::hex4(src, &pos)?;
                                    if !(0xdc00..0xe000).contains(&lo) {
                                        return Err(syntax(
                                            &pos,
                                            "invalid unicode escape: unpaired surrogate".into(),
                                        ));
                                    }
                                    0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00)
                                } else {
                                    return Err(syntax(
                                        &pos,
                                        "invalid unicode escape: unpaired surrogate".into(),
                                    ));
                                }
                            } else {
                                hi
                            };
                            match char::from_u32(code) {
                                Some(ch) => out.push(ch),
                                None => {
                                    return Err(syntax(&pos, "invalid unicode escape".into()));
                                }
                            }
                        }
                        other => {
                            return Err(syntax(
                                &pos,
                                format!(
                                    "invalid escape '\\{other}' in string (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"
                                ),
                            ));
                        }
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(syntax(
                        &pos,
                        format!("invalid control character {c:?} in string"),
                    ));
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(src: &mut Source, pos: &Pos) -> Result<u32, ConfigError> {
        let mut v = 0u32;
        for _ in 0..4 {
            match src.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    v = v * 16 + d;
                    src.bump();
                }
                None => {
                    return Err(syntax(
                        pos,
                        "invalid unicode escape: expected 4 hex digits after \\u".into(),
                    ));
                }
            }
        }
        Ok(v)
    }

    fn number(src: &mut Source) -> Result<Tok, ConfigError> {
        let pos = src.pos();
        let mut text = String::new();
        if src.peek() == Some('-') {
            text.push('-');
            src.bump();
        }
        let digits = |src: &mut Source, text: &mut String| -> usize {
            let mut n = 0;
            while let Some(c) = src.peek() {
                if c.is_ascii_digit() {
                    text.push(c);
                    src.bump();
                    n += 1;
                } else {
                    break;
                }
            }
            n
        };
        // Kea's lexer also takes `.5` and `5.` as real numbers.
        let int_digits = digits(src, &mut text);
        let mut is_float = false;
        let mut frac_digits = 0;
        if src.peek() == Some('.') {
            is_float = true;
            text.push_str(if int_digits == 0 { "0." } else { "." });
            src.bump();
            frac_digits = digits(src, &mut text);
        }
        if int_digits + frac_digits == 0 {
            return Err(syntax(&pos, "invalid number: expected a digit".into()));
        }
        if matches!(src.peek(), Some('e' | 'E')) {
            is_float = true;
            text.push('e');
            src.bump();
            if let Some(c @ ('+' | '-')) = src.peek() {
                text.push(c);
                src.bump();
            }
            if digits(src, &mut text) == 0 {
                return Err(syntax(
                    &pos,
                    "invalid number: expected a digit in the exponent".into(),
                ));
            }
        }
        if let Some(c) = src.peek()
            && (c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(syntax(
                &pos,
                format!("invalid number: unexpected character {c:?} after '{text}'"),
            ));
        }
        if is_float {
            text.parse::<f64>()
                .map(Tok::Float)
                .map_err(|_| syntax(&pos, format!("invalid number '{text}'")))
        } else {
            text.parse::<i64>().map(Tok::Int).map_err(|_| {
                syntax(
                    &pos,
                    format!("integer '{text}' is out of range (64-bit signed)"),
                )
            })
        }
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

struct Parser {
    lex: Lexer,
    peeked: Option<(Tok, Pos)>,
    warnings: Vec<String>,
    /// JSON path of the element being parsed, for error messages.
    path: Vec<Seg>,
}

impl Parser {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('/');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// Adds the current JSON path (and its last key) to an error lacking one.
    fn with_path(&self, mut e: ConfigError) -> ConfigError {
        if e.path.is_empty() {
            e.path = self.path_string();
            if e.key.is_empty()
                && let Some(Seg::Key(k)) = self.path.iter().rev().find(|s| matches!(s, Seg::Key(_)))
            {
                e.key = k.clone();
            }
        }
        e
    }

    fn next(&mut self) -> Result<(Tok, Pos), ConfigError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next().map_err(|e| self.with_path(e)),
        }
    }

    fn peek(&mut self) -> Result<&(Tok, Pos), ConfigError> {
        if self.peeked.is_none() {
            let t = self.lex.next().map_err(|e| self.with_path(e))?;
            self.peeked = Some(t);
        }
        Ok(self.peeked.as_ref().expect("just filled"))
    }

    fn parse_value(&mut self, depth: usize) -> Result<Spanned<Value>, ConfigError> {
        self.parse_value_inner(depth).map_err(|e| self.with_path(e))
    }

    fn parse_value_inner(&mut self, depth: usize) -> Result<Spanned<Value>, ConfigError> {
        let (tok, pos) = self.next()?;
        if depth > MAX_DEPTH {
            return Err(syntax(
                &pos,
                format!("nesting too deep (more than {MAX_DEPTH} levels)"),
            ));
        }
        let value = match tok {
            Tok::Null => Value::Null,
            Tok::True => Value::Bool(true),
            Tok::False => Value::Bool(false),
            Tok::Int(i) => Value::Int(i),
            Tok::Float(x) => Value::Float(x),
            Tok::Str(s) => Value::String(s),
            Tok::LBracket => self.parse_array(depth, &pos)?,
            Tok::LBrace => self.parse_map(depth, &pos)?,
            other => {
                return Err(syntax(
                    &pos,
                    format!("expected a value, got {}", other.describe()),
                ));
            }
        };
        Ok(Spanned::new(value, pos))
    }

    fn trailing_comma(&mut self, pos: &Pos) {
        self.warnings.push(format!(
            "{pos}: extraneous comma (accepted, as newest Kea does)"
        ));
    }

    fn parse_array(&mut self, depth: usize, open: &Pos) -> Result<Value, ConfigError> {
        let mut items = Vec::new();
        if self.peek()?.0 == Tok::RBracket {
            self.next()?;
            return Ok(Value::Array(items));
        }
        loop {
            self.path.push(Seg::Index(items.len()));
            let item = self.parse_value(depth + 1)?;
            self.path.pop();
            items.push(item);
            let (tok, pos) = self.next()?;
            match tok {
                Tok::RBracket => return Ok(Value::Array(items)),
                Tok::Comma => {
                    if self.peek()?.0 == Tok::RBracket {
                        self.trailing_comma(&pos);
                        self.next()?;
                        return Ok(Value::Array(items));
                    }
                }
                Tok::Eof => {
                    return Err(syntax(
                        &pos,
                        format!(
                            "unexpected end of file: list opened at line {} col {} is not closed (expected ',' or ']')",
                            open.line, open.col
                        ),
                    ));
                }
                other => {
                    return Err(syntax(
                        &pos,
                        format!(
                            "expected ',' or ']' after a list element, got {}",
                            other.describe()
                        ),
                    ));
                }
            }
        }
    }

    fn parse_map(&mut self, depth: usize, open: &Pos) -> Result<Value, ConfigError> {
        let mut entries: Vec<(Spanned<String>, Spanned<Value>)> = Vec::new();
        if self.peek()?.0 == Tok::RBrace {
            self.next()?;
            return Ok(Value::Map(entries));
        }
        loop {
            let (tok, kpos) = self.next()?;
            let key = match tok {
                Tok::Str(s) => s,
                Tok::Eof => {
                    return Err(syntax(
                        &kpos,
                        format!(
                            "unexpected end of file: map opened at line {} col {} is not closed",
                            open.line, open.col
                        ),
                    ));
                }
                other => {
                    return Err(syntax(
                        &kpos,
                        format!(
                            "expected a map key (a string in double quotes), got {}",
                            other.describe()
                        ),
                    ));
                }
            };
            self.path.push(Seg::Key(key.clone()));
            if let Some((first, _)) = entries.iter().find(|(k, _)| k.value == key) {
                let first_at = if first.pos.file == kpos.file {
                    format!("line {} col {}", first.pos.line, first.pos.col)
                } else {
                    first.pos.to_string()
                };
                return Err(ConfigError {
                    file: kpos.file.to_string(),
                    line: kpos.line,
                    col: kpos.col,
                    path: self.path_string(),
                    key: key.clone(),
                    message: format!("duplicate key '{key}' (first defined at {first_at})"),
                });
            }
            let (tok, cpos) = self.next()?;
            if tok != Tok::Colon {
                return Err(syntax(
                    &cpos,
                    format!(
                        "expected ':' after map key \"{key}\", got {}",
                        tok.describe()
                    ),
                ));
            }
            let value = self.parse_value(depth + 1)?;
            self.path.pop();
            entries.push((Spanned::new(key, kpos), value));
            let (tok, pos) = self.next()?;
            match tok {
                Tok::RBrace => return Ok(Value::Map(entries)),
                Tok::Comma => {
                    if self.peek()?.0 == Tok::RBrace {
                        self.trailing_comma(&pos);
                        self.next()?;
                        return Ok(Value::Map(entries));
                    }
                }
                Tok::Eof => {
                    return Err(syntax(
                        &pos,
                        format!(
                            "unexpected end of file: map opened at line {} col {} is not closed (expected ',' or '}}')",
                            open.line, open.col
                        ),
                    ));
                }
                other => {
                    return Err(syntax(
                        &pos,
                        format!(
                            "expected ',' or '}}' after a map value, got {}",
                            other.describe()
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Spanned<Value>, ConfigError> {
        parse_str(s, "t.json").map(|p| p.root)
    }

    #[test]
    fn scalars_and_positions() {
        let v = p("{\n  \"a\": 1,\n  # c\n  \"b\" : [true, null, -2.5, \"x\\n\\u00e9\"] // x\n}")
            .unwrap();
        let m = v.value.as_map().unwrap();
        assert_eq!(m[0].0.value, "a");
        assert_eq!((m[0].0.pos.line, m[0].0.pos.col), (2, 3));
        assert_eq!(m[0].1.value, Value::Int(1));
        assert_eq!((m[1].1.pos.line, m[1].1.pos.col), (4, 9));
        let a = m[1].1.value.as_array().unwrap();
        assert_eq!(a[0].value, Value::Bool(true));
        assert_eq!(a[1].value, Value::Null);
        assert_eq!(a[2].value, Value::Float(-2.5));
        assert_eq!(a[3].value, Value::String("x\n\u{e9}".into()));
        assert_eq!((a[3].pos.line, a[3].pos.col), (4, 28));
    }

    #[test]
    fn comments() {
        let v = p("/* a\n b */ { /* x */ \"k\" /**/ : # y\n 2 }").unwrap();
        assert_eq!(v.value.get("k").unwrap().value, Value::Int(2));
        let e = p("{ \"a\": 1 } /* never closed").unwrap_err();
        assert_eq!((e.line, e.col), (1, 12));
        assert!(e.message.contains("comment not closed"));
    }

    #[test]
    fn errors() {
        let e = p("{ \"a\": 1, \"a\": 2 }").unwrap_err();
        assert!(e.message.contains("duplicate key 'a'"), "{e}");
        assert_eq!(e.col, 11);
        let e = p("{ \"a\": 1 } x").unwrap_err();
        assert!(e.message.contains("after the end"), "{e}");
        let e = p("{ \"a\" 1 }").unwrap_err();
        assert!(e.message.contains("expected ':'"), "{e}");
        let e = p("{ \"a\": 1 \"b\": 2 }").unwrap_err();
        assert!(e.message.contains("expected ',' or '}'"), "{e}");
        let e = p("{ \"a\": tru }").unwrap_err();
        assert!(e.message.contains("invalid word 'tru'"), "{e}");
        let e = p("[1, 2").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        assert!(p("99999999999999999999").is_err());
        assert!(p("\"abc").is_err());
        assert!(p("").is_err());
        assert!(p("01x").is_err());
        assert_eq!(p(".5").unwrap().value, Value::Float(0.5));
        assert_eq!(p("-.25").unwrap().value, Value::Float(-0.25));
        assert_eq!(p("5.").unwrap().value, Value::Float(5.0));
        assert!(p("-").is_err());
        assert!(p("-.").is_err());
    }

    #[test]
    fn trailing_comma_warns() {
        let r = parse_str("{ \"a\": [1, 2,], }", "t").unwrap();
        assert_eq!(r.warnings.len(), 2);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = "[".repeat(10_000);
        assert!(p(&s).unwrap_err().message.contains("too deep"));
    }

    #[test]
    fn display_roundtrip() {
        let src = "{\"a\":[1,2.5,\"x\\\"y\",null,true],\"b\":{}}";
        let v = p(src).unwrap();
        assert_eq!(v.value.to_json(), src);
        assert_eq!(p(&v.value.to_json()).unwrap().value, v.value);
    }

    #[test]
    fn include_relative() {
        let dir = std::env::temp_dir().join(format!("xdhcp-config-inc-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/inner.json"), "\"x\": [1, 2]").unwrap();
        std::fs::write(
            dir.join("main.json"),
            "{ <?include \"sub/inner.json\"?>, \"y\": 3 }",
        )
        .unwrap();
        let r = parse_file(&dir.join("main.json")).unwrap();
        let x = r.root.value.get("x").unwrap();
        assert!(x.pos.file.ends_with("inner.json"));
        assert_eq!(r.root.value.get("y").unwrap().value, Value::Int(3));
        std::fs::write(dir.join("loop.json"), "<?include \"loop.json\"?>").unwrap();
        let e = parse_file(&dir.join("loop.json")).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        let e = parse_str("{ <?include \"/nonexistent/x.json\"?> }", "t").unwrap_err();
        assert!(e.message.contains("cannot read included file"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
