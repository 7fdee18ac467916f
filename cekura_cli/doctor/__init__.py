"""Agents and preflight (PRODUCT.md §10): pure logic behind ``cekura agent`` and ``cekura doctor``.

No I/O in this package: :mod:`.providers` is the provider registry (the fields each chat
provider needs, id validation, the v1/v2 request bodies, masking, and reading an agent's
chat connection back); :mod:`.checks` holds the doctor's ordered checks as data, each run
with its dependencies injected; :mod:`.mode` decides which mode (WebSocket or API chat) a
run would use; :mod:`.report` turns check results into text and JSON. The I/O is at the
edges: :mod:`cekura_cli.api.agents` (HTTP), :mod:`cekura_cli.shim.probe` (WebSocket) and
the commands.
"""
