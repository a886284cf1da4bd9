"""From a validated config to the files of a Terraform project, all in memory.

Rendering never writes to the output: it reads templates and function sources, and builds
dependencies through the user's build cache (``packaging.dependencies``); ``output.write_tree``
decides what reaches the output directory. Keeping the two apart is what lets ``render --check``
and the golden tests compare without writing.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, TextIO

import jinja2

from generator import ci, lambda_facts
from generator.cache_dir import private_cache_dir
from generator.config.model import Config, Function, Trigger
from generator.record import Record, field
from generator.render import destinations, hcl, layout, tftest
from generator.render.names import record_rule_name, role_name
from generator.render.packaging import PackagingError, SourceFile, build_zip, collect_sources, limits
from generator.render.view import FunctionView, ProjectView, active_settings, module_context
from generator.sandbox.override import SANDBOX_OVERRIDE

FLAT_LAYOUT_FILE = "iam.tf"  # rendered only before 0.2, by the flat layout; a render removes it as stale
_RETIRED_FILES = (FLAT_LAYOUT_FILE,)


class OutputFile(Record):
    """A file render makes from a template: where it goes, when a project has it, and whether it is Terraform.

    OUTPUT_FILES is the one list of them: render writes from it, and ``is_generated_path`` (what a render
    may ever remove) reads it, so a file cannot be added to one and forgotten in the other.
    """

    path: str
    template: str
    exists: Callable[[ProjectView], bool] = lambda project: True
    terraform: bool = True  # formatted, and its template may print only HCL


OUTPUT_FILES = (
    OutputFile("versions.tf", "terraform/versions.tf.j2"),
    OutputFile("providers.tf", "terraform/providers.tf.j2"),
    OutputFile("main.tf", "terraform/main.tf.j2"),
    OutputFile("moved.tf", "terraform/moved.tf.j2"),
    OutputFile("s3.tf", "terraform/s3.tf.j2", lambda project: project.uses_bucket),
    OutputFile("variables.tf", "terraform/variables.tf.j2"),
    OutputFile("outputs.tf", "terraform/outputs.tf.j2"),
    OutputFile("backend.tf", "terraform/backend.tf.j2", lambda project: project.config.backend.type == "s3"),
    OutputFile("destinations.tf", "terraform/destinations.tf.j2", lambda project: project.creates_destinations),
    OutputFile("packages.tf", "terraform/packages.tf.j2", lambda project: bool(project.s3_packages)),
    OutputFile("triggers.tf", "terraform/triggers.tf.j2", lambda project: bool(project.triggered)),
    OutputFile("athena.tf", "terraform/athena.tf.j2", lambda project: project.analytics),
    OutputFile("monitoring.tf", "terraform/monitoring.tf.j2", lambda project: bool(project.alarms)),
    OutputFile(tftest.TEST_FILE, f"terraform/{tftest.TEST_FILE}.j2"),
    OutputFile("README.md", "project/README.md.j2", terraform=False),
    OutputFile(".gitignore", "project/.gitignore.j2", terraform=False),
    OutputFile(ci.WORKFLOW_PATH, "project/github/terraform.yml.j2",
               lambda project: project.config.ci == "github-actions", terraform=False),
)  # fmt: skip
# The child module each function is an instance of (see layout.py for which call holds it): plain Terraform,
# the same files for every config, shipped in templates/ and copied as they are.
_MODULE_FILE_NAMES = ("main.tf", "iam.tf", "triggers.tf", "monitoring.tf", "variables.tf", "outputs.tf", "versions.tf")
MODULE_FILES = tuple(f"modules/function/{name}" for name in _MODULE_FILE_NAMES)
# The module's files written from the declarations (the settings' types, limits and sentences) by the
# template of the same name plus .j2; ``pytest --update-golden`` rewrites them, and a test keeps them fresh.
DECLARED_MODULE_FILES = ("modules/function/monitoring.tf", "modules/function/variables.tf",
                         "modules/function/outputs.tf")  # fmt: skip
# Templates that only others include.
PARTIAL_TEMPLATES = ("terraform/function_arguments.j2", "terraform/permissions.j2", "terraform/policy_statements.j2")
_GENERATED_PATHS = frozenset((*(f.path for f in OUTPUT_FILES), *MODULE_FILES, *_RETIRED_FILES, SANDBOX_OVERRIDE))
_DEMO_HANDLERS = {"python": ("handler.py", "handler.handler"), "nodejs": ("index.mjs", "index.handler")}
# Where each runtime looks for the module a handler names (see each runtime's bootstrap).
_HANDLER_FILES = {"python": (".py", "/__init__.py"), "nodejs": (".js", ".mjs", ".cjs")}

Files = dict[str, bytes]


class Rendered(Record):
    """A rendered project: its files, the modes that keep private copies private, and what packaging left out."""

    files: Files
    modes: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, tuple[str, ...]] = field(default_factory=dict)  # by function name
    warnings: tuple[str, ...] = ()  # allowed, but worth changing: each names its key and line
    built: tuple[str, ...] = ()  # the functions whose dependencies an installer ran for


class BuildOptions(Record):
    """How a render may build dependencies: ``offline`` uses only the build cache; installers log to ``log``."""

    offline: bool = False
    log: TextIO | None = None  # None: standard error


NO_OPTIONS = BuildOptions()  # build what the cache lacks, logging to standard error


def is_generated_path(path: str) -> bool:
    """Whether render produces files at ``path``: the only paths a manifest may ask it to remove."""
    parts = path.split("/")
    if path in _GENERATED_PATHS:
        return True
    if parts[0] == "src":
        return len(parts) >= 3
    return parts[0] == "build" and len(parts) == 2 and parts[1].endswith(".zip")


_PACKAGE = Path(__file__).resolve().parent.parent  # generator/, which holds the templates once installed


def templates_dir() -> Path:
    """Where the templates are: inside the installed package, or beside it in a source checkout."""
    installed = _PACKAGE / "templates"
    return installed if installed.is_dir() else _PACKAGE.parent / "templates"


def starter_config() -> Path:
    """The commented starter that ``init`` copies: the checkout's own config.yaml, in the wheel as a template."""
    installed = _PACKAGE / "templates" / "config.yaml"
    return installed if installed.is_file() else _PACKAGE.parent / "config.yaml"


