"""Roster import: an XLSX of staff, inserted or updated by employee number.

All rows or none. Every row is checked first (progress is visible while it runs);
only when no row has an error is anything written, in one transaction, with bulk
inserts and updates. Each error names its row number, column and reason.

Columns present in the file set the value (a blank cell clears an optional field);
columns absent from the file leave the current value alone. A blank ID number never
clears the one on file: it is what later rosters are matched on.

The steps live in their own modules, each imported by its full path:
``columns`` (the file format and the template), ``parse`` (reading the workbook
and parsing rows), ``check`` (checking rows against the database), ``write``
(writing people and accounts) and ``run`` (the entry points and the task).
"""
