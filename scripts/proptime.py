"""Timestamps of a testnet's propagation.json (shared by prophops.py and graftdups.py)."""
from datetime import datetime


def ts(s):
    """Seconds since the epoch of an RFC 3339 time as Go writes it; None for Go's zero time."""
    if not s or s.startswith("0001"):
        return None
    s = s.rstrip("Z")
    if "." in s:
        a, b = s.split(".")
        s = a + "." + (b + "000000")[:6]
    return datetime.fromisoformat(s).timestamp()
