"""Detect, cheaply, a database file on a network filesystem (where SQLite's locks lie)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["on_network_filesystem"]

_NETWORK_TYPES: Final = frozenset(
    {"nfs", "nfs4", "cifs", "smb3", "smbfs", "9p", "afs", "ceph", "glusterfs", "fuse.sshfs"}
)
_MOUNTINFO: Final = Path("/proc/self/mountinfo")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (\040 ...).
    return field.encode().decode("unicode_escape") if "\\" in field else field


def on_network_filesystem(path: Path, mountinfo: Path = _MOUNTINFO) -> bool:
    """Return whether ``path`` lives on a network filesystem; ``False`` where unknowable."""
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return False  # not Linux: no cheap way to tell
    target = path.resolve().parent
    best, best_type = "", ""
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, after = left.split(), right.split()
        if len(fields) < 5 or not after:
            continue
        mount_point = _unescape(fields[4])
        inside = target == Path(mount_point) or Path(mount_point) in target.parents
        if inside and len(mount_point) >= len(best):
            best, best_type = mount_point, after[0]
    return best_type in _NETWORK_TYPES