def render(config: Config) -> Files:
    """Every file of the project for ``config``, keyed by POSIX path relative to the output root."""
    return render_project(config).files


def render_project(
    config: Config,
    never_package: Sequence[Path] = (),
    *,
    carries_flat_layout: bool = False,
    builds: BuildOptions = NO_OPTIONS,
) -> Rendered:
    """The project for ``config``; ``never_package`` names directories (the output) no package may include.

    ``carries_flat_layout``: the output was first rendered before 0.2 (see ``api``), so moved.tf moves
    each function's root resources into the module.
    """
    packer = _Packer(config, never_package, builds)
    functions = tuple(packer.view(index, fn) for index, fn in enumerate(config.functions))
    project = ProjectView(config, functions, carries_flat_layout)
    context = project.template_context()
    files: Files = {}
    for output in OUTPUT_FILES:
        if output.exists(project):
            text = _environment(output.terraform).get_template(output.template).render(context)
            files[output.path] = (hcl.format_hcl(text) if output.terraform else hcl.tidy_text(text)).encode()
    files.update(function_module())
    modes: dict[str, int] = {}
    for view in functions:
        for source in view.sources:
            files[f"src/{view.name}/{source.name}"] = source.content
            modes[f"src/{view.name}/{source.name}"] = source.mode
        files[view.package] = packer.zips[view.name]
        modes[view.package] = _narrowest(s.mode for s in view.sources)
    skipped = {view.name: view.skipped for view in functions if view.skipped}
    return Rendered(dict(sorted(files.items())), modes, skipped, tuple(packer.warnings), tuple(packer.built))


def _narrowest(modes: Iterable[int]) -> int:
    """A package is as private as the most private file in it."""
    result = 0o666
    for mode in modes:
        result &= mode
    return result


@cache
def function_module() -> Files:
    """The function module's files, as shipped: no config changes them, so render only copies them."""
    root = templates_dir() / "terraform"
    return {path: (root / path).read_bytes() for path in MODULE_FILES}


def declared_module_files() -> Files:
    """The module's files that the declarations write, rendered afresh (for the test that keeps them current)."""
    context = module_context()
    environment = _environment(True)
    return {
        path: hcl.format_hcl(environment.get_template(f"terraform/{path}.j2").render(context)).encode()
        for path in DECLARED_MODULE_FILES
    }


