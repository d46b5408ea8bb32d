//! Running a tool as a user would when the runner is root: root's access
//! ignores permission bits, so a case that plants mode 000 would check
//! nothing. Such a case's tool processes run as uid 0 with no
//! capabilities (an empty bounding set, as `setpriv --bounding-set=-all`
//! does): the permission bits of the case's files, which root owns, then
//! apply as they do to a user in a project of their own, and the tool can
//! still run from wherever root installed it (a virtualenv under `/root`).
//! Switching to another uid instead would need every case file chowned
//! and the tool's installation readable by that user.

/// Whether `case`'s tool processes must run without capabilities: the
/// runner is root and the case takes a permission away from its owner (a
/// mode-000 plant, a `chmod` or a file `mode` without all of `rwx` for
/// the owner), which root's access would ignore.
pub fn needed(case: &crate::case::Case) -> bool {
    use crate::case::{Action, FileSpec, Plant, Step};
    let denies = |m: &str| u32::from_str_radix(m, 8).is_ok_and(|m| m & 0o700 != 0o700);
    let spec_denies = |f: &FileSpec| f.mode.as_deref().is_some_and(denies);
    let step_denies = |s: &Step| match s {
        Step::Action(Action::Plant {
            plant: Plant::Mode000,
            ..
        }) => true,
        Step::Action(
            Action::Chmod { mode, .. }
            | Action::Write {
                mode: Some(mode), ..
            },
        ) => denies(mode),
        Step::Action(Action::WikiCommit { commit }) => commit.files.iter().any(spec_denies),
        _ => false,
    };
    rustix::process::geteuid().is_root()
        && (case.steps.iter().any(step_denies)
            || case.project.files.iter().any(spec_denies)
            || case.wiki.worktree.iter().any(spec_denies)
            || case
                .wiki
                .commit
                .iter()
                .any(|c| c.files.iter().any(spec_denies)))
}

/// Why this machine cannot drop capabilities for a tool (the runner may
/// not change its bounding set: no `CAP_SETPCAP`); `None`: it can. Probed
/// once, by a child process that drops them and then finds a mode-000
/// file unreadable.
pub fn cannot() -> Option<String> {
    static PROBE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    PROBE.get_or_init(probe).clone()
}

fn probe() -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let why = |e: &dyn std::fmt::Display| {
        Some(format!(
            "the harness runs as root and cannot run the tool without capabilities \
             (where mode 000 would deny something): {e}"
        ))
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return why(&e),
    };
    let f = dir.path().join("mode-000");
    if let Err(e) = std::fs::write(&f, b"x")
        .and_then(|()| std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)))
    {
        return why(&e);
    }
    let mut cmd = std::process::Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("exec cat \"$0\" >/dev/null 2>&1")
        .arg(&f)
        .stdin(std::process::Stdio::null());
    without_capabilities(&mut cmd);
    match cmd.status() {
        // cat failed to read it: the bits now apply.
        Ok(s) if s.code() == Some(1) => None,
        Ok(s) => why(&format!("a probe read a mode-000 file anyway ({s})")),
        Err(e) => why(&e),
    }
}

/// Makes `cmd`'s process (and all it starts) run with no capabilities:
/// every capability leaves the bounding set, the ambient and inheritable
/// sets are emptied, and so are the effective and permitted ones. An
/// `execve` by uid 0 cannot regain any: what it grants is masked by the
/// bounding set.
///
/// The spawn fails (`EPERM`) when the runner may not drop them.
pub fn without_capabilities(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: between fork and exec the closure makes only prctl and
    // capset system calls, with values on the stack; it allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            use rustix::thread::{CapabilitySet, CapabilitySets};
            for cap in CapabilitySet::all().iter() {
                match rustix::thread::remove_capability_from_bounding_set(cap) {
                    // Newer than this kernel: it has no such capability.
                    Ok(()) | Err(rustix::io::Errno::INVAL) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            rustix::thread::clear_ambient_capability_set()?;
            rustix::thread::set_capabilities(
                None,
                CapabilitySets {
                    effective: CapabilitySet::empty(),
                    permitted: CapabilitySet::empty(),
                    inheritable: CapabilitySet::empty(),
                },
            )?;
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The probe is the guard's test: as root, a process made by
    /// [`without_capabilities`] cannot read a mode-000 file, and one
    /// without it (the negative control) can.
    #[test]
    fn a_tool_without_capabilities_meets_mode_000() {
        if !rustix::process::geteuid().is_root() {
            // A user's bits apply already; it may not empty its bounding set.
            assert!(cannot().is_some(), "a user cannot drop the bounding set");
            return;
        }
        assert_eq!(cannot(), None, "root here can drop capabilities");
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, b"x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
        let read = |drop: bool| {
            let mut cmd = std::process::Command::new("cat");
            cmd.arg(&f)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            if drop {
                without_capabilities(&mut cmd);
            }
            cmd.status().unwrap().success()
        };
        assert!(read(false), "negative control: root reads a mode-000 file");
        assert!(
            !read(true),
            "without capabilities, mode 000 denies the read"
        );
    }
}
