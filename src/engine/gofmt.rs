//! Go's `fmt` package as templates see it: `%v` printing of values and `printf`/`Sprintf`.
//!
//! Helm counterpart: Go's `src/fmt` (`print.go`, `format.go`) and `strconv.FormatFloat`,
//! which `{{ . }}`, `printf`, `toString` and Sprig's string conversions all go through.
//! Values are mapped to Go types as Helm produces them: `Int` is `int`, `Float` is
//! `float64`, lists are `[]interface {}`, maps are `map[string]interface {}`.
//! Not implemented: `%p`, hexadecimal floats (`%x` of a float64), `%b` of a float64.
use super::value::{FuncError, Value};

/// Formats a value as Go's `fmt.Sprint` / `%v` does.
pub fn format_value(value: &Value) -> String {
    let mut p = Printer::default();
    p.print_arg(Some(value), 'v');
    p.buf
}

/// Go's `fmt.Sprintf(format, args...)`, including Go's inline error forms
/// (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`).
pub fn sprintf(format: &str, args: &[Value]) -> Result<String, FuncError> {
    let mut p = Printer::default();
    p.do_printf(format, args);
    Ok(p.buf)
}

/// Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest representation.
pub fn format_float_shortest(v: f64) -> String {
    let mut out = String::new();
    float_to_string(&mut out, v, 'g', -1, false);
    out
}

/// Go's `strconv.Quote`: a double-quoted Go string literal.
pub fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

#[derive(Default, Clone, Copy)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: i64,
    prec: i64,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
}

