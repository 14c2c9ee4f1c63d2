from hoso.core.errors import Conflict, NotFound


class MergeNotFound(NotFound):
    code = "merge_not_found"


class PairNotFound(NotFound):
    code = "pair_not_found"


class MergeAlreadyUndone(Conflict):
    code = "merge_already_undone"


class PairAlreadyDecided(Conflict):
    code = "pair_already_decided"
