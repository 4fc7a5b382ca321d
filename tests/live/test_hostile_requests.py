"""What an anonymous caller, a hostile enterprise or a careless admin can no longer do to a running server.

Each test drives a real `baton serve` (SQLite, the single-machine default) and measures it from outside: the
server's resident memory, how long a refusal takes, and whether /healthz keeps answering meanwhile.
"""
from __future__ import annotations

import json
import socket
import threading
import time
from urllib.parse import urlparse

import httpx
import pytest

from tests.helpers import auth, project
from tests.processes.bpmn_samples import mini, timed

pytestmark = pytest.mark.timeout(300)
MB = 1024 * 1024


def raw_post(server_url: str, path: str, headers: dict, body_size: int, chunked: bool = False) -> tuple[int | None, int, float]:
    """Send a body of `body_size` bytes as fast as the server takes it; stop when it answers.

    Returns (status or None, bytes sent before the answer, seconds until the answer)."""
    parsed = urlparse(server_url)
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
    lines = [f"POST {path} HTTP/1.1", f"Host: {parsed.hostname}", "Content-Type: application/json",
             *(f"{k}: {v}" for k, v in headers.items()),
             "Transfer-Encoding: chunked" if chunked else f"Content-Length: {body_size}"]
    started = time.monotonic()
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sent, chunk, status = 0, b"[" + b"1," * (MB // 2), None
    sock.setblocking(False)
    try:
        while sent < body_size:
            try:
                reply = sock.recv(4096)
                if reply:
                    status = int(reply.split(b" ", 2)[1])
                    break
            except BlockingIOError:
                pass
            try:
                piece = chunk[: body_size - sent]
                data = (f"{len(piece):x}\r\n".encode() + piece + b"\r\n") if chunked else piece
                sock.sendall(data)
                sent += len(piece)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                time.sleep(0.001)
        if status is None:
            sock.setblocking(True)
            reply = sock.recv(4096)
            status = int(reply.split(b" ", 2)[1]) if reply else None
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        sock.close()
    return status, sent, time.monotonic() - started


class HealthProbe:
    """Asks /healthz from a second client every 100 ms while something else runs; keeps the slowest answer."""

    def __init__(self, url: str):
        self.url, self.slowest, self.failures = url, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    if client.get(self.url + "/api/v1/healthz").status_code != 200:
                        self.failures += 1
                except httpx.HTTPError:
                    self.failures += 1
                self.slowest = max(self.slowest, time.monotonic() - started)
                self._stop.wait(0.1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def test_huge_bodies_are_refused_fast_and_memory_stays_bounded(live):
    before = live.rss_bytes()
    status, sent, seconds = raw_post(live.url, "/api/v1/applications", auth("acme"), 300 * MB)
    assert status == 413 and seconds < 2 and sent < 300 * MB  # refused from its Content-Length, not read
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        raw_post(live.url, "/api/v1/applications", auth("acme"), 300 * MB, chunked=True))) for _ in range(4)]
    with HealthProbe(live.url) as probe:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [r[0] for r in results] == [413] * 4, results
    assert all(r[1] < 64 * MB for r in results)  # refused after the 1 MB limit (the rest sat in socket buffers)
    growth = live.rss_bytes() - before
    print(f"\n300 MB with Content-Length: {status} after {seconds:.3f} s, {sent / MB:.1f} MB sent; 4 x 300 MB chunked: "
          f"{[r[0] for r in results]}, at most {max(r[1] for r in results) / MB:.1f} MB sent each, "
          f"{max(r[2] for r in results):.2f} s; RSS {before / MB:.0f} -> {(before + growth) / MB:.0f} MB; "
          f"slowest /healthz {probe.slowest * 1000:.0f} ms")
    assert growth < 40 * MB, f"the server grew by {growth / MB:.0f} MB"
    assert probe.failures == 0 and probe.slowest < 1.0


def test_an_anonymous_body_is_refused_before_it_is_read(live):
    status, sent, seconds = raw_post(live.url, "/api/v1/applications", {}, 300 * MB, chunked=True)
    assert status == 401 and sent < 64 * MB and seconds < 2


def test_650000_document_ids_are_refused_while_another_enterprise_files(live):
    body = json.dumps({"process": "parallel_review", "project": project(),
                       "documents": [f"{i:036d}" for i in range(650_000)]}).encode()
    outcome = {}

    def hostile():
        started = time.monotonic()
        r = httpx.post(live.url + "/api/v1/applications", content=body, timeout=60,
                       headers={**auth("acme"), "Content-Type": "application/json"})
        outcome["hostile"] = (r.status_code, time.monotonic() - started)

    thread = threading.Thread(target=hostile)
    with HealthProbe(live.url) as probe:
        thread.start()
        started = time.monotonic()
        r = httpx.post(live.url + "/api/v1/applications", json={"process": "parallel_review", "project": project()},
                       headers=auth("other"), timeout=60)
        other = (r.status_code, time.monotonic() - started)
        thread.join()
    print(f"\n650,000 ids ({len(body) / MB:.0f} MB): {outcome['hostile'][0]} in {outcome['hostile'][1]:.3f} s; other "
          f"enterprise: {other[0]} in {other[1]:.3f} s; slowest /healthz {probe.slowest * 1000:.0f} ms")
    assert outcome["hostile"][0] == 413 and outcome["hostile"][1] < 2
    assert other[0] == 201 and other[1] < 2
    assert probe.failures == 0 and probe.slowest < 1.0


