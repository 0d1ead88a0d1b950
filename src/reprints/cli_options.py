"""What the commands share: options whose defaults, help and limits come from the configuration
dataclasses (config.py is the one place a default lives), the configuration they make, and
messages printed exactly as written."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Annotated, Any, Iterator, NoReturn, Optional

import typer

from reprints.config import ConfigError, ScanConfig

# option parameter -> (configuration section, field)
SETTINGS = {
    "id_field": ("read", "id_field"),
    "text_field": ("read", "text_field"),
    "source_field": ("read", "source_field"),
    "date_field": ("read", "date_field"),
    "html_field": ("read", "html_field"),
    "min_words": ("align", "min_words"),
    "max_df": ("candidates", "max_df"),
    "paraphrase": ("align", "paraphrase"),
    "boilerplate_share": ("boilerplate", "max_share"),
    "templates": ("pairs", "templates"),
    "workers": ("engine", "workers"),
}
# --keep-formula: every template test off (templates are then aligned and reported as reprints)
KEEP_FORMULA = {"formula_share": 0.0, "figures_differ": 0, "template_slots": 0}


def setting_field(param: str) -> dataclasses.Field:
    section, name = SETTINGS[param]
    stage = next(f for f in dataclasses.fields(ScanConfig) if f.name == section).default_factory
    return next(f for f in dataclasses.fields(stage) if f.name == name)


def field_option(f: dataclasses.Field, where: str) -> Any:
    """A typer option (for ``Annotated[..., option] = None``) for a field of a checked dataclass:
    unset unless given, so that --config and the dataclass default apply; its help shows the
    default, from the one place it is written."""
    return typer.Option(help=f"{f.metadata['help']} Default {f.default!r} ({where}).", show_default=False)


def setting_option(param: str) -> Any:
    section, name = SETTINGS[param]
    return field_option(setting_field(param), f"{section}.{name}")


IdField = Annotated[Optional[str], setting_option("id_field")]
TextField = Annotated[Optional[str], setting_option("text_field")]
SourceField = Annotated[Optional[str], setting_option("source_field")]
DateField = Annotated[Optional[str], setting_option("date_field")]
HtmlField = Annotated[Optional[str], setting_option("html_field")]
MinWords = Annotated[Optional[int], setting_option("min_words")]
MaxDf = Annotated[Optional[int], setting_option("max_df")]
Paraphrase = Annotated[Optional[str], setting_option("paraphrase")]
BoilerplateShare = Annotated[Optional[float], setting_option("boilerplate_share")]
Templates = Annotated[Optional[str], setting_option("templates")]
Workers = Annotated[Optional[int], setting_option("workers")]


def apply_options(config: ScanConfig, **values: Any) -> ScanConfig:
    """``config`` with the options that were given (not None) set; `ConfigError` if one is not allowed."""
    sections: dict[str, dict[str, Any]] = {}
    for param, value in values.items():
        if value is not None:
            section, name = SETTINGS[param]
            sections.setdefault(section, {})[name] = value
    return config.replace(**sections)


def load_config(path: Path, kind: Any = ScanConfig) -> tuple[Any, list[str] | None]:
    """The configuration in a run.json (and its inputs, when they were paths), or in a JSON file
    of configuration sections; ``kind``: `ScanConfig` or `DedupConfig`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"cannot read the configuration {path}: {error}") from None
    inputs = None
    if isinstance(data, dict) and "config" in data:  # a run.json
        raw = data.get("inputs")
        if isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
            inputs = raw
        elif isinstance(raw, str) and raw != "python objects":
            inputs = [raw]
        data = data["config"]
    return kind.from_dict(data), inputs


@contextlib.contextmanager
def progress(quiet: bool, errors: tuple[type[BaseException], ...], interrupted: str) -> Iterator[Any]:
    """The reporter for a command's work (progress bars on stderr unless ``quiet``), stopped when
    the work ends; one of ``errors`` becomes ``error: ...`` and exit status 2, an interrupt
    prints ``interrupted`` and exits with 130."""
    from rich.console import Console

    from reprints.progress import Reporter, RichReporter

    reporter = Reporter() if quiet else RichReporter(Console(stderr=True))
    try:
        yield reporter
    except errors as error:
        stop_reporter(reporter)
        fail(str(error))
    except KeyboardInterrupt:
        stop_reporter(reporter)
        show(interrupted)
        raise typer.Exit(130)
    stop_reporter(reporter)


def stop_reporter(reporter) -> None:
    """End a command's progress display (a `RichReporter`'s bars), if it has one."""
    stop = getattr(reporter, "stop", None)
    if stop:
        stop()


def show(message: str, err: bool = True) -> None:
    """Print ``message`` exactly as written (no markup is read in it: ``reprints[spark]`` stays)."""
    typer.echo(message, err=err)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` on stderr, exactly as written, and exit with ``code``."""
    show(f"error: {message}")
    raise typer.Exit(code)


def check_engine(engine: str, master: str | None, engines: tuple[str, ...]) -> None:
    """Refuse an unknown ``--engine``, ``--master`` without Spark, and Spark without pyspark."""
    if engine not in engines:
        fail(f"--engine must be {' or '.join(engines)}, not {engine!r}")
    if master is not None and engine != "spark":
        fail("--master is a setting of --engine spark")
    if engine == "spark":
        try:
            import pyspark  # noqa: F401
        except ImportError:
            fail("--engine spark needs pyspark: pip install 'reprints[spark]'")
