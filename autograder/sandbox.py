"""Run a submission's code in a separate, limited process and talk to it over pipes.

The grader never imports a submission. A worker is a fresh ``python -I`` started with
fork + exec (so it carries none of the grader's memory: no reference values, no hidden
inputs), fed its program as source text (worker.py), with:

* limits: address space (RLIMIT_AS), CPU seconds, file size, process count, no core files;
  a wall-clock limit per request, enforced here with SIGKILL;
* its own session and process group, stdin/stdout/stderr on /dev/null (prints are captured
  inside the worker, capped), and a minimal environment;
* when it can (``isolation`` below), set up by a launcher process (jail.py) that then
  execs the worker: a private mount namespace in which the grader's files
  (the course's solutions, this package, results folders, other submissions) are covered
  by empty tmpfs mounts and /tmp is a fresh tmpfs; a network namespace with no interfaces;
  and, when the grader runs as root, an unprivileged uid of its own with no_new_privs.

Isolation modes, chosen at start-up and reported with every result:
    "root"    grader is root: namespaces + a dedicated uid (full protection)
    "userns"  grader is not root but the kernel allows user namespaces: namespaces, same uid
    "none"    neither: limits and a separate process only (see README, "Security model")
"""

import ctypes
import fcntl
import json
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import jail
from .errors import UserError


F_SETPIPE_SZ = 1031
PIPE_BYTES = 1 << 20
PR_SET_DUMPABLE = 4

_libc = ctypes.CDLL(None, use_errno=True)
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker. Times in seconds."""

    call_seconds: float = 3.0  # wall time of one call of a student function
    import_seconds: float = 5.0  # wall time of one kept top-level statement of the submission
    total_seconds: float = 120.0  # wall time for the whole submission, all restarts included
    memory_mb: int = 2048  # address space of the worker (RLIMIT_AS)
    output_chars: int = 20_000  # printed characters kept per call (the rest is counted)
    result_mb: int = 64  # largest array a function may return
    processes: int = 16  # processes and threads the worker may start (dedicated uid)


class WorkerGone(RuntimeError):
    """The worker died, exited or broke the protocol; ``reason`` says which."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class WorkerTimeout(RuntimeError):
    pass


class SandboxError(UserError):
    """The worker's jail could not be set up: a fault of the machine, never of a submission."""


