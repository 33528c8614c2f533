"""``bulk-update ui``: the whole loop on a local web page (check, preview, run, fix and resend,
undo), a view over the same library functions the command line calls."""

from bulk_update.ui.page_server import UiServer

__all__ = ["UiServer"]
