//! Sprig's numeric functions: integer math (`add`, `sub`, `mul`, `div`, `mod`, `max`,
//! `min`), float math through decimals (`addf`, `subf`, `mulf`, `divf`), rounding,
//! conversions (`int`, `int64`, `float64`, `atoi`, `toDecimal`) and sequences.
//!
//! Helm counterpart: Masterminds/sprig v3 `numeric.go` and `functions.go`. Integer math
//! converts every argument with `cast.ToInt64` and returns `int64`; the `*f` functions use
//! shopspring/decimal built from each float's shortest form, so `addf 1.1 2.2` is `3.3`.
use std::collections::HashMap;

use rand::RngExt;

use super::super::gofmt::format_value;
use super::super::value::{Func, FuncError, Value};
use super::conv::{to_float64, to_int64};
use super::{FuncResult, args, args_min, int_arg, str_arg, string_value};

/// Registers the numeric functions.
pub fn register(m: &mut HashMap<&'static str, Func>) {
    let fs: &[(&'static str, Func)] = &[
        ("add", add),
        ("add1", add1),
        ("sub", sub),
        ("div", div),
        ("mod", modulo),
        ("mul", mul),
        ("max", max),
        ("biggest", max),
        ("min", min),
        ("addf", addf),
        ("add1f", add1f),
        ("subf", subf),
        ("divf", divf),
        ("mulf", mulf),
        ("maxf", maxf),
        ("minf", minf),
        ("floor", floor),
        ("ceil", ceil),
        ("round", round),
        ("int", to_int),
        ("int64", to_int64_fn),
        ("float64", to_float),
        ("atoi", atoi),
        ("toDecimal", to_decimal),
        ("seq", seq),
        ("until", until),
        ("untilStep", until_step),
        ("randInt", rand_int),
    ];
    m.extend(fs.iter().copied());
}

fn add(a: &[Value]) -> FuncResult {
    Ok(Value::int64(
        a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
    ))
}

fn add1(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("add1", a)?;
    Ok(Value::int64(to_int64(v).wrapping_add(1)))
}

fn sub(a: &[Value]) -> FuncResult {
    let [x, y] = args::<2>("sub", a)?;
    Ok(Value::int64(to_int64(x).wrapping_sub(to_int64(y))))
}

fn divide_by_zero() -> FuncError {
    FuncError("runtime error: integer divide by zero".into())
}

fn div(a: &[Value]) -> FuncResult {
    let [x, y] = args::<2>("div", a)?;
    let d = to_int64(y);
    if d == 0 {
        return Err(divide_by_zero());
    }
    Ok(Value::int64(to_int64(x).wrapping_div(d)))
}

fn modulo(a: &[Value]) -> FuncResult {
    let [x, y] = args::<2>("mod", a)?;
    let d = to_int64(y);
    if d == 0 {
        return Err(divide_by_zero());
    }
    Ok(Value::int64(to_int64(x).wrapping_rem(d)))
}

fn mul(a: &[Value]) -> FuncResult {
    args_min("mul", a, 1)?;
    Ok(Value::int64(
        a[1..]
            .iter()
            .fold(to_int64(&a[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
    ))
}

fn max(a: &[Value]) -> FuncResult {
    args_min("max", a, 1)?;
    Ok(Value::int64(a.iter().map(to_int64).max().unwrap_or(0)))
}

fn min(a: &[Value]) -> FuncResult {
    args_min("min", a, 1)?;
    Ok(Value::int64(a.iter().map(to_int64).min().unwrap_or(0)))
}

/// A decimal `mantissa × 10^-scale`, as shopspring/decimal's `NewFromFloat` builds it.
#[derive(Clone, Copy)]
struct Decimal {
    mantissa: i128,
    scale: u32,
}

impl Decimal {
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        let text = format!("{:e}", f);
        let (mant, exp) = text.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let neg = mant.starts_with('-');
        let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
        let frac_digits = digits.len() as i32 - 1;
        let mut mantissa: i128 = digits.parse().ok()?;
        let mut scale = frac_digits - exp;
        if scale < 0 {
            mantissa = mantissa.checked_mul(10i128.checked_pow((-scale) as u32)?)?;
            scale = 0;
        }
        if neg {
            mantissa = -mantissa;
        }
        Some(Decimal {
            mantissa,
            scale: scale as u32,
        })
    }

    fn rescale(self, scale: u32) -> Option<i128> {
        self.mantissa
            .checked_mul(10i128.checked_pow(scale - self.scale)?)
    }

    fn add(self, o: Decimal) -> Option<Decimal> {
        let scale = self.scale.max(o.scale);
        Some(Decimal {
            mantissa: self.rescale(scale)?.checked_add(o.rescale(scale)?)?,
            scale,
        })
    }

    fn neg(self) -> Decimal {
        Decimal {
            mantissa: -self.mantissa,
            scale: self.scale,
        }
    }

    fn mul(self, o: Decimal) -> Option<Decimal> {
        Some(Decimal {
            mantissa: self.mantissa.checked_mul(o.mantissa)?,
            scale: self.scale + o.scale,
        })
    }

    /// shopspring's `Div`: the quotient rounded (half away from zero) to 16 places.
    fn div(self, o: Decimal) -> Option<Decimal> {
        if o.mantissa == 0 {
            return None;
        }
        const PREC: u32 = 16;
        let num = self
            .mantissa
            .checked_mul(10i128.checked_pow(o.scale + PREC)?)?;
        let den = o.mantissa.checked_mul(10i128.checked_pow(self.scale)?)?;
        let mut q = num / den;
        let r = num % den;
        if r.unsigned_abs() * 2 >= den.unsigned_abs() {
            q += if (num < 0) != (den < 0) { -1 } else { 1 };
        }
        Some(Decimal {
            mantissa: q,
            scale: PREC,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e-{}", self.mantissa, self.scale)
            .parse()
            .unwrap_or_default()
    }
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

fn decimal_op(first: &Value, rest: &[Value], op: Op) -> f64 {
    let mut acc_f = to_float64(first);
    let mut acc = Decimal::from_f64(acc_f);
    for v in rest {
        let x = to_float64(v);
        let d = Decimal::from_f64(x);
        acc = match (acc, d) {
            (Some(p), Some(q)) => match op {
                Op::Add => p.add(q),
                Op::Sub => p.add(q.neg()),
                Op::Mul => p.mul(q),
                Op::Div => p.div(q),
            },
            _ => None,
        };
        acc_f = match op {
            Op::Add => acc_f + x,
            Op::Sub => acc_f - x,
            Op::Mul => acc_f * x,
            Op::Div => acc_f / x,
        };
        if let Some(d) = acc {
            acc_f = d.to_f64();
        }
    }
    acc.map_or(acc_f, Decimal::to_f64)
}

fn addf(a: &[Value]) -> FuncResult {
    Ok(Value::Float(decimal_op(&Value::Float(0.0), a, Op::Add)))
}

fn add1f(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("add1f", a)?;
    Ok(Value::Float(decimal_op(v, &[Value::Int(1)], Op::Add)))
}

fn subf(a: &[Value]) -> FuncResult {
    args_min("subf", a, 1)?;
    Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Sub)))
}

fn mulf(a: &[Value]) -> FuncResult {
    args_min("mulf", a, 1)?;
    Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Mul)))
}

