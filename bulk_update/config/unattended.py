"""The settings of a run nobody watches: the workspace it must be run against, and a canary
sample of rows sent first."""

from __future__ import annotations

from dataclasses import dataclass

from bulk_update.config.fields import convert_given, setting
from bulk_update.errors import UsageError


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

    sample: int | None = setting(
        None,
        "--sample",
        "send only N rows drawn at random (a canary), then stop: running the report again "
        "sends the rest, never those again",
        metavar="N",
        parse=int,
    )
    seed: int | None = setting(
        None,
        "--seed",
        "with {sample}: draw the same rows each time (default: drawn from the sheet's "
        "content, so a --resume draws the same)",
        metavar="S",
        parse=int,
    )

    def __post_init__(self) -> None:
        convert_given(self)
        if self.sample is not None and self.sample < 1:
            raise UsageError.naming_settings("{sample} must be 1 or more")
        if self.seed is not None and self.sample is None:
            raise UsageError.naming_settings("{seed} decides which rows {sample} draws: give both")
