"""Wall time and peak memory of a command and everything it starts."""

import os
import subprocess
import threading
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def session_rss_mb(session):
    """Total resident memory of every process in a session (the command's process tree)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) != session:
                continue
            with open(f"/proc/{entry.name}/statm") as statm:
                total += int(statm.read().split()[1]) * PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


class Sampler(threading.Thread):
    """Samples a session's total RSS every ``interval`` seconds; ``peak`` holds the largest."""

    def __init__(self, session, interval=0.05):
        super().__init__(daemon=True)
        self.session = session
        self.interval = interval
        self.peak = 0.0
        self.running = True

    def run(self):
        while self.running:
            self.peak = max(self.peak, session_rss_mb(self.session))
            time.sleep(self.interval)


def run(command, cwd=None, env=None, timeout=900):
    """(wall seconds, peak RSS MB of the process tree, CompletedProcess-like stdout/stderr)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = Sampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate(timeout=timeout)
    wall = time.perf_counter() - started
    sampler.running = False
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({process.returncode}):\n{stderr[-2000:]}")
    return wall, sampler.peak, stdout, stderr