const TOO_LARGE: i64 = 1_000_000;

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let b = format.as_bytes();
        let end = b.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0usize;
        while i < end {
            let mut good_arg_num = true;
            let lasti = i;
            while i < end && b[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1; // skip %
            self.f = Flags::default();
            while i < end {
                match b[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // argument index
            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
            if after_index {
                reordered = true;
            }
            // width
            if i < end && b[i] == b'*' {
                i += 1;
                let (n, ok, na) = int_from_arg(args, arg_num);
                arg_num = na;
                self.f.wid = n;
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if self.f.wid < 0 {
                    self.f.wid = -self.f.wid;
                    self.f.minus = true;
                    self.f.zero = false;
                }
                after_index = false;
            } else {
                let (n, ok, ni) = parse_num(b, i, end);
                self.f.wid = n;
                self.f.wid_present = ok;
                i = ni;
                if after_index && ok {
                    good_arg_num = false;
                }
            }
            // precision
            if i < end && b[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
                if after_index {
                    reordered = true;
                }
                if i < end && b[i] == b'*' {
                    i += 1;
                    let (n, ok, na) = int_from_arg(args, arg_num);
                    arg_num = na;
                    self.f.prec = n;
                    self.f.prec_present = ok;
                    if self.f.prec < 0 {
                        self.f.prec = 0;
                        self.f.prec_present = false;
                    }
                    if !ok {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (n, ok, ni) = parse_num(b, i, end);
                    i = ni;
                    self.f.prec = if ok { n } else { 0 };
                    self.f.prec_present = true;
                }
            }
            if !after_index {
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, args.len());
                if after_index {
                    reordered = true;
                }
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if self.f.minus {
                self.f.zero = false;
            }
            match verb {
                '%' => self.buf.push('%'),
                _ if !good_arg_num => {
                    self.buf.push_str("%!");
                    self.buf.push(verb);
                    self.buf.push_str("(BADINDEX)");
                }
                _ if arg_num >= args.len() => {
                    self.buf.push_str("%!");
                    self.buf.push(verb);
                    self.buf.push_str("(MISSING)");
                }
                _ => {
                    if verb == 'v' {
                        self.f.sharp_v = self.f.sharp;
                        self.f.sharp = false;
                        self.f.plus_v = self.f.plus;
                        self.f.plus = false;
                    }
                    self.print_arg(Some(&args[arg_num]), verb);
                    arg_num += 1;
                }
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if matches!(arg, Value::Nil) {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(Some(arg), 'v');
                }
            }
            self.buf.push(')');
        }
    }

    /// Parses an explicit `[n]` argument index at `i`.
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &str,
        i: usize,
        num_args: usize,
    ) -> (usize, usize, bool) {
        let b = format.as_bytes();
        if i >= b.len() || b[i] != b'[' {
            return (arg_num, i, false);
        }
        for j in i + 1..b.len() {
            if b[j] == b']' {
                let (n, ok, newi) = parse_num(b, i + 1, j);
                if !ok || newi != j || n < 1 {
                    return (arg_num, j + 1, false);
                }
                let idx = (n - 1) as usize;
                if idx < num_args {
                    return (idx, j + 1, true);
                }
                return (arg_num, j + 1, false);
            }
        }
        (arg_num, i + 1, false)
    }

    fn bad_verb(&mut self, verb: char, value: Option<&Value>) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match value {
            Some(v) if !matches!(v, Value::Nil) => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                let saved = self.f;
                self.print_value(v, 'v', true);
                self.f = saved;
            }
            _ => self.buf.push_str("<nil>"),
        }
        self.buf.push(')');
    }

    fn print_arg(&mut self, arg: Option<&Value>, verb: char) {
        let Some(arg) = arg else {
            return;
        };
        if let Value::Nil = arg {
            match verb {
                'T' | 'v' => self.pad_string("<nil>"),
                _ => self.bad_verb(verb, None),
            }
            return;
        }
        if verb == 'T' {
            let t = arg.type_name();
            self.fmt_s(&t);
            return;
        }
        if verb == 'p' {
            self.bad_verb(verb, Some(arg));
            return;
        }
        self.print_value(arg, verb, false);
    }

    fn print_value(&mut self, value: &Value, verb: char, erroring: bool) {
        match value {
            Value::Nil => {
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else if verb == 'v' {
                    self.buf.push_str("<nil>");
                } else {
                    self.bad_verb(verb, None);
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_string(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, Some(value)),
            },
            // Unsigned values are never negative here, so all integers format as signed.
            Value::Int(n) | Value::TypedInt(_, n) => self.fmt_integer(*n as u64, true, verb, value),
            Value::Float(x) => self.fmt_float(*x, verb, value),
            Value::String(s) => self.fmt_string(s, verb, value),
            Value::Bytes(bytes) => self.fmt_bytes(bytes, verb, value),
            Value::List(items) => {
                if self.f.sharp_v {
                    self.buf.push_str("[]interface {}{");
                    for (k, item) in items.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(item, verb, erroring);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (k, item) in items.iter().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        self.print_value(item, verb, erroring);
                    }
                    self.buf.push(']');
                }
            }
            Value::Map(map) => {
                let map = map.borrow();
                if self.f.sharp_v {
                    self.buf.push_str("map[string]interface {}{");
                } else {
                    self.buf.push_str("map[");
                }
                for (k, (key, item)) in map.iter().enumerate() {
                    if k > 0 {
                        if self.f.sharp_v {
                            self.buf.push_str(", ");
                        } else {
                            self.buf.push(' ');
                        }
                    }
                    let key = Value::string(key.as_str());
                    self.print_value(&key, verb, erroring);
                    self.buf.push(':');
                    self.print_value(item, verb, erroring);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => match verb {
                'v' | 's' | 'q' | 'x' | 'X' if !erroring => {
                    let text = o.display();
                    self.fmt_string(&text, verb, value);
                }
                _ => {
                    let text = o.display();
                    self.buf.push_str(&text);
                }
            },
        }
    }

    fn pad_string(&mut self, s: &str) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.f.wid - s.chars().count() as i64;
        if self.f.minus {
            self.buf.push_str(s);
            self.write_padding(width, false);
        } else {
            self.write_padding(width, self.f.zero);
            self.buf.push_str(s);
        }
    }

    fn write_padding(&mut self, n: i64, zero: bool) {
        let c = if zero { '0' } else { ' ' };
        for _ in 0..n.max(0) {
            self.buf.push(c);
        }
    }

    fn truncate<'a>(&self, s: &'a str) -> &'a str {
        if self.f.prec_present {
            let n = self.f.prec.max(0) as usize;
            if let Some((idx, _)) = s.char_indices().nth(n) {
                return &s[..idx];
            }
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad_string(&s);
        self.f.zero = zero;
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        let quoted = if self.f.sharp && can_backquote(&s) {
            format!("`{s}`")
        } else {
            quote_with(&s, '"', self.f.plus)
        };
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad_string(&quoted);
        self.f.zero = zero;
    }

    fn fmt_sbx(&mut self, bytes: &[u8], upper: bool) {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let x = if upper { 'X' } else { 'x' };
        let mut length = bytes.len();
        if self.f.prec_present && (self.f.prec as usize) < length {
            length = self.f.prec.max(0) as usize;
        }
        let mut width = 2 * length as i64;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length as i64 - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid, false);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width, false);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(x);
        }
        for (k, c) in bytes[..length].iter().enumerate() {
            if self.f.space && k > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(x);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width, false);
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, value: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s)
                } else {
                    self.fmt_s(s)
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), false),
            'X' => self.fmt_sbx(s.as_bytes(), true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Some(value)),
        }
    }

    fn fmt_bytes(&mut self, bytes: &[u8], verb: char, value: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str("[]byte{");
                    for (k, c) in bytes.iter().enumerate() {
                        if k > 0 {
                            self.buf.push_str(", ");
                        }
                        self.buf.push_str(&format!("0x{c:x}"));
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (k, c) in bytes.iter().enumerate() {
                        if k > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_integer_raw(u64::from(*c), 10, false, false);
                    }
                    self.buf.push(']');
                }
            }
            's' => {
                let s = String::from_utf8_lossy(bytes).into_owned();
                self.fmt_s(&s);
            }
            'x' => self.fmt_sbx(bytes, false),
            'X' => self.fmt_sbx(bytes, true),
            'q' => {
                let s = String::from_utf8_lossy(bytes).into_owned();
                self.fmt_q(&s);
            }
            _ => {
                self.buf.push('[');
                for (k, c) in bytes.iter().enumerate() {
                    if k > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_integer(u64::from(*c), false, verb, value);
                }
                self.buf.push(']');
            }
        }
    }

    fn fmt_integer(&mut self, v: u64, signed: bool, verb: char, value: &Value) {
        match verb {
            'v' | 'd' => self.fmt_integer_raw(v, 10, signed, false),
            'b' => self.fmt_integer_raw(v, 2, signed, false),
            'o' => self.fmt_integer_raw(v, 8, signed, false),
            'O' => {
                // %O always prefixes 0o.
                let neg = signed && (v as i64) < 0;
                let mag = if neg { (v as i64).unsigned_abs() } else { v };
                let digits = format!("{mag:o}");
                let mut s = String::new();
                if neg {
                    s.push('-');
                } else if self.f.plus {
                    s.push('+');
                } else if self.f.space {
                    s.push(' ');
                }
                s.push_str("0o");
                s.push_str(&digits);
                self.pad_string(&s);
            }
            'x' => self.fmt_integer_raw(v, 16, signed, false),
            'X' => self.fmt_integer_raw(v, 16, signed, true),
            'c' => {
                let c = char::from_u32(v as u32).unwrap_or('\u{FFFD}');
                let c = if v > 0x10FFFF { '\u{FFFD}' } else { c };
                self.pad_string(&c.to_string());
            }
            'q' => {
                let c = if v > 0x10FFFF {
                    '\u{FFFD}'
                } else {
                    char::from_u32(v as u32).unwrap_or('\u{FFFD}')
                };
                let q = quote_rune(c, self.f.plus);
                self.pad_string(&q);
            }
            'U' => {
                let mut s = format!("U+{v:04X}");
                if self.f.sharp
                    && let Some(c) = char::from_u32(v as u32)
                    && is_print(c)
                {
                    s.push_str(&format!(" '{c}'"));
                }
                let prec = if self.f.prec_present { self.f.prec } else { 0 };
                if prec as usize > s.len().saturating_sub(2) && !self.f.sharp {
                    s = format!("U+{v:0width$X}", width = prec as usize);
                }
                self.pad_string(&s);
            }
            _ => self.bad_verb(verb, Some(value)),
        }
    }

    /// Go's `fmt.fmtInteger`: precision, zero padding and sign handling.
    fn fmt_integer_raw(&mut self, v: u64, base: u32, signed: bool, upper: bool) {
        if self.f.prec_present && self.f.prec == 0 && v == 0 {
            let w = self.f.wid;
            if self.f.wid_present {
                self.write_padding(w, false);
            }
            return;
        }
        let negative = signed && (v as i64) < 0;
        let mag = if negative {
            (v as i64).unsigned_abs()
        } else {
            v
        };
        let mut prec = 0i64;
        if self.f.prec_present {
            prec = self.f.prec;
        } else if self.f.zero && self.f.wid_present && !self.f.minus && self.f.wid > 0 {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec -= 1;
            }
        }
        let mut digits = match base {
            2 => format!("{mag:b}"),
            8 => format!("{mag:o}"),
            16 if upper => format!("{mag:X}"),
            16 => format!("{mag:x}"),
            _ => mag.to_string(),
        };
        while (digits.len() as i64) < prec {
            digits.insert(0, '0');
        }
        if self.f.sharp {
            match base {
                8 if !digits.starts_with('0') => digits.insert(0, '0'),
                16 => digits.insert_str(0, if upper { "0X" } else { "0x" }),
                2 => {}
                _ => {}
            }
        }
        if negative {
            digits.insert(0, '-');
        } else if self.f.plus {
            digits.insert(0, '+');
        } else if self.f.space {
            digits.insert(0, ' ');
        }
        let saved = self.f.zero;
        self.f.zero = false;
        self.pad_string(&digits);
        self.f.zero = saved;
    }

    fn fmt_float(&mut self, v: f64, verb: char, value: &Value) {
        let (verb, prec) = match verb {
            'v' => ('g', -1),
            'g' | 'G' => (verb, -1),
            'f' | 'e' | 'E' => (verb, 6),
            'F' => ('f', 6),
            _ => {
                self.bad_verb(verb, Some(value));
                return;
            }
        };
        let prec = if self.f.prec_present {
            self.f.prec
        } else {
            prec
        };
        let mut num = String::new();
        float_to_string(&mut num, v, verb, prec, self.f.sharp);
        let (sign, body) = if let Some(rest) = num.strip_prefix('-') {
            ('-', rest.to_string())
        } else {
            ('+', num.clone())
        };
        let mut sign = sign;
        if self.f.space && sign == '+' && !self.f.plus {
            sign = ' ';
        }
        if body == "Inf" || body == "NaN" {
            let mut s = String::new();
            if body == "NaN" && !self.f.space && !self.f.plus {
                s.push_str("NaN");
            } else if sign != '+' || self.f.plus {
                s.push(sign);
                s.push_str(&body);
            } else {
                s.push_str(&body);
            }
            let zero = self.f.zero;
            self.f.zero = false;
            self.pad_string(&s);
            self.f.zero = zero;
            return;
        }
        if self.f.plus || sign != '+' {
            if self.f.zero
                && !self.f.minus
                && self.f.wid_present
                && self.f.wid > body.len() as i64 + 1
            {
                self.buf.push(sign);
                let w = self.f.wid - 1;
                self.write_padding(w - body.chars().count() as i64, true);
                self.buf.push_str(&body);
                return;
            }
            let s = format!("{sign}{body}");
            self.pad_float(&s);
            return;
        }
        self.pad_float(&body);
    }

    fn pad_float(&mut self, s: &str) {
        if self.f.zero && !self.f.minus && self.f.wid_present {
            let width = self.f.wid - s.chars().count() as i64;
            self.write_padding(width, true);
            self.buf.push_str(s);
        } else {
            let zero = self.f.zero;
            self.f.zero = false;
            self.pad_string(s);
            self.f.zero = zero;
        }
    }
}

