"""What the HTTP service allows a client: one dataclass, checked when built, whose defaults and
help the `reprints serve` options take (no web framework is imported here)."""

from __future__ import annotations

from dataclasses import dataclass

from reprints.config import Checked, setting


@dataclass(frozen=True)
class Limits(Checked):
    SECTION = "limits"

    max_body_bytes: int = setting(10_000_000, "Largest request body, in bytes (a batch of documents included; 413).",
                                  min=1)
    max_text_chars: int = setting(1_000_000, "Longest text of one document or query, in code points (413).", min=1)
    max_batch: int = setting(1000, "Most documents in one POST /documents (413).", min=1)
    max_connections: int = setting(100, "Open connections; one opened while this many are open gets 503 and is "
                                   "closed.", min=1)
    header_timeout: float = setting(10.0, "Seconds a client has to send a request's headers, from the connection's "
                                    "opening or the end of the previous response (408, closed).", min=0.001)
    body_timeout: float = setting(60.0, "Seconds a client has to send a request's whole body, from the end of its "
                                  "headers (408, closed).", min=0.001)
    keep_alive_timeout: float = setting(5.0, "Seconds an idle kept-alive connection stays open.", min=0.0)
    max_header_bytes: int = setting(65_536, "Request line and headers, in bytes (431, closed).", min=256)
