"""The dedicated SQL pool pauses itself when idle and wakes for loads (Synapse has no auto-pause).

    arm.py       the one HTTP edge to Azure Resource Manager: the pool's status, pause, resume
    activity.py  what the lake's state/ container says: loads running, the last load, a pause's intent
    control.py   the decisions (pure) and the two shells: the pause timer, and the gate before a load

Nothing here imports an HTTP or Azure library at import time: function_app's cold start stays light.
"""

from __future__ import annotations

from load.pool.control import LoadDeferred, PauseReport, pause_if_idle, run_gated_load

__all__ = ["LoadDeferred", "PauseReport", "pause_if_idle", "run_gated_load"]
