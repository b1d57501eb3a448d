"""The progress line in a real terminal: `pricepipe stream`, `select` and `load` run in tmux (send-keys,
capture-pane) against fakeaws answering slowly, so that the run lasts long enough to be watched.

- On a terminal, one line on stderr shows regions (or rows) done of all, requests, cache hits, bytes,
  throttles, the time so far and an ETA; the summary line replaces it when the run ends.
- It is redrawn at most 10 times a second (counted in the raw bytes a pty received, under `script`).
- Never with --quiet, never when stderr is not a terminal, never when records stream to the same terminal;
  a table written when the run ends (select's) comes after the line is cleared.

Skips, saying why, only when tmux or script cannot be found.
"""

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fakeaws"))
from harness import FakeAws  # noqa: E402

PRICEPIPE = os.environ.get("PRICEPIPE_BIN", os.path.join(ROOT, "build", "src", "cli", "pricepipe"))
REGIONS = "eu-west-1,us-east-1,ap-northeast-1"
MISSING = None if shutil.which("tmux") and shutil.which("script") else "tmux or script is not installed (Debian's tmux)"


@unittest.skipIf(MISSING, MISSING or "")
class ProgressLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="pricepipe-progress-")
        cls.fake = FakeAws("--latency-ms", "150")
        cls.env = cls.fake.pricepipe_env(os.path.join(cls.dir, "cache"))
        cls.session = f"pricepipe-progress-{os.getpid()}"

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["tmux", "kill-session", "-t", cls.session], capture_output=True)
        cls.fake.stop()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def script(self, name, command):
        """A shell script that runs `command` with fakeaws's environment, then prints a marker."""
        path = os.path.join(self.dir, name + ".sh")
        with open(path, "w") as f:
            for key, value in self.env.items():
                if key.startswith(("AWS_", "PRICEPIPE_")):
                    f.write(f"export {key}={shlex.quote(value)}\n")
            f.write(f"{command}\necho \"ENDED $?\"\n")
        return path

    def watch(self, command, args=(), seconds=120):
        """Runs `command` in a tmux pane (no cache: every run as slow as the first) and returns every screen seen
        while it ran, then the last one."""
        path = self.script("watch", command)
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", "220", "-y", "40",
                        "env", "TERM=xterm-256color", "sh"], check=True)
        subprocess.run(["tmux", "send-keys", "-t", self.session, f"sh {path}", "Enter"], check=True)
        screens = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True,
                                    check=True).stdout.decode()
            screens.append(screen)
            if "ENDED" in screen:
                return screens
            time.sleep(0.05)
        self.fail("the run did not end: " + screens[-1])

    def test_a_stream_shows_one_progress_line_and_the_summary_replaces_it(self):
        out = os.path.join(self.dir, "catalog.ndjson")
        screens = self.watch(f"{PRICEPIPE} --no-cache stream catalog --regions {REGIONS} > {out}")
        progress = [line for s in screens for line in s.splitlines() if "ETA" in line]
        self.assertTrue(progress, "no progress line was ever drawn:\n" + screens[-1])
        line = progress[-1]
        for part in ("pricepipe: catalog: regions ", "/3 · ", " requests (", "% cached) · ", " throttled · ", " s · ETA"):
            self.assertIn(part, line)
        final = screens[-1]
        self.assertIn("ENDED 0", final)
        self.assertNotIn("ETA", final, "the progress line was left behind")
        summary = [line for line in final.splitlines() if line.startswith("pricepipe: catalog:")]
        self.assertEqual(len(summary), 1, final)
        self.assertIn(" records · ", summary[0])
        with open(out) as f:
            self.assertGreater(len(f.readlines()), 0)

    def test_a_select_table_on_the_terminal_follows_the_progress_line(self):
        # The table is written when the run ends: the line is drawn while it runs and cleared first.
        screens = self.watch(f"{PRICEPIPE} --no-cache select --regions {REGIONS} --vcpus 2..8 --top 5")
        self.assertTrue([line for s in screens for line in s.splitlines() if "ETA" in line],
                        "no progress line was ever drawn:\n" + screens[-1])
        final = screens[-1]
        self.assertIn("ENDED 0", final)
        self.assertNotIn("ETA", final, "the progress line was left behind")
        lines = final.splitlines()
        header = [i for i, line in enumerate(lines) if line.startswith("rank  region")]
        self.assertEqual(len(header), 1, "the table's header starts a line of its own:\n" + final)
        self.assertTrue(lines[header[0] + 1].startswith("----"), final)
        self.assertEqual([line.split()[0] for line in lines[header[0] + 2:header[0] + 7]], ["1", "2", "3", "4", "5"], final)
        self.assertEqual(len([line for line in lines if line.startswith("pricepipe: select:")]), 1, final)

    def test_records_streamed_to_the_terminal_draw_no_line(self):
        screens = self.watch(f"{PRICEPIPE} --no-cache select --regions {REGIONS} --top 5 --format ndjson")
        self.assertFalse([s for s in screens if "ETA" in s], screens[-1])
        self.assertIn("ENDED 0", screens[-1])

    def test_quiet_draws_none(self):
        screens = self.watch(f"{PRICEPIPE} --no-cache -q stream catalog --regions {REGIONS} > /dev/null")
        self.assertFalse([s for s in screens if "ETA" in s], screens[-1])
        self.assertIn("ENDED 0", screens[-1])

    def test_at_most_ten_redraws_a_second_and_none_off_a_terminal(self):
        raw = os.path.join(self.dir, "typescript")
        command = f"{PRICEPIPE} --no-cache stream catalog --regions {REGIONS} > /dev/null"
        started = time.monotonic()
        subprocess.run(["script", "-q", "-e", "-c", f"sh {self.script('raw', command)}", raw],
                       env=dict(os.environ, TERM="xterm"), check=True, capture_output=True, timeout=300)
        seconds = time.monotonic() - started
        with open(raw, "rb") as f:
            data = f.read()
        redraws = data.count(b"\x1b[K") - 1  # each redraw ends clearing the rest of the line; the last clears it
        self.assertGreater(redraws, 0)
        self.assertLessEqual(redraws, 10 * seconds + 1, f"{redraws} redraws in {seconds:.1f} s")
        # Not a terminal: stderr to a file holds the summary line only.
        err = os.path.join(self.dir, "stderr")
        with open(err, "wb") as f:
            run = subprocess.run(["sh", self.script("file", command)], stderr=f, stdout=subprocess.DEVNULL,
                                 timeout=300)
        self.assertEqual(run.returncode, 0)
        with open(err, "rb") as f:
            text = f.read()
        self.assertNotIn(b"\r", text)
        self.assertNotIn(b"ETA", text)
        self.assertIn(b"pricepipe: catalog: ", text)


if __name__ == "__main__":
    unittest.main()