# Folders never covered, whatever a caller asks: the system needs them (a submission or an
# output file under one of them just means that folder is not hidden).
SYSTEM_FOLDERS = {Path(p) for p in ("/", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/proc", "/run", "/sbin", "/sys", "/usr", "/var")}
HIDE = "size=1m,mode=0755"  # an empty, read-only-for-others folder in place of a grader's folder
VISIBLE_TOP_FOLDERS = {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin", "sys", "usr", "var"}
SCRATCH = "size=256m,mode=1777"  # the worker's own /tmp


def isolation_mode(requested="auto"):
    """Which isolation this machine gives a worker: "root", "userns" or "none"."""
    if not sys.platform.startswith("linux"):
        # the limits, the process bookkeeping and the jail all use Linux interfaces
        raise SandboxError(
            f"the grader runs submissions on Linux only (this is {sys.platform}); on macOS or "
            "Windows run it in a Linux container or in WSL"
        )
    if requested == "none":
        return "none"
    if os.geteuid() == 0:
        return "root"
    if Path("/proc/self/ns/user").exists() and _userns_allowed():
        return "userns"
    if requested in ("root", "userns"):
        raise RuntimeError(f"isolation {requested!r} is not available on this machine")
    return "none"


_USERNS_OK = None


def _userns_allowed():
    global _USERNS_OK
    if _USERNS_OK is None:
        try:
            probe = subprocess.run(
                ["unshare", "-U", "-m", "-n", "true"], capture_output=True, timeout=5, check=False
            )
            _USERNS_OK = probe.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _USERNS_OK = False
    return _USERNS_OK


def python_folders(executable=None):
    """The folders a worker must see to start this interpreter: ``sys.prefix``,
    ``sys.base_prefix`` and the folder of every symlink on the way from the executable to
    the real binary (Python 3.10's venv links to the python that made it, which may itself
    be another venv's link)."""
    folders = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    link = Path(executable or sys.executable)
    for _ in range(40):  # the kernel's own limit on a chain of links
        if not link.is_symlink():
            break
        link = link.parent / os.readlink(link)
        folders.add(link.parent.resolve())
    # a folder inside another one is carried along by it
    return sorted(f for f in folders if not any(other in f.parents for other in folders))


def _not_traversable_ancestor(path):
    """The highest ancestor of ``path`` that others cannot enter, and its child on the way."""
    parts = Path(path).resolve().parts
    for depth in range(2, len(parts)):
        folder = Path(*parts[:depth])
        if not folder.stat().st_mode & 0o001:
            return folder, Path(*parts[: depth + 1])
    return None


def protect_grader_process():
    """Make this process's memory unreadable by same-uid processes (/proc/PID/mem, ptrace)."""
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


class Sandbox:
    """Starts workers. One Sandbox per grading process; ``slot`` tells batch workers apart."""

    def __init__(self, limits=Limits(), hide=(), isolation="auto", slot=0):
        self.limits = limits
        self.mode = isolation_mode(isolation)
        self.hide = self._hidden_paths(hide)
        # root mode: every worker gets a uid of its own (a spare started ahead of time must
        # survive the sweep that ends the previous worker), from a range unique to this process
        self.uid_base = 200_000 + ((os.getpid() * 64 + slot * 8) % 4_000_000)
        self.uid = self.uid_base if self.mode == "root" else os.getuid()
        self._starts = 0
        # staging folders for bind mounts: outside /tmp, which the worker gets a fresh copy of
        staging_root = next((d for d in ("/dev/shm", "/run", "/var/tmp") if os.access(d, os.W_OK)), None)
        _remove_stale_staging(staging_root)
        self.base = Path(tempfile.mkdtemp(prefix="autograder-", dir=staging_root))
        os.chmod(self.base, 0o700)
        source = (_PACKAGE_DIR / "wire.py").read_text() + "\n" + (_PACKAGE_DIR / "worker.py").read_text()
        self.program = source
        self.launcher = (_PACKAGE_DIR / "jail.py").read_text()
        # The interpreter, by a path that still leads to it inside the jail: sys.executable
        # may pass through a covered folder (`cd solutions && ../.venv/bin/python ...` gives
        # /course/solutions/../.venv/bin/python). Normalised, not resolved: a venv's python
        # must keep its own path to find the venv.
        self.executable = os.path.abspath(sys.executable)
        self.python = python_folders(self.executable)  # computed once: the interpreter does not move
        self.matplotlib = _matplotlib_cache()
        self.env = self._environment()
        if self.mode != "none":
            protect_grader_process()

    def _hidden_paths(self, extra):
        from .locations import cache_dir

        paths = [_PACKAGE_DIR, cache_dir().parent, *extra]
        out = []
        for p in paths:
            p = Path(p).resolve()
            if p.exists() and p not in out and p not in SYSTEM_FOLDERS:
                out.append(p)
        return out

    def _environment(self):
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": "/tmp",
            "MPLBACKEND": "Agg",
            # matplotlib's font cache, built once by the grader and shown read-only (see
            # _matplotlib_cache): without it every `import matplotlib.pyplot` costs seconds
            "MPLCONFIGDIR": WORKER_MPL_DIR if self.mode != "none" and self.matplotlib else str(self.matplotlib or "/tmp"),
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed by numpy on some CPUs
            if name in os.environ:
                env[name] = os.environ[name]
        return env

    def describe(self):
        return {
            "isolation": self.mode,
            "network": "none" if self.mode != "none" else "open",
            "hidden_paths": [str(p) for p in self.hide] if self.mode != "none" else [],
            "dedicated_uid": self.mode == "root",
            "limits": {
                "call_seconds": self.limits.call_seconds,
                "import_seconds": self.limits.import_seconds,
                "total_seconds": self.limits.total_seconds,
                "memory_mb": self.limits.memory_mb,
            },
        }

    def close(self):
        try:
            for child in self.base.iterdir():
                child.rmdir()
            self.base.rmdir()
        except OSError:
            pass

    def start(self):
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        for fd in (request_w, reply_w):  # room for an MNIST-sized array in one write
            try:
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_BYTES)
            except OSError:
                pass  # the system's maximum is lower: smaller writes, same result
        staging = []
        plan = self._mount_plan() if self.mode != "none" else []
        if self.mode != "none" and self.matplotlib:
            staging.append(Path(tempfile.mkdtemp(dir=self.base)))  # last stage: matplotlib's cache
        for covered, keep, _ in plan:
            for _ in keep:
                stage = Path(tempfile.mkdtemp(dir=self.base))
                staging.append(stage)
        nproc_limit = self._process_limit()
        uid = self.uid_base + self._starts % 8 if self.mode == "root" else os.getuid()
        self._starts += 1
        setup = self._jail_setup(plan, staging, nproc_limit, uid, reply_w)
        worker = [self.executable, "-I", "-c", self.program, str(request_r), str(reply_w), str(self.limits.output_chars)]
        try:
            process = subprocess.Popen(
                [self.executable, "-I", "-c", self.launcher, json.dumps(setup), *worker],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(request_r, reply_w),
                env=self.env,
                cwd="/",
                start_new_session=True,
                preexec_fn=_LimitsPreexec(self.limits),
            )
        finally:
            os.close(request_r)
            os.close(reply_w)
        return WorkerHandle(self, process, request_w, reply_r, staging, uid)

    def _jail_setup(self, plan, staging, nproc_limit, uid, report_fd):
        """What jail.enter needs, as JSON-ready data (see jail.py)."""
        return {
            "mode": self.mode,
            "plan": [[str(covered), [str(k) for k in keep], options] for covered, keep, options in plan],
            "staging": [str(s) for s in staging],
            "matplotlib": str(self.matplotlib) if self.mode != "none" and self.matplotlib else None,
            "matplotlib_target": WORKER_MPL_DIR,
            "python": [str(f) for f in self.python],
            "uid": uid,
            "nproc": nproc_limit,
            "report_fd": report_fd,
        }

    def _mount_plan(self):
        """(path to cover, sub-paths to keep visible, tmpfs options), in the order applied.

        The Python installation stays visible wherever it lives (even inside a covered
        folder, or under /tmp). Inner folders are covered first, so that an outer folder's
        kept part carries its covered insides along."""
        prefixes = self.python
        # Private, empty, writable folders where the world could write: nothing a worker
        # leaves there outlives it or reaches another submission. /dev/shm comes last (below):
        # the staging folders for the bind mounts live there.
        scratch = [Path(p) for p in ("/tmp", "/var/tmp", "/run/lock") if os.path.isdir(p)]
        wanted = [(p, SCRATCH) for p in scratch] + [(p, HIDE) for p in self.hide]
        # Everything outside the system's own folders is hidden too (other courses' files, home
        # folders, /opt, /srv, /mnt, ...): a worker sees the OS, Python and nothing else.
        for entry in Path("/").iterdir():
            if entry.is_dir() and not entry.is_symlink() and entry.name not in VISIBLE_TOP_FOLDERS and entry not in scratch:
                wanted.append((entry, HIDE))
        if self.mode == "userns":
            home = Path.home().resolve()
            if len(home.parts) > 1:  # same uid as the grader: keep the user's files out of reach
                wanted.append((home, HIDE))
        if self.mode == "root":
            for prefix in sorted(prefixes):
                blocked = _not_traversable_ancestor(prefix)
                if blocked:
                    wanted.append((blocked[0], HIDE))
        plan = []
        for path, options in sorted(wanted, key=lambda item: len(item[0].parts)):
            if any(path == p for p, _, _ in plan):
                continue
            inside = [(outer, kept) for outer, kept, _ in plan if outer in path.parents]
            if any(not any(k == path or k in path.parents for k in kept) for _, kept in inside):
                continue  # an outer folder already hides it
            keep = [p for p in prefixes if path in p.parents]
            plan.append((path, keep, options))
        plan.reverse()  # innermost first
        if os.path.isdir("/dev/shm") and not any(Path("/dev/shm") == p or Path("/dev/shm") in p.parents for p, _, _ in plan):
            plan.append((Path("/dev/shm"), [], SCRATCH))
        return plan

    def _process_limit(self):
        if self.mode == "root":
            return self.limits.processes
        uid = os.getuid()
        count = 0
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                try:
                    if entry.stat().st_uid == uid:
                        count += 1
                except OSError:
                    pass
        return count + self.limits.processes


class _LimitsPreexec:
    """Runs in the child between fork and exec: resource limits only. The child holds a
    copy of the grader's memory and stays non-dumpable until it execs the launcher
    (jail.py), which sets up the namespaces from a clean interpreter."""

    def __init__(self, limits):
        self.limits = limits

    def __call__(self):
        mb = 1024 * 1024
        limits = self.limits
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mb, limits.memory_mb * mb))
        cpu = int(limits.total_seconds) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * mb, 64 * mb))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class WorkerHandle:
    def __init__(self, sandbox, process, request_fd, reply_fd, staging, uid):
        self.sandbox = sandbox
        self.uid = uid
        self.process = process
        self.request_fd = request_fd
        self.reply_fd = reply_fd
        self.staging = staging
        self.alive = True
        self.ready = None
        self.sent = 0  # requests sent; the n-th carries id n
        self.pending = []  # ids of requests not answered yet, oldest first
        os.set_blocking(request_fd, False)  # writes are bounded by a deadline (see send)

    def wait_ready(self, deadline):
        header, _ = self._receive(deadline, max_bytes=1 << 16)
        if header.get("op") == jail.FAILED:  # the grader's problem, not the submission's
            self.kill()
            raise SandboxError(
                f"the sandbox could not be set up (isolation {self.sandbox.mode!r}): {header.get('reason')}. "
                "See README.md, \"Security model\", for what each isolation mode needs; "
                "--isolation none grades without namespaces."
            )
        if header.get("op") != "ready":
            self.kill()
            raise WorkerGone("the worker did not start")
        self.ready = header
        return header

    def request(self, header, blobs=(), deadline=None, max_bytes=1 << 28):
        """Send one request and wait for its reply until ``deadline`` (time.monotonic)."""
        self.send(header, blobs, deadline)
        return self.receive(deadline, max_bytes)

    def send(self, header, blobs=(), deadline=None):
        """Send a request without waiting for the reply. Each request carries an id that its
        reply must echo (see receive). A worker that stops reading is killed at ``deadline``."""
        from . import wire  # imported here: starting a worker must not wait for numpy

        if not self.alive:
            raise WorkerGone("the worker is not running")
        self.sent += 1
        self.pending.append(self.sent)
        frame = memoryview(wire.pack(dict(header, id=self.sent), blobs))
        try:
            while frame:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    self.kill()
                    raise WorkerTimeout()
                _, writable, _ = select.select([], [self.request_fd], [], remaining)
                if writable:
                    frame = frame[os.write(self.request_fd, frame) :]
        except (BrokenPipeError, OSError):
            reason = self._death_reason()
            self.kill()
            raise WorkerGone(reason) from None

    def receive(self, deadline=None, max_bytes=1 << 28):
        """The reply to the oldest request not yet answered. A reply with any other id (a
        frame the submission forged, or one left over from it) ends the worker."""
        header, blobs = self._receive(deadline, max_bytes)
        expected = self.pending.pop(0) if self.pending else None
        if header.get("id") != expected or (expected is None and header.get("op") != "ready"):
            self.kill()
            raise WorkerGone("the worker's replies went out of order (the submission wrote to the grader's pipe)")
        return header, blobs

    def _receive(self, deadline, max_bytes):
        length_bytes = self._read_exact(8, deadline)
        (length,) = struct.unpack(">Q", length_bytes)
        if length > max_bytes:
            self.kill()
            raise WorkerGone(f"the reply was {length} bytes, more than the {max_bytes} allowed")
        body = self._read_exact(length, deadline)
        from . import wire

        try:
            header, blobs = wire.unpack(body)
        except wire.WireError as err:
            self.kill()
            raise WorkerGone(f"the worker's reply was malformed ({err})") from None
        return header, blobs

    def _read_exact(self, n, deadline):
        chunks, got = [], 0
        while got < n:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                self.kill()
                raise WorkerTimeout()
            ready, _, _ = select.select([self.reply_fd], [], [], remaining)
            if not ready:
                self.kill()
                raise WorkerTimeout()
            chunk = os.read(self.reply_fd, min(n - got, 1 << 20))
            if not chunk:
                reason = self._death_reason()  # before kill(), which would hide the exit code
                self.kill()
                raise WorkerGone(reason)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _death_reason(self):
        try:
            code = self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return "the worker stopped answering"
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            if -code == signal.SIGXCPU:
                return f"the worker used up its CPU time ({name})"
            if -code == signal.SIGXFSZ:
                return f"the worker wrote too much to a file ({name})"
            return f"the worker was killed by {name}"
        return f"the worker process exited with code {code} (sys.exit, os._exit or a crash)"

    def kill(self):
        if not self.alive:
            return
        self.alive = False
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        if self.sandbox.mode == "root":
            _kill_uid(self.uid)
        for fd in (self.request_fd, self.reply_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        for stage in self.staging:
            try:
                stage.rmdir()
            except OSError:
                pass

    def stop(self):
        """Ask the worker to exit, give it a moment, then make sure."""
        if self.alive:
            from . import wire

            try:
                os.write(self.request_fd, wire.pack({"op": "exit"}))
                self.process.wait(timeout=0.5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


WORKER_MPL_DIR = "/tmp/.matplotlib"


def _matplotlib_cache():
    """A matplotlib config folder with its font cache built, or None without matplotlib.

    Built once per machine and matplotlib version, by a subprocess running trusted code (the
    grader's own), in the grader's cache folder."""
    import importlib.util

    from .locations import cache_dir

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.origin:
        return None
    # the installed version, from its dist-info folder (importlib.metadata is slower)
    installed = sorted(Path(spec.origin).parent.parent.glob("matplotlib-*.dist-info"))
    version = installed[-1].name[len("matplotlib-") : -len(".dist-info")] if installed else "unknown"
    folder = cache_dir().parent / f"matplotlib-{version}"
    if not any(folder.glob("fontlist-*.json")):
        folder.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="Agg")
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env, capture_output=True, timeout=120, check=False)
    return folder if any(folder.glob("fontlist-*.json")) else None


def _remove_stale_staging(root, age=3600):
    """Empty staging folders left by graders that were killed (SIGKILL skips close())."""
    if root is None:
        return
    now = time.time()
    for folder in Path(root).glob("autograder-*"):
        try:
            if now - folder.stat().st_mtime > age:
                for child in folder.iterdir():
                    child.rmdir()
                folder.rmdir()
        except OSError:
            pass  # in use, not empty or not ours: leave it


def _kill_uid(uid):
    """SIGKILL every process of ``uid`` (a dedicated sandbox uid), children that left the
    process group included. Repeats until none is left, so a fork loop cannot outrun it."""
    for _ in range(50):
        found = False
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid != uid or _is_zombie(entry.path):
                    continue
                os.kill(int(entry.name), signal.SIGKILL)
                found = True
            except (OSError, ProcessLookupError):
                pass
        if not found:
            return
        time.sleep(0.01)


def _is_zombie(proc_path):
    """A dead process waiting for its parent to collect it holds no resources."""
    try:
        with open(f"{proc_path}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except OSError:
        return True
