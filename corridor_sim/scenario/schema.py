"""The scenario schema: pydantic models of everything a scenario file can say.

The models are frozen (immutable) and forbid unknown keys, so a typo is an error, not a silently
ignored setting. Units: hours for durations, km, km/h, TEU, tonnes.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator, field_validator, model_validator

from .base import WEEKDAYS, Calendar, Mode, Shift, Weekday, _Model, clock_hours
from .distributions import Constant, Distribution
from .money import Carbon, Money, Section
from .nodes import (
    FACILITY_KINDS,
    AirportNode,
    CheckpointNode,
    CityNode,
    Consolidation,
    DryPortNode,
    FacilityBase,
    FacilityNode,
    Handling,
    Inspection,
    Lanes,
    LinkSpace,
    Node,
    Space,
    TerminalNode,
    Transload,
)
from .windows import KpiWindow

__all__ = [
    "FACILITY_KINDS",
    "FacilityBase",
    "WEEKDAYS",
    "Calendar",
    "AirportNode",
    "CheckpointNode",
    "CityNode",
    "Commodity",
    "CommodityInspection",
    "Consolidation",
    "Demand",
    "Departures",
    "DryPortNode",
    "FacilityNode",
    "Handling",
    "Inspection",
    "Lanes",
    "Link",
    "Money",
    "Carbon",
    "Section",
    "LinkSpace",
    "Mode",
    "Node",
    "Scenario",
    "Shift",
    "Space",
    "TerminalNode",
    "Transload",
]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")


def _parse_start(value: Any) -> dt.date:
    """A date (midnight UTC) or a date-time, given as such or as ISO text."""
    if isinstance(value, dt.date):  # datetime is a date too
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return (dt.date.fromisoformat(text) if len(text) == 10
                    else dt.datetime.fromisoformat(text))
        except ValueError:
            pass
    raise ValueError(f"must be a date such as 2025-01-01 or a date-time such as "
                     f"2025-01-01T06:00+05:00, got {value!r}")


StartTime = Annotated[dt.date, PlainValidator(_parse_start),
                      PlainSerializer(lambda v: v.isoformat(), return_type=str)]
"""Model time 0: a date (midnight UTC) or a date-time (UTC unless it carries a zone)."""


# --------------------------------------------------------------------------- links


class Departures(_Model):
    """A timetable: departures every so many hours, or at clock times on some weekdays.

    Attributes
    ----------
    every_hours : float, optional
        Headway [h]; departures at ``offset_hours + k * every_hours`` from model time 0.
    offset_hours : float, default 0
        First departure with ``every_hours`` [h].
    times : list of str, optional
        Local clock times ``"HH:MM"`` of the departures on each operating day.
    days : list of str
        Operating weekdays for ``times`` (default every day).
    timezone : str, default "UTC"
        IANA time zone of ``times`` and ``days``.
    """

    every_hours: Annotated[float, Field(gt=0)] | None = None
    offset_hours: Annotated[float, Field(ge=0)] = 0.0
    times: list[str] | None = None
    days: list[Weekday] = Field(default_factory=lambda: list(WEEKDAYS), min_length=1)
    timezone: str = "UTC"

    @field_validator("times")
    @classmethod
    def _clocks(cls, v: list[str] | None) -> list[str] | None:
        for t in v or []:
            clock_hours(t)
        return v

    _zone = field_validator("timezone")(Calendar._zone.__func__)

    @model_validator(mode="after")
    def _one_kind(self) -> Departures:
        if (self.every_hours is None) == (self.times is None):
            raise ValueError("give exactly one of every_hours or times")
        return self

    @property
    def per_day(self) -> float:
        """Mean departures per day."""
        if self.every_hours is not None:
            return 24.0 / self.every_hours
        return len(self.times or []) * len(self.days) / 7.0


class Link(_Model):
    """A directed transport link between two nodes by one mode.

    Attributes
    ----------
    from_ : str
        Start node (written ``from`` in YAML).
    to : str
        End node.
    mode : {"road", "rail", "air"}, default "road"
        Transport mode; parallel links of different modes between two nodes are allowed.
    distance_km : float, optional
        Length [km].
    speed_kmh : float, optional
        Average speed [km/h]; with ``distance_km`` gives a constant travel time.
    travel_time : Distribution, optional
        Travel time [h]; overrides ``distance_km`` / ``speed_kmh``.
    bidirectional : bool, default False
        Also create the reverse link with the same settings.
    departures : Departures, optional
        Rail / air: a timetable. Loads wait at the start node for the next departure with
        room; a vehicle leaves only if it carries something.
    capacity_teu, capacity_t : float, optional
        Rail / air: what one train or flight carries, in TEU or tonnes (the unit of the
        commodities it may carry).
    dispatch : {"schedule", "when_full"}, default "schedule"
        Leave at timetabled departures, or as soon as the vehicle is full (or when the oldest
        load has waited ``max_wait_hours``).
    max_wait_hours : float, optional
        With ``when_full``: leave part-full after this wait of the oldest load [h].
    break_of_gauge : bool, default False
        Rail: the link crosses from 1520 mm to 1435 mm track (or back); trains arriving over it
        are transshipped at the end node (its ``transshipment``).
    cost_per_unit : float, default 0
        Money cost per unit carried [USD]; with a commodity's ``value_of_time_per_hour`` it
        enters mode choice.
    max_vehicles_per_day : int, optional
        At most this many vehicles set off per UTC day in each direction (an agreed exchange
        of trains across a border); the rest wait at the start node.
    space : LinkSpace, optional
        Finite room on the link for vehicles moving on it or waiting at its end (one per
        direction of a ``bidirectional`` link); omitted means unlimited. Only for links that
        vehicles drive on their own (no timetable or dispatch rule).
    cost_per_tonne_km_usd : float, optional
        Haulage cost per tonne per km [USD/t-km]; default the mode's in ``money.modes``.
    cost_per_trip_usd : float, optional
        Cost per vehicle trip [USD]; default the mode's (see :class:`ModeRates`).
    vehicle_type : str, optional
        Name in ``carbon.vehicle_types`` whose CO2e per tonne-km this link uses.
    co2e_g_per_tonne_km : float, optional
        CO2e per tonne-km on this link [g/t-km]; overrides its vehicle type and mode.
    """

    from_: str = Field(alias="from")
    to: str
    mode: Mode = "road"
    distance_km: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    speed_kmh: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    travel_time: Distribution | None = None
    bidirectional: bool = False
    departures: Departures | None = None
    capacity_teu: Annotated[float, Field(gt=0)] | None = None
    capacity_t: Annotated[float, Field(gt=0)] | None = None
    dispatch: Literal["schedule", "when_full"] = "schedule"
    max_wait_hours: Annotated[float, Field(gt=0)] | None = None
    break_of_gauge: bool = False
    cost_per_unit: Annotated[float, Field(ge=0)] = 0.0
    max_vehicles_per_day: Annotated[int, Field(ge=1, strict=True)] | None = None
    space: LinkSpace | None = None
    cost_per_tonne_km_usd: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    cost_per_trip_usd: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    vehicle_type: str | None = None
    co2e_g_per_tonne_km: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Link:
        if self.travel_time is None and (self.distance_km is None or self.speed_kmh is None):
            raise ValueError("needs travel_time, or distance_km and speed_kmh")
        if self.travel_time is None and not math.isfinite(self.distance_km / self.speed_kmh):
            raise ValueError(f"distance_km / speed_kmh = {self.distance_km:g} / "
                             f"{self.speed_kmh:g} is not a finite travel time")
        if self.capacity_teu is not None and self.capacity_t is not None:
            raise ValueError("give capacity_teu or capacity_t, not both")
        scheduled = self.departures is not None or self.dispatch == "when_full"
        if scheduled and self.mode == "road":
            raise ValueError("road links have no timetable or dispatch rule")
        if scheduled and self.capacity is None:
            raise ValueError("a scheduled or when_full link needs capacity_teu or capacity_t")
        if self.dispatch == "schedule" and self.capacity is not None and self.departures is None:
            raise ValueError("a link with a capacity needs departures, or dispatch: when_full")
        if self.max_wait_hours is not None and self.dispatch != "when_full":
            raise ValueError("max_wait_hours applies only with dispatch: when_full")
        if self.break_of_gauge and self.mode != "rail":
            raise ValueError("break_of_gauge applies only to rail links")
        if self.space is not None and scheduled:
            raise ValueError("space applies only to links that vehicles drive on their own; "
                             "loads waiting for a timetabled or when-full service are counted "
                             "in the start node's space: {teu: N}")
        return self

    @property
    def capacity(self) -> float | None:
        """Capacity of one vehicle in its unit (TEU or tonnes), or None if uncapacitated."""
        return self.capacity_teu if self.capacity_teu is not None else self.capacity_t

    @property
    def capacity_unit(self) -> str | None:
        """``"teu"``, ``"tonne"`` or None."""
        if self.capacity_teu is not None:
            return "teu"
        return "tonne" if self.capacity_t is not None else None

    @property
    def scheduled(self) -> bool:
        """Whether loads wait for a vehicle (timetable or when-full dispatch)."""
        return self.capacity is not None

    @property
    def expected_wait_hours(self) -> float:
        """Mean wait for a vehicle assumed in routing [h]: half the headway or max wait."""
        if self.departures is not None and self.dispatch == "schedule":
            return 12.0 / max(self.departures.per_day, 1e-9)
        if self.dispatch == "when_full" and self.max_wait_hours is not None:
            return self.max_wait_hours / 2.0
        return 0.0

    @property
    def time(self) -> Distribution:
        """Travel time distribution [h] (constant distance / speed if no ``travel_time``)."""
        if self.travel_time is not None:
            return self.travel_time
        assert self.distance_km is not None and self.speed_kmh is not None  # by validation
        return Constant(dist="constant", hours=self.distance_km / self.speed_kmh)


# --------------------------------------------------------------------------- goods and demand


class CommodityInspection(Inspection):
    """An inspection of vehicles carrying a commodity, at some or all checkpoints.

    Attributes
    ----------
    probability : float
        Share of such vehicles inspected, in [0, 1].
    time : Distribution
        Extra lane time [h].
    at : list of str, optional
        Nodes where it happens; default every checkpoint on the route.
    """

    at: list[str] | None = None


class Commodity(_Model):
    """A kind of goods.

    Attributes
    ----------
    unit : {"teu", "tonne"}, default "teu"
        Unit in which shipments of it are counted.
    green_corridor : bool, default False
        Uses green-corridor lanes and priority at checkpoints.
    shelf_life_hours : float, optional
        A shipment delivered later than this after creation is spoiled [h].
    barred_at : list of str
        Nodes that bar it (a trade barrier). It is turned back where it is first checked: at
        the first of the checkpoints joined by links that lead to the barring node (the other
        side of a border crossing), before any service; such shipments count as
        ``rejected``.
    modes : list of str
        Modes it may travel by; default all.
    inspection : CommodityInspection, optional
        An inspection every vehicle carrying it undergoes (veterinary control of meat).
    value_of_time_per_hour : float, optional
        Money one unit's hour is worth [USD/h]; with links' ``cost_per_unit`` it makes mode
        choice weigh cost against time. Omitted: choose by expected time alone. It also
        prices lead time in the cost KPIs (the "time" part of the cost).
    tonnes_per_teu : float, optional
        Mean tonnes of cargo in one TEU [t]; needed for per-tonne-km costs, carbon and cost
        per tonne of TEU goods.
    value_lost_per_spoiled_unit_usd : float, optional
        Money lost per unit delivered spoiled [USD per TEU or t].
    due_hours : float, optional
        Planner-set due time from creation [h]: a delivery within it is on time.
    """

    unit: Literal["teu", "tonne"] = "teu"
    green_corridor: bool = False
    shelf_life_hours: Annotated[float, Field(gt=0)] | None = None
    barred_at: list[str] = Field(default_factory=list)
    modes: list[Mode] = Field(default_factory=lambda: ["road", "rail", "air"], min_length=1)
    inspection: CommodityInspection | None = None
    value_of_time_per_hour: Annotated[float, Field(gt=0)] | None = None
    tonnes_per_teu: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    value_lost_per_spoiled_unit_usd: Annotated[float, Field(ge=0, allow_inf_nan=False)] | \
        None = None
    due_hours: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None


class RouteShare(_Model):
    """A route of a flow and the share of its shipments that take it.

    Attributes
    ----------
    route : list of str
        Node names from the flow's origin to its destination.
    modes : list of str, optional
        Mode of each link; default the fastest mode of each.
    share : float
        Share of the flow's shipments [0–1].
    """

    route: Annotated[list[str], Field(min_length=2)]
    modes: list[Mode] | None = None
    share: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class Equilibrium(_Model):
    """Settings of ``assignment: equilibrium`` (method of successive averages).

    Attributes
    ----------
    max_iterations : int, default 8
        Most rounds of simulate, update waits, reassign.
    gap : float, default 0.02
        Stop when the relative gap falls to this: the extra generalised cost of the shares
        taken over the cheapest routes at the simulated waits, over the cost of the cheapest.
    replications : int, default 2
        Replications simulated in each round, on their own seeds (never the evaluation seeds).
    seed_offset : int, default 1000003
        Added to the base seed to give the fitting replications their own random numbers.
    """

    max_iterations: Annotated[int, Field(ge=1, le=100, strict=True)] = 8
    gap: Annotated[float, Field(gt=0, lt=1)] = 0.02
    replications: Annotated[int, Field(ge=1, le=50, strict=True)] = 2
    seed_offset: Annotated[int, Field(ge=1, strict=True)] = 1_000_003


class Routing(_Model):
    """How flows choose among routes and modes (see ``docs/background/route-choice.md``).

    Attributes
    ----------
    choice : {"best", "logit"}, default "best"
        ``best``: each flow takes its route of lowest generalised cost (all-or-nothing);
        ``logit``: a multinomial-logit split over its candidates with ``logit_scale``.
    k : int, default 3
        Node paths considered per flow (the k shortest by expected time), each in one
        variant per mode where links of several modes run in parallel.
    logit_scale : float, optional
        Scale of the logit, in the generalised cost's unit: hours, or USD per unit for a
        commodity with ``value_of_time_per_hour``. Needed for ``choice: logit``.
    assignment : {"fixed", "equilibrium"}, default "fixed"
        ``fixed``: choose once from waits estimated from loads; ``equilibrium``: simulate,
        update waits, reassign until the gap is small (``equilibrium``), then run with the
        shares found.
    equilibrium : Equilibrium
        Settings of the equilibrium loop.
    fitted : dict, optional
        Written by an equilibrium fit (gap, iterations, replications); informative only.
    """

    choice: Literal["best", "logit"] = "best"
    k: Annotated[int, Field(ge=1, le=20, strict=True)] = 3
    logit_scale: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    assignment: Literal["fixed", "equilibrium"] = "fixed"
    equilibrium: Equilibrium = Field(default_factory=Equilibrium)
    fitted: dict[str, float] | None = None


class Demand(_Model):
    """A flow of shipments from an origin to a destination.

    Attributes
    ----------
    origin, destination : str
        Node names.
    commodity : str
        Name in ``commodities``.
    per_day : float, optional
        Mean shipments created per day (Poisson arrivals). Give this or ``per_year``.
    per_year : float, optional
        Mean shipments created per year of 365 days.
    units_per_shipment : float, default 1
        Units [TEU or t, by the commodity's unit] carried by one shipment (one truck-load,
        container or parcel batch).
    seasonality : list of 12 float, optional
        Relative volume by calendar month (January first); normalised to mean 1, so the
        annual volume is unchanged.
    weekday : list of 7 float, optional
        Relative volume by weekday (Monday first, UTC days); normalised to mean 1.
    hourly : list of 24 float, optional
        Relative arrival rate by hour of the day (00:00–01:00 first), in the clock of
        ``hourly_timezone``; normalised to mean 1, so each day's volume is unchanged and only
        its timing moves (for peak-hour sizing of a gate). Months (``seasonality``) and
        weekdays stay UTC.
    hourly_timezone : str, default "UTC"
        IANA time zone whose clock ``hourly`` follows, e.g. ``"Asia/Almaty"`` for trucks
        leaving a Kazakh origin. A time zone with daylight saving shifts the profile with
        the clock.
    growth_per_year : float, optional
        Growth of the volume per year of 365 days from ``start`` [fraction per year], > -1
        and ≤ 10 (0.05 is +5 %/year). Compounded continuously, and scaled so that the first year's
        volume is ``per_year`` (or ``per_day`` × 365): year k after start carries (1 +
        ``growth_per_year``)^k times the first year's. Omitted: constant volume.
    modes : list of str, optional
        Restrict the flow to these modes (within the commodity's).
    choice : {"best", "logit"}, optional
        This flow's route choice; default ``routing.choice``.
    logit_scale : float, optional
        This flow's logit scale; default ``routing.logit_scale``.
    via : list of str, optional
        Nodes the flow must pass, in this order (its best routes through them are chosen
        among as usual).
    route : list of str, optional
        The flow's fixed node path, origin to destination (a policy scenario); its modes are
        still chosen where links of several modes run in parallel.
    split : list of RouteShare, optional
        The flow's routes and their shares, summing to 1, taken as given (an equilibrium
        fit writes them so that a rerun needs no refit).
    """

    origin: str
    destination: str
    commodity: str
    per_day: Annotated[float, Field(ge=0)] | None = None
    per_year: Annotated[float, Field(ge=0)] | None = None
    units_per_shipment: Annotated[float, Field(gt=0)] = 1.0
    seasonality: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=12,
                                                                       max_length=12)] | None = None
    weekday: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=7,
                                                                   max_length=7)] | None = None
    hourly: Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=24,
                                                                  max_length=24)] | None = None
    hourly_timezone: str = "UTC"
    growth_per_year: Annotated[float, Field(gt=-1, le=10)] | None = None
    modes: list[Mode] | None = None
    choice: Literal["best", "logit"] | None = None
    logit_scale: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    via: Annotated[list[str], Field(min_length=1)] | None = None
    route: Annotated[list[str], Field(min_length=2)] | None = None
    split: Annotated[list[RouteShare], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_route_rule(self) -> Demand:
        given = [k for k in ("via", "route", "split") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give at most one of via, route and split, not {' and '.join(given)}")
        if self.split is not None and abs(sum(s.share for s in self.split) - 1.0) > 1e-6:
            raise ValueError(f"split shares must sum to 1, not "
                             f"{sum(s.share for s in self.split):g}")
        return self

    _zone = field_validator("hourly_timezone")(Calendar._zone.__func__)

    @field_validator("hourly")
    @classmethod
    def _some_hour(cls, v: list[float] | None) -> list[float] | None:
        if v is not None and sum(v) <= 0:
            raise ValueError("hourly weights must not all be zero")
        return v

    @model_validator(mode="after")
    def _one_rate(self) -> Demand:
        if (self.per_day is None) == (self.per_year is None):
            raise ValueError("give exactly one of per_day or per_year")
        for name in ("seasonality", "weekday"):
            factors = getattr(self, name)
            if factors is not None and sum(factors) <= 0:
                raise ValueError(f"{name} factors must not all be zero")
        return self

    @property
    def key(self) -> str:
        """Unique name of the flow, ``origin>destination:commodity`` (``[modes]`` if set)."""
        modes = f"[{'+'.join(self.modes)}]" if self.modes else ""
        return f"{self.origin}>{self.destination}:{self.commodity}{modes}"

    @property
    def shipments_per_day(self) -> float:
        """Mean shipments per day, averaged over the (first) year; see ``growth_per_year``."""
        return self.per_day if self.per_day is not None else self.per_year / 365.0

    def growth_hours(self, t_hours: Any) -> Any:
        """Growth-weighted time from model time 0 to ``t_hours`` [h].

        The integral of the growth factor, so that ``shipments_per_day / 24 *
        growth_hours(t)`` is the expected number of shipments created by ``t`` (monthly,
        weekday and hourly profiles averaged out). Equal to ``t_hours`` without growth.

        Parameters
        ----------
        t_hours : float or numpy.ndarray
            Model time [h].

        Returns
        -------
        float or numpy.ndarray
            Growth-weighted time [h].
        """
        g = self.growth_per_year
        if not g:
            return t_hours
        import numpy as np

        year = 365.0 * 24.0
        return year * np.expm1(np.log1p(g) * np.asarray(t_hours) / year) / g

    def expected_shipments(self, horizon_hours: float, from_hours: float = 0.0) -> float:
        """Expected shipments created between two model times, growth included.

        Parameters
        ----------
        horizon_hours : float
            End of the period [h].
        from_hours : float, default 0
            Start of the period [h].

        Returns
        -------
        float
            Expected count (profiles taken at their mean of 1).
        """
        span = self.growth_hours(horizon_hours) - self.growth_hours(from_hours)
        return float(self.shipments_per_day / 24.0 * span)


# --------------------------------------------------------------------------- the scenario

ROUND_THE_CLOCK = Calendar(always_open=True)


class Scenario(_Model):
    """A complete, validated scenario: the corridor, its goods, demand and run settings.

    Build one with :func:`corridor_sim.load_scenario`; change it with :meth:`with_changes`.

    Attributes
    ----------
    name : str
        Short name, used for output folders.
    description : str
        What question the scenario answers.
    start : date or datetime, default 2025-01-01
        Model time 0, midnight UTC of this date unless a datetime with a zone is given.
    horizon_days : float
        Length of one replication [days].
    warmup_days : float, default 0
        Initial period excluded from every KPI [days].
    replications : int, default 10
        Default number of replications.
    seed : int, default 1
        Default base seed.
    max_shipments : int, default 5_000_000
        Refuse to run when the expected shipments of one replication exceed this (memory guard).
    vehicle_length_m : float, default 33
        Metres of road one queued truck takes (its length plus the gap to the next), to turn
        queues at road checkpoints into km. The default is inferred from the Nur Zholy queue
        of November 2025: about 1,500 trucks over about 50 km (C59, C62).
    calendars : dict of str to Calendar
        Named calendars; ``round_the_clock`` is predefined.
    nodes : dict of str to Node
        The places and facilities of the corridor.
    links : list of Link
        Directed links between nodes.
    commodities : dict of str to Commodity
        Kinds of goods.
    demand : list of Demand
        Flows of shipments.
    money : Money, optional
        Default money rates per mode and the year length; with any money input the run
        reports costs (see ``docs/background/costs.md``).
    carbon : Carbon, optional
        CO2e intensities by mode and vehicle type; present, the run reports carbon.
    sections : dict of str to Section
        Named corridor sections (CAREC CPMM) whose speed with and without delay is reported.
    routing : Routing
        How flows choose among routes and modes.
    kpi_windows : dict of str to KpiWindow
        Named periods of the run (e.g. a harvest peak) whose waits are reported per node as
        ``WINDOW:NODE.wait_hours.mean`` / ``.p95`` (see ``corridor_sim.windows``).
    """

    name: str
    description: str = ""
    start: StartTime = dt.date(2025, 1, 1)
    horizon_days: Annotated[float, Field(gt=0)]
    warmup_days: Annotated[float, Field(ge=0)] = 0.0
    replications: Annotated[int, Field(ge=1, strict=True)] = 10
    seed: Annotated[int, Field(ge=0, strict=True)] = 1
    max_shipments: Annotated[int, Field(ge=1, strict=True)] = 5_000_000
    vehicle_length_m: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 33.0
    calendars: dict[str, Calendar] = Field(default_factory=dict, validate_default=True)
    nodes: dict[str, Node] = Field(min_length=1)
    links: list[Link] = Field(default_factory=list)
    commodities: dict[str, Commodity] = Field(min_length=1)
    demand: list[Demand] = Field(min_length=1)
    money: Money | None = None
    carbon: Carbon | None = None
    sections: dict[str, Section] = Field(default_factory=dict)
    routing: Routing = Field(default_factory=Routing)
    kpi_windows: dict[str, KpiWindow] = Field(default_factory=dict)

    @field_validator("calendars")
    @classmethod
    def _predefined(cls, v: dict[str, Calendar]) -> dict[str, Calendar]:
        return {"round_the_clock": ROUND_THE_CLOCK, **v}

    @field_validator("nodes", "commodities", "calendars")
    @classmethod
    def _names(cls, v: dict[str, Any]) -> dict[str, Any]:
        for key in v:
            if not _NAME.match(key):
                raise ValueError(
                    f"name {key!r} must start with a letter and hold only letters, digits, "
                    "'_' or '-'"
                )
        return v

    @model_validator(mode="after")
    def _warmup(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError(
                f"warmup_days ({self.warmup_days:g}) must be shorter than horizon_days "
                f"({self.horizon_days:g})"
            )
        return self

    # -- derived -----------------------------------------------------------------------
    @property
    def start_utc(self) -> dt.datetime:
        """Model time 0 as an aware UTC datetime."""
        if isinstance(self.start, dt.datetime):
            s = self.start if self.start.tzinfo else self.start.replace(tzinfo=dt.timezone.utc)
            return s.astimezone(dt.timezone.utc)
        return dt.datetime(self.start.year, self.start.month, self.start.day,
                           tzinfo=dt.timezone.utc)

    @property
    def horizon_hours(self) -> float:
        """Length of one replication [h]."""
        return self.horizon_days * 24.0

    @property
    def warmup_hours(self) -> float:
        """Warm-up period [h]."""
        return self.warmup_days * 24.0

    def expected_shipments(self) -> float:
        """Expected shipments created in one replication (with each flow's growth)."""
        return sum(d.expected_shipments(self.horizon_hours) for d in self.demand)

    def to_dict(self) -> dict[str, Any]:
        """The scenario as plain data (what a YAML file would hold), with every default."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        if self.calendars["round_the_clock"] == ROUND_THE_CLOCK:
            del data["calendars"]["round_the_clock"]
        if not data.get("sections"):
            data.pop("sections", None)
        if not data.get("kpi_windows"):
            data.pop("kpi_windows", None)
        return data

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """A copy with some settings changed, validated as a whole.

        Parameters
        ----------
        changes : dict
            Dotted key paths to new values, e.g.
            ``{"nodes.khorgos_road.lanes.general": 6, "demand[0].per_day": 120}``.
            A missing mapping key is created; a value of ``None`` deletes the key.

        Returns
        -------
        Scenario
            The changed scenario.

        Raises
        ------
        ScenarioError
            If a path does not exist or the result is invalid.
        """
        from .loader import apply_changes

        return apply_changes(self, changes)
