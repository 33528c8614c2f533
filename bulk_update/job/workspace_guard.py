"""Which workspace a run is about to change, read before its first write (``GET /me``) and
checked against the one it was told to expect: a token for the wrong workspace (production for
staging, one client's for another's) stops the run before anything is sent. A run that would
change many conversations may also be asked to confirm (the command line asks a person)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from bulk_update.config import JobSettings, Token
from bulk_update.errors import UsageError, escape
from bulk_update.job.hooks import Clock, RunHooks, SystemClock
from bulk_update.models import Workspace
from bulk_update.send.client import ApiResponse, IntercomClient
from bulk_update.send.lookups import fetch_workspace
from bulk_update.send.reads import looked_up
from bulk_update.send.retry import RetryPolicy


async def read_workspace(
    settings: JobSettings,
    conversations: int,
    client: Callable[[], IntercomClient],
    policy: RetryPolicy,
    hooks: RunHooks,
    clock: Clock,
) -> tuple[Workspace | None, tuple[str, ...]]:
    """The workspace the token belongs to, read once the rows are valid and before the first
    request about to touch ``conversations`` conversations (none: not read, unless a workspace
    is expected), checked against the one expected; and what to say of it."""
    expected = settings.unattended.workspace
    if expected is None and not (conversations and settings.sends_requests):
        return None, ()
    async with client() as talking:
        fetch = partial(fetch_workspace, talking, policy, clock=clock, sleep=clock.sleep)
        found = await looked_up(hooks.reads_kept, "workspace", fetch)
    if isinstance(found, ApiResponse):
        if hooks.reads_kept is not None:
            hooks.reads_kept.keep_lookup("workspace", None)  # asked again next time
        unknown = f"{found.status or 'no answer'}: {found.error_message or 'no workspace'}"
        if expected is not None:
            raise UsageError.naming_settings(
                f"could not tell which workspace the token belongs to (GET /me answered "
                f"{escape(unknown)}), so {{workspace}} cannot be checked; nothing was sent"
            )
        return None, (f"the workspace could not be read (GET /me answered {unknown})",)
    if expected is not None and not found.is_named(expected):
        raise UsageError.naming_settings(
            f"the token belongs to the workspace {escape(found.described())}, not "
            f"{escape(repr(expected))} as {{workspace}} says; nothing was sent"
        )
    return found, ()


async def expected_workspace(settings: JobSettings, token: Token, hooks: RunHooks) -> None:
    """Stops a run whose token is not for the workspace it expects before it sends anything,
    a search included (a keyed sheet's resolution); nothing is read when none is expected."""
    if settings.unattended.workspace is not None:
        client = partial(IntercomClient.for_settings, settings.send, token)
        policy = RetryPolicy(max_retries=settings.send.max_retries)
        await read_workspace(settings, 0, client, policy, hooks, SystemClock())


def confirmed(hooks: RunHooks, workspace: Workspace | None, conversations: int) -> None:
    """Asks whoever started the run (``hooks.confirm``) before changing ``conversations``
    conversations of the workspace (None: it could not be read, which is asked too); a
    refusal stops the run with nothing sent."""
    if hooks.confirm is None or not conversations:
        return
    if not hooks.confirm(workspace, conversations):
        raise UsageError("not confirmed; nothing was sent")
