"""Process code on a budget: every engine command runs in a child process with a CPU-time and a memory limit.

A runaway script, condition, decision cell or timer stops there with an error naming its BPMN element, while the
server's own threads go on answering. The service never holds a workflow object: it sends the stored state and gets
back a `Snapshot` (JSON both ways, so nothing the child produces can run code in the server).

Limits per command, in the child: a profiling timer raises `BudgetExceeded` in Python code once the CPU budget is
used; RLIMIT_CPU kills the child a second later (a single C-level operation such as `7 ** 10 ** 8` never returns
to Python code); RLIMIT_AS bounds the memory a command may add; the server kills a child that has not answered
within the wall-clock limit. A dead child is replaced; the next command never sees its state.
"""
from __future__ import annotations

import atexit
import json
import math
import mmap
import os
import queue
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from .instances import EngineError, Snapshot, TaskNotReady

_SIZES = struct.Struct(">II")  # a frame: the JSON message's length, then the stored state's (sent as it is)
_ELEMENT_BYTES = 256
_MAX_MESSAGE = 256 * 1024 * 1024


@dataclass(frozen=True)
class Budget:
    """What one engine command may use: CPU seconds and memory (MB) beyond what the engine holds already."""

    cpu_seconds: float = 1.0
    memory_mb: int = 64

    @property
    def wall_seconds(self) -> float:
        # CPU time is what is budgeted; the wall clock only catches a child that the machine starves.
        return self.cpu_seconds * 4 + 10


class EngineUnavailable(Exception):
    """No engine process answered in time (all busy, or one could not start)."""


def _frame(message: dict) -> bytes:
    """The message as JSON, with the stored state (large, already JSON) beside it rather than escaped inside it."""
    message = dict(message)
    state = message.pop("state", None)
    ok = message.get("ok")
    if isinstance(ok, dict) and "state" in ok:
        ok = dict(ok)
        state = ok.pop("state")
        message["ok"] = ok
    head = json.dumps(message, ensure_ascii=True, separators=(",", ":"), default=str).encode()
    blob = state.encode("utf-8", "surrogatepass") if isinstance(state, str) else b""
    return _SIZES.pack(len(head), len(blob)) + head + blob


def _unframe(body: bytes, head: int) -> dict:
    message = json.loads(body[:head])
    if len(body) > head:
        state = body[head:].decode("utf-8", "surrogatepass")
        if isinstance(message.get("ok"), dict):
            message["ok"]["state"] = state
        else:
            message["state"] = state
    return message


# ---------------------------------------------------------------- the server's side