fn divf(a: &[Value]) -> FuncResult {
    args_min("divf", a, 1)?;
    if a[1..].iter().any(|v| to_float64(v) == 0.0) {
        return Err(FuncError("decimal division by 0".into()));
    }
    Ok(Value::Float(decimal_op(&a[0], &a[1..], Op::Div)))
}

fn maxf(a: &[Value]) -> FuncResult {
    args_min("maxf", a, 1)?;
    Ok(Value::Float(
        a[1..]
            .iter()
            .map(to_float64)
            .fold(to_float64(&a[0]), f64::max),
    ))
}

fn minf(a: &[Value]) -> FuncResult {
    args_min("minf", a, 1)?;
    Ok(Value::Float(
        a[1..]
            .iter()
            .map(to_float64)
            .fold(to_float64(&a[0]), f64::min),
    ))
}

fn floor(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("floor", a)?;
    Ok(Value::Float(to_float64(v).floor()))
}

fn ceil(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("ceil", a)?;
    Ok(Value::Float(to_float64(v).ceil()))
}

fn round(a: &[Value]) -> FuncResult {
    args_min("round", a, 2)?;
    let val = to_float64(&a[0]);
    let places = int_arg(&a[1])? as f64;
    let round_on = match a.get(2) {
        Some(Value::Float(f)) => *f,
        Some(Value::Int(i)) => *i as f64,
        Some(other) => {
            return Err(super::wrong_type("float64", other));
        }
        None => 0.5,
    };
    let pow = 10f64.powf(places);
    let digit = pow * val;
    let div = digit.fract();
    let r = if div >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    Ok(Value::Float(r / pow))
}

