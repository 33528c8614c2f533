"""The backup file: whole lines only, whatever stopped the writer."""

from __future__ import annotations

from pathlib import Path

from bulk_update.history.backup import BackupWriter
from bulk_update.models import BACKUP_COLUMN


def test_a_resumed_backup_drops_a_line_a_crash_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "before.csv"
    path.write_text(f"id,title,{BACKUP_COLUMN}\r\n101,old,\r\n10", encoding="utf-8")
    writer = BackupWriter(path, ["title"], "#clear", resume=True)
    writer.write("102", {"title": "older"}, {"title": "new"})
    writer.close()
    assert path.read_text(encoding="utf-8").splitlines() == [
        f"id,title,{BACKUP_COLUMN}",
        "101,old,",
        '102,older,"{""title"":""new""}"',
    ]
