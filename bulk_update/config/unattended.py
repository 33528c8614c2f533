"""The settings of a run nobody watches: the workspace it must be run against, a canary sample
of rows sent first, and where to send alerts (webhooks: Slack, Teams, or any JSON receiver)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bulk_update.config.fields import convert_given, setting, to_texts
from bulk_update.config.value_types import is_loopback_url
from bulk_update.errors import UsageError, escape


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

    notify_url: tuple[str, ...] = setting(
        (),
        "--notify-url",
        "post a JSON message here when the run ends (done, stopped or failed: counts, "
        "failures by reason, report, workspace; its text reads well in Slack or Teams); "
        "https, or a loopback address (repeatable)",
        metavar="URL",
        repeatable=True,
        convert=to_texts,
    )
    alert_failure_share: float | None = setting(
        None,
        "--alert-failure-share",
        "also alert, once, as soon as the failed and invalid rows pass this share of the rows "
        "done so far (0.05: 5%%)",
        metavar="P",
        parse=float,
    )

    def __post_init__(self) -> None:
        convert_given(self)
        for url in self.notify_url:
            parts = urlsplit(url)
            if not parts.hostname or not (
                parts.scheme == "https" or (parts.scheme == "http" and is_loopback_url(url))
            ):
                raise UsageError.naming_settings(
                    "{notify_url} takes an https:// URL (or http:// to this machine), got "
                    + escape(repr(f"{parts.scheme}://{parts.hostname or ''}/…"))
                )
        share = self.alert_failure_share
        if share is not None and not 0 <= share < 1:
            raise UsageError.naming_settings(
                "{alert_failure_share} is a share of the rows, from 0 to below 1 (0.05: 5%)"
            )
        if self.sample is not None and self.sample < 1:
            raise UsageError.naming_settings("{sample} must be 1 or more")
        if self.seed is not None and self.sample is None:
            raise UsageError.naming_settings("{seed} decides which rows {sample} draws: give both")
