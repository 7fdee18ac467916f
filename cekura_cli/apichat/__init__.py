"""API chat: the CLI plays the agent over REST while the service plays the simulated user.

:mod:`.actions` and :mod:`.driver` are the sans-I/O core (one conversation's state
machine); :mod:`.io` carries out its actions on asyncio; :mod:`.pool` drives every
conversation of a result in a background thread; :mod:`.run` is ``cekura run``'s steps;
:mod:`.mode` decides between WebSocket and API chat. See docs/api-chat.md.
"""
