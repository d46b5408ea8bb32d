//! Python's `json.dumps(doc, indent=2, ensure_ascii=False)` byte for byte
//! (L8): serde_json's pretty printer with a 2-space indent, and numbers
//! spelled as Python re-spells them after `json.loads` — integers as
//! written (`-0` as `0`), floats as `repr(float)` (`1e-07`, `100000.0`,
//! `1e+16`); a number beyond a double's range keeps its text, since
//! Python's `Infinity` is not JSON.

use serde_json::ser::{Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Python's `repr(float)`: the shortest digits that round-trip, in fixed
/// notation when the decimal exponent is in `-4 < decpt <= 16`, else in
/// exponent notation with a sign and at least two exponent digits.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-Infinity" } else { "Infinity" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` prints the shortest round-tripping digits too, but on
    // an exact tie between two such spellings it may pick the upper one,
    // where Python picks the one nearer the true value, half to even
    // (1568386953221709.25 → `...709.2`). The exactly rounded spelling of
    // the same length is Python's whenever it still round-trips.
    let shortest = format!("{:e}", f.abs());
    let len = shortest.split_once('e').map_or(0, |(m, _)| m.len());
    let places = len.saturating_sub(2); // digits after the point
    let exact = format!("{:.places$e}", f.abs());
    let e = if exact.parse::<f64>() == Ok(f.abs()) {
        exact
    } else {
        shortest
    };
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let n = digits.len() as i32;
    let decpt = exp + 1;
    if decpt <= -4 || decpt > 16 {
        let m = if n > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits
        };
        let x = decpt - 1;
        format!("{sign}{m}e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs())
    } else if decpt <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if n <= decpt {
        format!("{sign}{digits}{}.0", "0".repeat((decpt - n) as usize))
    } else {
        let (i, frac) = digits.split_at(decpt as usize);
        format!("{sign}{i}.{frac}")
    }
}

/// How Python writes back a JSON number it read as `text`.
pub fn python_number(text: &str) -> String {
    let is_int = !text.contains(['.', 'e', 'E']);
    if is_int {
        // Python reads an int exactly; `-0` is just 0.
        if text.trim_start_matches('-').bytes().all(|b| b == b'0') {
            return "0".into();
        }
        return text.to_owned();
    }
    match text.parse::<f64>() {
        Ok(f) if f.is_finite() => python_float_repr(f),
        // Beyond a double's range Python writes `Infinity`, which is not
        // JSON: every strict reader, this one included, would then refuse
        // the lockfile. The text as read is JSON and means the same.
        _ => text.to_owned(),
    }
}

/// serde_json formatter that writes what Python's `json.dumps(indent=2,
/// ensure_ascii=False)` writes.
pub struct PyFormatter {
    inner: PrettyFormatter<'static>,
}

impl Default for PyFormatter {
    fn default() -> Self {
        PyFormatter {
            inner: PrettyFormatter::with_indent(b"  "),
        }
    }
}

impl Formatter for PyFormatter {
    fn write_number_str<W: ?Sized + Write>(&mut self, w: &mut W, value: &str) -> io::Result<()> {
        w.write_all(python_number(value).as_bytes())
    }
    fn write_f64<W: ?Sized + Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        w.write_all(python_float_repr(value).as_bytes())
    }
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.inner.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.inner.end_object_value(w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l8_numbers_as_python_writes_them() {
        // Expected values from CPython 3.11: json.dumps(json.loads(text)).
        for (text, py) in [
            ("1E5", "100000.0"),
            ("1e-7", "1e-07"),
            ("100000000000000000000.0", "1e+20"),
            ("1.5e300", "1.5e+300"),
            ("1e16", "1e+16"),
            ("1e15", "1000000000000000.0"),
            ("0.0001", "0.0001"),
            ("0.00001", "1e-05"),
            ("123.456", "123.456"),
            ("-0.0", "-0.0"),
            ("-0", "0"),
            ("0.1", "0.1"),
            ("1.50", "1.5"),
            ("12345678901234567890123", "12345678901234567890123"),
            ("1e400", "1e400"),
            ("-1e400", "-1e400"),
            ("1e999", "1e999"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            ("123456789012345678.5", "1.2345678901234568e+17"),
            // An exact tie between two 17-digit spellings: half to even.
            ("1568386953221709.25", "1568386953221709.2"),
            ("1568386953221709.75", "1568386953221709.8"),
        ] {
            assert_eq!(python_number(text), py, "{text}");
        }
    }

    /// L8 for a float that reaches the formatter as an `f64` (a typed
    /// value rather than a parsed `Value`): spelled as Python's repr too.
    /// (serde_json writes a non-finite `f64` as `null` before the
    /// formatter sees it.)
    #[test]
    fn l8_f64_values_as_python_writes_them() {
        use serde::Serialize;
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter::default());
        [1e16_f64, 1e-7, 0.5].serialize(&mut ser).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n  1e+16,\n  1e-07,\n  0.5\n]"
        );
    }

    /// The values JSON cannot hold, as Python's `json.dumps` spells them
    /// (`[Infinity, -Infinity, NaN]`): reached only by a caller with such
    /// an `f64`, never from parsed text.
    #[test]
    fn non_finite_values_as_python_spells_them() {
        assert_eq!(python_float_repr(f64::INFINITY), "Infinity");
        assert_eq!(python_float_repr(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(python_float_repr(f64::NAN), "NaN");
    }
}
