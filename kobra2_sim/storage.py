"""The simulated printer's two storages (internal and USB) as small in-memory file trees."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
import posixpath

LOCAL = "local"
USB = "usb"

# 2024-03-07 08:26:40 UTC: fixed so sample listings are reproducible.
_SAMPLE_EPOCH_MS = 1709800000000


def normalize_path(path: str) -> str:
    """Return an absolute, normalised POSIX path ("" and "." mean the root)."""
    cleaned = posixpath.normpath("/" + path.strip().lstrip("/"))
    # normpath keeps a leading "//"; the printer has no such thing.
    return "/" + cleaned.lstrip("/")


@dataclass(frozen=True, slots=True)
class SimFile:
    """One file or folder on a simulated storage."""

    path: str
    size: int = 0
    mtime_ms: int = _SAMPLE_EPOCH_MS
    is_dir: bool = False
    print_seconds: float = 600.0
    filament_mm: float = 0.0
    md5: str | None = field(default=None, compare=False)

    @property
    def name(self) -> str:
        """Base name as the printer lists it."""
        return posixpath.basename(self.path)

    @property
    def parent(self) -> str:
        """Folder holding this entry."""
        return posixpath.dirname(self.path) or "/"

    @property
    def filament_total_mm(self) -> float:
        """Filament the whole print uses (estimated from the size when not given)."""
        if self.filament_mm > 0:
            return self.filament_mm
        # Rough rule of thumb: about 1 mm of filament per 40 bytes of G-code.
        return max(self.size / 40.0, 100.0)


class FileStore(Mapping[str, SimFile]):
    """Path → entry mapping for one storage; parents are created on demand."""

    def __init__(self, files: Iterable[SimFile] = ()) -> None:
        self._entries: dict[str, SimFile] = {}
        for item in files:
            self.add(item)

    def __getitem__(self, path: str) -> SimFile:
        return self._entries[normalize_path(path)]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and normalize_path(path) in self._entries

    def add(self, entry: SimFile) -> SimFile:
        """Add or replace an entry (normalising its path) and create missing folders."""
        path = normalize_path(entry.path)
        if path == "/":
            raise ValueError("the root folder cannot be added")
        if path != entry.path:
            entry = SimFile(
                path,
                entry.size,
                entry.mtime_ms,
                entry.is_dir,
                entry.print_seconds,
                entry.filament_mm,
                entry.md5,
            )
        parent = posixpath.dirname(path)
        if parent != "/" and parent not in self._entries:
            self.add(SimFile(parent, 0, entry.mtime_ms, is_dir=True))
        self._entries[path] = entry
        return entry

    def remove(self, path: str) -> bool:
        """Delete an entry (a folder with everything below it); False when it is missing."""
        path = normalize_path(path)
        if path not in self._entries:
            return False
        prefix = path + "/"
        for key in [k for k in self._entries if k == path or k.startswith(prefix)]:
            del self._entries[key]
        return True

    def is_dir(self, path: str) -> bool:
        """Tell whether path is the root or an existing folder."""
        path = normalize_path(path)
        return path == "/" or (path in self._entries and self._entries[path].is_dir)

    def list_dir(self, path: str = "/") -> list[SimFile] | None:
        """Entries directly inside a folder, folders first then by name; None if no such folder."""
        path = normalize_path(path)
        if not self.is_dir(path):
            return None
        children = [e for e in self._entries.values() if e.parent == path]
        return sorted(children, key=lambda e: (not e.is_dir, e.name.lower()))


def sample_files(storage: str = LOCAL) -> tuple[SimFile, ...]:
    """Return a few realistic G-code files and a folder for "local" or "usb" storage."""
    day = 86_400_000
    if storage == LOCAL:
        return (
            SimFile(
                "/Kobra2_Benchy_PLA_0.2mm.gcode",
                4_912_337,
                _SAMPLE_EPOCH_MS - 9 * day,
                print_seconds=3_300,
            ),
            SimFile(
                "/calibration_cube_20mm.gcode",
                1_873_421,
                _SAMPLE_EPOCH_MS - 5 * day,
                print_seconds=1_260,
            ),
            SimFile("/parts", 0, _SAMPLE_EPOCH_MS - 3 * day, is_dir=True),
            SimFile(
                "/parts/phone_stand_PETG.gcode",
                6_204_118,
                _SAMPLE_EPOCH_MS - 3 * day,
                print_seconds=7_800,
            ),
            SimFile(
                "/parts/cable_clip_x4.gcode", 611_902, _SAMPLE_EPOCH_MS - 2 * day, print_seconds=840
            ),
        )
    if storage == USB:
        return (
            SimFile(
                "/spiral_vase_0.28mm.gcode",
                2_733_950,
                _SAMPLE_EPOCH_MS - 20 * day,
                print_seconds=4_500,
            ),
            SimFile(
                "/Kobra2_test_print.gcode",
                987_412,
                _SAMPLE_EPOCH_MS - 60 * day,
                print_seconds=1_500,
            ),
            SimFile("/models", 0, _SAMPLE_EPOCH_MS - 7 * day, is_dir=True),
            SimFile(
                "/models/gear_set_PLA.gcode",
                3_318_006,
                _SAMPLE_EPOCH_MS - 7 * day,
                print_seconds=5_400,
            ),
        )
    raise ValueError(f"unknown storage {storage!r}")
