"""capture/execlog.py: lines are written at most once a second, yet no reader misses one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from nbtrack.capture import execlog


def _file_lines(log: execlog.ExecLog, store_dir) -> list[dict]:
    path = log.path(store_dir)
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _record(log, store_dir, n):
    for i in range(n):
        log.record(store_dir, {}, f"x = {i}", f"cell-{i}", i + 1)


def test_first_line_at_once_later_ones_batched_and_a_read_sees_all(tmp_path):
    log = execlog.ExecLog()
    _record(log, tmp_path, 3)
    assert [e["seq"] for e in _file_lines(log, tmp_path)] == [1]  # the file exists from the first cell
    assert [e["seq"] for e in execlog.read(tmp_path, log.session)] == [1, 2, 3]  # this process's read flushes
    assert [e["seq"] for e in _file_lines(log, tmp_path)] == [1, 2, 3]


def test_pending_lines_reach_the_file_without_another_cell(tmp_path):
    log = execlog.ExecLog()
    _record(log, tmp_path, 4)
    deadline = time.monotonic() + 10
    while len(_file_lines(log, tmp_path)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [e["seq"] for e in _file_lines(log, tmp_path)] == [1, 2, 3, 4]


def test_a_line_is_written_once_even_across_a_fork(tmp_path):
    log = execlog.ExecLog()
    _record(log, tmp_path, 3)  # lines 2 and 3 pending
    pid = os.fork()
    if pid == 0:  # the child exits through the exit flush; it must not write the parent's lines
        execlog.flush_all()
        os._exit(0)
    os.waitpid(pid, 0)
    execlog.flush_all()
    assert [e["seq"] for e in _file_lines(log, tmp_path)] == [1, 2, 3]


def test_exit_writes_pending_lines(tmp_path):
    code = (
        "import sys; from nbtrack.capture import execlog\n"
        "log = execlog.ExecLog()\n"
        "for i in range(5): log.record(sys.argv[1], {}, f'x = {i}', None, i)\n"
        "print(log.session)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    session = out.stdout.strip()
    lines = (tmp_path / "execlog" / f"{session}.jsonl").read_text().splitlines()
    assert [json.loads(x)["seq"] for x in lines] == [1, 2, 3, 4, 5]
