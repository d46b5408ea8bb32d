//! The arguments of `assetpin conform` ([`ConformArgs`]) and its report
//! formats ([`Format`]).

use std::path::PathBuf;

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table per case, failures with expected vs observed, the
    /// per-clause table, and `N passed, N failed[, N skipped]`.
    Human,
    /// One JSON object.
    Json,
    /// JUnit XML, one testcase per case.
    Junit,
    /// One self-contained HTML page: the clause × implementation matrix.
    Html,
}

/// Run the conformance suite (docs/CONTRACT.md as executable cases)
/// against an implementation.
///
/// By default runs the cases built into this binary against this binary.
/// Exit status: 0 when every case passed or is unsupported by the adapter,
/// 1 when a case failed or errored, when no case ran, or when a contract
/// clause has no case; 2 on a usage error.
#[derive(Debug, Clone, clap::Args)]
#[command(after_long_help = "\
EXAMPLES:
    assetpin conform
    assetpin conform --adapter crates/conform/adapters/memtomem.toml
    assetpin conform --filter K6 --format json
    assetpin conform --filter h-hostile/update: --skip :fifo
    assetpin conform --cases my-cases/ --format junit > junit.xml
    assetpin conform --explore --adapter memtomem --scenarios 50 --seed 1
    assetpin conform --adapter reference --adapter crates/conform/adapters/skills.toml \\
        --known skills=tests/conformance/skills-divergences.toml --html matrix.html

Adapters are TOML files (see crates/conform/adapters/ and docs/conformance.md); `reference`
and `memtomem` also name the built-in copies. With several --adapter, the
cases run against each in turn and the reports put them side by side.")]
pub struct ConformArgs {
    /// Adapter file describing an implementation under test, or a
    /// built-in name (`reference`, `memtomem`); repeat to compare several
    #[arg(long, value_name = "FILE|NAME", default_value = "reference")]
    pub adapter: Vec<String>,

    /// Read cases from this directory instead of the built-in set
    #[arg(long, value_name = "DIR")]
    pub cases: Option<PathBuf>,

    /// Only run cases that cite this clause id (`P1`: P1, not P10), or,
    /// when TEXT is not a clause id, whose id contains it (repeatable; any
    /// match selects)
    #[arg(long, value_name = "TEXT", value_parser = non_empty)]
    pub filter: Vec<String>,

    /// Leave out the cases this text names, as --filter reads it
    /// (repeatable; after --filter)
    #[arg(long, value_name = "TEXT", value_parser = non_empty)]
    pub skip: Vec<String>,

    /// Cases run at once, 1 to 1024 [default: one more than the CPUs: a
    /// case waits on its tool part of the time]
    #[arg(long, short = 'j', value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,

    /// Where each case's temporary directories go [default: $TMPDIR when
    /// set, else /dev/shm when it is a writable tmpfs with 1 GiB free, else
    /// /tmp]. A note on stderr says which was used
    #[arg(long, value_name = "DIR", env = crate::scratch::ENV, value_parser = writable_dir)]
    pub scratch: Option<PathBuf>,

    /// Report format on stdout
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Also write a JUnit XML report to this file
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Known divergences (TOML, see tests/conformance/peer-divergences.toml):
    /// a listed case that fails is expected; a listed case that passes, or an
    /// unlisted one that fails, fails the run. With several adapters, say
    /// whose: NAME=FILE, NAME the adapter's `name` (repeatable)
    #[arg(long, value_name = "[NAME=]FILE")]
    pub known: Vec<String>,

    /// Also write the HTML matrix to this file
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Also save the run to this file: a versioned JSON document (every
    /// implementation, each case's outcome and evidence) that `assetpin
    /// report diff|badge|summary` reads
    #[arg(long, value_name = "FILE")]
    pub save_run: Option<PathBuf>,

    /// List the selected cases and exit
    #[arg(long)]
    pub list: bool,
    /// Explore instead of running the cases: random scenarios (verbs, a
    /// user's changes in dest, commits landing in the wiki) run against
    /// the adapter and against the reference, compared step by step; the
    /// first divergence is shrunk and written out as a case file
    /// (`explore-<seed>.toml`) that passes against the reference and fails
    /// against the adapter. Exit 1 when one was found
    #[arg(long, conflicts_with_all = ["list", "cases", "html", "junit", "save_run", "known", "filter", "skip"])]
    pub explore: bool,
    /// The first scenario's seed [default: from the clock, printed]
    #[arg(long, value_name = "N", requires = "explore")]
    pub seed: Option<u64>,
    /// How many scenarios at most [default: 100]
    #[arg(long, value_name = "N", requires = "explore", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub scenarios: Option<u64>,
    /// Start no new scenario after this many seconds
    #[arg(long, value_name = "SECONDS", requires = "explore")]
    pub seconds: Option<u64>,
    /// Where a found case is written [default: the current directory]
    #[arg(long, value_name = "DIR", requires = "explore")]
    pub explore_out: Option<PathBuf>,

    /// Program for adapters that use the current executable (default:
    /// this binary). Set by the test harness.
    #[arg(skip)]
    pub self_exe: Option<PathBuf>,
}

/// `--filter` and `--skip`: an empty text would match every case.
fn non_empty(s: &str) -> Result<String, ArgError> {
    if s.is_empty() {
        Err(ArgError::EmptyText)
    } else {
        Ok(s.to_owned())
    }
}

/// `--scratch`: an existing directory this process may write.
fn writable_dir(s: &str) -> Result<PathBuf, ArgError> {
    let p = PathBuf::from(s);
    if crate::scratch::writable_dir(&p) {
        Ok(p)
    } else {
        Err(ArgError::Scratch(p))
    }
}

/// The default `--jobs`: the CPUs plus one (2 CPUs: 3 jobs ran the
/// suite 5-15 % faster than 2, and 4 no faster than 3).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) + 1
}

/// `--jobs`: 1 to 1024 (more threads than that only cost memory).
fn parse_jobs(s: &str) -> Result<usize, ArgError> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(ArgError::Jobs(s.to_owned())),
    }
}

/// A value clap's parsers refuse (clap prints it after
/// `invalid value '…' for '--…':`).
#[derive(Debug, thiserror::Error)]
pub enum ArgError {
    /// An empty `--filter` or `--skip`.
    #[error("an empty text matches every case; give a clause id or part of a case id")]
    EmptyText,
    /// A `--jobs` that is not 1 to 1024.
    #[error("{0:?} is not a number of jobs from 1 to 1024")]
    Jobs(String),
    /// A `--scratch` that is not a directory this process may write.
    #[error(
        "{} is not a directory this process may write; create it (mkdir -p) or name another",
        .0.display()
    )]
    Scratch(PathBuf),
}
