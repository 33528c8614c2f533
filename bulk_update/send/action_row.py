"""One row of a sheet with action columns: read the conversation, work out the steps that
are not yet in place (``conversation_steps``), back up, and send them in order, each
request that is not idempotent exactly once.

Exactly once: before the first such request of a row, the intent (and the state the
conversation had) is committed to the journal. A resumed run that finds an intent reads the
conversation before sending again: a note by this teammate with this text already there is
this run's. An answer that leaves unknown whether a request took effect (a timeout, a 5xx)
is followed by a read, not by sending it again blindly.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from bulk_update.history.changes import intended
from bulk_update.models import PreparedUpdate, RowActions, RowOutcome, RowStatus
from bulk_update.send.action_steps import action_values, described, forecast, plan_steps
from bulk_update.send.client import ApiResponse, IntercomClient, the_conversation
from bulk_update.send.reads import Reads
from bulk_update.send.retry import Caller, CallLabel
from bulk_update.send.update_row import Found, ReadFirst, failure, read_merged, updated
from bulk_update.sheet.conversations import Conversation, working_copy
from bulk_update.sheet.notes import NoteCheck
from bulk_update.sheet.steps import Seen, Step, StepContext

DONE, IN_PLACE, FAILED, NOT_DONE, WOULD_DO = "done", "in place", "failed", "not done", "would do"


class Intents(Protocol):
    """Where a row's intent to send what cannot be sent twice is kept (the journal), and
    every note the sheet's history may have posted, whichever command sent it."""

    def intent(self, row: int) -> str | None: ...

    def record_intent(self, row: int, seen: str) -> None: ...

    def note_sent_by(self, conversation_id: str, text: str) -> str | None: ...

    def record_note(self, conversation_id: str, text: str, admin_id: str) -> None: ...