class _Packer:
    """Each function's package: its own files, its dependencies, the zip, and what to say about them."""

    def __init__(self, config: Config, never_package: Sequence[Path], builds: BuildOptions) -> None:
        self.config, self.never_package, self.builds = config, never_package, builds
        self.zips: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self.built: list[str] = []
        self.installed_by: dict[str, str] = {}  # function -> the installer's command, in words

    def view(self, index: int, fn: Function) -> FunctionView:
        config = self.config
        sources, skipped, handler = self._sources(index, fn)
        dependencies: tuple[SourceFile, ...] = ()
        if fn.source is not None:
            dependencies, replaced = self._dependencies(index, fn, sources)
            if replaced and any(s.name.startswith(replaced) for s in sources):
                sources = tuple(s for s in sources if not s.name.startswith(replaced))
                skipped = (*skipped, f"{replaced} (installed afresh from the lockfile)")
        package = (*sources, *dependencies)
        self.zips[fn.name] = zipped = _package(tuple((s.name, s.content) for s in package))
        try:
            size = limits.measure(package, zipped)
        except PackagingError as exc:
            raise config.error(("functions", index, "source"), f"{fn.name}: {exc}") from None
        self._warn(index, *size.warnings())
        return FunctionView(
            name=fn.name,
            runtime=fn.runtime,
            handler=handler,
            package=f"build/{fn.name}.zip",
            role_name=role_name(config.project, fn.name),
            record_rule_name=record_rule_name(config.project, fn.name),
            publish=fn.publish,
            alias=fn.alias,
            settings={field.name: getattr(fn, field.name) for field in active_settings(config)},
            sources=sources,
            skipped=skipped,
            destinations=tuple(
                destinations.wiring(config.project, fn, bucket_kms=config.failure_bucket.kms_key_arn is not None)
            ),
            demo=fn.source is None,
            expected_record=lambda_facts.expected_record(
                fn.reserved_concurrency, fn.maximum_retry_attempts, fn.maximum_event_age_seconds
            ),
            group=layout.group_of(fn.name),
            module_call=layout.module_call(fn.name, len(config.functions)),
            other_call=layout.other_call(fn.name, len(config.functions)),
            through_s3=size.through_s3 or fn.package_bucket is not None,
            package_bucket=fn.package_bucket,
            installed_by=self.installed_by.get(fn.name),
            policy_statements=fn.policy_statements,
            managed_policy_arns=fn.managed_policy_arns,
            triggers=fn.triggers,
        )

    def _warn(self, index: int, *said: str) -> None:
        self.warnings.extend(str(self.config.error(("functions", index, "source"), text)) for text in said)

    def _sources(self, index: int, fn: Function) -> tuple[tuple[SourceFile, ...], tuple[str, ...], str]:
        """(files to package, what was left out, the handler): the user's code, or the bundled demo."""
        if fn.source is None:
            file_name, handler = _DEMO_HANDLERS[fn.language]
            return _demo_sources(fn.language, file_name), (), handler
        try:
            collected = collect_sources(fn.source, fn.source_exclude, self.never_package)
        except PackagingError as exc:
            raise self.config.error(("functions", index, "source"), str(exc)) from None
        if not collected.files:
            raise self.config.error(("functions", index, "source"), f"{fn.source} holds no files to package")
        assert fn.handler is not None  # the config requires a handler with a source
        problem = _handler_problem(fn, fn.handler, collected.names())
        if problem:
            raise self.config.error(("functions", index, "handler"), problem)
        return collected.files, collected.skipped, fn.handler

    def _dependencies(
        self, index: int, fn: Function, sources: Sequence[SourceFile]
    ) -> tuple[tuple[SourceFile, ...], str | None]:
        """What the function's lockfile installs, built for its runtime and CPU (() when it has none), and the
        directory of the source that the installed one replaces."""
        from generator.render.packaging import dependencies  # only a function with its own code builds

        where = ("functions", index, "source")
        try:
            recipe = dependencies.recipe_for(fn.language, sources)
            hint = dependencies.other_lock_hint(fn.language, sources)
            if hint:
                self._warn(index, hint)
            if recipe is None:
                return (), None
            if recipe.installer == "pip":
                unpinned = dependencies.unpinned_requirements(recipe.inputs[0].content)
                if unpinned:
                    self._warn(index, f"{dependencies.REQUIREMENTS} pins neither a version (==) nor a hash for "
                                      f"{', '.join(unpinned)}: a later render may install other versions")  # fmt: skip
            builder = dependencies.Builder(offline=self.builds.offline, log=self.builds.log or sys.stderr)
            installed = builder.install(fn.name, recipe, fn.runtime, fn.architecture)
            runtime = lambda_facts.RUNTIMES_BY_NAME[fn.runtime]
            self.installed_by[fn.name] = dependencies.describe(recipe, runtime, fn.architecture)
            self.built.extend(builder.built)
        except PackagingError as exc:
            error = self.config.error(where, str(exc))
            error.detail = exc.detail
            raise error from None
        own = {s.name for s in sources if not (recipe.own_directory and s.name.startswith(recipe.own_directory))}
        clashes = sorted(own.intersection(f.name for f in installed))
        if clashes:
            raise self.config.error(where, f"{', '.join(clashes[:3])} is both in {fn.source} and installed by "
                                           f"{recipe.installer}; remove the copy from the source")  # fmt: skip
        return installed, recipe.own_directory


