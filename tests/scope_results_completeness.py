"""Scope-matrix rows for the results routes of this area (see scope_results_world).

Ids available in urls/data: {rop} (the results operation), {s_tha}, {s_tha_del}, {s_sens}
(sensitive, Thailand), {s_ken}, {hl_tha} (highlight case), plus anything ``extend_world`` adds.
"""

from __future__ import annotations

from tests.scope_cases import Case

WEB: dict[str, list[Case]] = {}
API: dict[str, list[Case]] = {}
