"""Scenario nodes: cities, border checkpoints, terminals, dry ports and airports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .base import _Model, _NonNegInt
from .distributions import Distribution
from .money import FacilityCosts

__all__ = [
    "FACILITY_KINDS",
    "AirportNode",
    "CheckpointNode",
    "CityNode",
    "Consolidation",
    "DailyLimit",
    "DatedLimit",
    "Direction",
    "DryPortNode",
    "FacilityBase",
    "FacilityNode",
    "Handling",
    "Inspection",
    "Lanes",
    "LinkSpace",
    "Node",
    "Space",
    "TerminalNode",
    "Transload",
]

class _NodeBase(_Model):
    label: str | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    approximate_position: bool = False
    country: str | None = None


class CityNode(_NodeBase):
    """A place where shipments are created or delivered.

    ``kind`` may be ``city``, ``origin`` or ``destination``; the three are the same.

    Attributes
    ----------
    label : str, optional
        Name shown in plots.
    lat, lon : float, optional
        Position [decimal degrees] for maps.
    approximate_position : bool, default False
        The position is an estimate (no surveyed coordinates of the site were found); maps
        mark such a node, as they mark nodes without ``lat``/``lon``.
    country : str, optional
        Country code, e.g. ``"KZ"``.
    """

    kind: Literal["city", "origin", "destination"]


class Lanes(_Model):
    """Servers (lanes, tracks, desks) of a facility's clearance stage.

    Attributes
    ----------
    general : int, default 1
        Lanes (or tracks) that serve every shipment, ≥ 0.
    green : int, default 0
        Green-corridor lanes that serve only green-corridor commodities, ≥ 0.
    """

    general: _NonNegInt = 1
    green: _NonNegInt = 0


class Space(_Model):
    """Finite room in front of a facility's servers: a parking area, a siding or a yard.

    Give exactly one of ``vehicles`` or ``teu``. Omitted, the room is unlimited (and costs
    nothing to simulate).

    ``vehicles`` counts the vehicles (trucks, trains) waiting in front of the node's first
    stage, not those in service: a vehicle holds a place from its arrival until its service
    starts. ``teu`` counts the containers in a yard: a vehicle's containers hold room from its
    arrival until they leave the node on a train, flight or truck (at a terminal, the
    containers waiting for a departure of the next link's service). A train waits whole,
    outside, until there is room for all of its TEU; it never unloads in part (a train larger
    than the whole yard enters only an empty yard).

    When the room is full, an arriving vehicle waits at the end of the link it came by: on the
    road with no limit, counted as the node's queue on the approach, or on a link with a
    ``space`` of its own, which then stays full and blocks the node before it.

    Attributes
    ----------
    vehicles : int, optional
        Places for waiting vehicles, ≥ 1.
    teu : float, optional
        Yard capacity [TEU], > 0.
    """

    vehicles: Annotated[int, Field(ge=1, strict=True)] | None = None
    teu: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Space:
        if (self.vehicles is None) == (self.teu is None):
            raise ValueError("give exactly one of vehicles or teu")
        return self


class LinkSpace(_Model):
    """Finite room on a link, e.g. the strip between two checkpoints of a border crossing.

    A vehicle holds a place from the moment it enters the link until it **starts service** at
    the next node, so vehicles queued at the next node still fill the link. A vehicle that
    cannot enter a full link waits where it is: a vehicle that has just been served keeps its
    lane, track or bay until a place frees (*blocking after service*); a vehicle leaving its
    origin waits on the approach road, with no limit. A ``bidirectional`` link has one such
    room per direction.

    Attributes
    ----------
    vehicles : int
        Places for vehicles on the link, moving or waiting at its end, ≥ 1.
    """

    vehicles: Annotated[int, Field(ge=1, strict=True)]


class DatedLimit(_Model):
    """A daily limit in force from a date on (one step of a schedule of limits).

    Attributes
    ----------
    from_ : date
        First local day it applies (written ``from`` in YAML).
    per_day : int
        Vehicles a day [vehicles/day], ≥ 1.
    """

    from_: dt.date = Field(alias="from")
    per_day: Annotated[int, Field(ge=1, strict=True)]


def _ascending(steps: list[DatedLimit]) -> list[DatedLimit]:
    dates = [s.from_ for s in steps]
    if dates != sorted(set(dates)):
        raise ValueError("the dates of a limit schedule must be distinct and in order")
    return steps


DailyLimit = (Annotated[int, Field(ge=1, strict=True)]
              | Annotated[list[DatedLimit], Field(min_length=1), AfterValidator(_ascending)])
"""A number of vehicles per day, or a schedule of them by date (no limit before the first).

For example China's acceptance of trucks at Nur Zholy, 650 → 750 → 1,000 a day in 2025
(C58, C59)::

    max_vehicles_per_day:
      - {from: 2025-01-01, per_day: 650}
      - {from: 2025-07-01, per_day: 750}
      - {from: 2025-09-01, per_day: 1000}
"""


class Direction(_Model):
    """Settings for the vehicles that arrive at a node from one neighbouring node.

    A direction of travel through a node is named by the node its vehicles arrive from, e.g.
    ``directions: {almaty: {...}, khorgos_road: {...}}`` at Nur Zholy. Directions not listed
    use the node's own settings.

    Attributes
    ----------
    pool : {"shared", "own"}, default "shared"
        ``own``: the direction has servers of its own (``lanes``), used by no other
        direction, with its own calendar and daily limit. ``shared``: its vehicles are served
        by the node's ``lanes`` together with the other shared directions; its ``calendar``
        and ``max_vehicles_per_day`` then admit vehicles to the shared queue.
    lanes : Lanes, optional
        The direction's own lanes; required with ``pool: own``, not allowed with ``shared``.
    calendar : str, optional
        Calendar of the direction; default the node's.
    max_vehicles_per_day : int or list of DatedLimit, optional
        At most this many of its vehicles start per local day (a schedule by date allowed).
    space : Space, optional
        Waiting room of its own (vehicles), instead of a share of the node's ``space``.
    """

    pool: Literal["shared", "own"] = "shared"
    lanes: Lanes | None = None
    calendar: str | None = None
    max_vehicles_per_day: DailyLimit | None = None
    space: Space | None = None

    @model_validator(mode="after")
    def _lanes(self) -> Direction:
        if self.pool == "own" and self.lanes is None:
            raise ValueError("a direction with pool: own needs lanes")
        if self.pool == "shared" and self.lanes is not None:
            raise ValueError("lanes of a direction need pool: own (with pool: shared the "
                             "node's lanes serve it)")
        if self.space is not None and self.space.vehicles is None:
            raise ValueError("the space of a direction counts vehicles (space: {vehicles: N})")
        return self


class Inspection(_Model):
    """A physical inspection that some vehicles undergo after clearance, in the same lane.

    Attributes
    ----------
    probability : float
        Share of vehicles inspected, in [0, 1].
    time : Distribution
        Extra time in the lane [h].
    """

    probability: Annotated[float, Field(ge=0, le=1)]
    time: Distribution


class Transload(_Model):
    """Cargo moved from one country's truck to the other's after clearance (Khorgos).

    Attributes
    ----------
    time : Distribution
        Time to trans-load one truck [h].
    bays : int, optional
        Trans-loading bays working in parallel; omitted means unlimited (a pure delay).
    arriving_from : list of str, optional
        Only vehicles arriving from these nodes are trans-loaded (at Khorgos, the Chinese
        trucks from Urumqi); default every vehicle.
    """

    time: Distribution
    bays: Annotated[int, Field(ge=1, strict=True)] | None = None
    arriving_from: list[str] | None = None


class Handling(_Model):
    """Container handling of a vehicle: cranes moving boxes, or bogie exchange per wagon.

    The handling time of a vehicle carrying ``n`` containers is
    ``setup_hours + n / (cranes * moves_per_hour)`` for ``method: crane`` and
    ``setup_hours + ceil(n / containers_per_wagon) * hours_per_wagon`` for ``method: bogie``.

    Attributes
    ----------
    method : {"crane", "bogie"}, default "crane"
        Transshipment by cranes, or exchange of bogies under each wagon.
    tracks : int, default 1
        Vehicles (trains, trucks) handled at the same time, ≥ 1.
    cranes : int, default 1
        Cranes working on one vehicle (crane method), ≥ 1.
    moves_per_hour : float, default 20
        Container moves per crane per hour (crane method).
    hours_per_wagon : float, default 0.5
        Bogie exchange time per wagon [h] (bogie method).
    containers_per_wagon : int, default 1
        Containers (shipments) per wagon (bogie method).
    setup_hours : float, default 0
        Fixed time per vehicle: shunting, positioning, paperwork [h].
    """

    method: Literal["crane", "bogie"] = "crane"
    tracks: Annotated[int, Field(ge=1, strict=True)] = 1
    cranes: Annotated[int, Field(ge=1, strict=True)] = 1
    moves_per_hour: Annotated[float, Field(gt=0)] = 20.0
    hours_per_wagon: Annotated[float, Field(gt=0)] = 0.5
    containers_per_wagon: Annotated[int, Field(ge=1, strict=True)] = 1
    setup_hours: Annotated[float, Field(ge=0)] = 0.0

    def hours(self, containers: int) -> float:
        """Handling time of one vehicle carrying ``containers`` shipments [h]."""
        if self.method == "crane":
            return self.setup_hours + containers / (self.cranes * self.moves_per_hour)
        wagons = -(-containers // self.containers_per_wagon)
        return self.setup_hours + wagons * self.hours_per_wagon


class Consolidation(_Model):
    """Hold loads at a terminal until a block train towards their next stop is full.

    Attributes
    ----------
    enabled : bool, default True
        Switch the consolidator on or off (one line in a scenario).
    train_capacity_teu : float
        Units a block train carries; it leaves as soon as this much waits, > 0.
    max_wait_hours : float, optional
        A train also leaves, part-full, when its oldest load has waited this long [h].
    """

    enabled: bool = True
    train_capacity_teu: Annotated[float, Field(gt=0)]
    max_wait_hours: Annotated[float, Field(gt=0)] | None = None


class FacilityBase(_NodeBase):
    """Settings shared by every node where shipments queue and are served.

    A vehicle (truck, train, flight load) passes the stages of a facility in order:
    clearance in a lane; at a checkpoint, break-of-gauge transshipment (trains arriving over a
    ``break_of_gauge`` link only); handling; at a road checkpoint, trans-loading; at a
    terminal, consolidation into block trains.

    Attributes
    ----------
    calendar : str, default "round_the_clock"
        Name of a calendar in ``calendars``; service starts only while it is open.
    lanes : Lanes
        General and green-corridor lanes (tracks or desks) of the clearance stage.
    green_priority : bool, default True
        Green-corridor shipments are served first in general lanes (non-preemptive).
    service_time : Distribution, optional
        Clearance time per vehicle in a lane [h]; omitted means no clearance stage.
    inspection : Inspection, optional
        Extra lane time for a random share of vehicles.
    handling : Handling, optional
        Container handling after clearance (cranes or bogie exchange), per vehicle.
    max_vehicles_per_day : int, optional
        At most this many vehicles start clearance per local calendar day (an electronic
        queue quota); the rest wait for the next day. A direction's limit may also be a
        schedule by date (see :class:`Direction`).
    space : Space, optional
        Finite waiting room in front of the servers (vehicles) or a container yard (TEU);
        omitted means unlimited.
    directions : dict of str to Direction, optional
        Lanes, calendar, daily limit and space per direction of travel, keyed by the node
        vehicles arrive from; each direction has its own servers or shares the node's.
    label, lat, lon, approximate_position, country
        As for :class:`CityNode`.
    costs : FacilityCosts, optional
        Fees, storage, CO2e per unit handled, a proposed centre's capex and opex, and
        capacity costs (see :class:`FacilityCosts`).
    """

    calendar: str = "round_the_clock"
    lanes: Lanes = Field(default_factory=Lanes)
    green_priority: bool = True
    service_time: Distribution | None = None
    inspection: Inspection | None = None
    handling: Handling | None = None
    max_vehicles_per_day: Annotated[int, Field(ge=1, strict=True)] | None = None
    space: Space | None = None
    directions: dict[str, Direction] | None = None
    costs: FacilityCosts | None = None

    @model_validator(mode="after")
    def _directions(self) -> FacilityBase:
        if self.directions and self.service_time is None:
            raise ValueError("directions need a clearance stage (service_time)")
        return self


class CheckpointNode(FacilityBase):
    """A border checkpoint for one mode: one country's side of a crossing.

    Has every attribute of :class:`FacilityBase` (``service_time`` is required), and:

    Attributes
    ----------
    mode : {"road", "rail"}, default "road"
        The traffic it clears; only links of this mode may touch it.
    transload : Transload, optional
        Road: cargo trans-loaded between trucks after clearance (Khorgos).
    transshipment : Handling, optional
        Rail: break-of-gauge handling of trains that arrive over a ``break_of_gauge`` link.
    precleared_service_time : Distribution, optional
        Clearance time [h] of a vehicle whose loads were all cleared at an inland dry port; a
        vehicle with a share ``f`` of pre-cleared loads takes ``f`` of this time plus
        ``1 − f`` of ``service_time``.
    """

    kind: Literal["checkpoint"]
    mode: Literal["road", "rail"] = "road"
    service_time: Distribution
    transload: Transload | None = None
    transshipment: Handling | None = None
    precleared_service_time: Distribution | None = None


class TerminalNode(FacilityBase):
    """A consolidation terminal (Urumqi): handling, then block trains formed when full.

    Has every attribute of :class:`FacilityBase`, and:

    Attributes
    ----------
    consolidation : Consolidation, optional
        Hold loads until a block train to their next stop is full or has waited long enough.
    """

    kind: Literal["terminal"]
    consolidation: Consolidation | None = None


class DryPortNode(FacilityBase):
    """An inland dry port (Xi'an): customs clearance and handling away from the border.

    Has every attribute of :class:`FacilityBase`. Loads that leave a dry port count as
    pre-cleared at later checkpoints that set ``precleared_service_time``.
    """

    kind: Literal["dry_port"]


class AirportNode(FacilityBase):
    """An airport's cargo terminal, between trucks and scheduled flights.

    Has every attribute of :class:`FacilityBase`.
    """

    kind: Literal["airport"]


Node = Annotated[
    CityNode | CheckpointNode | TerminalNode | DryPortNode | AirportNode,
    Field(discriminator="kind"),
]
"""Any node, chosen by its ``kind`` key."""

FacilityNode = CheckpointNode | TerminalNode | DryPortNode | AirportNode
"""The node kinds where shipments queue and are served."""

FACILITY_KINDS = frozenset({"checkpoint", "terminal", "dry_port", "airport"})
"""Node kinds where shipments queue and are served (the rest are places)."""