def _handler_problem(fn: Function, handler: str, names: set[str]) -> str | None:
    """The runtime loads the module a handler names; a handler that names no file in the package fails every call."""
    module, _, function = handler.rpartition(".")
    if not module or not function:
        return f"{handler!r} must be <file>.<function>, such as app.handler"
    if fn.language == "python":
        module = module.replace("/", ".").replace(".", "/")
    candidates = [module + ending for ending in _HANDLER_FILES[fn.language]]
    if names.intersection(candidates):
        return None
    other = "nodejs" if fn.language == "python" else "python"
    elsewhere = [module + ending for ending in _HANDLER_FILES[other] if module + ending in names]
    hint = f"; the package has {elsewhere[0]}, is runtime {fn.runtime} right?" if elsewhere else ""
    return f"{handler!r} needs {' or '.join(candidates)} in the package, and {fn.source} has none{hint}"


@cache
def _demo_sources(language: str, file_name: str) -> tuple[SourceFile, ...]:
    return (SourceFile(file_name, (templates_dir() / "functions" / language / file_name).read_bytes(), 0o644),)


@cache
def _package(sources: tuple[tuple[str, bytes], ...]) -> bytes:
    """Functions that share code share one zip build; the result is the same bytes either way."""
    return build_zip(sources)


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates, cached per user: compiling them costs more than the rest of a render.

    Cached bytecode is executed, so it lives only in a private cache directory (see ``cache_dir``);
    without one, the render is uncached. Entries are keyed by a checksum of the template source, so
    an edited or upgraded template is recompiled.
    """
    directory = private_cache_dir(f"jinja-{jinja2.__version__}")
    return None if directory is None else jinja2.FileSystemBytecodeCache(str(directory))


def _only_hcl(value: Any) -> Any:
    """Jinja ``finalize`` hook: what a template prints must already be HCL (or a plain number)."""
    if isinstance(value, hcl.Hcl) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"template printed {value!r} without passing it through an HCL filter")


# What Markdown (GitHub's) or HTML acts on in the middle of a line: code, emphasis, links and images, tags,
# entities, strikethrough, table columns, and an underscore at a word's edge (inside a word it is text).
_MARKDOWN_SPECIAL = re.compile(r"[\\`*\[\]<>|~&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _markdown_cell(value: Any) -> str:
    """The project's own text (descriptions that may hold Markdown of their own) as one table cell."""
    text = value if isinstance(value, str) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_text(value: Any) -> str:
    """A config value as Markdown prose or a table cell: every character Markdown or HTML could act on escaped.

    The one place config values become Markdown text: a value that slipped past validation still shows as
    the characters it holds, never as a link, an image, emphasis or a table column.
    """
    text = value if isinstance(value, str) else str(value)
    text = "".join(ch if ch.isprintable() else " " for ch in text)  # newlines, ESC and the like
    return _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match[0], text)


def markdown_code(value: Any) -> str:
    """A config value as inline code: fenced with more backticks than it holds, on one line."""
    text = "".join(ch if ch.isprintable() else " " for ch in (value if isinstance(value, str) else str(value)))
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{fence}{padded}{fence}"


def trigger_words(trigger: Trigger) -> str:
    """What invokes the function, in the rendered README's words (Markdown)."""
    if trigger.type == "sns":
        return f"messages of the topic {markdown_code(trigger.topic_arn or '')}"
    if trigger.type == "schedule":
        window = f", up to {trigger.flexible_window_minutes} minutes late" if trigger.flexible_window_minutes else ""
        return f"the schedule {markdown_code(trigger.expression or '')} in {trigger.timezone}{window}"
    if trigger.type == "eventbridge":
        pattern = markdown_code(trigger.rendered.event_pattern or "")
        return f"events on the bus {markdown_code(trigger.bus)} that match {pattern}"
    keys = " and ".join(f"{where} {markdown_code(value)}" for where, value in
                        (("starting with", trigger.prefix), ("ending with", trigger.suffix)) if value)  # fmt: skip
    events = ", ".join(trigger.events)
    return f"{events} events of the bucket {markdown_code(trigger.bucket or '')}" + (f", keys {keys}" if keys else "")


_FILTERS: dict[str, Callable[..., Any]] = {
    "hcl": hcl.to_hcl,
    "quote": hcl.quote,
    "key": hcl.key,
    "inner": lambda text: hcl.Hcl(hcl.quote(text)[1:-1]),
    "md": _markdown_cell,
    "config_text": markdown_text,
    "inline_code": markdown_code,
    "trigger_words": trigger_words,
    # A line of a heredoc: only template sequences need escaping there, not quotes or backslashes.
    "heredoc": lambda text: hcl.Hcl(text.replace("${", "$${").replace("%{", "%%{")),
    "comment": lambda text: hcl.Hcl(_one_line(text)),
}


def _one_line(text: str) -> str:
    """Text for a ``#`` comment, which ends at the line's end: nothing in it needs escaping but a newline."""
    if "\n" in text:
        raise ValueError(f"a comment must fit on one line: {text!r}")
    return text


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