class _Child:
    def __init__(self) -> None:
        self.element_file = tempfile.TemporaryFile()
        self.element_file.truncate(_ELEMENT_BYTES)
        self.element_map = mmap.mmap(self.element_file.fileno(), _ELEMENT_BYTES)
        env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "workflows.sandbox", str(self.element_file.fileno())],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(self.element_file.fileno(),), env=env,
            cwd=root,
        )
        self.known_specs: set[str] = set()
        ready = self.receive(time.monotonic() + 60)
        if not ready or not ready.get("ready"):
            self.kill()
            raise EngineUnavailable("the engine process did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, message: dict) -> None:
        self.process.stdin.write(_frame(message))
        self.process.stdin.flush()

    def receive(self, deadline: float) -> dict | None:
        """The child's answer, or None when it died or missed the deadline (then it is killed)."""
        sizes = self._read(_SIZES.size, deadline)
        if sizes is None:
            return None
        head, blob = _SIZES.unpack(sizes)
        if head + blob > _MAX_MESSAGE:
            return None
        body = self._read(head + blob, deadline)
        return _unframe(body, head) if body is not None else None

    def _read(self, size: int, deadline: float) -> bytes | None:
        fd = self.process.stdout.fileno()
        chunks, remaining = [], size
        while remaining:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                self.kill()
                return None
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def last_element(self) -> str | None:
        (length,) = struct.unpack(">H", self.element_map[:2])
        return self.element_map[2:2 + length].decode("utf-8", "replace") if 0 < length <= _ELEMENT_BYTES - 2 else None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def close(self) -> None:
        self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.element_map.close()
        self.element_file.close()


class Sandbox:
    """A pool of engine processes; any thread may call it, each call has a child to itself."""

    def __init__(self, budget: Budget | None = None, processes: int = 2):
        self.budget = budget or Budget()
        self.size = max(1, processes)
        self._idle: queue.LifoQueue[_Child] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self._children: list[_Child] = []

    # -- the engine's commands

    def run_command(self, spec_key: str, spec_json: str, command: str, *, now: datetime, state: str | None = None,
                    departments: set[str] | None = None, task_id: str | None = None,
                    payload: dict | None = None, updates: dict | None = None) -> Snapshot:
        result = self._call({"op": "command", "spec_key": spec_key, "command": command, "state": state,
                             "departments": sorted(departments or ()), "task_id": task_id, "payload": payload,
                             "updates": updates, "now": now.isoformat()}, spec_json)
        return Snapshot.from_dict(result)

    def evaluate(self, expression: str, data: dict, *, now: datetime) -> Any:
        """A property expression on plain data (before an instance exists), e.g. the process's own time limit."""
        return self._call({"op": "evaluate", "expression": expression, "data": data, "now": now.isoformat()})

    # -- the pool

    def _call(self, message: dict, spec_json: str | None = None) -> Any:
        message["budget"] = {"cpu_seconds": self.budget.cpu_seconds, "memory_mb": self.budget.memory_mb}
        if not self._slots.acquire(timeout=self.budget.wall_seconds * 2):
            raise EngineUnavailable("every engine process is busy")
        child = None
        try:
            child = self._take()
            if "spec_key" in message and message["spec_key"] not in child.known_specs:
                message = {**message, "spec_json": spec_json}
            answer = self._exchange(child, message)
            if answer.get("need_spec"):
                answer = self._exchange(child, {**message, "spec_json": spec_json})
            if "spec_key" in message and "error" not in answer:
                child.known_specs.add(message["spec_key"])
            if answer.get("exiting"):
                child.kill()  # it said it will not take another command
            if "error" in answer:
                error = answer["error"]
                if error["kind"] == "not_ready":
                    raise TaskNotReady(error["message"])
                raise EngineError(error.get("element_id"), error["message"], error["kind"])
            return answer["ok"]
        finally:
            if child is not None and child.alive():
                self._idle.put(child)
            elif child is not None:
                self._forget(child)
            self._slots.release()

    def _exchange(self, child: _Child, message: dict) -> dict:
        child.element_map[:2] = b"\0\0"
        try:
            child.send(message)
        except (BrokenPipeError, OSError):
            raise EngineError(None, "the engine process stopped before the command began", "crash") from None
        answer = child.receive(time.monotonic() + self.budget.wall_seconds)
        if answer is not None:
            return answer
        element = child.last_element()
        child.kill()
        returncode = child.process.returncode
        if returncode in (-signal.SIGXCPU, -signal.SIGPROF, -signal.SIGKILL):
            return {"error": {"kind": "budget", "element_id": element,
                              "message": f"used more than its budget of {self.budget.cpu_seconds:g} s of CPU time "
                                         "and was stopped"}}
        return {"error": {"kind": "crash", "element_id": element,
                          "message": f"the engine process stopped unexpectedly (exit status {returncode})"}}

    def _take(self) -> _Child:
        while True:
            try:
                child = self._idle.get_nowait()
            except queue.Empty:
                child = _Child()
                with self._lock:
                    self._children.append(child)
                return child
            if child.alive():
                return child
            self._forget(child)

    def _forget(self, child: _Child) -> None:
        with self._lock:
            if child in self._children:
                self._children.remove(child)
        child.close()

    def close(self) -> None:
        with self._lock:
            children, self._children = self._children, []
        for child in children:
            child.close()
        while not self._idle.empty():
            self._idle.get_nowait()


_default: Sandbox | None = None
_default_lock = threading.Lock()


def configure(budget: Budget, processes: int = 2) -> Sandbox:
    """Set the process-wide sandbox (the server does this once, from its settings)."""
    global _default
    with _default_lock:
        if _default is not None and (_default.budget, _default.size) == (budget, max(1, processes)):
            return _default
        old, _default = _default, Sandbox(budget, processes)
    if old is not None:
        old.close()
    return _default


def default() -> Sandbox:
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


@atexit.register
def _close_default() -> None:
    if _default is not None:
        _default.close()


# ---------------------------------------------------------------- the child's side


class BudgetExceeded(BaseException):
    """Raised in process code when its CPU budget is used up (a BaseException: `except Exception` cannot keep it)."""


_armed = False


def _exceeded(_signum, _frame):
    if _armed:
        raise BudgetExceeded()


def _virtual_memory() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = getattr(exc, "exception", None) or exc.__cause__ or exc.__context__
    return False


class _Limits:
    """Arms and disarms one command's budget in the child."""

    def __init__(self) -> None:
        import resource

        self.resource = resource
        self.can_limit_memory = os.path.exists("/proc/self/statm")
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        signal.signal(signal.SIGPROF, _exceeded)

    def arm(self, budget: dict) -> None:
        global _armed
        resource = self.resource
        _armed = True
        if self.can_limit_memory:
            limit = _virtual_memory() + int(budget["memory_mb"]) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
        usage = resource.getrusage(resource.RUSAGE_SELF)
        hard_stop = math.ceil(usage.ru_utime + usage.ru_stime + float(budget["cpu_seconds"])) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (hard_stop, resource.getrlimit(resource.RLIMIT_CPU)[1]))
        signal.setitimer(signal.ITIMER_PROF, float(budget["cpu_seconds"]), 0.05)

    def disarm(self) -> None:
        global _armed
        _armed = False  # a signal already on its way does nothing now
        resource = self.resource
        signal.setitimer(signal.ITIMER_PROF, 0)
        resource.setrlimit(resource.RLIMIT_AS, (resource.getrlimit(resource.RLIMIT_AS)[1],) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (resource.getrlimit(resource.RLIMIT_CPU)[1],) * 2)


