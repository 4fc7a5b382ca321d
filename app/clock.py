"""The one clock, shared with the engine room (workflows.clock): everything that stamps or compares times asks here."""
from workflows.clock import CLOCK, now  # noqa: F401
