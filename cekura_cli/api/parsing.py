"""Turn 2xx bodies into models, and resolve list pagination links.

A body we cannot use raises a malformed :class:`~cekura_cli.api.retry.TransientFailure`
(so GETs are retried, per the HTTP rules), never a pydantic or JSON exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import pydantic

from cekura_cli.api.errors import describe_validation_error, malformed, parse_json

__all__ = ["ItemsPage", "parse_model", "parse_page", "parse_response", "resolve_next"]

M = TypeVar("M", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class ItemsPage(Generic[M]):
    """The parsed items of one page, its ``next`` link (None at the end) and its own URL."""

    items: list[M]
    next: str | None
    url: str


def parse_model(model: type[M], data: Any) -> M:
    """Validate ``data`` leniently; a shape we cannot use is a malformed (retryable) body."""
    if not isinstance(data, dict):
        raise malformed(f"expected a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise malformed(f"unexpected shape ({describe_validation_error(exc)})") from exc


def parse_response(response: httpx.Response, model: type[M]) -> M:
    """The JSON object body of ``response`` as ``model``."""
    return parse_model(model, parse_json(response))


def parse_page(response: httpx.Response, model: type[M]) -> ItemsPage[M]:
    """One page of a list: a bare array, or DRF's ``{"results": [...], "next": ...}``."""
    data = parse_json(response)
    next_link: Any = None
    if isinstance(data, dict):
        if not isinstance(data.get("results"), list):
            raise malformed("expected a list or a page with a `results` list")
        raw_items = data["results"]
        next_link = data.get("next")
        if next_link is not None and not isinstance(next_link, str):
            raise malformed("the page's `next` is not a URL")
    elif isinstance(data, list):
        raw_items = data
    else:
        raise malformed(f"expected a list, got {type(data).__name__}")
    items = [parse_model(model, item) for item in raw_items]
    return ItemsPage(items, (next_link or "").strip() or None, str(response.request.url))


def resolve_next(current_url: str, next_link: str, origin: tuple[str, str]) -> str:
    """The absolute URL of a ``next`` link (absolute or relative), forced onto ``origin``.

    A proxy may rewrite https to http in the links it passes on, or the service may name
    an internal host; either way the API key header must go only to the configured
    (scheme, host[:port]), so only the path and query of the link are kept.
    """
    target = urlsplit(urljoin(current_url, next_link.strip()))
    if (target.scheme.lower(), target.netloc.lower()) != origin:
        target = target._replace(scheme=origin[0], netloc=origin[1])
    return urlunsplit(target._replace(fragment=""))
