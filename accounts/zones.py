"""The time zones a person chooses from: the canonical IANA zones, grouped by region.

zoneinfo knows about 600 names, a third of them aliases kept for old software ("US/Eastern",
"Asia/Calcutta", "GB"). The list offered is the zones of the tz database's zone.tab, one
or more per country, under their region ("Europe", "America"), with UTC; any zone
zoneinfo knows is still accepted (accounts.models.validate_tz), so a saved alias keeps
working. Browsers may report an alias ("Asia/Calcutta"): `zone_aliases` maps each to the
zone of the list with the same rules, for the page to preselect.
"""

import zoneinfo
from collections import defaultdict
from functools import cache
from importlib import resources
from pathlib import Path

from accounts.models import available_zones

UTC = "UTC"


def _tz_file(name):
    """Return the bytes of a file of the tz database (tzdata's copy, else the system's)."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*name.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        for root in zoneinfo.TZPATH:
            path = Path(root, name)
            if path.is_file():
                return path.read_bytes()
    return None


@cache
def canonical_zones():
    """The zones of zone.tab that this machine knows, sorted, and UTC."""
    table = (_tz_file("zone.tab") or b"").decode()
    names = {
        line.split("\t")[2]
        for line in table.splitlines()
        if line and not line.startswith("#") and line.count("\t") >= 2
    }
    return sorted((names & available_zones()) | {UTC})


def label(zone):
    """ "America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires"."""
    return " / ".join(zone.split("/")[1:]).replace("_", " ") or zone


def zone_name(zone):
    """A zone as the profile's list names it: "Berlin (Europe)", not "Europe/Berlin"."""
    name = label(zone)
    return name if name == zone else f"{name} ({zone.split('/')[0]})"


@cache
def zone_choices():
    """Grouped choices for a select: UTC first, then each region's zones by name."""
    regions = defaultdict(list)
    for zone in canonical_zones():
        if zone != UTC:
            regions[zone.split("/")[0]].append((zone, label(zone)))
    return [
        (UTC, "UTC"),
        *((region, sorted(zones, key=lambda c: c[1])) for region, zones in sorted(regions.items())),
    ]


@cache
def zone_aliases():
    """{alias: zone of the list} for every other name whose rules are the same bytes."""
    canonical = canonical_zones()
    by_bytes = {}
    for zone in canonical:
        by_bytes.setdefault(_tz_file(zone), zone)
    aliases = {}
    for name in sorted(available_zones() - set(canonical)):
        target = by_bytes.get(_tz_file(name))
        if target and "/" in name and not name.startswith("Etc/"):
            aliases[name] = target
    return aliases
