"""Pure orchestration logic: selection, polling schedule, waiting, verdict, naming.

No I/O here: the clock, ``sleep`` and fetch functions are passed in. Import the
submodules directly; this package imports nothing so that it stays cheap.
"""
