"""The settings of a run nobody watches: the workspace it must be run against."""

from __future__ import annotations

from dataclasses import dataclass

from bulk_update.config.fields import convert_given, setting


@dataclass(frozen=True)
class Unattended:
    """What makes a run safe to start unwatched (a scheduler, a night run)."""

    workspace: str | None = setting(
        None,
        "--workspace",
        "the workspace the token must belong to (its name in any case, or its app id): "
        "any other stops the run before it sends anything",
        metavar="NAME_OR_ID",
    )

    def __post_init__(self) -> None:
        convert_given(self)
