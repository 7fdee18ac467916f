"""``echo``: no greeting; answers every tester message with exactly its text."""

from __future__ import annotations

from cekura_cli.shim.adapters.base import AgentReply, SessionBase, StatelessAgentBase
from cekura_cli.shim.session import SessionContext


class EchoSession(SessionBase):
    instant = True  # pure and never suspends: the server may answer it inline

    async def on_message(self, text: str, context: SessionContext) -> AgentReply:
        return {"content": text}


class EchoAgent(StatelessAgentBase):
    """Never greets, never calls tools, never ends the call."""

    name = "echo"
    _session = EchoSession()  # stateless: one shared session object is enough

    def open(self, context: SessionContext) -> EchoSession:
        return self._session
