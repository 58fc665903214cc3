# Copyright (c) cloudcert.tencent contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark-only callback: per-task wall times written as JSON to $CLOUDCERT_BENCH_TIMINGS.

Enabled by the benchmark with ANSIBLE_CALLBACK_PLUGINS=<this dir> and ANSIBLE_CALLBACKS_ENABLED=bench_timer.
A task's time runs from its start event to the last host result the controller received for it (for a
``loop:``, the result that closes the loop), so it is what a user waits for that task.
"""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Record per-task wall times to a JSON file (cloudcert.tencent benchmark only)
description:
  - Writes a list of tasks with their start, end and duration in seconds to E(CLOUDCERT_BENCH_TIMINGS).
requirements:
  - enable in the callbacks_enabled setting
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Task start and last-result times, by task."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = []
        self._by_uuid = {}
        self._t0 = time.perf_counter()

    def v2_playbook_on_task_start(self, task, is_conditional):
        entry = {"name": task.get_name(), "start": time.perf_counter() - self._t0, "end": None, "results": 0, "failed": 0}
        self._tasks.append(entry)
        self._by_uuid[task._uuid] = entry

    def _record(self, result, failed=False):
        entry = self._by_uuid.get(result._task._uuid)
        if entry is not None:
            entry["end"] = time.perf_counter() - self._t0
            entry["results"] += 1
            entry["failed"] += 1 if failed else 0

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=not ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._record(result)

    def v2_runner_on_unreachable(self, result):
        self._record(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("CLOUDCERT_BENCH_TIMINGS")
        if not path:
            return
        for entry in self._tasks:
            entry["seconds"] = None if entry["end"] is None else entry["end"] - entry["start"]
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"tasks": self._tasks}, handle, indent=1)
