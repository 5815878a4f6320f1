"""Put a worker in its jail: namespaces, mounts, cgroup, its uid and the last limits, then start it.

The sandbox runs this file's source as a short-lived launcher, ``python -I -c <this file>
SETUP WORKER-COMMAND...``: the launcher enters the jail and then replaces itself with the
worker (exec). It is a process of its own, rather than code run between fork and exec in the
grader's child, because that child holds a copy of the grader's memory and is kept
non-dumpable so that no other process of the same uid can read it; a non-dumpable process
cannot write its own /proc/self/uid_map, which a user namespace needs. The launcher starts
from a fresh interpreter and holds nothing of the grader.

With namespaces ("root", "userns") the launcher also makes a pid namespace. It forks: the
child is pid 1 of the new namespace; it mounts the jail (and a /proc of its own), forks the
worker (pid 2, which drops its rights and execs) and then only reaps processes until the
worker ends. The launcher stays outside as a *keeper* that waits for pid 1 and exits the way
the worker did (same exit code, same signal), so the grader sees the worker's own end. When
the worker ends, pid 1 exits and the kernel kills every process left in the namespace (a
``setsid`` daemon included); no process inside sees or signals one outside. The keeper dies
with the grader, pid 1 with the keeper (PR_SET_PDEATHSIG), the rest with pid 1.

Standard library only: the launcher cannot import the package, and nothing here must.
"""

import ctypes
import json
import os
import select
import signal
import struct
import sys

try:  # the jail runs on Linux only; the import must not fail elsewhere (Windows has no resource)
    import resource
except ImportError:
    resource = None

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NAMESPACES = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
FAILED = "jail-failed"  # the op of the message sent when the jail cannot be set up
EXIT_FAILED = 70  # the launcher's exit code when the jail cannot be set up

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


def _die_with_parent():
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl PR_SET_PDEATHSIG")


def join_cgroups(folders):
    """Move this process (and so everything it starts) into the worker's cgroups."""
    for folder in folders:
        with open(os.path.join(folder, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))


def unshare(setup):
    """The namespaces: mount, network, IPC (System V memory dies with the worker) and pid
    (the next fork), plus a user namespace in "userns" mode."""
    if setup["mode"] == "root":
        _check(_libc.unshare(ctypes.c_int(NAMESPACES)), "unshare")
    elif setup["mode"] == "userns":
        uid, gid = os.getuid(), os.getgid()
        _check(_libc.unshare(ctypes.c_int(CLONE_NEWUSER | NAMESPACES)), "unshare")
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)


def enter(setup):
    """Set up the jail's file system (namespace modes): runs as pid 1 of the new pid
    namespace, still privileged; the worker drops its rights itself (``drop``)."""
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
    for socket_path in setup["masked"]:  # sockets outside the covered folders (/dev/log)
        mount("/dev/null", socket_path, None, MS_BIND)
    # this pid namespace's own processes only: no host pids, no host command lines
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def drop(setup):
    """The worker's own last step before exec: its uid (root and uid modes), limits,
    no_new_privs, its working folder."""
    if setup["mode"] in ("root", "uid"):
        os.setgroups([])
        os.setgid(setup["uid"])
        os.setuid(setup["uid"])
    resource.setrlimit(resource.RLIMIT_NPROC, (setup["nproc"], setup["nproc"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (setup["nofile"], setup["nofile"]))
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    os.chdir(setup["workdir"])


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


def keep(child, setup, status_r):
    """Outside the pid namespace: wait for its pid 1, then end the way the worker ended (the
    status pid 1 passed on through ``status_r``). The keeper holds none of the grader's pipes,
    so the grader sees the worker's end at once."""
    for fd in setup["pipes"]:
        os.close(fd)
    status = _wait(child)
    passed_on = os.read(status_r, 4)
    if len(passed_on) == 4:
        (status,) = struct.unpack(">i", passed_on)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else EXIT_FAILED)


def init(worker, setup, status_w):
    """Pid 1 of the namespace: reap orphans until the worker ends, pass its status on, exit
    (the kernel then kills whatever is left in the namespace). The worker is pid 2, not 1,
    so signals it sends itself act as they would anywhere (pid 1 ignores most of them)."""
    for fd in setup["pipes"]:
        os.close(fd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(EXIT_FAILED)
        if pid == worker:
            os.write(status_w, struct.pack(">i", status))
            os._exit(0)


def _wait(pid):
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue


def launch(argv):
    setup = json.loads(argv[1])
    command = argv[2:]
    try:
        _die_with_parent()  # a grader killed by SIGKILL takes its workers along
        join_cgroups(setup["cgroups"])  # first: every process started from here on is counted
        if setup["mode"] in ("root", "userns"):
            unshare(setup)
            status_r, status_w = os.pipe()
            alive_r, alive_w = os.pipe()  # EOF for pid 1 once the keeper is gone
            child = os.fork()
            if child:
                os.close(status_w)
                os.close(alive_r)
                keep(child, setup, status_r)
            os.close(status_r)
            os.close(alive_w)
            _die_with_parent()
            if select.select([alive_r], [], [], 0)[0]:  # the keeper died before the line above
                os._exit(EXIT_FAILED)
            enter(setup)
            worker = os.fork()
            if worker:
                init(worker, setup, status_w)
        drop(setup)
        _die_with_parent()  # again: changing uid cleared it
        os.execv(command[0], command)
    except Exception as err:  # any failure: report it, never start the worker half-jailed
        _report(setup["report_fd"], f"{type(err).__name__}: {err}")
        os._exit(EXIT_FAILED)


if __name__ == "__main__":
    launch(sys.argv)
