#!/usr/bin/env python3
"""Runs the eBPF programs of tests/bpf in the Linux kernel and checks that NAME.json describes what it does.

For every NAME.json with "kernel": true, NAME.o is loaded with `bpftool prog loadall` (programs and maps pinned
under /sys/fs/bpf/ubee-oracle-NAME*, removed afterwards whatever happens), each run is executed in order with
`bpftool prog run`, and the return value, the packet and context out, the maps (`bpftool -j map dump`) and ring
buffers (consumed through their mmap()ed pages, as libbpf's ring_buffer does) are compared with the JSON.

The whole script is pinned to one CPU, so that "value" of a per-CPU map entry means the value on that CPU.

Exit status: 0 when every run agrees with the JSON, 1 otherwise, 77 when the kernel cannot be used (not root,
no bpftool, no bpffs, bpf() refused).
"""

import argparse
import ctypes
import errno
import glob
import json
import mmap
import os
import platform
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
BPFFS = "/sys/fs/bpf"
PIN_PREFIX = "ubee-oracle-"


def skip(reason):
    print(f"kernel oracle skipped: {reason}")
    sys.exit(SKIP)


# ---- bpf(2) through ctypes: the refusal probe and ring buffer consumption (bpftool cannot consume a ring buffer)

BPF_MAP_CREATE = 0
BPF_OBJ_GET = 7
BPF_MAP_TYPE_ARRAY = 2
SYS_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "ppc64le": 361, "s390x": 351}.get(platform.machine())
_libc = ctypes.CDLL(None, use_errno=True)


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), 128)
    fd = _libc.syscall(SYS_BPF, cmd, buf, ctypes.c_uint(128))
    return fd, ctypes.get_errno()


def probe_bpf():
    """None when this process may use bpf(), else why not."""
    if SYS_BPF is None:
        return f"unknown bpf() syscall number on {platform.machine()}"
    fd, err = bpf(BPF_MAP_CREATE, struct.pack("<IIII", BPF_MAP_TYPE_ARRAY, 4, 4, 1))
    if fd < 0:
        return f"bpf(BPF_MAP_CREATE) refused: {os.strerror(err)}"
    os.close(fd)
    return None


def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    fd, err = bpf(BPF_OBJ_GET, struct.pack("<QII", ctypes.addressof(p), 0, 0))
    if fd < 0:
        raise OSError(err, f"BPF_OBJ_GET {path}: {os.strerror(err)}")
    return fd


RINGBUF_BUSY = 1 << 31
RINGBUF_DISCARD = 1 << 30
RINGBUF_HDR = 8


def consume_ringbuf(path, size):
    """Reads every record a consumer would see (discarded ones skipped) and advances the consumer position."""
    page = mmap.PAGESIZE
    fd = obj_get(path)
    try:
        cons = mmap.mmap(fd, page, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=0)
        prod = mmap.mmap(fd, page + 2 * size, mmap.MAP_SHARED, mmap.PROT_READ, offset=page)
    finally:
        os.close(fd)
    records = []
    try:
        cons_pos = struct.unpack_from("<Q", cons, 0)[0]
        prod_pos = struct.unpack_from("<Q", prod, 0)[0]
        while cons_pos < prod_pos:
            off = page + (cons_pos & (size - 1))
            hdr = struct.unpack_from("<I", prod, off)[0]
            if hdr & RINGBUF_BUSY:
                break
            length = hdr & ~(RINGBUF_BUSY | RINGBUF_DISCARD)
            if not hdr & RINGBUF_DISCARD:
                records.append(bytes(prod[off + RINGBUF_HDR:off + RINGBUF_HDR + length]))
            cons_pos += (length + RINGBUF_HDR + 7) & ~7
        struct.pack_into("<Q", cons, 0, cons_pos)
    finally:
        cons.close()
        prod.close()
    return records


# ---- building

def multiarch():
    try:
        out = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True, check=True).stdout.strip()
        if out:
            return out
    except (OSError, subprocess.CalledProcessError):
        pass
    return f"{platform.machine()}-linux-gnu"


def build(names, outdir, clang, mcpu):
    flags = ["-O2", "-g", "-target", "bpf", f"-mcpu={mcpu}", f"-I/usr/include/{multiarch()}", "-c"]
    for name in names:
        src = os.path.join(HERE, f"{name}.bpf.c")
        r = subprocess.run([clang, *flags, src, "-o", os.path.join(outdir, f"{name}.o")], capture_output=True,
                           text=True)
        if r.returncode != 0:
            print(f"build of {name}.bpf.c failed:\n{r.stderr}", file=sys.stderr)


# ---- pins

def remove_pins(path):
    if not os.path.lexists(path):
        return
    if os.path.isdir(path) and not os.path.islink(path):
        for root, dirs, files in os.walk(path, topdown=False):
            for f in files:
                os.unlink(os.path.join(root, f))
            for d in dirs:
                os.rmdir(os.path.join(root, d))
        os.rmdir(path)
    else:
        os.unlink(path)


