"""Servers the interop tests start on loopback: a free port, and waiting until one answers."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answering(url, process, log, what, seconds=60):
    """Returns once `url` answers at all (any HTTP status); raises with the server's log when it exits or never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read().decode()}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer on {url} within {seconds} s")


class Postgres:
    """Debian's PostgreSQL, initdb into a temporary directory, on a loopback port; `stop()` removes it.

    `Postgres.missing()` says why it cannot run here (None when it can)."""

    @staticmethod
    def binaries():
        root = "/usr/lib/postgresql"
        versions = os.listdir(root) if os.path.isdir(root) else []
        bins = sorted(d for d in (os.path.join(root, v, "bin") for v in versions) if os.path.exists(os.path.join(d, "initdb")))
        return bins[-1] if bins else None

    @staticmethod
    def missing():
        if not Postgres.binaries() or not shutil.which("psql"):
            return "PostgreSQL is not installed (Debian's postgresql package)"
        return None

    def __init__(self):
        self.bin = Postgres.binaries()
        self.dir = tempfile.mkdtemp(prefix="pricepipe-pg-")
        self.data = os.path.join(self.dir, "data")
        self.user = []
        if os.geteuid() == 0:  # initdb refuses root: run the cluster as nobody
            os.chmod(self.dir, 0o777)
            self.user = ["runuser", "-u", "nobody", "--"]
        subprocess.run(self.user + [os.path.join(self.bin, "initdb"), "-D", self.data, "-A", "trust", "-U", "postgres"],
                       check=True, capture_output=True)
        self.port = free_port()
        self.start()

    def start(self):
        subprocess.run(self.user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "log"),
                                    "-w", "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.dir}",
                                    "start"], check=True, capture_output=True)

    def halt(self, mode="immediate"):
        """Stops the server (as a crash would with `immediate`), keeping its data."""
        subprocess.run(self.user + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop"],
                       capture_output=True)

    def stop(self):
        self.halt("fast")
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db="postgres"):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres"):
        """The rows `sql` prints, tab-separated, unaligned; raises with psql's error."""
        run = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-X", "-q",
                              "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", "\t"], input=sql.encode(), capture_output=True,
                             timeout=300)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.decode(errors="replace"))
        return run.stdout.decode()
