"""Command-line options shared by ``reprints scan`` and ``reprints index add``: the field
names of tabular inputs, and the reading configuration they make."""

from __future__ import annotations

from typing import Annotated

import typer

IdField = Annotated[str, typer.Option(help="Field holding the document id in tabular inputs.")]
TextField = Annotated[str, typer.Option(help="Field holding the text.")]
SourceField = Annotated[str, typer.Option(help="Field holding the outlet / series.")]
DateField = Annotated[str, typer.Option(help="Field holding the date (ISO 8601 preferred).")]


def read_fields(id_field: str, text_field: str, source_field: str, date_field: str) -> dict[str, str]:
    """The ``ReadConfig`` fields the four options set."""
    return {"id_field": id_field, "text_field": text_field, "source_field": source_field, "date_field": date_field}
