//! The report files (`--junit`, `--html`, `--save-run`): opened before the run, so a
//! path that cannot take the report fails at once, and refused when it is
//! an input of the run or the other output.

use crate::adapter::Adapter;
use crate::args::ConformArgs;
use crate::matrix;
use crate::suite::ImplRun;
use std::path::{Path, PathBuf};

/// A report renderer over the runs.
type Render = fn(&[ImplRun]) -> String;

/// A report file (`--junit`, `--html`) opened before the run, so that a
/// path that cannot take it fails at once, not after every case ran.
pub(crate) struct Output {
    path: PathBuf,
    /// The open made the file (removed again if the run is refused).
    created: bool,
    what: &'static str,
    file: std::fs::File,
    render: Render,
}

impl Output {
    /// Opens `path` for writing without truncating it yet (the report
    /// replaces it when the run ends). A FIFO with no reader is refused
    /// rather than waited on; a directory is refused.
    fn open(path: &Path, what: &'static str, render: Render) -> Result<Output, OutputError> {
        use rustix::fs::{Mode, OFlags};
        let fail = |why| OutputError::Open {
            what,
            path: path.to_owned(),
            why,
        };
        let fd = rustix::fs::open(
            path,
            OFlags::WRONLY | OFlags::CREATE | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map_err(|e| match e {
            rustix::io::Errno::NXIO => fail(CannotOpen::UnreadFifo),
            rustix::io::Errno::ISDIR => fail(CannotOpen::Directory),
            e => fail(CannotOpen::Os(e.into())),
        })?;
        // Writes at the end block as usual (a FIFO's reader is there).
        let _ = rustix::fs::fcntl_setfl(&fd, OFlags::empty());
        Ok(Output {
            path: path.to_owned(),
            created: false,
            what,
            file: std::fs::File::from(fd),
            render,
        })
    }

    /// Identity of the opened file (device, inode).
    fn id(&self) -> Option<(u64, u64)> {
        self.file.metadata().ok().as_ref().map(dev_ino)
    }

    /// Replaces the file's bytes with the report.
    pub(crate) fn write(mut self, runs: &[ImplRun]) -> Result<(), OutputError> {
        use std::io::Write;
        let text = (self.render)(runs);
        let fail = |e: std::io::Error| OutputError::Write {
            what: self.what,
            path: self.path.clone(),
            source: e,
        };
        if self.file.metadata().is_ok_and(|m| m.is_file()) {
            self.file.set_len(0).map_err(fail)?;
        }
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.flush())
            .map_err(fail)
    }
}

/// A file's identity: (device, inode).
fn dev_ino(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

/// Identity of an existing file.
fn file_id(p: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(p).ok().as_ref().map(dev_ino)
}

/// Opens `--junit` and `--html`, refusing one that is an input of the run
/// (an adapter or known-divergences file) or the other output.
pub(crate) fn open_outputs(
    args: &ConformArgs,
    ads: &[Adapter],
) -> Result<Vec<Output>, OutputError> {
    let mut outs: Vec<Output> = Vec::new();
    match open_each(args, ads, &mut outs) {
        Ok(()) => Ok(outs),
        Err(e) => {
            // Nothing of a refused run is left behind.
            for o in outs.iter().filter(|o| o.created) {
                let _ = std::fs::remove_file(&o.path);
            }
            Err(e)
        }
    }
}

fn open_each(
    args: &ConformArgs,
    ads: &[Adapter],
    outs: &mut Vec<Output>,
) -> Result<(), OutputError> {
    let inputs: Vec<String> = args
        .adapter
        .iter()
        .cloned()
        .chain(
            args.known
                .iter()
                .map(|k| k.split_once('=').map_or(k.as_str(), |(_, f)| f).to_owned()),
        )
        .chain(ads.iter().map(|a| a.exe.display().to_string()))
        .collect();
    let cases_dir = args
        .cases
        .as_ref()
        .and_then(|d| std::fs::canonicalize(d).ok());
    let wanted: [(&Option<PathBuf>, &'static str, Render); 3] = [
        (&args.junit, "JUnit", matrix::junit),
        (&args.html, "HTML", matrix::html),
        (&args.save_run, "saved-run", crate::saved::document),
    ];
    for (path, what, render) in wanted {
        let Some(p) = path else { continue };
        let parent = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if let (Some(cases), Ok(dir)) = (&cases_dir, std::fs::canonicalize(parent))
            && dir.starts_with(cases)
        {
            return Err(OutputError::InCases {
                what,
                path: p.clone(),
                cases: cases.clone(),
            });
        }
        let before = file_id(p);
        if let Some(id) = before {
            if let Some(i) = inputs.iter().find(|i| file_id(Path::new(i)) == Some(id)) {
                return Err(OutputError::IsInput {
                    what,
                    path: p.clone(),
                    input: i.clone(),
                });
            }
            if let Some(o) = outs.iter().find(|o| o.id() == Some(id)) {
                return Err(OutputError::SameFile {
                    what,
                    path: p.clone(),
                    other: o.what,
                });
            }
        }
        let mut o = Output::open(p, what, render)?;
        o.created = before.is_none();
        outs.push(o);
    }
    Ok(())
}

/// Why a report file (`--junit`, `--html`, its `what`) cannot take the
/// report.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The path cannot be opened for writing.
    #[error("cannot write the {what} report to {}: {why}; give a writable file path", path.display())]
    Open {
        /// `JUnit` or `HTML`.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// Why.
        why: CannotOpen,
    },
    /// The path is inside the `--cases` directory.
    #[error(
        "the {what} report {} is inside the case directory {}; write it elsewhere",
        path.display(),
        cases.display()
    )]
    InCases {
        /// `JUnit` or `HTML`.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The case directory.
        cases: PathBuf,
    },
    /// The path is an input of the run (an adapter, a known-divergences
    /// file, a program).
    #[error("the {what} report {} is the input {input}; write it elsewhere", path.display())]
    IsInput {
        /// `JUnit` or `HTML`.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The input as given.
        input: String,
    },
    /// Both reports were given the same file.
    #[error("the {what} report {} is also the {other} report; give each its own file", path.display())]
    SameFile {
        /// `JUnit` or `HTML`.
        what: &'static str,
        /// The path given.
        path: PathBuf,
        /// The other report.
        other: &'static str,
    },
    /// Writing the report at the end of the run failed.
    #[error("cannot write the {what} report {}: {source}", path.display())]
    Write {
        /// `JUnit` or `HTML`.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl OutputError {
    /// True when the path was given unusable (a usage error), false when
    /// writing failed at the end of the run.
    pub fn is_usage(&self) -> bool {
        !matches!(self, OutputError::Write { .. })
    }
}

/// Why a report path cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum CannotOpen {
    /// A FIFO with no reader.
    #[error("a FIFO that nobody reads")]
    UnreadFifo,
    /// A directory.
    #[error("a directory")]
    Directory,
    /// Any other failure of the open.
    #[error("{0}")]
    Os(std::io::Error),
}
