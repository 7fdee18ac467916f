"""Start-up time: ``cekura --help`` and ``cekura run --dry-run`` up to its first request.

Baseline: ``python -c pass`` (the interpreter's floor) measured in the same run.
Target (PRODUCT.md §7): ``cekura --help`` median <= 150 ms on a 2-core machine.

    python benchmarks/startup_bench.py [--repeat 20]

The dry-run figure is the time from spawning the process to the moment a loopback
HTTP server receives its first request (the process is then left to finish).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET_HELP_MS = 150.0


def cekura_command() -> list[str]:
    exe = shutil.which("cekura", path=os.path.dirname(sys.executable)) or shutil.which("cekura")
    return [exe] if exe else [sys.executable, "-m", "cekura_cli"]


def time_command(argv: list[str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class _FirstRequest(BaseHTTPRequestHandler):
    arrived = threading.Event()
    arrived_at = 0.0

    def do_GET(self) -> None:
        if not _FirstRequest.arrived.is_set():
            _FirstRequest.arrived_at = time.perf_counter()
            _FirstRequest.arrived.set()
        body = b'{"count": 0, "next": null, "previous": null, "results": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def time_to_first_request(repeat: int) -> list[float]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FirstRequest)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    env = {**os.environ, "CEKURA_API_KEY": "bench-key-0000", "CEKURA_API_URL": url}
    env.pop("CI", None)
    samples = []
    try:
        for _ in range(repeat):
            _FirstRequest.arrived.clear()
            start = time.perf_counter()
            proc = subprocess.Popen(
                [*cekura_command(), "run", "--dry-run", "--agent-id", "1", "--tag", "smoke-test"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            if _FirstRequest.arrived.wait(timeout=30):
                samples.append((_FirstRequest.arrived_at - start) * 1000)
            proc.wait(timeout=30)
    finally:
        server.shutdown()
    return samples


def describe(samples: list[float]) -> str:
    if not samples:
        return "n/a"
    return f"{statistics.median(samples):7.1f} ms median  {min(samples):7.1f} ms min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    floor = time_command([sys.executable, "-c", "pass"], args.repeat)
    help_ms = time_command([*cekura_command(), "--help"], args.repeat)
    first_request = time_to_first_request(max(5, args.repeat // 2))

    python = sys.version.split()[0]
    print(f"start-up ({args.repeat} runs each, {os.cpu_count()} cores, Python {python})")
    print(f"  python -c pass (floor)              {describe(floor)}")
    target = f"target <= {TARGET_HELP_MS:.0f} ms"
    print(f"  cekura --help                       {describe(help_ms)}   {target}")
    print(f"  cekura run --dry-run, first request {describe(first_request)}")
    print(
        f"  cekura --help above the floor       "
        f"{statistics.median(help_ms) - statistics.median(floor):7.1f} ms"
    )


if __name__ == "__main__":
    main()