def deploy(live, name: str, content: bytes, *forms: tuple[str, bytes]) -> None:
    r = httpx.post(live.url + "/api/v1/processes", headers=auth("admin"), timeout=30,
                   files=[("files", (name, content, "application/xml")), *[("files", (n, c, "application/json")) for n, c in forms]])
    assert r.status_code == 201, r.text


CYCLE = '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">"R" + str(999999) + "/PT0S"</bpmn:timeCycle>'


@pytest.mark.parametrize("case, process", [
    ("7 ** 10 ** 8", mini("runaway_pow", script="x = 7 ** 10 ** 8")),
    ("a 1 GB string", mini("runaway_alloc", script="x = 'a' * 10 ** 9")),
    ("a pure-Python loop", mini("runaway_loop", script="x = len([1 for i in range(999) for j in range(999) for k in range(999) if False])")),
    ("R999999/PT0S", timed("runaway_cycle", "x = 1", CYCLE)),
])
def test_runaway_process_code_stops_within_its_budget_while_the_server_answers(live, case, process):
    process_id = process.split(b'<bpmn:process id="', 1)[1].split(b'"', 1)[0].decode()
    deploy(live, f"{process_id}.bpmn", process)
    with HealthProbe(live.url) as probe:
        started = time.monotonic()
        r = httpx.post(live.url + "/api/v1/applications", json={"process": process_id, "project": project()},
                       headers=auth("acme"), timeout=60)
        seconds = time.monotonic() - started
    print(f"\n{case}: {r.status_code} in {seconds:.2f} s, slowest /healthz {probe.slowest * 1000:.0f} ms: "
          f"{r.json()['detail'][0]['message'] if r.status_code == 422 else r.text}")
    assert r.status_code == 422, r.text
    assert "budget" in r.json()["detail"][0]["message"], r.text
    assert seconds < 3.5, f"{case} took {seconds:.1f} s"  # the budget is 1 s of CPU time
    assert probe.failures == 0 and probe.slowest < 1.0, f"/healthz took {probe.slowest:.2f} s during {case}"
    incidents = httpx.get(live.url + "/api/v1/incidents", headers=auth("admin")).json()["items"]
    assert incidents[0]["kind"] == "budget" and incidents[0]["process"] == process_id
    # and the engine goes on: an ordinary filing right after works
    assert httpx.post(live.url + "/api/v1/applications", json={"process": "parallel_review", "project": project()},
                      headers=auth("acme"), timeout=30).status_code == 201


def test_a_backtracking_pattern_is_answered_at_once(live):
    form = json.dumps({"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$"}},
                       "examples": [{}]}).encode()
    deploy(live, "pattern_start.bpmn", mini("pattern_start").replace(
        b'<bpmn:startEvent id="start">',
        b'<bpmn:startEvent id="start"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="start_form" value="pattern.start.json"/></spiffworkflow:properties>'
        b'</bpmn:extensionElements>'), ("pattern.start.json", form))
    with HealthProbe(live.url) as probe:
        started = time.monotonic()
        r = httpx.post(live.url + "/api/v1/applications", headers=auth("acme"), timeout=30,
                       json={"process": "pattern_start", "project": {"name": "a" * 1999 + "!"}})
        seconds = time.monotonic() - started
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "project", "name"]
    assert seconds < 0.5 and probe.slowest < 1.0


def test_a_process_raising_after_a_timer_leaves_an_incident_and_other_timers_still_fire(live):
    one_second = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1S"</bpmn:timeDuration>'
    deploy(live, "killer.bpmn", timed("killer_timer", "x = Exception.mro()[1]", one_second))
    deploy(live, "fine.bpmn", timed("fine_timer", "x = 1", one_second))
    killer = httpx.post(live.url + "/api/v1/applications", json={"process": "killer_timer", "project": project()},
                        headers=auth("acme")).json()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        timeline = httpx.get(f"{live.url}/api/v1/applications/{killer['id']}", headers=auth("admin")).json()["timeline"]
        if any(e["event"] == "incident" for e in timeline):
            break
        time.sleep(0.2)
    else:
        pytest.fail("no incident recorded for the failing timer")
    [incident] = [i for i in httpx.get(live.url + "/api/v1/incidents", headers=auth("admin")).json()["items"]
                  if i["application_id"] == killer["id"]]
    assert incident["element_id"] == "after" and "mro" in incident["message"]
    fine = httpx.post(live.url + "/api/v1/applications", json={"process": "fine_timer", "project": project()},
                      headers=auth("other")).json()  # filed after the failure: the worker must still be alive
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        tasks = httpx.get(f"{live.url}/api/v1/applications/{fine['id']}", headers=auth("admin")).json()["open_tasks"]
        if tasks:
            break
        time.sleep(0.2)
    assert [t["department"] for t in tasks] == ["water-affairs"]


def test_responses_carry_no_server_banner_and_the_security_headers(live):
    r = httpx.get(live.url + "/api/v1/healthz")
    assert "server" not in r.headers
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-frame-options"] == "DENY"
