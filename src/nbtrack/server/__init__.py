"""Jupyter server extension: authenticated, read-only REST routes over ``store.query``."""


def _load_jupyter_server_extension(server_app):
    from .handlers import setup_handlers

    setup_handlers(server_app)