def bpffs_mounted():
    with open("/proc/mounts") as f:
        return any(line.split()[1] == BPFFS and line.split()[2] == "bpf" for line in f)


# ---- comparing

def pin_name(map_name):
    """libbpf pins a map under its name with '.' turned into '_' (bpffs refuses dots): globals.bss -> globals_bss."""
    return map_name.replace(".", "_")


def unhex(s):
    return bytes.fromhex(s.replace(" ", ""))


def bytes_of(lst):
    return bytes(int(x, 16) for x in lst)


def dump_map(bpftool, path):
    r = subprocess.run([bpftool, "-j", "map", "dump", "pinned", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"map dump {os.path.basename(path)} failed: {(r.stdout + r.stderr).strip()}")
    entries = {}
    for e in json.loads(r.stdout or "[]"):
        key = bytes_of(e["key"]).hex()
        if "values" in e:
            entries[key] = {v["cpu"]: bytes_of(v["value"]) for v in e["values"]}
        else:
            entries[key] = bytes_of(e["value"])
    return entries


def u64_sum(values):
    total = None
    for v in values:
        if len(v) % 8:
            raise RuntimeError("percpu_sum needs a value size that is a multiple of 8")
        words = struct.unpack(f"<{len(v) // 8}Q", v)
        total = words if total is None else tuple((a + b) & (2**64 - 1) for a, b in zip(total, words))
    return struct.pack(f"<{len(total)}Q", *total) if total else b""


def check_map(name, expect, actual, cpu):
    errors = []
    keys = set()
    for entry in expect["entries"]:
        key = unhex(entry["key"]).hex()
        keys.add(key)
        if key not in actual:
            errors.append(f"{name}[{key}]: missing")
            continue
        got = actual[key]
        if "percpu_sum" in entry:
            if not isinstance(got, dict):
                errors.append(f"{name}[{key}]: percpu_sum given for a map that is not per-CPU")
                continue
            got_sum = u64_sum(got.values())
            if got_sum != unhex(entry["percpu_sum"]):
                errors.append(f"{name}[{key}]: percpu_sum {got_sum.hex()}, expected {entry['percpu_sum']}")
        if "value" in entry:
            if isinstance(got, dict):
                got = got.get(cpu, b"")
            if got != unhex(entry["value"]):
                errors.append(f"{name}[{key}]: value {got.hex()}, expected {entry['value']}")
    if expect.get("exact", False):
        extra = sorted(set(actual) - keys)
        if extra:
            shown = ", ".join(
                f"{k}={v.hex() if isinstance(v, bytes) else v.get(cpu, b'').hex()}" for k, v in
                ((k, actual[k]) for k in extra[:8]))
            errors.append(f"{name}: {len(extra)} unexpected entries: {shown}")
    return errors


class Oracle:
    def __init__(self, bpftool, objdir, cpu):
        self.bpftool = bpftool
        self.objdir = objdir
        self.cpu = cpu
        self.passed = 0
        self.failed = 0

    def result(self, label, errors):
        if errors:
            self.failed += 1
            print(f"FAIL {label}")
            for e in errors:
                print(f"     {e}")
        else:
            self.passed += 1
            print(f"ok   {label}")

    def run_file(self, name, spec, tmp):
        runs = spec["runs"]
        obj = os.path.join(self.objdir, f"{name}.o")
        progdir = os.path.join(BPFFS, f"{PIN_PREFIX}{name}")
        mapdir = os.path.join(BPFFS, f"{PIN_PREFIX}{name}-maps")
        remove_pins(progdir)
        remove_pins(mapdir)
        try:
            if not os.path.exists(obj):
                for i, run in enumerate(runs):
                    self.result(f"{name} run {i} ({run['program']})", [f"no object {obj}"])
                return
            r = subprocess.run([self.bpftool, "prog", "loadall", obj, progdir, "pinmaps", mapdir],
                               capture_output=True, text=True)
            if r.returncode != 0:
                log = (r.stdout + r.stderr).strip().splitlines()
                for i, run in enumerate(runs):
                    why = ["bpftool prog loadall failed:"] + log[-15:] if i == 0 else ["not loaded (see run 0)"]
                    self.result(f"{name} run {i} ({run['program']})", why)
                return
            for i, run in enumerate(runs):
                self.result(f"{name} run {i} ({run['program']})", self.run_one(name, i, run, progdir, mapdir, tmp))
        finally:
            remove_pins(progdir)
            remove_pins(mapdir)

    def run_one(self, name, i, run, progdir, mapdir, tmp):
        cmd = [self.bpftool, "prog", "run", "pinned", os.path.join(progdir, run["program"])]
        files = {}
        for field in ("data_in", "ctx_in"):
            if run.get(field):
                files[field] = os.path.join(tmp, f"{name}.{i}.{field}")
                with open(files[field], "wb") as f:
                    f.write(unhex(run[field]))
        if "data_in" in files:
            files["data_out"] = os.path.join(tmp, f"{name}.{i}.data_out")
            cmd += ["data_in", files["data_in"], "data_out", files["data_out"]]
        if "ctx_in" in files:
            files["ctx_out"] = os.path.join(tmp, f"{name}.{i}.ctx_out")
            cmd += ["ctx_in", files["ctx_in"], "ctx_out", files["ctx_out"]]
        cmd += ["repeat", str(run.get("repeat", 1))]
        r = subprocess.run(cmd, capture_output=True, text=True)
        m = re.search(r"Return value: (\d+)", r.stdout)
        output = (r.stdout + r.stderr).strip()
        errors = []
        if "error" in run:
            # The test run itself must fail, with this errno (bpftool prints its strerror()); maps are still checked.
            want = os.strerror(getattr(errno, run["error"]))
            if r.returncode == 0 or want not in output:
                errors.append(f"expected the run to fail with {run['error']} ({want}), got: {output}")
        elif r.returncode != 0 or not m:
            return [f"bpftool prog run failed: {output}"]
        elif "retval" in run and int(m.group(1)) != run["retval"] & 0xFFFFFFFF:
            errors.append(f"retval {int(m.group(1))}, expected {run['retval']}")
        for field in ("data_out", "ctx_out"):
            if field in run and "error" not in run:
                if field not in files:
                    errors.append(f"{field} expected, but the run has no {field.replace('_out', '_in')}")
                    continue
                with open(files[field], "rb") as f:
                    got = f.read()
                if got != unhex(run[field]):
                    errors.append(f"{field} {got.hex()}, expected {run[field]}")
        for map_name, expect in run.get("maps", {}).items():
            try:
                errors += check_map(map_name, expect, dump_map(self.bpftool, os.path.join(mapdir, pin_name(map_name))),
                                    self.cpu)
            except (RuntimeError, json.JSONDecodeError) as e:
                errors.append(str(e))
        for map_name, expect in run.get("ringbuf", {}).items():
            try:
                path = os.path.join(mapdir, pin_name(map_name))
                show = subprocess.run([self.bpftool, "-j", "map", "show", "pinned", path],
                                      capture_output=True, text=True, check=True)
                got = consume_ringbuf(path, json.loads(show.stdout)["max_entries"])
                want = [unhex(x) for x in expect]
                if got != want:
                    errors.append(f"ringbuf {map_name}: records [{', '.join(x.hex() for x in got)}], "
                                  f"expected [{', '.join(expect)}]")
            except (OSError, subprocess.CalledProcessError, KeyError, ValueError) as e:
                errors.append(f"ringbuf {map_name}: {e}")
        return errors


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="only these programs (NAME of NAME.json)")
    ap.add_argument("--objects", help="directory holding NAME.o (default: next to this script)")
    ap.add_argument("--build", action="store_true", help="compile every NAME.bpf.c into a temporary directory")
    ap.add_argument("--clang", default="clang")
    ap.add_argument("--mcpu", default="v3")
    ap.add_argument("--bpftool", default=shutil.which("bpftool") or "/usr/sbin/bpftool")
    args = ap.parse_args()

    specs = sorted(glob.glob(os.path.join(HERE, "*.json")))
    names = [os.path.basename(p)[:-len(".json")] for p in specs]
    if args.names:
        unknown = set(args.names) - set(names)
        if unknown:
            sys.exit(f"no JSON for: {', '.join(sorted(unknown))}")
        names = [n for n in names if n in args.names]

    if os.geteuid() != 0:
        skip("not root")
    if not os.path.exists(args.bpftool):
        skip("no bpftool")
    if not bpffs_mounted():
        subprocess.run(["mount", "-t", "bpf", "bpf", BPFFS], capture_output=True)
        if not bpffs_mounted():
            skip(f"no bpffs at {BPFFS}")
    why = probe_bpf()
    if why:
        skip(why)

    # SIGTERM and SIGHUP (ctest's timeout, a closed terminal) unwind like SIGINT, so the pins are always removed.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))

    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})  # bpftool inherits it: per-CPU "value" is the value on this CPU

    with tempfile.TemporaryDirectory(prefix="ubee-oracle-") as tmp:
        objdir = args.objects or HERE
        if args.build:
            objdir = os.path.join(tmp, "objects")
            os.mkdir(objdir)
            build(names, objdir, args.clang, args.mcpu)
        oracle = Oracle(args.bpftool, objdir, cpu)
        not_run = 0
        sources = {os.path.basename(p)[:-len(".bpf.c")] for p in glob.glob(os.path.join(HERE, "*.bpf.c"))}
        for name in sorted(sources - set(os.path.basename(p)[:-len(".json")] for p in specs)):
            if not args.names:
                oracle.result(f"{name}", ["has no NAME.json"])
        for name in names:
            with open(os.path.join(HERE, f"{name}.json")) as f:
                spec = json.load(f)
            if not spec.get("kernel", True):
                not_run += 1
                print(f"--   {name}: not run in the kernel: {spec.get('notes', '')}")
                continue
            oracle.run_file(name, spec, tmp)
    if not_run:
        print(f"{not_run} programs not run in the kernel")
    print(f"{oracle.passed} passed, {oracle.failed} failed")
    return 0 if oracle.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
