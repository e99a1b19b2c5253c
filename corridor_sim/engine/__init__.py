"""The simulation engine: one replication of a scenario in SimPy."""

from .model import CorridorModel, simulate
from .recorder import ReplicationData

__all__ = ["CorridorModel", "ReplicationData", "simulate"]
