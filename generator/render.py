"""From a validated config to the files of a Terraform project, all in memory.

Rendering never touches the disk beyond reading templates and function sources;
``output.write_tree`` decides what reaches the output directory. Keeping the two
apart is what lets ``render --check`` and the golden tests compare without writing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2

from generator import destinations, hcl
from generator.config import (
    ENVIRONMENT_KEY_PATTERN,
    FIELDS_BY_SECTION,
    RESERVED_ENVIRONMENT_KEYS,
    Config,
    Function,
)
from generator.packaging import build_zip, source_files

MAX_ROLE_NAME = 64
_TUNABLES = ("architecture", "memory_mb", "timeout_seconds", "reserved_concurrency", "environment",
             "log_retention_days", "maximum_event_age_seconds", "maximum_retry_attempts")  # fmt: skip
_TERRAFORM_FILES = ("versions.tf", "providers.tf", "main.tf", "s3.tf", "iam.tf", "variables.tf", "outputs.tf")
_DEMO_HANDLERS = {"python": ("handler.py", "handler.handler"), "nodejs": ("index.mjs", "index.handler")}

Files = dict[str, bytes]


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, or beside it in a source checkout."""
    installed = Path(__file__).parent / "templates"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "templates"


def render(config: Config) -> Files:
    """Every file of the project for ``config``, keyed by POSIX path relative to the output root."""
    functions = [_function_view(fn) for fn in config.functions]
    context = _context(config, functions)
    files: Files = {}
    for name in _terraform_files(config, context["created"]):
        text = _environment(True).get_template(f"terraform/{name}.j2").render(context)
        files[name] = hcl.format_hcl(text).encode()
    for name in ("README.md", ".gitignore"):
        text = _environment(False).get_template(f"project/{name}.j2").render(context)
        files[name] = _tidy_text(text).encode()
    for view in functions:
        for entry, content in view["sources"]:
            files[f"src/{view['name']}/{entry}"] = content
        files[view["package"]] = _package(view["sources"])
    return dict(sorted(files.items()))


def _terraform_files(config: Config, created: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    extra: tuple[str, ...] = ("backend.tf",) if config.backend.type == "s3" else ()
    if any(created.values()):
        extra += ("destinations.tf",)
    return _TERRAFORM_FILES + extra


def role_name(function_name: str) -> str:
    """``<function>-role``, shortened with a stable hash where IAM's 64-character limit needs it."""
    name = f"{function_name}-role"
    if len(name) <= MAX_ROLE_NAME:
        return name
    digest = hashlib.sha256(function_name.encode()).hexdigest()[:8]
    return f"{function_name[: MAX_ROLE_NAME - len(digest) - 6]}-{digest}-role"


def _function_view(fn: Function) -> dict[str, Any]:
    sources, default_handler = _sources(fn)
    return {
        "destinations": destinations.wiring(fn),
        "name": fn.name,
        "package": f"build/{fn.name}.zip",
        "runtime": fn.runtime,
        "handler": fn.handler or default_handler,
        "role_name": role_name(fn.name),
        "settings": {name: getattr(fn, name) for name in _TUNABLES},
        "sources": sources,
    }


def _sources(fn: Function) -> tuple[tuple[tuple[str, bytes], ...], str]:
    if fn.source is not None:
        return tuple(source_files(fn.source)), ""
    file_name, handler = _DEMO_HANDLERS[fn.language]
    return _demo_sources(fn.language, file_name), handler


@cache
def _demo_sources(language: str, file_name: str) -> tuple[tuple[str, bytes], ...]:
    return ((file_name, (templates_dir() / "functions" / language / file_name).read_bytes()),)


@cache
def _package(sources: tuple[tuple[str, bytes], ...]) -> bytes:
    """Functions that share code share one zip build; the result is the same bytes either way."""
    return build_zip(sources)


def _context(config: Config, functions: list[dict[str, Any]]) -> dict[str, Any]:
    fields = {section or "top": {f.name: f for f in specs} for section, specs in FIELDS_BY_SECTION.items()}
    return {
        "config": config,
        "bucket": config.failure_bucket,
        "functions": functions,
        "fields": {key.rstrip("[]"): value for key, value in fields.items()},
        "reserved_environment_keys": sorted(RESERVED_ENVIRONMENT_KEYS),
        "environment_key_pattern": ENVIRONMENT_KEY_PATTERN,
        "uses_random": config.failure_bucket.naming == "random_uuid",
        "custom_destinations": destinations.uses_custom_destinations(config),
        "created": _created_destinations(functions),
    }


def _created_destinations(functions: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The queues, topics and buses the project creates, by type, keyed by name."""
    created: dict[str, dict[str, Any]] = {"sqs": {}, "sns": {}, "eventbridge": {}}
    for view in functions:
        for wired in view["destinations"]:
            if wired.created_name is not None:
                settings = destinations.queue_settings(wired.destination) if wired.destination.type == "sqs" else {}
                created[wired.destination.type][wired.created_name] = settings
    return created


def _tidy_text(text: str) -> str:
    """Trailing spaces and blank-line runs left by template conditionals, removed."""
    lines = [line.rstrip() for line in text.split("\n")]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    while tidy and not tidy[-1]:
        tidy.pop()
    return "\n".join(tidy) + "\n"


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates, cached per user: compiling them costs more than the rest of a render.

    Entries are keyed by a checksum of the template source, so an edited or upgraded
    template is recompiled. Without a writable cache directory the render goes on uncached.
    """
    if os.environ.get("GENERATOR_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(base, "generator", f"jinja-{jinja2.__version__}")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(directory) if os.access(directory, os.W_OK) else None


def _only_hcl(value: Any) -> Any:
    """Jinja ``finalize`` hook: what a template prints must already be HCL (or a plain number)."""
    if isinstance(value, hcl.Hcl) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"template printed {value!r} without passing it through an HCL filter")


def _markdown_cell(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


_FILTERS: dict[str, Callable[..., Any]] = {
    "hcl": hcl.to_hcl,
    "quote": hcl.quote,
    "key": hcl.key,
    "inner": lambda text: hcl.Hcl(hcl.quote(text)[1:-1]),
    "md": _markdown_cell,
}


@lru_cache(maxsize=2)
def _environment(for_hcl: bool) -> jinja2.Environment:
    """Terraform templates may print only ``Hcl`` values; README and .gitignore print plain text.

    ``finalize`` is read when a template runs, not when it compiles, so the two kinds
    of template need two environments rather than one switched back and forth.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        bytecode_cache=_bytecode_cache(),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
        finalize=_only_hcl if for_hcl else None,
    )
    env.filters.update(_FILTERS)
    return env
