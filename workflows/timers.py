"""Timers on the one clock, extended at SpiffWorkflow's seams (parser and serializer), never patched into it.

SpiffWorkflow's own timer events read the wall clock and take a date without an offset in the server's local zone.
These read `clock.now()` — the moment the server sends with each engine command — and take such a date in
China's zone (deploy refuses one anyway, so this is only for values a script computes)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.parser.util import first
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser,
    SpiffIntermediateCatchEventParser,
    SpiffStartEventParser,
)
from SpiffWorkflow.util.task import TaskState

from . import clock
from .calendar import CHINA


def moment(text: str) -> datetime:
    """An ISO 8601 date and time; one without an offset is Beijing time."""
    value = datetime.fromisoformat(str(text))
    return (value if value.tzinfo else value.replace(tzinfo=CHINA)).astimezone(timezone.utc)


def _time_or_duration(text: str):
    text = str(text)
    if text.upper().startswith("P"):
        return TimerEventDefinition.parse_iso_duration(text)
    if "W" in text.upper():
        return moment(TimerEventDefinition.parse_iso_week(text).isoformat())
    return moment(text)


def recurring(text: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """An ISO 8601 repeating interval (R3/PT1H, R/2030-01-01T09:00+08:00/P1D …): cycles, first firing, interval."""
    parts = str(text).upper().replace("--", "/").strip("R").split("/")
    cycles = int(parts[0]) if parts[0] else -1
    first_part = _time_or_duration(parts[1])
    second = _time_or_duration(parts[2]) if len(parts) == 3 else None
    if isinstance(first_part, datetime) and isinstance(second, dict):
        return cycles, first_part, TimerEventDefinition.get_timedelta_from_start(second, first_part)
    if isinstance(second, datetime) and isinstance(first_part, dict):
        duration = TimerEventDefinition.get_timedelta_from_end(first_part, second)
        return cycles, second - duration, duration
    if second is None and isinstance(first_part, dict):
        duration = TimerEventDefinition.get_timedelta_from_start(first_part, now)
        return cycles, now + duration, duration
    raise ValueError(f"invalid repeating interval {text!r}")


class _FiresAtAMoment:
    """A timer that fires once, at the moment it computes when first reached (kept in the task's internal data)."""

    def first_moment(self, my_task) -> str:
        raise NotImplementedError

    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = self.first_moment(my_task)
            my_task._set_internal_data(event_value=event_value)
        if moment(event_value) < clock.now():
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockTimeDate(_FiresAtAMoment, TimeDateEventDefinition):
    def first_moment(self, my_task) -> str:
        return my_task.workflow.script_engine.evaluate(my_task, self.expression)


class ClockDuration(_FiresAtAMoment, DurationTimerEventDefinition):
    def first_moment(self, my_task) -> str:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        start = clock.now()
        duration = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(expression), start)
        return (start + duration).isoformat()


class ClockCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = recurring(expression, clock.now())
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event < clock.now():
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready

    def update_task(self, my_task):
        if self.cycle_complete(my_task):
            for output in my_task.task_spec.outputs:
                child = my_task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
                child.task_spec._update(child)


# Stored specs and instances keep SpiffWorkflow's names for these, so what was stored before loads as these.
TIMERS = {ClockTimeDate: "TimeDateEventDefinition", ClockDuration: "DurationTimerEventDefinition",
          ClockCycle: "CycleTimerEventDefinition"}
TIMER_KINDS = frozenset({*TIMERS.values(), *(cls.__name__ for cls in TIMERS)})


def serializer_config(config: dict) -> dict:
    """SpiffWorkflow's serializer configuration with the clock's timers in place of its own."""
    config = {cls: converter for cls, converter in config.items()
              if cls not in (TimeDateEventDefinition, DurationTimerEventDefinition, CycleTimerEventDefinition)}
    for cls, typename in TIMERS.items():
        config[cls] = lambda target, registry, typename=typename: TimerConditionalEventDefinitionConverter(
            target, registry, typename=typename)
    return config


class ClockTimerParsing:
    """Event parsers that build the clock's timers."""

    def parse_timer_event(self, event):
        try:
            description = self.get_event_description(event)
            name = self.node.get("name", self.node.get("id"))
            for tag, cls in (("timeDate", ClockTimeDate), ("timeDuration", ClockDuration), ("timeCycle", ClockCycle)):
                node = first(self.xpath(f".//bpmn:{tag}"))
                if node is not None:
                    return cls(name, node.text, description=description)
            raise ValidationException("Unknown Time Specification", node=self.node, file_name=self.filename)
        except ValidationException:
            raise
        except Exception as exc:
            raise ValidationException("Time Specification Error. " + str(exc), node=self.node, file_name=self.filename)


class ClockStartEventParser(ClockTimerParsing, SpiffStartEventParser):
    pass


class ClockIntermediateCatchEventParser(ClockTimerParsing, SpiffIntermediateCatchEventParser):
    pass


class ClockBoundaryEventParser(ClockTimerParsing, SpiffBoundaryEventParser):
    pass
