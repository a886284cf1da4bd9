"""The user's cache directory, used only where no one else can write to it.

What is cached here is executed (compiled templates) or deployed (built dependencies), so a
directory another user could write to would let them change what a render produces. The checks
are the ones Jinja makes for its own default cache directory: owned by this user, and writable
by no group and no one else. Anything else means no cache, never a shared one.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

NO_CACHE_VARIABLE = "GENERATOR_NO_CACHE"  # set to anything: render uses no cache at all


def private_cache_dir(*parts: str) -> Path | None:
    """``<user cache>/generator/<parts>``, created private; None when it cannot be, or caching is off."""
    if os.environ.get(NO_CACHE_VARIABLE):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    chain = [os.path.join(base, "generator")]
    for part in parts:
        chain.append(os.path.join(chain[-1], part))
    try:
        os.makedirs(chain[-1], mode=0o700, exist_ok=True)
        if not all(_private_to_this_user(path) for path in chain):
            return None
    except OSError:
        return None
    return Path(chain[-1])


def _private_to_this_user(path: str) -> bool:
    status = os.lstat(path)
    return (
        stat.S_ISDIR(status.st_mode)
        and status.st_uid == os.getuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )
