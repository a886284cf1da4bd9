"""Deployment packages: the function's own files, its dependencies built for Lambda, and AWS's size limits."""

from generator.render.packaging.archive import build_zip
from generator.render.packaging.sources import DEFAULT_EXCLUDES, PackagingError, SourceFile, Sources, collect_sources

__all__ = ["DEFAULT_EXCLUDES", "PackagingError", "SourceFile", "Sources", "build_zip", "collect_sources"]