fn to_int(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("int", a)?;
    Ok(Value::Int(to_int64(v)))
}

fn to_int64_fn(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("int64", a)?;
    Ok(Value::int64(to_int64(v)))
}

fn to_float(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("float64", a)?;
    Ok(Value::Float(to_float64(v)))
}

fn atoi(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("atoi", a)?;
    let s = str_arg(v)?;
    let t = s.strip_prefix('+').unwrap_or(s);
    let ok = !t.is_empty()
        && t.strip_prefix('-')
            .unwrap_or(t)
            .chars()
            .all(|c| c.is_ascii_digit());
    Ok(Value::Int(if ok { t.parse().unwrap_or(0) } else { 0 }))
}

fn to_decimal(a: &[Value]) -> FuncResult {
    let [v] = args::<1>("toDecimal", a)?;
    let text = format_value(v);
    let t = text.strip_prefix('+').unwrap_or(&text);
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let parsed = if digits.is_empty() {
        None
    } else {
        i64::from_str_radix(digits, 8).ok()
    };
    Ok(Value::int64(parsed.map_or(0, |n| if neg { -n } else { n })))
}

/// Sprig's `untilStep`.
fn until_step_vec(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

fn int_list(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

fn until(a: &[Value]) -> FuncResult {
    let [n] = args::<1>("until", a)?;
    let n = int_arg(n)?;
    let step = if n < 0 { -1 } else { 1 };
    Ok(int_list(until_step_vec(0, n, step)))
}

fn until_step(a: &[Value]) -> FuncResult {
    let [start, stop, step] = args::<3>("untilStep", a)?;
    Ok(int_list(until_step_vec(
        int_arg(start)?,
        int_arg(stop)?,
        int_arg(step)?,
    )))
}

fn seq(a: &[Value]) -> FuncResult {
    let p: Vec<i64> = a.iter().map(int_arg).collect::<Result<_, _>>()?;
    let join = |v: Vec<i64>| {
        string_value(
            v.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        )
    };
    Ok(match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            join(until_step_vec(1, end + inc, inc))
        }
        [start, end] => {
            let inc = if end < start { -1 } else { 1 };
            join(until_step_vec(*start, end + inc, inc))
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && *step > 0 {
                return Ok(string_value(""));
            }
            join(until_step_vec(*start, end + inc, *step))
        }
        _ => string_value(""),
    })
}

