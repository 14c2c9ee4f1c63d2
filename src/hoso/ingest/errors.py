from hoso.core.errors import Conflict, InvalidInput, NotFound


class ImportNotFound(NotFound):
    code = "import_not_found"


class ImportFileUnreadable(InvalidInput):
    """The file could not be read as a spreadsheet; ``reason`` is the engine's code."""

    code = "import_file_unreadable"


class ImportMappingInvalid(InvalidInput):
    code = "import_mapping_invalid"


class ImportHasRejectedRows(Conflict):
    code = "import_has_rejected_rows"


class ImportNotCommittable(Conflict):
    code = "import_not_committable"


class ImportNotUndoable(Conflict):
    code = "import_not_undoable"
