"""The simulation engine: one replication of a scenario in SimPy."""

from .model import CorridorModel, simulate
from .recorder import ReplicationData
from .space import DeadlockError

__all__ = ["CorridorModel", "DeadlockError", "ReplicationData", "simulate"]
