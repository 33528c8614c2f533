"""Ctrl-C at any moment of the ``bulk-update`` process: exit 130, never a traceback.

The process is the installed console script, interrupted with a real SIGINT. The moments are
found without sleeping on a guess: with ``PYTHONPROFILEIMPORTTIME`` the interpreter writes a
line to stderr as each import finishes, so the test interrupts in the middle of the imports
(asyncio and the settings, then aiohttp and the library) as surely as in the middle of sending
(the 50th request's line of ``-v``). Not tested, because nothing of the tool's runs then: the
interpreter's own start-up (a few hundredths of a second, where SIGINT either ends the process
by the kernel's default action, which a shell shows as 130, or breaks Python's ``site``
import) and the few instructions of the generated script around its import of
``bulk_update.cli``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from bulk_update.sandbox import Sandbox, SandboxConfig
from tests.conftest import SAMPLE_DATA, TOKEN, ThreadedSandbox, write_csv

CONSOLE_SCRIPT = Path(sys.executable).with_name("bulk-update")


@pytest.fixture(scope="module")
def slow_sandbox() -> Iterator[Sandbox]:
    """Slow enough (400 requests/s) that a run of 1200 rows is still sending when it is
    interrupted after its 50th request."""
    config = SandboxConfig(token=TOKEN, limit=400, window=1, latency=0.002, seed=5)
    with ThreadedSandbox(config) as running:
        yield running


def imported(name: str) -> Callable[[str], bool]:
    """The import-time line of ``name`` or one of its submodules: that import just ended."""
    pattern = re.compile(rf"^import time:.*\|\s*{re.escape(name)}(\.\S+)?\s*$")
    return lambda line: pattern.match(line) is not None


def request_logged(count: int) -> Callable[[str], bool]:
    """The ``count``th request's line of ``-v``: the run is sending."""
    seen = [0]

    def moment(line: str) -> bool:
        seen[0] += " status=" in line
        return seen[0] >= count

    return moment


def interrupt_when(
    sandbox: Sandbox, tmp_path: Path, moment: Callable[[str], bool], delay: float
) -> tuple[int, str]:
    """Starts a run, sends SIGINT ``delay`` seconds after the first stderr line ``moment``
    accepts, and returns the exit code and the whole of stderr."""
    if not CONSOLE_SCRIPT.exists():
        pytest.skip(f"no console script at {CONSOLE_SCRIPT}: install the package")
    rows = [[str(7000 + n), "Bug"] for n in range(1200)]
    path = write_csv(tmp_path / "in.csv", ["id", "issue_type"], rows)
    command = [str(CONSOLE_SCRIPT), "run", str(path), "--base-url", sandbox.url]
    command += ["--schema", str(SAMPLE_DATA / "schema.json"), "--rate", "400/1", "-v"]
    env = {**os.environ, "INTERCOM_ACCESS_TOKEN": TOKEN, "PYTHONPROFILEIMPORTTIME": "1"}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    seen: list[str] = []
    try:
        for line in process.stderr:
            seen.append(line)
            if moment(line.rstrip("\n")):
                break
        else:
            pytest.fail(f"the run ended before the moment came:\n{''.join(seen)}")
        if delay:
            time.sleep(delay)  # a moment later than the line, not a wait for anything
        process.send_signal(signal.SIGINT)
        _out, rest = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, "".join(seen) + rest


@pytest.mark.parametrize(
    ("moment", "delay", "sending"),
    [
        (partial(imported, "asyncio"), 0.0, False),
        (partial(imported, "asyncio"), 0.005, False),
        (partial(imported, "bulk_update.config"), 0.0, False),
        (partial(imported, "bulk_update.send"), 0.0, False),
        (partial(imported, "aiohttp"), 0.0, False),
        (partial(request_logged, 50), 0.0, True),
    ],
    ids=["asyncio", "asyncio+5ms", "settings", "send-import", "aiohttp", "sending"],
)
def test_ctrl_c_at_any_moment_exits_130_without_a_traceback(
    slow_sandbox: Sandbox,
    tmp_path: Path,
    moment: Callable[[], Callable[[str], bool]],
    delay: float,
    sending: bool,
) -> None:
    code, err = interrupt_when(slow_sandbox, tmp_path, moment(), delay)
    assert "Traceback" not in err, err
    assert code == 130, err
    assert "interrupted" in err
    if sending:  # drained: the report is written and the hint says how to go on
        assert "--resume" in err and (tmp_path / "in.results.csv").exists()
    else:  # stopped before the run began: nothing sent, nothing written
        assert [path.name for path in tmp_path.iterdir()] == ["in.csv"]
