"""One replication, run where the executor runs it: simulate, then reduce to what is kept.

:func:`run_replication` is the task every executor runs. It simulates one replication and,
before returning, reduces the recorded columns to KPI values and binned series, so that what
travels back to the parent (and stays there) does not grow with the length of the run.
"""

from __future__ import annotations

from .records import ReplicationData
from .scenario.schema import Scenario

__all__ = ["run_replication"]


def run_replication(task: tuple[Scenario, int, int]) -> ReplicationData:
    """Run one ``(scenario, replication, seed)`` task.

    Parameters
    ----------
    task : tuple
        ``(scenario, replication, seed)``.

    Returns
    -------
    ReplicationData
    """
    from .engine import simulate

    return simulate(*task)
