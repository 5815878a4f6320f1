"""Put a worker in its jail: namespaces, mounts, its uid and the last limits, then start it.

The sandbox runs this file's source as a short-lived launcher, ``python -I -c <this file>
SETUP WORKER-COMMAND...``: the launcher enters the jail and then replaces itself with the
worker (exec). It is a process of its own, rather than code run between fork and exec in the
grader's child, because that child holds a copy of the grader's memory and is kept
non-dumpable so that no other process of the same uid can read it; a non-dumpable process
cannot write its own /proc/self/uid_map, which a user namespace needs. The launcher starts
from a fresh interpreter and holds nothing of the grader.

Standard library only: the launcher cannot import the package, and nothing here must.
"""

import ctypes
import json
import os
import resource
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 1, 2, 4, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
FAILED = "jail-failed"  # the op of the message sent when the jail cannot be set up

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def mount(source, target, fstype, flags, data=None):
    _check(
        _libc.mount(
            source.encode() if source else None,
            str(target).encode(),
            fstype.encode() if fstype else None,
            ctypes.c_ulong(flags),
            data.encode() if data else None,
        ),
        f"mount {target}",
    )


def cover(path, keep, staging, options):
    """Cover ``path`` with an empty tmpfs, except for the sub-paths in ``keep``, which are
    moved back in through bind mounts staged in ``staging`` (empty folders outside every
    covered path). Recursive binds carry along what was covered inside the kept parts."""
    for inner, stage in zip(keep, staging):
        mount(inner, stage, None, MS_BIND | MS_REC)
    mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, options)
    for inner, stage in zip(keep, staging):
        os.makedirs(inner, exist_ok=True)
        mount(stage, inner, None, MS_MOVE)


def _read_only(path):
    mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def enter(setup):
    """Enter the jail that ``setup`` describes (see ``Sandbox._jail_setup``)."""
    mode = setup["mode"]
    if mode == "root":
        _check(_libc.unshare(ctypes.c_int(CLONE_NEWNS | CLONE_NEWNET)), "unshare")
    elif mode == "userns":
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(ctypes.c_int(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)), "unshare")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)
    if mode != "none":
        mount(None, "/", None, MS_REC | MS_PRIVATE)
        stages = iter(setup["staging"])
        shared = None
        if setup["matplotlib"]:  # staged now: its folder is about to be covered
            shared = next(stages)
            mount(setup["matplotlib"], shared, None, MS_BIND)
        for covered, keep, options in setup["plan"]:
            if shared and covered == "/dev/shm":  # the staging area goes last
                _place_shared(shared, setup["matplotlib_target"])
                shared = None
            cover(covered, keep, [next(stages) for _ in keep], options)
        if shared:
            _place_shared(shared, setup["matplotlib_target"])
        for folder in setup["python"]:  # the Python installation: visible, never writable
            mount(folder, folder, None, MS_BIND | MS_REC)
            _read_only(folder)
    if mode == "root":
        os.setgroups([])
        os.setgid(setup["uid"])
        os.setuid(setup["uid"])
    resource.setrlimit(resource.RLIMIT_NPROC, (setup["nproc"], setup["nproc"]))
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir("/tmp")


def _place_shared(stage, target):
    os.makedirs(target, exist_ok=True)
    mount(stage, target, None, MS_MOVE)
    _read_only(target)


def _report(fd, reason):
    """Tell the grader why the jail failed, as one frame of wire.py's format (a JSON header,
    no blobs), written by hand: wire.py imports numpy, which the launcher must not load."""
    header = json.dumps({"op": FAILED, "reason": reason}).encode()
    body = struct.pack(">I", len(header)) + header
    try:
        os.write(fd, struct.pack(">Q", len(body)) + body)
    except OSError:
        pass


def launch(argv):
    setup = json.loads(argv[1])
    command = argv[2:]
    try:
        enter(setup)
        os.execv(command[0], command)
    except Exception as err:  # any failure: report it, never start the worker half-jailed
        _report(setup["report_fd"], f"{type(err).__name__}: {err}")
        os._exit(70)


if __name__ == "__main__":
    launch(sys.argv)
