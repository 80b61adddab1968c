"""Load engines for 127.0.0.1: wrk with a Lua script when installed, else a plain asyncio client.

Both keep connections alive, rotate through the signed deliveries, give every request a
fresh X-GitHub-Delivery and count answers by status, so the caller can check that every
trigger got a 202 and compare the 202s with the queue length.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from deliveries import Signed

HOST = "127.0.0.1"
PATH = "/api/github/webhooks"
TIMEOUT_S = 10  # GitHub's delivery timeout
PYTHON_MAX_REQUESTS = 2_000_000  # per run, on top of the time bound


@dataclass
class Tally:
    engine: str
    concurrency: int
    seconds: float
    sent: int  # requests written; sent - answered were in flight at the end (wrk only)
    answered: int
    status_202: int
    status_other_2xx: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float

    @property
    def rps(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "rps": round(self.rps, 1)}


def _static_headers(d: Signed) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/json"),
        ("User-Agent", "GitHub-Hookshot/bench"),
        ("X-GitHub-Event", d.event),
        ("X-GitHub-Hook-ID", "512345678"),
        ("X-GitHub-Hook-Installation-Target-Type", "integration"),
        ("X-GitHub-Hook-Installation-Target-ID", "1234567"),
        ("X-Hub-Signature", d.sha1),
        ("X-Hub-Signature-256", d.sha256),
    ]


# ------------------------------------------------------------------------------ wrk

_WRK_LUA = r"""
-- Written by bench/engines.py. args: <manifest> <delivery-id prefix>
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local path, prefix, n = nil, nil, 0
local bodies, headers = {}, {}
sent, answered, s202, s2xx, non2xx = 0, 0, 0, 0, 0

function init(args)
  prefix = args[2]
  local current
  for line in io.lines(args[1]) do
    if not path then
      path = line
    elseif line:sub(1, 5) == "body\t" then
      n = n + 1
      local f = assert(io.open(line:sub(6), "rb"))
      bodies[n] = f:read("*a")
      f:close()
      current = {}
      headers[n] = current
    else
      local k, v = line:match("^([^\t]*)\t(.*)$")
      current[k] = v
    end
  end
end

function request()
  sent = sent + 1
  local i = (sent - 1) % n + 1
  local h = headers[i]
  h["X-GitHub-Delivery"] = string.format("%s-4%03x-a%03x-%012x", prefix, tid % 4096, 0, sent)
  return wrk.format("POST", path, h, bodies[i])
end

function response(status, hdrs, body)
  answered = answered + 1
  if status == 202 then s202 = s202 + 1
  elseif status >= 200 and status < 300 then s2xx = s2xx + 1
  else non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local t = {sent = 0, answered = 0, s202 = 0, s2xx = 0, non2xx = 0}
  for _, thread in ipairs(threads) do
    for k, v in pairs(t) do t[k] = v + thread:get(k) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"sent":%d,"answered":%d,"s202":%d,"s2xx":%d,"non2xx":%d,"duration_us":%d,' ..
    '"errors":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    t.sent, t.answered, t.s202, t.s2xx, t.non2xx, summary.duration,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk_version() -> str | None:
    if not shutil.which("wrk"):
        return None
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    return (out.stdout + out.stderr).split("[")[0].strip() or "wrk"


def prepare_wrk(workdir: Path, name: str, deliveries: list[Signed]) -> Path:
    """Write the bodies, a manifest of their headers and the Lua script; return the manifest."""
    lines = [PATH]
    for i, d in enumerate(deliveries):
        body = workdir / f"{name}-{i}.json"
        body.write_bytes(d.body)
        lines.append(f"body\t{body}")
        lines.extend(f"{k}\t{v}" for k, v in _static_headers(d))
    manifest = workdir / f"{name}.manifest"
    manifest.write_text("\n".join(lines) + "\n")
    (workdir / "webhook.lua").write_text(_WRK_LUA)
    return manifest


def run_wrk(port: int, manifest: Path, prefix: str, concurrency: int, seconds: int) -> Tally:
    script = manifest.parent / "webhook.lua"
    cmd = [
        "wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", f"--timeout={TIMEOUT_S}s",
        "-s", str(script), f"http://{HOST}:{port}", "--", str(manifest), prefix,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}{done.stderr}")
    r = json.loads(line.removeprefix("WRKJSON "))
    return Tally(
        engine="wrk -t1", concurrency=concurrency, seconds=r["duration_us"] / 1e6,
        sent=r["sent"], answered=r["answered"], status_202=r["s202"],
        status_other_2xx=r["s2xx"], non_2xx=r["non2xx"], socket_errors=r["errors"],
        p50_ms=r["p50_us"] / 1000, p90_ms=r["p90_us"] / 1000, p99_ms=r["p99_us"] / 1000,
        max_ms=r["max_us"] / 1000,
    )


# --------------------------------------------------------------------------- python


async def _read_status(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = 0
    for line in lines[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return int(lines[0].split()[1])


async def _drive(
    port: int, deliveries: list[Signed], prefix: str, concurrency: int, seconds: int
) -> tuple[dict[str, int], list[float], float]:
    prebuilt = []
    for d in deliveries:
        head = f"POST {PATH} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Length: {len(d.body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in _static_headers(d))
        prebuilt.append((head.encode(), d.body))
    counts = {"sent": 0, "answered": 0, "202": 0, "2xx": 0, "non2xx": 0, "errors": 0}
    latencies: list[float] = []
    serial = itertools.count(1)
    start = time.monotonic()
    deadline = start + seconds

    async def connection() -> None:
        try:
            reader, writer = await asyncio.open_connection(HOST, port)
        except OSError:
            counts["errors"] += 1
            return
        try:
            while time.monotonic() < deadline and counts["sent"] < PYTHON_MAX_REQUESTS:
                n = next(serial)
                head, body = prebuilt[n % len(prebuilt)]
                delivery = f"X-GitHub-Delivery: {prefix}-4000-a000-{n:012x}\r\n\r\n"
                counts["sent"] += 1
                t0 = time.perf_counter()
                writer.write(head + delivery.encode() + body)
                status = await _read_status(reader)
                latencies.append(time.perf_counter() - t0)
                counts["answered"] += 1
                if status == 202:
                    counts["202"] += 1
                elif 200 <= status < 300:
                    counts["2xx"] += 1
                else:
                    counts["non2xx"] += 1
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            counts["errors"] += 1
        finally:
            writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(connection() for _ in range(concurrency))), seconds + TIMEOUT_S
    )
    return counts, latencies, time.monotonic() - start


def run_python(
    port: int, deliveries: list[Signed], prefix: str, concurrency: int, seconds: int
) -> Tally:
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:
        runner = asyncio.Runner()
    with runner:
        counts, latencies, elapsed = runner.run(
            _drive(port, deliveries, prefix, concurrency, seconds)
        )
    latencies.sort()

    def ms(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0.0

    return Tally(
        engine="python asyncio", concurrency=concurrency, seconds=elapsed,
        sent=counts["sent"], answered=counts["answered"], status_202=counts["202"],
        status_other_2xx=counts["2xx"], non_2xx=counts["non2xx"], socket_errors=counts["errors"],
        p50_ms=ms(0.50), p90_ms=ms(0.90), p99_ms=ms(0.99), max_ms=ms(1.0),
    )
