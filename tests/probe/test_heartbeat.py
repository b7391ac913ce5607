"""During a long wait `redis-ci wait` says on stderr, every ~5 s, what it waits for, the last
reason and the time left: one line per interval at most, inside the Actions group."""

from __future__ import annotations

import re

from redis_servers import free_port
from wait_runner import run_wait


def test_one_heartbeat_in_seven_seconds_inside_the_group(tmp_path):
    port = free_port()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "sum")}
    result = run_wait("--url", f"redis://127.0.0.1:{port}/0", "--timeout", "7", env=env)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    beats = [index for index, line in enumerate(lines) if "still waiting" in line]
    assert len(beats) == 1, lines  # the progress line at 0 s, a heartbeat at ~5 s, none at 10 s
    assert lines.index("::group::redis-ci wait: redis://127.0.0.1:%d/0 (ping, pubsub; timeout 7 s)" % port) \
        < beats[0] < lines.index("::endgroup::")
    beat = re.fullmatch(rf"redis-ci wait: still waiting for 127\.0\.0\.1:{port} \(ping, pubsub\): refused: "
                        rf"cannot connect to 127\.0\.0\.1:{port}: Connection refused; ([0-9.]+) s left", lines[beats[0]])
    assert beat is not None, lines[beats[0]]
    assert 1.0 <= float(beat.group(1)) <= 2.1  # sent at 5 s of 7, give or take one pause


def test_no_heartbeat_in_a_short_wait():
    result = run_wait("--url", f"redis://127.0.0.1:{free_port()}/0", "--timeout", "1")
    assert result.returncode == 1 and "still waiting" not in result.stderr, result
