"""An agent for the terminal captures: echoes, and answers 'hostile' with hostile text."""

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b[31mred\x1b[0m [bold]not markup[/bold] ::error::x " + "A" * 60


def reply(history, context):
    if not history:
        return None
    text = history[-1]["content"]
    if text == "hostile":
        return HOSTILE
    return f"You said: {text}"
