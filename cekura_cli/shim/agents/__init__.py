"""The bundled demo agents (``echo`` and ``booking``) used by the quickstart and tests."""
