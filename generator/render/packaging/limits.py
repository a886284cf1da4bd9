"""AWS's limits on a deployment package (lambda_facts.QUOTAS_DOC), checked where the package is made.

Over the direct-upload limit, a package still deploys: through S3. Over the unzipped limit, nothing
can deploy it, so render refuses it and shows what takes the room.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from generator.lambda_facts import MAX_DIRECT_UPLOAD_BYTES, MAX_UNZIPPED_BYTES, QUOTAS_DOC
from generator.record import Record
from generator.render.packaging.sources import PackagingError, SourceFile

WARN_AT = 0.8  # of either limit: say so before a dependency update crosses it
_LARGEST_SHOWN = 5


class PackageSize(Record):
    """A package's size against the limits: whether it goes through S3, and what to warn of."""

    zipped: int
    unzipped: int

    @property
    def through_s3(self) -> bool:
        return self.zipped > MAX_DIRECT_UPLOAD_BYTES

    def warnings(self) -> list[str]:
        said = []
        if not self.through_s3 and self.zipped >= WARN_AT * MAX_DIRECT_UPLOAD_BYTES:
            said.append(f"the package is {_mb(self.zipped)} zipped, {_share(self.zipped, MAX_DIRECT_UPLOAD_BYTES)} "
                        f"of the {_mb(MAX_DIRECT_UPLOAD_BYTES)} Lambda accepts directly; past it, the package "
                        "goes through S3")  # fmt: skip
        if self.unzipped >= WARN_AT * MAX_UNZIPPED_BYTES:
            said.append(f"the package is {_mb(self.unzipped)} unzipped, {_share(self.unzipped, MAX_UNZIPPED_BYTES)} "
                        f"of the {_mb(MAX_UNZIPPED_BYTES)} Lambda allows, layers included ({QUOTAS_DOC})")  # fmt: skip
        return said


def measure(files: Sequence[SourceFile], package: bytes) -> PackageSize:
    """The package's sizes; raises when it is too large for Lambda to unzip, naming what is large."""
    size = PackageSize(len(package), sum(len(f.content) for f in files))
    if size.unzipped > MAX_UNZIPPED_BYTES:
        raise PackagingError(
            f"the package is {_mb(size.unzipped)} unzipped, over the {_mb(MAX_UNZIPPED_BYTES)} Lambda allows "
            f"({QUOTAS_DOC}); the largest directories: {largest_directories(files)}"
        )
    return size


def largest_directories(files: Sequence[SourceFile]) -> str:
    """The directories that hold the most bytes, two levels deep (node_modules/x, a package of site-packages)."""
    sizes: Counter[str] = Counter()
    for f in files:
        parts = f.name.split("/")[:-1]
        depth = 2 if parts[:1] == ["node_modules"] else 1
        sizes["/".join(parts[:depth]) + "/" if parts else "(top level)"] += len(f.content)
    return ", ".join(f"{name} {_mb(size)}" for name, size in sizes.most_common(_LARGEST_SHOWN))


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _share(size: int, limit: int) -> str:
    return f"{100 * size / limit:.0f}%"
