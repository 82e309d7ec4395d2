"""Owner roster import (CSV/XLSX): read, validate by row and column, apply all-or-nothing.

- `columns`: the headers and their English aliases
- `reading`: recognise the file by content, read rows
- `validation`: (row, column, message) errors and the parsed roster
- `applying`: the diff against the database and the bulk writes
- `services`: `roster_import_create`, `roster_import_run`
"""

from .columns import COLUMNS, TEMPLATE_ROWS
from .services import roster_import_create, roster_import_repeat, roster_import_run

__all__ = ["COLUMNS", "TEMPLATE_ROWS", "roster_import_create", "roster_import_repeat", "roster_import_run"]
