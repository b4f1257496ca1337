"""Route handlers (placeholder until the sidebar issue lands)."""


def setup_handlers(server_app) -> None:
    pass
