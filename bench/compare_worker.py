"""The worker processes of bench/compare.py and bench/ours-vs.py: ours (the Java CompareWorker) and the PyTorch
peer, each a subprocess that takes one JSON request per line on stdin and answers with one JSON line on stdout."""

import json
import os
import select
import signal
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 1800.0        # seconds per request before a worker is declared hung


class WorkerError(Exception):
    pass


class Worker:
    """A worker subprocess: one JSON request per line in, one JSON reply per line out; stderr to a log file."""

    def __init__(self, impl, argv, env, log_path):
        self.impl, self.argv, self.env, self.log_path = impl, argv, env, log_path
        self.proc = None
        self.buf = b""
        self.crashed = False

    def start(self):
        logf = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logf,
                                     env=self.env, cwd=ROOT, start_new_session=True)
        logf.close()
        self.buf = b""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def request(self, obj, timeout=TIMEOUT):
        """The reply to one request; restarts a dead worker first; raises WorkerError on death or timeout."""
        if not self.alive():
            self.start()
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            self.kill()
            raise WorkerError("worker %s died (%s)%s" % (self.impl, e, self.tail()))
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerError("worker %s gave no reply within %.0f s (killed)" % (self.impl, timeout))
            ready, _, _ = select.select([fd], [], [], min(left, 5.0))
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                code = self.proc.wait()
                self.proc = None
                raise WorkerError("worker %s exited with code %s%s" % (self.impl, code, self.tail()))
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        try:
            return json.loads(line)
        except ValueError:
            raise WorkerError("worker %s sent a line that is not JSON: %r" % (self.impl, line[:200]))

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                lines = [l for l in f.read().decode(errors="replace").splitlines() if l.strip()]
            return ("; last stderr: " + lines[-1][:200]) if lines else ""
        except OSError:
            return ""

    def kill(self):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self.proc = None

    def close(self):
        if self.alive():
            try:
                self.proc.stdin.write(b'{"cmd":"quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()
