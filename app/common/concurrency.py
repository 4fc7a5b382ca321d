"""Running the (blocking) use cases from async routes: one hop to the thread pool per request, not one per step.

A sync route makes FastAPI hop to the pool for every sync dependency and again to validate the answer; an async
route that calls its use case here hops once, and FastAPI validates on the event loop."""
from starlette.concurrency import run_in_threadpool as in_thread  # noqa: F401