/// Reads `*` width/precision from the argument list.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num < args.len() {
        let (mut num, mut ok) = match &args[arg_num] {
            Value::Int(n) | Value::TypedInt(_, n) => (*n, true),
            _ => (0, false),
        };
        if !(-TOO_LARGE..=TOO_LARGE).contains(&num) {
            num = 0;
            ok = false;
        }
        return (num, ok, arg_num + 1);
    }
    (0, false, arg_num)
}

fn parse_num(b: &[u8], start: usize, end: usize) -> (i64, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0i64;
    let mut isnum = false;
    let mut i = start;
    while i < end && b[i].is_ascii_digit() {
        if num > TOO_LARGE {
            return (0, false, end);
        }
        num = num * 10 + i64::from(b[i] - b'0');
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

/// Decimal digits of a float: (digits without trailing zeros, decimal point position).
fn decimal_digits(v: f64, sig: Option<usize>) -> (String, i64) {
    let s = match sig {
        None => format!("{:e}", v.abs()),
        Some(n) => format!("{:.*e}", n.saturating_sub(1), v.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    if digits == "0" {
        return (digits, 1);
    }
    (digits, exp + 1)
}

fn push_exp(out: &mut String, exp: i64, e: char) {
    out.push(e);
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

/// `strconv.FormatFloat(v, verb, prec, 64)` (with `#` handling for `%g`).
fn float_to_string(out: &mut String, v: f64, verb: char, prec: i64, sharp: bool) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v > 0.0 { "+Inf" } else { "-Inf" });
        return;
    }
    let neg = v.is_sign_negative();
    if neg {
        out.push('-');
    }
    let upper = verb.is_ascii_uppercase();
    let e = if upper { 'E' } else { 'e' };
    match verb {
        'f' | 'F' => {
            let p = prec.max(0) as usize;
            let mut s = format!("{:.*}", p, v.abs());
            if sharp && p == 0 {
                s.push('.');
            }
            out.push_str(&s);
        }
        'e' | 'E' => {
            let p = prec.max(0) as usize;
            let s = format!("{:.*e}", p, v.abs());
            let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
            out.push_str(mant);
            if sharp && p == 0 {
                out.push('.');
            }
            push_exp(out, exp.parse().unwrap_or(0), e);
        }
        _ => {
            // 'g' / 'G'
            let shortest = prec < 0;
            let (digits, dp) = if shortest {
                decimal_digits(v, None)
            } else {
                decimal_digits(v, Some(if prec == 0 { 1 } else { prec as usize }))
            };
            let nd = digits.len() as i64;
            let mut eprec = if shortest {
                6
            } else if prec == 0 {
                1
            } else {
                prec
            };
            if !shortest && eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            let mut p = if shortest {
                nd
            } else if prec == 0 {
                1
            } else {
                prec
            };
            if exp < -4 || exp >= eprec {
                // %e form
                if p > nd && !sharp {
                    p = nd;
                }
                let mut d = digits.clone();
                while (d.len() as i64) < p {
                    d.push('0');
                }
                out.push_str(&d[..1]);
                if p > 1 {
                    out.push('.');
                    out.push_str(&d[1..p as usize]);
                }
                push_exp(out, exp, e);
            } else {
                // %f form
                if !sharp && p > dp {
                    p = nd;
                }
                let frac = (p - dp).max(0);
                if dp <= 0 {
                    out.push('0');
                } else {
                    for k in 0..dp {
                        out.push(
                            digits
                                .as_bytes()
                                .get(k as usize)
                                .map_or('0', |b| *b as char),
                        );
                    }
                }
                if frac > 0 {
                    out.push('.');
                    for k in 0..frac {
                        let idx = dp + k;
                        let c = if idx < 0 {
                            '0'
                        } else {
                            digits
                                .as_bytes()
                                .get(idx as usize)
                                .map_or('0', |b| *b as char)
                        };
                        out.push(c);
                    }
                }
            }
        }
    }
}

fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

/// Go's `strconv.IsPrint`, approximated with Rust's character classes.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c,
        '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E000}'..='\u{F8FF}'
        | '\u{FFFE}' | '\u{FFFF}' | '\u{F0000}'..='\u{10FFFF}')
}

