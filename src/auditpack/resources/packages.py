"""The text files of a zip package (a Lambda function's code, a layer), read in memory with Python's zipfile.

A package is judged by what a person could read in it: text members, each up to a size cap, up to a cap on the
package's text as a whole (what the detector holds in memory until it runs: docs/performance.md). What is not
read is counted, by reason, so that a result can say so instead of passing silently. Members outside dependency
folders are read first: a project's own files are where its configuration sits.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

DEPENDENCY_FOLDERS = ("node_modules/", "site-packages/", "dist-packages/", "vendor/", "python/lib/", "nodejs/",
                      "java/lib/", "__pycache__/")
SNIFFED = 8192  # bytes of a member looked at to tell text from binary


@dataclass(frozen=True)
class PackageText:
    """What was read of one package: text members by name, and how many members were not read, and why."""

    members: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # (name, text); memory only
    binary: int = 0
    too_large: int = 0  # members larger than the member cap
    over_budget: int = 0  # members left once the package's text cap was reached
    unreadable: str = ""  # why the package itself could not be opened (not a zip, encrypted)

    @property
    def skipped(self) -> int:
        return self.binary + self.too_large + self.over_budget

    def describe_skipped(self, member_cap: int, text_cap: int) -> str:
        """'3 files not read: 2 binary, 1 larger than 1048576 bytes', or ''."""
        if not self.skipped:
            return ""
        parts = [f"{n} {why}" for n, why in ((self.binary, "binary"),
                                             (self.too_large, f"larger than {member_cap} bytes"),
                                             (self.over_budget, f"past the package's {text_cap}-byte text cap"))
                 if n]
        return f"{self.skipped} file{'s' if self.skipped != 1 else ''} not read: {', '.join(parts)}"


def _order(info: zipfile.ZipInfo) -> tuple[bool, int, str]:
    dependency = any(folder in f"/{info.filename}" or info.filename.startswith(folder) for folder in DEPENDENCY_FOLDERS)
    return dependency, info.file_size, info.filename


def _text(data: bytes) -> str | None:
    if b"\x00" in data[:SNIFFED]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def read_text_members(package: bytes, *, member_cap: int, text_cap: int) -> PackageText:
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile:
        return PackageText(unreadable="not a zip archive")
    members: list[tuple[str, str]] = []
    binary = too_large = over_budget = 0
    budget = text_cap
    with archive:
        for info in sorted((i for i in archive.infolist() if not i.is_dir()), key=_order):
            if info.file_size > member_cap:
                too_large += 1
                continue
            if info.file_size > budget:
                over_budget += 1
                continue
            try:
                text = _text(archive.read(info))
            except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError):  # encrypted, corrupt
                text = None
            if text is None:
                binary += 1
                continue
            budget -= info.file_size
            if text.strip():
                members.append((info.filename, text))
    return PackageText(tuple(members), binary, too_large, over_budget)