class ActOnRow:
    """Steps for one row: its attributes (``PUT``), then its actions, in the fixed order."""

    def __init__(
        self,
        client: IntercomClient,
        caller: Caller,
        context: StepContext,
        intents: Intents,
        read_first: ReadFirst,
        *,
        reads: Reads | None = None,
        log_bodies: bool = False,
    ):
        self._client = client
        self._caller = caller
        self._reads = reads or Reads(client, caller, via="get")
        self._context = context
        self._intents = intents
        self._read_first = read_first
        self._log_bodies = log_bodies

    async def __call__(self, update: PreparedUpdate) -> RowOutcome | None:
        recorded = self._intents.intent(update.row)
        actions = RowActions.decode(update.actions) if update.actions else RowActions()
        sent_by, note_check = self._note_check(update, actions, recorded)
        # A row this run may have acted on already is read exactly: its own changes of a
        # moment ago; so is one whose note is to be looked for (a search result has no parts).
        exact = recorded is not None or note_check is not None
        merged = await read_merged(self._reads, self._read_first, update, exact=exact)
        if merged is None or isinstance(merged, RowOutcome):
            return merged
        data, attempts, left, moved = merged
        conversation: Conversation = data if isinstance(data, dict) else {}
        if left is not update:  # an undo's fields a teammate changed since: left out
            update = left
            actions = RowActions.decode(update.actions) if update.actions else RowActions()
        outcome = await self._act(
            update, actions, (conversation, attempts), (recorded, sent_by, note_check)
        )
        if outcome is None:
            return None
        if outcome.status is RowStatus.UPDATED:
            self._read_first.confirm(update.conversation_id)
        return moved.settle(outcome)

    async def _act(
        self,
        update: PreparedUpdate,
        actions: RowActions,
        read: tuple[Conversation, int],
        history: tuple[str | None, str, NoteCheck],
    ) -> RowOutcome | None:
        """The row's steps on the conversation as read (with the attempts the read took):
        those not in place, in order."""
        conversation, attempts = read
        recorded, sent_by, note_check = history
        seen = Seen.decode(recorded) if recorded is not None else Seen.of(conversation, sent_by)
        steps = plan_steps(
            update.conversation_id,
            actions,
            conversation,
            seen,
            self._context,
            note_check=note_check,
        )
        changes: list[str] = []
        before: dict[str, Any] = {}  # the attributes' present values (read once, per row)
        if update.payload:
            attributes, before, changes = self._attributes_step(update, conversation)
            steps.insert(0, attributes)
        needed, after = forecast(steps, conversation)
        settings = self._read_first
        changes += described(conversation, after, self._context.directory, ahead=settings.dry_run)
        shown_changes = "; ".join(changes)
        verdict = WOULD_DO if settings.dry_run else IN_PLACE
        verdicts = [(step.name, verdict if step in needed else IN_PLACE) for step in steps]

        def values() -> tuple[dict[str, Any], dict[str, Any]]:
            ours = {**(intended(update.payload) if update.payload else {}), **action_values(after)}
            return {**before, **action_values(conversation)}, ours

        shown = _shown(verdicts, steps)
        found = Found(bool(needed), shown_changes, values, shown, writes=len(needed))
        stats = self._caller.stats
        decided = settings.decide(update, (conversation, attempts), found, stats)
        if decided is not None and decided.status is RowStatus.WOULD_UPDATE:
            for kind in {step.kind for step in needed if not step.implied}:
                stats.would_do[kind] = stats.would_do.get(kind, 0) + 1
        if decided is not None:
            if decided.status is RowStatus.SKIPPED and not settings.dry_run:
                stats.steps_in_place += sum(not step.implied for step in steps)
            return decided
        return await self._do(update, steps, conversation, seen, recorded, shown_changes)

    def _note_check(
        self, update: PreparedUpdate, actions: RowActions, recorded: str | None
    ) -> tuple[str, NoteCheck]:
        """Who would have sent the row's note, and whether to look for it before sending:
        when the history shows it may have been sent (this run or any command before it on
        this sheet: by that teammate), when the row's own cells say a command ran it (there
        may be no history to ask: by anyone, as no cell says who), or when the run skips what
        is in place."""
        admin = self._context.admin_id
        note = actions.get("note")
        if note is None:
            return admin, None
        if recorded is not None:
            return Seen.decode(recorded).by or admin, "ours"
        earlier = self._intents.note_sent_by(update.conversation_id, note)
        if earlier is not None:
            return earlier, "ours"
        looked_for = update.note_may_have_landed or self._read_first.skip_unchanged
        return admin, "anyone's" if looked_for else None

    async def _do(
        self,
        update: PreparedUpdate,
        steps: list[Step],
        conversation: Conversation,
        seen: Seen,
        recorded: str | None,
        changes: str,
    ) -> RowOutcome:
        """Send each step not in place, in order, each against the conversation as the
        answers before it left it; stop at the first that fails."""
        verdicts: list[tuple[str, str]] = []
        attempts = 0
        last: ApiResponse | None = None
        stats = self._caller.stats
        current = working_copy(conversation)
        for index, step in enumerate(steps):
            if step.in_place(current):
                verdicts.append((step.name, IN_PLACE))
                stats.steps_in_place += not step.implied
                continue
            if not step.idempotent and recorded is None:
                recorded = seen.encode()
                self._intents.record_intent(update.row, recorded)
            if step.note is not None:  # committed before it is sent, kept for every command
                self._intents.record_note(update.conversation_id, step.note, seen.by)
            sent = await self._send(update, step)
            if sent is None or not sent[0].ok:
                rest = [(later.name, NOT_DONE) for later in steps[index + 1 :]]
                verdicts += [(step.name, FAILED), *rest]
                return self._failed(update, step, sent, verdicts, steps, changes)
            last, tries = sent
            attempts += tries
            verdicts.append((step.name, DONE))
            stats.steps_done += 1
            stats.quiet_notes += step.note is not None and self._context.quiet
            answered = last.data
            if isinstance(answered, dict) and answered.get("type") == "conversation":
                current = working_copy(answered)
            else:
                step.apply(current)
        # At most one re-snooze or re-close a row: spared when a step with the flag went and
        # the state (the last step) was in place after it: Intercom heeded the flag.
        flagged = any(
            step.spares and verdict == DONE
            for step, (_, verdict) in zip(steps, verdicts, strict=True)
        )
        stats.requests_spared += flagged and verdicts[-1][1] == IN_PLACE
        if last is None:  # the answers before showed every step in place after all
            return RowOutcome(
                update.row, RowStatus.SKIPPED, changes="unchanged", steps=_shown(verdicts, steps)
            )
        return updated(update.row, last, attempts, changes, _shown(verdicts, steps))

    def _failed(
        self,
        update: PreparedUpdate,
        step: Step,
        sent: tuple[ApiResponse, int] | None,
        verdicts: list[tuple[str, str]],
        steps: list[Step],
        changes: str,
    ) -> RowOutcome:
        shown = _shown(verdicts, steps)
        if sent is None:  # the run stopped between two steps of the row
            return RowOutcome(
                update.row,
                RowStatus.FAILED,
                error_code="interrupted",
                error_message=f"{step.name}: the run stopped before this step; resume to finish",
                changes=changes,
                steps=shown,
            )
        refused = failure(update.row, *sent)
        message = f"{step.name}: {refused.error_message}"
        return replace(refused, error_message=message, changes=changes, steps=shown)

    async def _send(self, update: PreparedUpdate, step: Step) -> tuple[ApiResponse, int] | None:
        """Send one step through the run's one retry loop; a step that is not idempotent is
        only sent again after an exact read shows the unsure answer before did not take
        effect (the read that shows it did stands for the lost answer)."""
        label = CallLabel(
            update.row, update.conversation_id, step.payload if self._log_bodies else None
        )

        async def request() -> ApiResponse:
            answer = await self._client.request(step.method, step.path, step.payload)
            if step.answered_with_the_conversation:
                return the_conversation(answer, update.conversation_id)  # never planned on
            return answer

        async def landed() -> ApiResponse | bool | None:
            read = await self._reads.read(update, exact=True)
            if read is None or not read[0].ok or not isinstance(read[0].data, dict):
                return None  # stopping, or no telling: never send it again blindly
            return read[0] if step.has_landed(read[0].data) else False

        return await self._caller.call(request, label, idempotent=step.idempotent, landed=landed)

    def _attributes_step(
        self, update: PreparedUpdate, conversation: Conversation
    ) -> tuple[Step, dict[str, Any], list[str]]:
        """The ``PUT`` as a step (in place when the values are already there and unchanged
        rows are to be skipped), the attributes' present values, and what would change."""
        before, changes, _after = self._read_first.compare(update.payload, conversation)
        in_place = self._read_first.skip_unchanged and not changes
        step = Step(
            "attributes",
            "PUT",
            f"/conversations/{update.conversation_id}",
            update.payload,
            lambda _conversation: in_place,
            _unchanged,
        )
        return step, before, changes


def _unchanged(_conversation: Conversation) -> None:
    """Attributes do not bear on the actions after them."""


def _shown(verdicts: list[tuple[str, str]], steps: list[Step]) -> str:
    """``tag +migrated: done; note: done; close: in place``; a state step the row did not ask
    for is shown only when it was sent (``close: done`` after an assignment reopened it)."""
    implied = {step.name for step in steps if step.implied}
    return "; ".join(
        f"{name}: {verdict}"
        for name, verdict in verdicts
        if name not in implied or verdict not in (IN_PLACE, NOT_DONE)
    )
