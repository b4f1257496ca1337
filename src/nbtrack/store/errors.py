"""Store errors, each with a message that says what to do. (No heavy imports here.)"""


class StoreError(RuntimeError):
    """A store problem, with a message that says what to do."""


class StoreVersionError(StoreError):
    pass


class StoreBusyError(StoreError):
    pass


class StoreCorruptError(StoreError):
    pass
