"""The keyed sheet's matches kept on disk: each row's match back in row order whatever order
it was added in, and the first row of each key for duplicates."""

from __future__ import annotations

from bulk_update.search.match_store import MatchStore, RowMatch


def test_matches_come_back_in_row_order_with_their_conversations() -> None:
    store = MatchStore()
    try:
        added = [
            RowMatch(5, "b@x.example", "matched", ("7001", "7003"), 2),
            RowMatch(2, "a@x.example", "unmatched", (), 0, "no contact"),
            RowMatch(3, "", "invalid", (), 0, "empty key"),
        ]
        store.add(added)
        assert list(store.rows()) == sorted(added, key=lambda match: match.row)
    finally:
        store.close()


def test_a_key_seen_before_names_its_first_row() -> None:
    store = MatchStore()
    try:
        assert store.first_row("a@x.example", 2) is None
        assert store.first_row("b@x.example", 3) is None
        assert store.first_row("a@x.example", 9) == 2
        assert store.first_row("a@x.example", 10) == 2
    finally:
        store.close()
