from hoso.core.errors import Conflict, NotFound


class ProfileNotFound(NotFound):
    code = "profile_not_found"


class IdentifierNotFound(NotFound):
    code = "identifier_not_found"


class AttributeNotFound(NotFound):
    code = "attribute_not_found"


class AttributeKeyTaken(Conflict):
    code = "attribute_key_taken"


class OrderExternalIdTaken(Conflict):
    code = "order_external_id_taken"


class StaleProfile(Conflict):
    code = "stale_profile"


class ProfileMergedAway(Conflict):
    """The profile was merged into another one (``merged_into``)."""

    code = "profile_merged_away"


class MergeWithItself(Conflict):
    code = "merge_same_profile"
