"""What makes an answer the next page of a search (``Walk``), liberal where Intercom's shape is
only inferred: a last page is one without a next cursor, and ``total_count`` may move between
pages of a live workspace. (The pages' trips over sockets: tests/search/test_exporter_pages.py.)"""

from __future__ import annotations

from typing import Any

from bulk_update.send.client import ApiResponse
from bulk_update.send.searching import Walk


def page(found: int, total: Any = None, following: Any = None, **pages: Any) -> ApiResponse:
    data: dict[str, Any] = {"type": "conversation.list"}
    data["conversations"] = [{"id": str(n)} for n in range(found)]
    if total is not None:
        data["total_count"] = total
    if following is not None:
        pages["next"] = {"starting_after": following}
    data["pages"] = pages
    return ApiResponse(200, data=data)


def walked(*answers: ApiResponse) -> list[str]:
    """Each answer's verdict, in turn: "" when it is taken as the page."""
    walk, said = Walk(), []
    for answer in answers:
        checked = walk.checked(answer)
        said.append(checked.error_message)
        if checked.ok:
            walk.advance(checked.data)
    return said


def test_a_search_whose_pages_add_up_is_whole() -> None:
    assert walked(page(150, 312, "a"), page(150, 312, "b"), page(12, 312)) == ["", "", ""]


def test_a_count_that_moves_between_pages_holds_the_walk_to_the_smallest() -> None:
    # Conversations started matching during the walk: more counted at the end than came.
    assert walked(page(150, 300, "a"), page(150, 308, "b")) == ["", ""]
    # They stopped matching: the last page counts fewer than the first did.
    assert walked(page(150, 312, "a"), page(150, 300)) == ["", ""]
    # Short of even the smallest count: not whole.
    said = walked(page(150, 312, "a"), page(100, 320))
    assert said[1] == (
        "a 200 answer to search page 2 that ends the search after 250 of the 312 "
        "conversations it counts"
    )


def test_a_page_without_a_count_or_a_next_cursor_is_the_last_one() -> None:
    assert walked(page(150, None, "a"), page(3)) == ["", ""]
    assert walked(page(150, 150, "a", per_page=150), page(0, 150, None, next={})) == ["", ""]


def test_what_is_not_a_page_of_the_search() -> None:
    assert walked(ApiResponse(200, data={}))[0].endswith("without a conversations list")
    assert walked(ApiResponse(200, data="<html>"))[0].endswith(
        "that is no JSON object (an HTML page, or JSON cut short)"
    )
    assert walked(page(150, 400, "a"), page(150, 400, "a"))[1].endswith(
        "whose next page is one already read (a cursor that goes round)"
    )
    assert walked(page(0, 400, "a"))[0].endswith("with no conversations that names a next page")
    assert walked(page(0, 5))[0].endswith(
        "ends the search after 0 of the 5 conversations it counts"
    )


def test_a_refusal_is_left_as_it_came() -> None:
    refused = ApiResponse(400, "parameter_invalid", "bad query")
    assert Walk().checked(refused) is refused
