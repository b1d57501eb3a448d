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


def wait_until_listening(port, process, log, what, seconds=60):
    """Returns once something accepts connections on loopback `port` (a server that speaks no HTTP: redis-server)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds} s")


def start_for_class(cls, argv, what, probe, log_dir):
    """Starts `argv` (its output in LOG_DIR/WHAT.log) for a test class, stopped by the class's cleanups; returns
    once `probe` answers: a URL, or a port number for a server that speaks no HTTP."""
    log = open(os.path.join(log_dir, what + ".log"), "w+b")
    cls.addClassCleanup(log.close)
    process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def stop():
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    cls.addClassCleanup(stop)
    if isinstance(probe, int):
        wait_until_listening(probe, process, log, what)
    else:
        wait_until_answering(probe, process, log, what)


class ClickHouse:
    """Debian's clickhouse-server (18.16), its data in a temporary directory, HTTP on a loopback port; `stop()`
    removes it. `ClickHouse.missing()` says why it cannot run here (None when it can)."""

    BINARY = "/usr/sbin/clickhouse-server"

    @staticmethod
    def missing():
        if not os.path.exists(ClickHouse.BINARY):
            return "ClickHouse is not installed (Debian's clickhouse-server package)"
        return None

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="pricepipe-clickhouse-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "config.xml")
        with open(os.path.join(self.dir, "users.xml"), "w") as f:
            f.write("""<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile>
    <quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
""")
        with open(self.config, "w") as f:
            f.write(f"""<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>{self.dir}/server.log</log><errorlog>{self.dir}/error.log</errorlog></logger>
  <http_port>{self.port}</http_port>
  <tcp_port>{free_port()}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{self.dir}/data/</path>
  <tmp_path>{self.dir}/tmp/</tmp_path>
  <user_files_path>{self.dir}/user_files/</user_files_path>
  <users_config>{self.dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
</yandex>
""")
        self.process = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "stdout.log"), "w+b")
        self.process = subprocess.Popen([self.BINARY, f"--config-file={self.config}"], stdout=self.log,
                                        stderr=subprocess.STDOUT, cwd=self.dir)
        wait_until_answering(self.http(), self.process, self.log, "clickhouse-server")

    def halt(self):
        """Kills the server as a crash would, keeping its data."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.log.close()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def http(self):
        return f"http://127.0.0.1:{self.port}/"

    def url(self, db="default"):
        return f"clickhouse://127.0.0.1:{self.port}/{db}"

    def query(self, sql, db="default"):
        """The body `sql` answers; raises with ClickHouse's message."""
        request = urllib.request.Request(f"{self.http()}?database={db}", data=sql.encode(), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=300) as answer:
                return answer.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(e.read().decode(errors="replace")) from None


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
