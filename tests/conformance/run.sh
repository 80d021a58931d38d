#!/usr/bin/env bash
# Run the public eBPF ISA conformance suite (bpf_conformance .data tests, driven by
# the suite's run_conformance.py) against a ubee plugin.  Used by CTest.
#
#   usage: run.sh PLUGIN [extra args for run_conformance.py...]
#
# The suite is looked up at $UBEE_CONFORMANCE_DIR, defaulting to
# <repo root>/../shared/conformance.  If it is missing we print "SKIP: ..." and
# exit 77 (CTest SKIP_RETURN_CODE).  Otherwise the runner is invoked as
#   run_conformance.py --plugin PLUGIN --cpu v4 [extra args...] <suite>/tests
# and its exit status is ours (0 = all run tests passed, 1 = some failed).
# Extra args come after "--cpu v4", so e.g. "--cpu v3" or "--groups ..." override.
#
# The runner's test classifier (bpfconf.py) needs spec_table.csv beside itself.
# If the suite does not ship one, run_conformance.py and bpfconf.py are copied
# to a temporary directory next to ubee's own tests/conformance/spec_table.csv
# (one row per RFC 9669 instruction form: cpu,group,opcode,src,imm,offset; no
# comments or blank lines allowed, the parser does not skip them).
set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 PLUGIN [extra args for run_conformance.py...]" >&2
    exit 2
fi
plugin=$1
shift

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
suite=${UBEE_CONFORMANCE_DIR:-$repo_root/../shared/conformance}

if [ ! -f "$suite/run_conformance.py" ] || [ ! -f "$suite/bpfconf.py" ] || [ ! -d "$suite/tests" ]; then
    echo "SKIP: conformance suite not found at $suite"
    exit 77
fi
suite=$(cd "$suite" && pwd)

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
    echo "SKIP: $python not found (needed to run the conformance suite)"
    exit 77
fi

# Don't litter the (possibly shared / read-only) suite with __pycache__.
export PYTHONDONTWRITEBYTECODE=1

runner_dir=$suite
if [ ! -f "$suite/spec_table.csv" ]; then
    table=$script_dir/spec_table.csv
    if [ ! -f "$table" ]; then
        echo "error: $suite has no spec_table.csv and $table is missing" >&2
        exit 2
    fi
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/ubee-conformance.XXXXXX") || exit 2
    trap 'rm -rf "$tmp"' EXIT
    cp "$suite/run_conformance.py" "$suite/bpfconf.py" "$table" "$tmp/" || exit 2
    echo "note: $suite has no spec_table.csv; running its runner from $tmp with $table" >&2
    runner_dir=$tmp
fi

# Not exec'd, so the EXIT trap can remove the temporary directory.
"$python" "$runner_dir/run_conformance.py" --plugin "$plugin" --cpu v4 "$@" "$suite/tests"
exit $?
