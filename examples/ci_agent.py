# ci_agent.py — the smallest agent: called with history=[] when the call opens
# (return None for no greeting), then once per tester message.
def reply(history, context):
    if not history:
        return "Hi! This is Acme support. How can I help?"
    text = history[-1]["content"]
    customer = context.headers.get("x-customer-id", "unknown")  # a test-profile X- header
    if "bye" in text.lower():
        return {"type": "end_call", "content": "Thanks for calling. Goodbye!"}
    return {"content": f"You said: {text}", "metadata": {"customer_id": customer}}
