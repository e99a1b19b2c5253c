"""Money and carbon inputs of a scenario: rates by mode, facility costs, corridor sections.

Every input is optional and says its unit in its name. A scenario that gives none of them has
no cost or carbon KPIs and pays nothing for them. Where the inputs live:

- ``money:`` (:class:`Money`): default rates per mode (per tonne-km, per vehicle trip, per
  unit carried) and the year length used to annualise;
- ``carbon:`` (:class:`Carbon`): CO2e per tonne-km by mode and by named vehicle type;
- on a link: its own rates and vehicle type, overriding the mode's;
- on a facility node, ``costs:`` (:class:`FacilityCosts`): fees, storage, CO2e per unit
  handled, a proposed centre's capex and opex, and capacity costs per lane, place and opening
  hour;
- on a commodity: tonnes per TEU, value of time, value lost per spoiled unit, due time;
- ``sections:`` (:class:`Section`): named chains of links for the CAREC CPMM speed indicators.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field, model_validator

from ..errors import Problem
from .base import Mode, _Model

if TYPE_CHECKING:
    from .schema import Scenario

__all__ = ["Carbon", "FacilityCosts", "ModeRates", "Money", "Section", "annuity_factor",
           "money_problems", "uses_carbon", "uses_money"]

_NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def annuity_factor(discount_rate: float, lifetime_years: float) -> float:
    """Capital recovery factor: the share of a capital sum paid each year over its life.

    Parameters
    ----------
    discount_rate : float
        Annual rate [1/year], e.g. 0.08.
    lifetime_years : float
        Years over which the capital is recovered.

    Returns
    -------
    float
        ``r / (1 - (1 + r) ** -n)``, or ``1 / n`` when ``r`` is 0.

    Examples
    --------
    >>> round(annuity_factor(0.08, 20), 6)
    0.101852
    >>> annuity_factor(0.0, 20)
    0.05
    """
    if discount_rate == 0:
        return 1.0 / lifetime_years
    return discount_rate / (1.0 - (1.0 + discount_rate) ** -lifetime_years)


class ModeRates(_Model):
    """Default money rates of every link of one mode (a link's own values override them).

    Attributes
    ----------
    cost_per_tonne_km_usd : float, optional
        Haulage cost per tonne carried per km [USD/t-km]; TEU goods count their
        ``tonnes_per_teu``.
    cost_per_trip_usd : float, optional
        Cost per vehicle trip over a link [USD]: per truck-load on a road link or any link
        without a timetable; on a timetabled or when-full link each departure's cost is shared
        over its load in proportion to units.
    cost_per_unit_usd : float, optional
        Tariff per unit carried over a link [USD per TEU or t], used where a link sets no
        ``cost_per_unit`` of its own.
    """

    cost_per_tonne_km_usd: _NonNeg | None = None
    cost_per_trip_usd: _NonNeg | None = None
    cost_per_unit_usd: _NonNeg | None = None


class Money(_Model):
    """Money settings of the whole scenario.

    Attributes
    ----------
    modes : dict of str to ModeRates
        Default rates per mode (``road``, ``rail``, ``air``).
    days_per_year : float, default 365
        Days in the year used to turn a run's totals into annual figures [days].
    """

    modes: dict[Mode, ModeRates] = Field(default_factory=dict)
    days_per_year: Annotated[float, Field(gt=0, le=366)] = 365.0


class Carbon(_Model):
    """Carbon intensities: CO2e per tonne-km by mode and by vehicle type.

    Attributes
    ----------
    co2e_g_per_tonne_km : dict of str to float
        Well-to-wheel CO2e per tonne-km by mode [g/t-km]; a mode left out emits nothing.
    vehicle_types : dict of str to float
        Named vehicle types with their own CO2e per tonne-km [g/t-km]; a link picks one by
        ``vehicle_type``.
    source : str, default ""
        Where the figures come from, shown with carbon results (e.g. "EU proxies, C34").
    """

    co2e_g_per_tonne_km: dict[Mode, _NonNeg] = Field(default_factory=dict)
    vehicle_types: dict[str, _NonNeg] = Field(default_factory=dict)
    source: str = ""


class FacilityCosts(_Model):
    """Money and carbon of a facility node: fees, storage, a centre's cost, capacity costs.

    Fees count per shipment passing the node: a shipment is one truck-load, one container or
    wagon load, or one parcel batch, so "per vehicle" means per truck on the road and per
    wagon load on rail.

    Attributes
    ----------
    handling_fee_per_unit_usd : float, optional
        Fee per unit passing the node [USD per TEU or t].
    border_fee_per_vehicle_usd : float, optional
        Border payments per vehicle crossing (CAREC CPMM "cost to clear") [USD].
    storage_per_teu_day_usd : float, optional
        Storage per TEU per day from arrival to departure [USD/TEU-day]; TEU goods only.
    co2e_kg_per_unit : float, optional
        CO2e per unit handled [kg per TEU or t].
    capex_usd : float, optional
        Investment in the facility (a proposed centre) [USD]; annualised with
        ``lifetime_years`` and ``discount_rate``.
    lifetime_years : float, default 25
        Years over which ``capex_usd`` is recovered.
    discount_rate : float, default 0.08
        Annual discount rate of the capital [1/year].
    fixed_opex_usd_per_year : float, optional
        Operating cost per year independent of volume [USD/year].
    variable_opex_per_unit_usd : float, optional
        Operating cost per unit handled [USD per TEU or t].
    lane_usd_per_year : float, optional
        Cost of one lane, track or desk of the clearance stage per year [USD/year].
    space_usd_per_place_year : float, optional
        Cost per parking place or per TEU of yard (the node's ``space``) per year [USD/year].
    opening_usd_per_hour : float, optional
        Cost per hour the node is open (staff on duty) [USD/h].
    """

    handling_fee_per_unit_usd: _NonNeg | None = None
    border_fee_per_vehicle_usd: _NonNeg | None = None
    storage_per_teu_day_usd: _NonNeg | None = None
    co2e_kg_per_unit: _NonNeg | None = None
    capex_usd: _NonNeg | None = None
    lifetime_years: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 25.0
    discount_rate: Annotated[float, Field(ge=0, lt=1)] = 0.08
    fixed_opex_usd_per_year: _NonNeg | None = None
    variable_opex_per_unit_usd: _NonNeg | None = None
    lane_usd_per_year: _NonNeg | None = None
    space_usd_per_place_year: _NonNeg | None = None
    opening_usd_per_hour: _NonNeg | None = None

    @property
    def annualised_capex_usd(self) -> float:
        """``capex_usd`` spread over its life at the discount rate [USD/year] (0 if none)."""
        if not self.capex_usd:
            return 0.0
        return self.capex_usd * annuity_factor(self.discount_rate, self.lifetime_years)


class Section(_Model):
    """A named corridor section (CAREC CPMM): a chain of nodes joined by links of one mode.

    Attributes
    ----------
    nodes : list of str
        The nodes in order of travel; each consecutive pair must be joined by a link of
        ``mode``. The first and last should be facilities or the ends of the flows measured:
        time is counted from leaving the first to arriving at the last.
    mode : {"road", "rail", "air"}, default "road"
        Mode of the section's links.
    """

    nodes: list[str] = Field(min_length=2)
    mode: Mode = "road"

    @model_validator(mode="after")
    def _distinct(self) -> Section:
        if len(set(self.nodes)) != len(self.nodes):
            raise ValueError("a section passes each node once")
        return self


def uses_money(scenario: Scenario) -> bool:
    """Whether the scenario gives any money input (else no cost KPIs are computed)."""
    if scenario.money is not None:
        return True
    if any(link.cost_per_tonne_km_usd is not None or link.cost_per_trip_usd is not None
           for link in scenario.links):
        return True
    if any(getattr(n, "costs", None) is not None for n in scenario.nodes.values()):
        return True
    return any(c.value_lost_per_spoiled_unit_usd is not None
               for c in scenario.commodities.values())


def uses_carbon(scenario: Scenario) -> bool:
    """Whether the scenario gives carbon inputs (a ``carbon:`` block)."""
    return scenario.carbon is not None


def money_problems(scenario: Scenario) -> list[Problem]:
    """Cross-checks of the money and carbon inputs that one field alone cannot make.

    Parameters
    ----------
    scenario : Scenario

    Returns
    -------
    list of Problem
        Unknown vehicle types, links without ``distance_km`` that a per-km rate or carbon
        needs, TEU goods without ``tonnes_per_teu`` where tonnes are needed, and sections whose
        nodes are not joined by links of their mode.
    """
    from .references import suggest

    out: list[Problem] = []
    money, carbon = scenario.money, scenario.carbon
    per_km_modes = {m for m, r in (money.modes.items() if money else [])
                    if r.cost_per_tonne_km_usd}
    carbon_modes = {m for m, g in (carbon.co2e_g_per_tonne_km.items() if carbon else []) if g}
    types = set(carbon.vehicle_types) if carbon else set()
    tonnes_needed = False
    for i, link in enumerate(scenario.links):
        if link.vehicle_type is not None and link.vehicle_type not in types:
            out.append(Problem(f"links[{i}].vehicle_type", f"unknown vehicle type "
                               f"{link.vehicle_type!r}; define it in carbon.vehicle_types"
                               + suggest(link.vehicle_type, types)))
        per_km = link.cost_per_tonne_km_usd or (link.cost_per_tonne_km_usd is None
                                                and link.mode in per_km_modes)
        emits = carbon is not None and (link.co2e_g_per_tonne_km or link.vehicle_type
                                        or (link.co2e_g_per_tonne_km is None
                                            and link.mode in carbon_modes))
        if (per_km or emits) and link.distance_km is None:
            out.append(Problem(f"links[{i}].distance_km", "needed for its per-tonne-km cost "
                               "or carbon"))
        tonnes_needed = tonnes_needed or bool(per_km or emits)
    if tonnes_needed:
        for name, com in scenario.commodities.items():
            if com.unit == "teu" and com.tonnes_per_teu is None:
                out.append(Problem(f"commodities.{name}.tonnes_per_teu", "needed: per-tonne-km "
                                   "costs or carbon apply to links this TEU commodity may use"))
    edges = {(link.from_, link.to, link.mode) for link in scenario.links} | {
        (link.to, link.from_, link.mode) for link in scenario.links if link.bidirectional}
    for name, sec in scenario.sections.items():
        for k, end in enumerate(sec.nodes):
            if end not in scenario.nodes:
                out.append(Problem(f"sections.{name}.nodes[{k}]", f"unknown node {end!r}"
                                   + suggest(end, set(scenario.nodes))))
        for j, (a, b) in enumerate(zip(sec.nodes, sec.nodes[1:], strict=False)):
            if a in scenario.nodes and b in scenario.nodes and (a, b, sec.mode) not in edges:
                out.append(Problem(f"sections.{name}.nodes[{j + 1}]", f"no {sec.mode} link "
                                   f"from {a!r} to {b!r}"))
    return out
