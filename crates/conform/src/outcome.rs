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

    /// A failure said as `line`, its check the text before the first `:`.
    pub fn from_line(line: impl Into<String>) -> Failure {
        let line = line.into();
        let check = line.split(':').next().unwrap_or("").trim().to_owned();
        Failure::new(check, line)
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

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}
