"""The tool's exception tree. Every error a user can cause or meet maps to one exit code.

::

    CekuraError                      base; ``exit_code`` says how the process ends
    ├── UsageError                   2  bad flag value, missing key/agent, bad config
    │   └── ConfigError              2  malformed cekura.toml / scenario file
    ├── ServiceError                 3  the service or the network failed us
    │   ├── AuthError                3  401/403: the API key was rejected
    │   ├── NotFoundError            3  404 on a resource we asked for by id
    │   ├── RequestRejected          3  400 and other 4xx: the service refused the request
    │   ├── MalformedResponse        3  a 2xx body that is not what the contract says
    │   └── RetriesExhausted         3  transient failures until the retry budget ran out
    ├── WaitTimeout                  4  --timeout elapsed before the result finished
    ├── NoScenariosError             5  the selection matched nothing
    └── Interrupted                130  SIGINT / SIGTERM

Messages are user-facing: one line, no traceback, never a secret (the CLI boundary
passes every message through :func:`cekura_cli.redact.redact` as a second guard).
Foreign exceptions (httpx, websockets, pydantic) are translated where they are owned
and chained with ``raise ... from exc``.
"""

from __future__ import annotations

from cekura_cli.exit_codes import ExitCode


class CekuraError(Exception):
    """Base of every error the tool raises on purpose."""

    exit_code: ExitCode = ExitCode.SERVICE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CekuraError):
    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """A configuration or input file is malformed; ``message`` names the file and place."""


class ServiceError(CekuraError):
    exit_code = ExitCode.SERVICE

    def __init__(
        self, message: str, *, status_code: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.stopped_by_deadline = False
        """True when retries stopped because the next one would pass the run's deadline:
        for a caller waiting on a result that is a timeout, not a service failure."""


class AuthError(ServiceError):
    pass


class NotFoundError(ServiceError):
    pass


class RequestRejected(ServiceError):
    payload: object = None
    """The parsed JSON body of the rejection, when it had one (e.g. location-keyed 400s)."""


class MalformedResponse(ServiceError):
    pass


class RetriesExhausted(ServiceError):
    pass


class WaitTimeout(CekuraError):
    exit_code = ExitCode.TIMEOUT


class NoScenariosError(CekuraError):
    exit_code = ExitCode.NO_SCENARIOS


class Interrupted(CekuraError):
    exit_code = ExitCode.INTERRUPTED
