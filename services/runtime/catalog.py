"""The catalogue of ParkVPP services: name -> builder, imported lazily."""

from __future__ import annotations

import importlib

from services.runtime.server import Builder
from services.runtime.settings import SERVICE_NAMES


def builder(name: str) -> Builder:
    """The `build` function of service `name`; KeyError for an unknown name."""
    if name not in SERVICE_NAMES:
        raise KeyError(f"unknown service {name!r}; one of {', '.join(SERVICE_NAMES)}")
    return importlib.import_module(f"services.{name}.server").build  # type: ignore[no-any-return]


def all_builders() -> list[Builder]:
    return [builder(name) for name in SERVICE_NAMES]
