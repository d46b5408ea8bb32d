//! Resource bounds (E4; the depth sharpening of I1, I2): open file
//! handles and stack stay bounded whatever the width and depth of the
//! asset and of dest, and memory whatever the size of a file the tool
//! only compares or refuses. Every run here is limited by `ulimit -n 256` (open
//! files) and `ulimit -s 512` (KiB of main-thread stack: the debug
//! build needs about 260 KiB to build its clap command, a walk that
//! recursed once per level of a 100,000-level tree would need megabytes);
//! the first test shows the limits bite.

use super::*;
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The shell prefix that sets the limits, then runs the program.
const LIMITS: &str = "ulimit -n 256 && ulimit -s 512 && exec \"$0\" \"$@\"";

/// [`LIMITS`] and at most 300 MB of address space (the binary needs
/// under 150 MB for any verb here).
const LIMITS_MEM: &str = "ulimit -n 256 && ulimit -s 512 && ulimit -v 300000 && exec \"$0\" \"$@\"";

/// `assetpin --project P --wiki W args` under [`LIMITS`].
fn limited(project: &Project, wiki: &Wiki, args: &[&str]) -> Output {
    limited_by(LIMITS, project, wiki, args)
}

/// `assetpin --project P --wiki W args` under the shell limits `limits`.
fn limited_by(limits: &str, project: &Project, wiki: &Wiki, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(limits)
        .arg(bin())
        .arg("--project")
        .arg(project.path())
        .arg("--wiki")
        .arg(wiki.path())
        .args(args)
        .env("HOME", project.home())
        .env_remove("MEMTOMEM_WIKI_PATH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[track_caller]
fn limited_ok(project: &Project, wiki: &Wiki, args: &[&str]) -> Output {
    limited_ok_by(LIMITS, project, wiki, args)
}

/// [`limited_by`] that asserts success.
#[track_caller]
fn limited_ok_by(limits: &str, project: &Project, wiki: &Wiki, args: &[&str]) -> Output {
    let out = limited_by(limits, project, wiki, args);
    assert!(
        out.status.success(),
        "assetpin {args:?} under `{limits}`: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The negative control of the limits: a program that opens 300 files
/// fails under them.
fn assert_the_limits_bite() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(LIMITS)
        .arg("python3")
        .arg("-c")
        .arg("import os\n[os.open('/dev/null', 0) for _ in range(300)]")
        .output()
        .unwrap();
    assert!(
        !out.status.success()
            && String::from_utf8_lossy(&out.stderr).contains("Too many open files"),
        "300 open files under ulimit -n 256 should fail: {:?}",
        out
    );
}

/// A wiki whose skill `w` holds `SKILL.md` and `width` directories of one
/// file each.
fn wide_wiki(width: usize) -> Wiki {
    let w = Wiki::new();
    w.file("skills/w/SKILL.md", "# w\n");
    for i in 0..width {
        w.file(&format!("skills/w/d{i:05}/f.md"), format!("{i}\n"));
    }
    w.commit("wide");
    w
}

fn count_files(dir: &std::path::Path) -> usize {
    snapshot(dir)
        .0
        .values()
        .filter(|n| matches!(n, Node::File(..)))
        .count()
}

/// E4: an asset 10,000 directories wide is installed, updated, read by
/// status and restored by `install --all`, each within 256 open files and a
/// 512 KiB stack.
#[assetpin_test]
fn e4_a_10000_directory_wide_asset_works_within_256_fds_and_a_small_stack() {
    assert_the_limits_bite();
    let wiki = wide_wiki(10_000);
    let project = Project::new();
    limited_ok(&project, &wiki, &["install", "skill", "w"]);
    let dest = project.dest("skill", "w");
    assert_eq!(count_files(&dest), 10_001);

    wiki.file("skills/w/d00005/f.md", "changed\n")
        .file("skills/w/d10000/f.md", "new\n");
    wiki.commit("wider");
    limited_ok(&project, &wiki, &["update", "skill", "w"]);
    assert_eq!(count_files(&dest), 10_002);
    assert_eq!(
        std::fs::read(dest.join("d00005/f.md")).unwrap(),
        b"changed\n"
    );
    let out = limited_ok(&project, &wiki, &["--json", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"][0]["state"], "ok", "{v}");

    std::fs::remove_dir_all(&dest).unwrap();
    limited_ok(&project, &wiki, &["install", "--all"]);
    assert_eq!(count_files(&dest), 10_002);
}

/// Writes a chain of `depth` directories named `d` ending in a file
/// `f.md` as git trees in one pack (`git index-pack --stdin`: no work
/// tree could hold it, and 100,000 loose objects cost seconds), and
/// returns the top tree's id.
fn deep_tree(wiki: &Wiki, depth: usize) -> String {
    use gix::objs::Kind;
    let id = |kind, data: &[u8]| {
        gix::objs::compute_hash(gix::hash::Kind::Sha1, kind, data).expect("sha1")
    };
    let mut objects: Vec<(Kind, Vec<u8>)> = vec![(Kind::Blob, b"deep\n".to_vec())];
    let mut top = id(Kind::Blob, b"deep\n");
    let mut entry = b"100644 f.md\0".to_vec();
    for _ in 0..depth {
        let mut tree = entry;
        tree.extend_from_slice(top.as_bytes());
        top = id(Kind::Tree, &tree);
        objects.push((Kind::Tree, tree));
        entry = b"40000 d\0".to_vec();
    }
    let mut pack = b"PACK".to_vec();
    pack.extend(2u32.to_be_bytes());
    pack.extend(u32::try_from(objects.len()).unwrap().to_be_bytes());
    for (kind, data) in &objects {
        let code = if *kind == Kind::Tree { 2u8 } else { 3 };
        let mut size = data.len();
        let mut byte = (code << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            pack.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        pack.push(byte);
        pack.extend(zlib_stored(data));
    }
    let mut h = gix::hash::hasher(gix::hash::Kind::Sha1);
    h.update(&pack);
    pack.extend(h.try_finalize().expect("sha1").as_bytes());
    let mut c = Command::new("git")
        .arg("-C")
        .arg(wiki.path())
        .args(["index-pack", "--stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(&pack).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "git index-pack --stdin: {out:?}");
    top.to_string()
}

/// `data` as a zlib stream of stored (uncompressed) blocks, as a pack
/// holds each object.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xffff).peekable();
    if data.is_empty() {
        out.extend([1, 0, 0, 0xff, 0xff]);
    }
    while let Some(b) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = u16::try_from(b.len()).unwrap();
        out.extend(len.to_le_bytes());
        out.extend((!len).to_le_bytes());
        out.extend(b);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in data {
        a = (a + u32::from(x)) % 65521;
        b = (b + a) % 65521;
    }
    out.extend(((b << 16) | a).to_be_bytes());
    out
}

/// Commits skill `deep` (a `SKILL.md` and a chain `depth` directories
/// deep) on top of the wiki's HEAD, without a work tree.
fn commit_deep_skill(wiki: &Wiki, depth: usize) -> String {
    let chain = deep_tree(wiki, depth);
    let skill_md = wiki.git(&["rev-parse", "HEAD:skills/x/SKILL.md"]);
    let mk = |spec: &str| -> String {
        let mut c = Command::new("git")
            .arg("-C")
            .arg(wiki.path())
            .arg("mktree")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(spec.as_bytes()).unwrap();
        String::from_utf8(c.wait_with_output().unwrap().stdout)
            .unwrap()
            .trim()
            .to_owned()
    };
    let deep = mk(&format!(
        "100644 blob {}\tSKILL.md\n040000 tree {chain}\td\n",
        skill_md.trim()
    ));
    let skills = wiki.git(&["rev-parse", "HEAD:skills"]);
    let mut listing = String::new();
    for l in wiki.git(&["ls-tree", skills.trim()]).lines() {
        listing.push_str(l);
        listing.push('\n');
    }
    listing.push_str(&format!("040000 tree {deep}\tdeep\n"));
    let skills = mk(&listing);
    let mut root = String::new();
    for l in wiki.git(&["ls-tree", "HEAD"]).lines() {
        if !l.ends_with("\tskills") {
            root.push_str(l);
            root.push('\n');
        }
    }
    root.push_str(&format!("040000 tree {skills}\tskills\n"));
    let root = mk(&root);
    let commit = wiki.git(&["commit-tree", &root, "-p", "HEAD", "-m", "deep"]);
    wiki.git(&["update-ref", "HEAD", commit.trim()]);
    commit.trim().to_owned()
}

/// Makes a chain of `depth` directories `d` below `dir`, one level at a
/// time relative to the last (no path ever gets long), holding two
/// directory handles at most.
fn deep_dirs(dir: &std::path::Path, depth: usize) {
    use rustix::fs::{Mode, OFlags, mkdirat, openat};
    let mut fd = openat(rustix::fs::CWD, dir, OFlags::DIRECTORY, Mode::empty()).unwrap();
    for _ in 0..depth {
        mkdirat(&fd, "d", Mode::from_raw_mode(0o755)).unwrap();
        fd = openat(&fd, "d", OFlags::DIRECTORY, Mode::empty()).unwrap();
    }
}

/// `rm -rf`, which walks a tree of any depth (std's removal holds a handle
/// per level).
fn rm_rf(p: &std::path::Path) {
    let st = Command::new("rm").arg("-rf").arg(p).status().unwrap();
    assert!(st.success());
}

/// E4, I2: a skill 100,000 directories deep in the wiki is refused with a
/// classified error, not a crash, within 256 open files and a small stack;
/// so are dest trees that deep, where status still exits 0 (T2).
#[assetpin_test]
fn e4_a_100000_level_deep_asset_and_dest_are_refused_not_crashed() {
    let wiki = sample_wiki();
    commit_deep_skill(&wiki, 100_000);
    let project = Project::new();
    let out = limited(&project, &wiki, &["install", "skill", "deep"]);
    let err = assert_refused(&out, "unsafe-path");
    assert!(err.contains("256"), "{err}");
    assert!(!project.dest("skill", "deep").exists(), "I5");

    // dest 100,000 deep, below an installed asset.
    limited_ok(&project, &wiki, &["install", "skill", "x"]);
    let dest = project.dest("skill", "x");
    deep_dirs(&dest.join("docs"), 100_000);
    let out = limited_ok(&project, &wiki, &["--json", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = v["assets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "x")
        .unwrap();
    assert_eq!(row["state"], "dirty", "{v}");
    wiki.file("skills/x/SKILL.md", "# x v2\n");
    wiki.commit("x v2");
    let out = limited(&project, &wiki, &["update", "skill", "x", "--force"]);
    assert_refused(&out, "unsafe-path");
    let out = limited_ok(&project, &wiki, &["install", "--all"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("present"),
        "I8: a present dest is left alone"
    );
    rm_rf(&project.path());
}

/// A sparse file of `len` bytes at `path` (no disk space used).
fn sparse(path: &std::path::Path, len: u64) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(len).unwrap();
}

/// E4, L5, U2, I1: files far larger than memory (sparse, so they cost no
/// disk) are never read whole: a 50 GiB lockfile is `lockfile-corrupt`
/// without being read; a 384 MiB file where dest records one is hashed in
/// pieces (status: dirty; update: dirty, and `--force` keeps it as a
/// `.bak`); a 50 GiB file in the wiki work tree is `uncommitted`. Every
/// run is limited to 300 MB of address space, so reading any of them
/// whole would fail.
#[assetpin_test]
fn e4_files_larger_than_memory_are_never_read_whole() {
    let wiki = sample_wiki();
    let project = Project::new();
    limited_ok(&project, &wiki, &["install", "skill", "x"]);
    let lockfile = project.lockfile_path();
    let saved = std::fs::read(&lockfile).unwrap();
    sparse(&lockfile, 50 << 30);
    for args in [
        &["install", "skill", "other"][..],
        &["update", "skill", "x"],
        &["status"],
    ] {
        let out = limited_by(LIMITS_MEM, &project, &wiki, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("error[lockfile-corrupt]: ") && err.contains("larger than"),
            "{args:?}: {err}"
        );
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    }
    assert_eq!(
        std::fs::metadata(&lockfile).unwrap().len(),
        50 << 30,
        "L5: untouched"
    );
    assert!(!project.dest("skill", "other").exists(), "I5");
    std::fs::write(&lockfile, saved).unwrap();

    let dest = project.dest("skill", "x");
    sparse(&dest.join("SKILL.md"), 384 << 20);
    let out = limited_by(LIMITS_MEM, &project, &wiki, &["--json", "status"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"][0]["state"], "dirty", "{v}");
    wiki.file("skills/x/SKILL.md", "# x v2\n");
    wiki.commit("x v2");
    let out = limited_by(LIMITS_MEM, &project, &wiki, &["update", "skill", "x"]);
    assert_refused(&out, "dirty");
    let out = limited_by(
        LIMITS_MEM,
        &project,
        &wiki,
        &["update", "skill", "x", "--force"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read(dest.join("SKILL.md")).unwrap(), b"# x v2\n");
    assert_eq!(
        std::fs::metadata(dest.join("SKILL.md.bak")).unwrap().len(),
        384 << 20,
        "U3: the user's file is kept"
    );

    let fresh = Project::new();
    sparse(&wiki.path().join("skills/x/SKILL.md"), 50 << 30);
    let out = limited_by(LIMITS_MEM, &fresh, &wiki, &["install", "skill", "x"]);
    assert_refused(&out, "uncommitted");
    std::fs::write(wiki.path().join("skills/x/SKILL.md"), "# x v2\n").unwrap();
}

/// The negative control of [`LIMITS_MEM`]: a program that holds 384 MiB
/// fails under it.
fn assert_the_memory_limit_bites() {
    let out = Command::new("sh")
        .arg("-c")
        .arg(LIMITS_MEM)
        .arg("python3")
        .arg("-c")
        .arg("b = bytearray(384 << 20)")
        .output()
        .unwrap();
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("MemoryError"),
        "holding 384 MiB under ulimit -v 300000 should fail: {out:?}"
    );
}

/// E4: memory is bounded by the largest file, not by the asset. An asset
/// of 24 files of 16 MiB (384 MiB in all) is installed, updated (one file
/// changed), read by status, restored by `install --all` and adopted, each
/// within 300 MB of address space: holding the asset whole would fail.
#[assetpin_test]
fn e4_an_asset_larger_than_memory_is_installed_one_file_at_a_time() {
    assert_the_memory_limit_bites();
    const FILES: usize = 24;
    const SIZE: usize = 16 << 20;
    let wiki = Wiki::new();
    wiki.file("skills/big/SKILL.md", "# big\n");
    for i in 0..FILES {
        wiki.file(
            &format!("skills/big/part{i:02}.bin"),
            vec![b'a' + i as u8; SIZE],
        );
    }
    wiki.commit("big");
    let project = Project::new();
    let mem_ok = |args: &[&str]| limited_ok_by(LIMITS_MEM, &project, &wiki, args);
    mem_ok(&["install", "skill", "big"]);
    let dest = project.dest("skill", "big");
    let part = |i: usize| std::fs::read(dest.join(format!("part{i:02}.bin"))).unwrap();
    assert_eq!(part(7), vec![b'a' + 7; SIZE], "I1");

    wiki.file("skills/big/part03.bin", vec![b'Z'; SIZE]);
    wiki.commit("big v2");
    mem_ok(&["update", "skill", "big"]);
    assert_eq!(part(3), vec![b'Z'; SIZE], "U1");
    let out = mem_ok(&["--json", "status"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["assets"][0]["state"], "ok", "{v}");

    std::fs::remove_dir_all(&dest).unwrap();
    mem_ok(&["install", "--all"]);
    assert_eq!(part(3), vec![b'Z'; SIZE], "I8");

    let lockfile = project.lockfile_path();
    let entry_files = |l: &serde_json::Value| l["skills"]["big"]["files"].clone();
    let before: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&lockfile).unwrap()).unwrap();
    std::fs::write(&lockfile, "{}\n").unwrap();
    mem_ok(&["adopt", "skill", "big"]);
    let after: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&lockfile).unwrap()).unwrap();
    assert_eq!(entry_files(&after), entry_files(&before), "I4");
    assert_eq!(
        after["skills"]["big"]["digests"], before["skills"]["big"]["digests"],
        "I4: adopt's digests are install's"
    );
}
