# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_assetpin_global_optspecs
    string join \n project= wiki= json lock-timeout= h/help V/version
end

function __fish_assetpin_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_assetpin_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_assetpin_using_subcommand
    set -l cmd (__fish_assetpin_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c assetpin -n "__fish_assetpin_needs_command" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_needs_command" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_needs_command" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_needs_command" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_needs_command" -s V -l version -d 'Print version'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "install" -d 'Install an asset from the wiki HEAD, pinned to that commit; or, with --all, restore every lockfile entry at its own pin'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "update" -d 'Move an installed asset to the wiki HEAD; with --all, in every registered project that has it'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "remove" -d 'Take an installed asset back out: dest and its lockfile entry'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "edit" -d 'Replace an asset\'s main file in dest (SKILL.md, agent.md or command.md), guarded by the mtime_ns you read'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "projects" -d 'The registry of projects that `update --all` walks: ~/.memtomem/known_projects.json, the file memtomem\'s `mm context projects` keeps (the same format, lock and scope ids)'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "adopt" -d 'Record an existing dest that has no lockfile entry, when it equals the asset at the wiki HEAD file by file'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "status" -d 'Show every asset\'s state: ok, behind, dirty, missing, stale-pin, untracked (unknown without a wiki). Takes no lock, never writes, and exits 0 whatever the drift'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "conform" -d 'Run the conformance suite (the contract as executable cases) against this binary or, with --adapter, another implementation'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "report" -d 'Compare saved conformance runs (`conform --save-run FILE`): regressions between two, an SVG badge, the clause x implementation table'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "man" -d 'Print a man page (roff) on stdout: assetpin(1), or with VERB the verb\'s own page, assetpin-VERB(1)'
complete -c assetpin -n "__fish_assetpin_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -l all -d 'Restore every lockfile entry whose dest is missing, at its pin (never HEAD); present dests are left alone'
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l expect-mtime-ns -d 'Abort with exit 3 (conflict) unless dest\'s mtime_ns, as `status --json` printed it, is still N' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l force -d 'Overwrite dirty files, keeping each modified one as <file>.bak'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l force-head -d 'Move the pin to HEAD even when HEAD does not descend from it'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l dry-run -d 'Print the plan (add, modify, delete, keep; dirty marks) and write nothing'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l all -d 'Update the asset in every registered, enrolled project that has it installed (the registry of `assetpin projects`)'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l yes -d 'With --all: update without asking (needed when stdin is not a terminal; without it such a run refuses, unconfirmed)'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand update" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -l force -d 'Remove a dest with local bytes too, moving it to .memtomem/removed/'
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l expect-mtime-ns -d 'The main file\'s mtime_ns as you read it (from --show)' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l content-file -d 'The new content: a regular file, or - for standard input (at most 64 MiB)' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l show -d 'Print the main file\'s path and mtime_ns and write nothing'
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand edit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "list" -d 'List the registered projects: scope id, health (ok; missing: the root is gone; stale: no .memtomem inside), enrolled or paused, label and root'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "add" -d 'Register a project (idempotent)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "remove" -d 'Unregister a project (its files are not touched)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "pause" -d 'Leave a registered project out of `update --all` until resumed'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "resume" -d 'Enrol a paused project in `update --all` again'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and not __fish_seen_subcommand_from list add remove pause resume help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from list" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from list" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from list" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from list" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -l label -d 'A display label' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from remove" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from remove" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from remove" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from remove" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from pause" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from pause" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from pause" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from pause" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from pause" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from resume" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from resume" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from resume" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from resume" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from resume" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the registered projects: scope id, health (ok; missing: the root is gone; stale: no .memtomem inside), enrolled or paused, label and root'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "add" -d 'Register a project (idempotent)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Unregister a project (its files are not touched)'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "pause" -d 'Leave a registered project out of `update --all` until resumed'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "resume" -d 'Enrol a paused project in `update --all` again'
complete -c assetpin -n "__fish_assetpin_using_subcommand projects; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand adopt" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand adopt" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand adopt" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand adopt" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand adopt" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand status" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand status" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand status" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand status" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand status" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l adapter -d 'Adapter file describing an implementation under test, or a built-in name (`reference`, `memtomem`); repeat to compare several' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l cases -d 'Read cases from this directory instead of the built-in set' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l filter -d 'Only run cases that cite this clause id (`P1`: P1, not P10), or, when TEXT is not a clause id, whose id contains it (repeatable; any match selects)' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l skip -d 'Leave out the cases this text names, as --filter reads it (repeatable; after --filter)' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -s j -l jobs -d 'Cases run at once, 1 to 1024 [default: one more than the CPUs: a case waits on its tool part of the time]' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l scratch -d 'Where each case\'s temporary directories go [default: $TMPDIR when set, else /dev/shm when it is a writable tmpfs with 1 GiB free, else /tmp]. A note on stderr says which was used' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l format -d 'Report format on stdout' -r -f -a "human\t'A table per case, failures with expected vs observed, the per-clause table, and `N passed, N failed[, N skipped]`'
json\t'One JSON object'
junit\t'JUnit XML, one testcase per case'
html\t'One self-contained HTML page: the clause × implementation matrix'"
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l junit -d 'Also write a JUnit XML report to this file' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l known -d 'Known divergences (TOML, see tests/conformance/peer-divergences.toml): a listed case that fails is expected; a listed case that passes, or an unlisted one that fails, fails the run. With several adapters, say whose: NAME=FILE, NAME the adapter\'s `name` (repeatable)' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l html -d 'Also write the HTML matrix to this file' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l save-run -d 'Also save the run to this file: a versioned JSON document (every implementation, each case\'s outcome and evidence) that `assetpin report diff|badge|summary` reads' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l seed -d 'The first scenario\'s seed [default: from the clock, printed]' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l scenarios -d 'How many scenarios at most [default: 100]' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l seconds -d 'Start no new scenario after this many seconds' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l explore-out -d 'Where a found case is written [default: the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l list -d 'List the selected cases and exit'
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l explore -d 'Explore instead of running the cases: random scenarios (verbs, a user\'s changes in dest, commits landing in the wiki) run against the adapter and against the reference, compared step by step; the first divergence is shrunk and written out as a case file (`explore-<seed>.toml`) that passes against the reference and fails against the adapter. Exit 1 when one was found'
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand conform" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -f -a "diff" -d 'Regressions, fixes and new cases per implementation between two saved runs; exits 1 when a case that passed in OLD fails or errors in NEW'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -f -a "badge" -d 'An SVG badge (passed/ran) for one implementation of a saved run, over one profile or all, on stdout'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -f -a "summary" -d 'The clause x implementation table over one or more saved runs'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and not __fish_seen_subcommand_from diff badge summary help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -l format -d 'Output format' -r -f -a "human\t'Text for people'
json\t'One JSON object'"
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l implementation -d 'The implementation (its adapter name); needed when the run has several' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l profile -d 'Only the cases of this profile' -r -f -a "core\t''
ext\t''
portable\t''"
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from badge" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -l format -d 'Output format' -r -f -a "human\t'Text for people'
json\t'One JSON object'"
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from summary" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "diff" -d 'Regressions, fixes and new cases per implementation between two saved runs; exits 1 when a case that passed in OLD fails or errors in NEW'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "badge" -d 'An SVG badge (passed/ran) for one implementation of a saved run, over one profile or all, on stdout'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "summary" -d 'The clause x implementation table over one or more saved runs'
complete -c assetpin -n "__fish_assetpin_using_subcommand report; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand completions" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand completions" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand completions" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand completions" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand completions" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand man" -l project -d 'Project root [default: nearest ancestor of the current directory holding .git or pyproject.toml, else the current directory]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand man" -l wiki -d 'Wiki repository [default: $MEMTOMEM_WIKI_PATH, else ~/.memtomem-wiki]' -r -F
complete -c assetpin -n "__fish_assetpin_using_subcommand man" -l lock-timeout -d 'Give up waiting for a lock after this long (seconds, or `500ms`, `2m`): an `io` error naming the lock, nothing written. Without it a writer waits as long as the holder holds, saying after 1 s what it waits for' -r
complete -c assetpin -n "__fish_assetpin_using_subcommand man" -l json -d 'Print one JSON object on stdout (results and errors alike)'
complete -c assetpin -n "__fish_assetpin_using_subcommand man" -s h -l help -d 'Print help'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "install" -d 'Install an asset from the wiki HEAD, pinned to that commit; or, with --all, restore every lockfile entry at its own pin'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "update" -d 'Move an installed asset to the wiki HEAD; with --all, in every registered project that has it'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "remove" -d 'Take an installed asset back out: dest and its lockfile entry'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "edit" -d 'Replace an asset\'s main file in dest (SKILL.md, agent.md or command.md), guarded by the mtime_ns you read'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "projects" -d 'The registry of projects that `update --all` walks: ~/.memtomem/known_projects.json, the file memtomem\'s `mm context projects` keeps (the same format, lock and scope ids)'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "adopt" -d 'Record an existing dest that has no lockfile entry, when it equals the asset at the wiki HEAD file by file'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "status" -d 'Show every asset\'s state: ok, behind, dirty, missing, stale-pin, untracked (unknown without a wiki). Takes no lock, never writes, and exits 0 whatever the drift'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "conform" -d 'Run the conformance suite (the contract as executable cases) against this binary or, with --adapter, another implementation'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "report" -d 'Compare saved conformance runs (`conform --save-run FILE`): regressions between two, an SVG badge, the clause x implementation table'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "completions" -d 'Print a shell completion script on stdout'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "man" -d 'Print a man page (roff) on stdout: assetpin(1), or with VERB the verb\'s own page, assetpin-VERB(1)'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and not __fish_seen_subcommand_from install update remove edit projects adopt status conform report completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from projects" -f -a "list" -d 'List the registered projects: scope id, health (ok; missing: the root is gone; stale: no .memtomem inside), enrolled or paused, label and root'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from projects" -f -a "add" -d 'Register a project (idempotent)'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from projects" -f -a "remove" -d 'Unregister a project (its files are not touched)'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from projects" -f -a "pause" -d 'Leave a registered project out of `update --all` until resumed'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from projects" -f -a "resume" -d 'Enrol a paused project in `update --all` again'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "diff" -d 'Regressions, fixes and new cases per implementation between two saved runs; exits 1 when a case that passed in OLD fails or errors in NEW'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "badge" -d 'An SVG badge (passed/ran) for one implementation of a saved run, over one profile or all, on stdout'
complete -c assetpin -n "__fish_assetpin_using_subcommand help; and __fish_seen_subcommand_from report" -f -a "summary" -d 'The clause x implementation table over one or more saved runs'