fn rand_int(a: &[Value]) -> FuncResult {
    let [lo, hi] = args::<2>("randInt", a)?;
    let (lo, hi) = (int_arg(lo)?, int_arg(hi)?);
    if hi <= lo {
        return Err(FuncError("invalid argument to Intn".into()));
    }
    Ok(Value::Int(rand::rng().random_range(lo..hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::string(x)
    }

    fn call(f: Func, a: &[Value]) -> String {
        match f(a) {
            Ok(v) => format_value(&v),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn integer_math_casts_every_argument() {
        assert_eq!(call(add, &[Value::Int(1), Value::Float(2.9), s("3")]), "6");
        assert_eq!(call(add1, &[Value::Float(1.5)]), "2");
        assert_eq!(call(sub, &[Value::Int(5), s("2")]), "3");
        assert_eq!(call(div, &[Value::Int(7), Value::Int(2)]), "3");
        assert_eq!(call(modulo, &[Value::Int(7), Value::Int(3)]), "1");
        assert_eq!(
            call(mul, &[Value::Int(2), Value::Int(3), Value::Int(4)]),
            "24"
        );
        assert_eq!(
            call(max, &[Value::Int(2), Value::Float(9.0), Value::Int(4)]),
            "9"
        );
        assert_eq!(call(min, &[Value::Int(2), Value::Int(-1)]), "-1");
        assert_eq!(
            call(div, &[Value::Int(1), Value::Int(0)]),
            "ERR runtime error: integer divide by zero"
        );
    }

    #[test]
    fn float_math_uses_decimals() {
        assert_eq!(call(addf, &[Value::Float(1.1), Value::Float(2.2)]), "3.3");
        assert_eq!(call(subf, &[Value::Float(0.3), Value::Float(0.1)]), "0.2");
        assert_eq!(call(mulf, &[Value::Float(1.1), Value::Int(3)]), "3.3");
        assert_eq!(
            call(divf, &[Value::Int(1), Value::Int(3)]),
            "0.3333333333333333"
        );
        assert_eq!(call(divf, &[Value::Int(10), Value::Int(4)]), "2.5");
        assert_eq!(call(add1f, &[Value::Float(1.5)]), "2.5");
        assert_eq!(call(maxf, &[Value::Float(1.5), Value::Int(3)]), "3");
        assert_eq!(call(floor, &[Value::Float(1.7)]), "1");
        assert_eq!(call(ceil, &[s("1.2")]), "2");
        assert_eq!(
            call(round, &[Value::Float(123.5555), Value::Int(3)]),
            "123.556"
        );
        assert_eq!(call(round, &[Value::Float(123.5), Value::Int(0)]), "124");
    }

    #[test]
    fn conversions_follow_cast() {
        assert_eq!(call(to_int, &[s("42")]), "42");
        assert_eq!(call(to_int, &[Value::Float(3.99)]), "3");
        assert_eq!(call(to_float, &[s("1.5")]), "1.5");
        assert_eq!(call(atoi, &[s("12")]), "12");
        assert_eq!(call(atoi, &[s("x")]), "0");
        assert_eq!(call(to_decimal, &[s("0777")]), "511");
        assert_eq!(call(to_decimal, &[Value::Int(8)]), "0");
    }

    #[test]
    fn sequences_follow_sprig() {
        assert_eq!(call(until, &[Value::Int(3)]), "[0 1 2]");
        assert_eq!(call(until, &[Value::Int(-2)]), "[0 -1]");
        assert_eq!(
            call(until_step, &[Value::Int(0), Value::Int(10), Value::Int(4)]),
            "[0 4 8]"
        );
        assert_eq!(call(seq, &[Value::Int(3)]), "1 2 3");
        assert_eq!(call(seq, &[Value::Int(2), Value::Int(-2)]), "2 1 0 -1 -2");
        assert_eq!(
            call(seq, &[Value::Int(0), Value::Int(2), Value::Int(6)]),
            "0 2 4 6"
        );
        assert_eq!(call(seq, &[Value::Int(-3)]), "1 0 -1 -2 -3");
        assert_eq!(
            call(until, &[Value::Float(3.0)]),
            "ERR wrong type for value; expected int; got float64"
        );
    }
}
