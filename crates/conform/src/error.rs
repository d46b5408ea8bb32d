//! Harness errors ([`HarnessError`]): what stops a case before its
//! implementation can be judged (a bad case, an adapter that cannot drive
//! it, git or the file system failing, a machine that cannot make what the
//! case needs). Each one's text is the line the reports print.

/// A `Result` whose error is a [`HarnessError`].
pub type HResult<T> = Result<T, HarnessError>;

/// Why the harness could not run or judge a case.
#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    /// An operation of the harness on the file system or on a process
    /// failed; `what` names the operation and its path.
    #[error("harness: {what}: {source}")]
    Io {
        /// The operation and its path (`write /tmp/…/project/a`).
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O error with nothing more to say.
    #[error("harness: {0}")]
    Fs(#[from] std::io::Error),
    /// git ran and failed.
    #[error("harness: git {args} failed{}", .stderr.as_ref().map(|e| format!(": {e}")).unwrap_or_default())]
    Git {
        /// The git arguments.
        args: String,
        /// What git said on stderr (trimmed), when it was read.
        stderr: Option<String>,
    },
    /// The adapter's `run.setup` did not succeed.
    #[error("harness: adapter setup {argv:?} {ended}")]
    Setup {
        /// The setup command.
        argv: Vec<String>,
        /// How it ended (`exited 1: <stderr>`, `still running after N s; killed`).
        ended: String,
    },
    /// The case refers to something missing or malformed (an unknown
    /// variable, a bad regex, mode or hex).
    #[error("{0}")]
    Case(String),
    /// The adapter cannot drive this case as written (no template for a
    /// verb, a layout path leading outside the case's directories).
    #[error("{0}")]
    Adapter(String),
    /// The run is being interrupted: no new case directory is made.
    #[error("harness: interrupted")]
    Interrupted,
    /// A step ran no process.
    #[error("no process result")]
    NoProcessResult,
    /// This machine cannot make what the case needs (a socket, a
    /// character device, a mode-000 entry as root that cannot drop
    /// capabilities): the case is reported
    /// unsupported with this reason, not as an error.
    #[error("{0}")]
    MachineCannot(String),
}

/// A `map_err` for an I/O error of the operation `what` (with its path).
pub(crate) fn io_err<E: Into<std::io::Error>>(
    what: impl Into<String>,
) -> impl FnOnce(E) -> HarnessError {
    let what = what.into();
    move |e| HarnessError::Io {
        what,
        source: e.into(),
    }
}