fn escape_char(out: &mut String, c: char, quote: char, ascii_only: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii_only {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ => {
            let n = c as u32;
            if n < ' ' as u32 || n == 0x7f {
                out.push_str(&format!("\\x{n:02x}"));
            } else if n < 0x10000 {
                out.push_str(&format!("\\u{n:04x}"));
            } else {
                out.push_str(&format!("\\U{n:08x}"));
            }
        }
    }
}

fn quote_with(s: &str, quote: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        escape_char(&mut out, c, quote, ascii_only);
    }
    out.push(quote);
    out
}

fn quote_rune(c: char, ascii_only: bool) -> String {
    let mut out = String::from("'");
    escape_char(&mut out, c, '\'', ascii_only);
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn map(pairs: &[(&str, Value)]) -> Value {
        let m = Value::empty_map();
        if let Value::Map(inner) = &m {
            for (k, v) in pairs {
                inner.borrow_mut().insert((*k).to_string(), v.clone());
            }
        }
        m
    }

    #[test]
    fn floats_print_like_go_percent_v() {
        let cases = [
            (1_000_000.0, "1e+06"),
            (3.5, "3.5"),
            (0.00001, "1e-05"),
            (0.0001, "0.0001"),
            (123456.0, "123456"),
            (123456789.0, "1.23456789e+08"),
            (1.0, "1"),
            (-2.25, "-2.25"),
            (0.0, "0"),
            (1e21, "1e+21"),
            (100.0, "100"),
        ];
        for (v, want) in cases {
            assert_eq!(format_value(&Value::Float(v)), want, "{v}");
        }
    }

    #[test]
    fn composite_values_print_like_go() {
        let list = Value::list(vec![s("a"), Value::Int(1), Value::Nil, Value::Bool(true)]);
        assert_eq!(format_value(&list), "[a 1 <nil> true]");
        let m = map(&[("b", Value::Float(2.0)), ("a", s("x"))]);
        assert_eq!(format_value(&m), "map[a:x b:2]");
        assert_eq!(
            format_value(&Value::Bytes(b"hi".as_slice().into())),
            "[104 105]"
        );
        assert_eq!(format_value(&Value::Nil), "<nil>");
    }

    #[test]
    fn sprintf_handles_common_verbs_and_flags() {
        let cases: Vec<(&str, Vec<Value>, &str)> = vec![
            ("%d", vec![Value::Int(42)], "42"),
            (
                "%5d|%-5d|%05d",
                vec![Value::Int(42), Value::Int(42), Value::Int(-42)],
                "   42|42   |-0042",
            ),
            ("%+d % d", vec![Value::Int(5), Value::Int(5)], "+5  5"),
            (
                "%x %X %#x %o %#o %b",
                vec![
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(8),
                    Value::Int(5),
                ],
                "ff FF 0xff 10 010 101",
            ),
            ("%O", vec![Value::Int(8)], "0o10"),
            ("%s-%v", vec![s("a"), s("b")], "a-b"),
            (
                "%q",
                vec![s("he said \"hi\"\n")],
                "\"he said \\\"hi\\\"\\n\"",
            ),
            ("%#q", vec![s("raw")], "`raw`"),
            ("%t", vec![Value::Bool(false)], "false"),
            ("%.2f", vec![Value::Float(1.23456)], "1.23"),
            (
                "%8.3f|%-8.2f|",
                vec![Value::Float(1.23456), Value::Float(2.5)],
                "   1.235|2.50    |",
            ),
            (
                "%e %E",
                vec![Value::Float(123456.789), Value::Float(0.000123)],
                "1.234568e+05 1.230000E-04",
            ),
            (
                "%g %G",
                vec![Value::Float(1e-7), Value::Float(2.5e30)],
                "1e-07 2.5E+30",
            ),
            ("%.3g", vec![Value::Float(1.23456)], "1.23"),
            ("%f", vec![Value::Float(1.0)], "1.000000"),
            (
                "%c%c",
                vec![Value::Int(72), Value::Int(0x4E16)],
                "H\u{4E16}",
            ),
            (
                "%U %#U",
                vec![Value::Int(0x41), Value::Int(0x41)],
                "U+0041 U+0041 'A'",
            ),
            (
                "%x % x %X",
                vec![s("hi"), s("hi"), s("hi")],
                "6869 68 69 6869",
            ),
            (
                "%T %T %T %T",
                vec![s("a"), Value::Int(1), Value::Float(1.0), Value::Nil],
                "string int float64 <nil>",
            ),
            (
                "%*d|%-*d|%.*f",
                vec![
                    Value::Int(4),
                    Value::Int(7),
                    Value::Int(3),
                    Value::Int(7),
                    Value::Int(1),
                    Value::Float(2.25),
                ],
                "   7|7  |2.2",
            ),
            ("%6.2s|", vec![s("hello")], "    he|"),
            ("100%%", vec![], "100%"),
            ("%v", vec![Value::list(vec![s("a"), s("b")])], "[a b]"),
            ("%#v", vec![s("x")], "\"x\""),
            (
                "%#v",
                vec![Value::list(vec![Value::Int(1), s("a")])],
                "[]interface {}{1, \"a\"}",
            ),
            ("%[2]d %[1]d", vec![Value::Int(1), Value::Int(2)], "2 1"),
            (
                "%d",
                vec![Value::list(vec![Value::Int(1), Value::Int(2)])],
                "[1 2]",
            ),
        ];
        for (format, args, want) in cases {
            assert_eq!(sprintf(format, &args).unwrap(), want, "format {format:?}");
        }
    }

    #[test]
    fn sprintf_reports_go_inline_errors() {
        assert_eq!(sprintf("%d", &[s("x")]).unwrap(), "%!d(string=x)");
        assert_eq!(sprintf("%s", &[Value::Int(5)]).unwrap(), "%!s(int=5)");
        assert_eq!(sprintf("%s %s", &[s("a")]).unwrap(), "a %!s(MISSING)");
        assert_eq!(
            sprintf("%s", &[s("a"), s("b"), Value::Int(3)]).unwrap(),
            "a%!(EXTRA string=b, int=3)"
        );
        assert_eq!(sprintf("%d", &[Value::Nil]).unwrap(), "%!d(<nil>)");
        assert_eq!(sprintf("%z", &[Value::Int(1)]).unwrap(), "%!z(int=1)");
        assert_eq!(
            sprintf("%d", &[Value::Float(1.5)]).unwrap(),
            "%!d(float64=1.5)"
        );
        assert_eq!(sprintf("abc%", &[]).unwrap(), "abc%!(NOVERB)");
        assert_eq!(sprintf("%!", &[]).unwrap(), "%!!(MISSING)");
    }

    #[test]
    fn quote_escapes_like_strconv_quote() {
        assert_eq!(quote("a\tb\u{1}é"), "\"a\\tb\\x01é\"");
        assert_eq!(quote("\u{a0}"), "\"\\u00a0\"");
    }
}
