"""Rental: the owner's agency agreement with the company (房屋租赁委托代理协议) and the tenants'
registration (租户登记表), with the lease term, the per-person area and the filing the law sets."""
from __future__ import annotations

from ...registry import Process, register
from . import agency, tenants  # noqa: F401  (importing them registers the builders and rules)
from .demo import demo_rows

PROCESS = register(Process("rental", "房屋租赁",
                           "Rental: the owner's agency agreement with the company (letting, rent collection, "
                           "keys, hand-over, filing) and the registration of the tenants of a let unit.",
                           tables=("leases",), demo=demo_rows, columns={"leases": ("id", "unit")},
                           indexes={"leases": ("unit",)}))