def _child_main(element_fd: int) -> None:
    from . import clock, instances, scripting

    channel_in = os.fdopen(os.dup(0), "rb", buffering=0)
    channel_out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything printed goes to the server's stderr, never into the channel
    element_map = mmap.mmap(element_fd, _ELEMENT_BYTES)

    def note_element(element: str) -> None:
        raw = element.encode("utf-8", "replace")[:_ELEMENT_BYTES - 2]
        element_map[2:2 + len(raw)] = raw
        element_map[:2] = struct.pack(">H", len(raw))

    scripting.element_hook = note_element
    limits = _Limits()
    specs: dict[str, instances.ProcessSpec] = {}

    def send(message: dict) -> None:
        channel_out.write(_frame(message))

    def read_exact(size: int) -> bytes | None:
        chunks, remaining = [], size
        while remaining:
            chunk = channel_in.read(remaining)
            if not chunk:
                return None
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)

    def element() -> str | None:
        (length,) = struct.unpack(">H", element_map[:2])
        return element_map[2:2 + length].decode("utf-8", "replace") if length else None

    send({"ready": True})
    while True:
        sizes = read_exact(_SIZES.size)
        if sizes is None:
            return
        head, blob = _SIZES.unpack(sizes)
        body = read_exact(head + blob)
        if body is None:
            return
        message = _unframe(body, head)
        element_map[:2] = b"\0\0"
        budget = message["budget"]
        exit_after = False
        try:
            if message["op"] == "command":
                key = message["spec_key"]
                if key not in specs:
                    if not message.get("spec_json"):
                        send({"need_spec": True})
                        continue
                    if len(specs) >= 64:
                        specs.pop(next(iter(specs)))
                    specs[key] = instances.restore_spec(message["spec_json"])
            clock.follow(datetime.fromisoformat(message["now"]))
            limits.arm(budget)
            try:
                if message["op"] == "command":
                    result = instances.run_command(
                        specs[message["spec_key"]], message["command"], state=message.get("state"),
                        departments=set(message.get("departments") or ()), task_id=message.get("task_id"),
                        payload=message.get("payload"), updates=message.get("updates")).to_dict()
                else:
                    result = instances.evaluate_on(message["data"], message["expression"])
            finally:
                limits.disarm()
            reply = {"ok": result}
        except TaskNotReady as exc:
            reply = {"error": {"kind": "not_ready", "message": str(exc)}}
        except BaseException as exc:  # noqa: BLE001 - whatever process code raised, the server gets a named error
            limits.disarm()
            if isinstance(exc, (KeyboardInterrupt, SystemExit)) and not isinstance(exc, BudgetExceeded):
                exc = RuntimeError(f"the process raised {exc.__class__.__name__}")
            if _caused_by(exc, BudgetExceeded):
                reply = {"error": {"kind": "budget", "element_id": element(),
                                   "message": f"used more than its budget of {budget['cpu_seconds']:g} s of CPU time "
                                              "and was stopped"}}
            elif _caused_by(exc, MemoryError):
                exit_after = True  # a heap that hit its limit is not trusted for the next command
                reply = {"error": {"kind": "budget", "element_id": element(),
                                   "message": f"needed more than its budget of {budget['memory_mb']} MB of memory "
                                              "and was stopped"}}
            elif isinstance(exc, EngineError):
                reply = {"error": {"kind": exc.kind, "element_id": exc.element_id or element(),
                                   "message": exc.message}}
            else:
                reply = {"error": {"kind": "process", "element_id": element(),
                                   "message": f"{exc.__class__.__name__}: {exc}"[:2000]}}
        if exit_after:
            reply["exiting"] = True
        try:
            send(reply)
        except (TypeError, ValueError) as exc:
            send({"error": {"kind": "process", "element_id": element(),
                            "message": f"the process produced a value that is not JSON: {exc}"[:2000]}})
        if exit_after:
            return


if __name__ == "__main__":
    _child_main(int(sys.argv[1]))
