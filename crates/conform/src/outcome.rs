//! How a case ended ([`Outcome`], counted by [`Status`]) and what failed
//! in it ([`Failure`]).

use crate::error::HarnessError;
use std::fmt;

/// How a case ended, with what the reports say about it.
#[derive(Debug)]
pub enum Outcome {
    /// Every expectation held.
    Passed,
    /// Expectations did not hold: the failures, in report order.
    Failed(Vec<Failure>),
    /// The adapter does not claim the case (profile, verbs, features), or
    /// this machine cannot run it: the reason.
    Unsupported(String),
    /// The harness itself failed (bad case, missing git, ...).
    Error(HarnessError),
}

/// The four outcomes without their details, for counting and tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// [`Outcome::Passed`].
    Passed,
    /// [`Outcome::Failed`].
    Failed,
    /// [`Outcome::Unsupported`].
    Unsupported,
    /// [`Outcome::Error`].
    Error,
}

impl Status {
    /// Lower-case name used in every report format.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Unsupported => "unsupported",
            Status::Error => "error",
        }
    }
}

impl Outcome {
    /// Which of the four it is.
    pub fn status(&self) -> Status {
        match self {
            Outcome::Passed => Status::Passed,
            Outcome::Failed(_) => Status::Failed,
            Outcome::Unsupported(_) => Status::Unsupported,
            Outcome::Error(_) => Status::Error,
        }
    }

    /// The failures (none unless failed).
    pub fn failures(&self) -> &[Failure] {
        match self {
            Outcome::Failed(f) => f,
            _ => &[],
        }
    }

    /// The report's detail lines: one per failure (failed), the reason
    /// (unsupported), the harness error (error); none when passed.
    pub fn details(&self) -> Vec<String> {
        match self {
            Outcome::Passed => Vec::new(),
            Outcome::Failed(f) => f.iter().map(ToString::to_string).collect(),
            Outcome::Unsupported(why) => vec![why.clone()],
            Outcome::Error(e) => vec![e.to_string()],
        }
    }
}

/// One expectation that did not hold. Its `Display` is the line the
/// reports print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What was checked (`exit`, `stderr`, `lockfile /skills/a`,
    /// `file a/b`, `step 2`, ...).
    pub check: String,
    /// What the case expected, when it says.
    pub expected: Option<String>,
    /// What was observed, when it is a value.
    pub observed: Option<String>,
    /// The contract clause it breaks, where the check knows it.
    pub clause: Option<&'static str>,
    /// The report's line.
    line: String,
}

impl Failure {
    /// A failure of `check` that the report says as `line`.
    pub fn new(check: impl Into<String>, line: impl Into<String>) -> Failure {
        Failure {
            check: check.into(),
            expected: None,
            observed: None,
            clause: None,
            line: line.into(),
        }
    }

    /// `<check>: expected <expected>, observed <observed>`.
    pub fn mismatch(
        check: impl Into<String>,
        expected: impl Into<String>,
        observed: impl Into<String>,
    ) -> Failure {
        let (check, expected, observed) = (check.into(), expected.into(), observed.into());
        let line = format!("{check}: expected {expected}, observed {observed}");
        Failure::new(check, line)
            .expecting(expected)
            .observing(observed)
    }

    /// With what was expected.
    #[must_use]
    pub fn expecting(mut self, e: impl Into<String>) -> Failure {
        self.expected = Some(e.into());
        self
    }

    /// With what was observed.
    #[must_use]
    pub fn observing(mut self, o: impl Into<String>) -> Failure {
        self.observed = Some(o.into());
        self
    }

    /// With the clause it breaks.
    #[must_use]
    pub fn clause(mut self, id: &'static str) -> Failure {
        self.clause = Some(id);
        self
    }

    /// The same failure, its line indented under a heading (a step's).
    #[must_use]
    pub fn indented(mut self) -> Failure {
        self.line = format!("  {}", self.line);
        self
    }
}

impl Failure {
    /// The structured form the JSON report gives besides the line:
    /// `{"check", "expected", "observed", "clause"}` (null where unknown).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "check": self.check,
            "expected": self.expected,
            "observed": self.observed,
            "clause": self.clause,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mismatch_says_its_line_and_keeps_its_values() {
        let f = Failure::mismatch("exit", "0", "1").clause("E2");
        assert_eq!(f.to_string(), "exit: expected 0, observed 1");
        assert_eq!(
            f.to_json(),
            serde_json::json!({"check": "exit", "expected": "0", "observed": "1", "clause": "E2"})
        );
        assert_eq!(f.indented().to_string(), "  exit: expected 0, observed 1");
    }

    #[test]
    fn a_failure_without_values_has_nulls() {
        let f = Failure::new("step 2", "step 2 (install skill a):");
        assert_eq!(
            f.to_json(),
            serde_json::json!({"check": "step 2", "expected": null, "observed": null, "clause": null})
        );
        let o = Outcome::Failed(vec![f]);
        assert_eq!(o.failures().len(), 1);
        assert!(Outcome::Passed.failures().is_empty());
    }
}
