"""The synthetic flow day of ``spot demo``: normal traffic of an office network with injected
attacks (port scan, exfiltration, beacon, brute force, ICMP tunnel), deterministic for a seed.

>>> import spot
>>> day = spot.demo.flows(seed=1, workstations=20)
>>> day.flows.column_names[-2:]
['id', 'attack']
>>> sorted(day.attacks["kind"].to_pylist())
['beacon', 'brute_force', 'exfiltration', 'port_scan', 'tunnel']
"""

from __future__ import annotations

from typing import NamedTuple, Optional

import pyarrow as pa

from . import _spot

__all__ = ["FlowDay", "flows"]


class FlowDay(NamedTuple):
    """A generated day: ``flows`` (the flow schema, then ``id`` and ``attack``, null for normal
    traffic) and ``attacks`` (``kind``, ``attacker``, ``target``, ``records``)."""

    flows: pa.Table
    attacks: pa.Table


def flows(seed: int = 1, workstations: int = 250, records: Optional[int] = None) -> FlowDay:
    """One day of flows from ``workstations`` machines (about 650 records each), or sized for
    about ``records`` records: then the same records as ``spot generate flow --records N
    --seed S``."""
    f, a = _spot.demo_flows(seed=seed, workstations=workstations, records=records)
    return FlowDay(pa.table(f), pa.table(a))
