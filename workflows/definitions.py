"""Deployment of process definitions: parse BPMN/DMN/forms, validate everything that can fail later, serialize specs.

Nothing here touches the database: the caller passes in what is already deployed and stores what comes back.
"""
from __future__ import annotations

import ast
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .calendar import TimeLimitError, parse_time_limit
from .forms import checked_form, referenced_forms
from .scripting import ScriptCompileError, compile_expression, compile_script
from .text import unstorable_char
from .vocabulary import ApplicationStatus, Decision
from .timers import ClockBoundaryEventParser, ClockIntermediateCatchEventParser, ClockStartEventParser, moment, recurring

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = ("https://www.omg.org/spec/DMN/20191111/MODEL/",)  # DMN 1.3
# Older DMN namespaces, named so the refusal can say what to do.
OLD_DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "DMN 1.2",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "DMN 1.1",
    "http://www.omg.org/spec/DMN/20151101/dmn11.xsd": "DMN 1.1",
    "http://www.omg.org/spec/DMN/20151101": "DMN 1.1",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "DMN 1.5",
}
FLOW_ELEMENTS = ("sequenceFlow", "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
                 "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent",
                 "endEvent", "boundaryEvent", "intermediateCatchEvent", "intermediateThrowEvent", "exclusiveGateway",
                 "parallelGateway", "inclusiveGateway", "eventBasedGateway")
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
APPLICANT = "applicant"
DEFAULT_ACTIONS = Decision.codes()
ALL_ACTIONS = frozenset(DEFAULT_ACTIONS)
# Properties whose values are Python expressions, compiled at deploy time like scripts and conditions.
EXPRESSION_PROPERTIES = ("time_limit", "department_from", "bar_enterprise", "minor_items", "filings", "item")
APPLICATION_STATUSES = ApplicationStatus.codes()


@dataclass(frozen=True)
class Problem:
    """One reason a deployment is refused, named by file and BPMN/DMN element."""

    file: str
    element_id: str | None
    message: str


_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")


def _clean(message: str) -> str:
    """lxml element reprs mean nothing to a modeller: name the element kind instead."""
    return _REPR.sub(lambda m: f"<{m.group(1)}>", message)


class DeploymentError(Exception):
    def __init__(self, problems: list[Problem]):
        problems = list(dict.fromkeys(Problem(p.file, p.element_id, _clean(p.message)) for p in problems))
        super().__init__("; ".join(f"{p.file}:{p.element_id or '-'}: {p.message}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class DeployedCatalogue:
    """What is already deployed, so an upload can refer to it: latest BPMN files, decisions and forms."""

    bpmn_files: list[SourceFile] = field(default_factory=list)
    dmn_files: list[SourceFile] = field(default_factory=list)
    forms: dict[str, Any] = field(default_factory=dict)


@dataclass
class ProcessBundle:
    """A process ready to be stored as a new version."""

    process_id: str
    name: str
    description: str
    content_hash: str
    spec: dict  # {"spec": ..., "subprocess_specs": {...}} in SpiffWorkflow's serialized form
    forms: dict[str, Any]  # form file name -> JSON Schema, every form the process's tasks name
    start_form: dict | None
    sources: list[SourceFile]


# ---------------------------------------------------------------- parser seams


class BatonUserTaskParser(SpiffTaskParser):
    """Keeps Camunda Modeler's candidate groups so such files deploy as they are."""

    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        node = self.node if node is None else node
        groups = node.get(f"{{{CAMUNDA_NS}}}candidateGroups")
        if groups:
            extensions["candidate_groups"] = [g.strip() for g in groups.split(",") if g.strip()]
        return extensions


class BatonParser(SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("userTask"): (BatonUserTaskParser, UserTask),
        # timers on the one clock (workflows.timers)
        full_tag("startEvent"): (ClockStartEventParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("startEvent")][1]),
        full_tag("intermediateCatchEvent"): (ClockIntermediateCatchEventParser,
                                             SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("intermediateCatchEvent")][1]),
        full_tag("boundaryEvent"): (ClockBoundaryEventParser, SpiffBpmnParser.OVERRIDE_PARSER_CLASSES[full_tag("boundaryEvent")][1]),
    }


# ---------------------------------------------------------------- task metadata shared with the runtime


def task_properties(task_spec: Any) -> dict[str, str]:
    return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}) or {})


def is_applicant_task(task_spec: Any) -> bool:
    props = task_properties(task_spec)
    return props.get("actor") == APPLICANT or task_spec.lane == APPLICANT


def task_department(task_spec: Any, known: Iterable[str] | None = None) -> str | None:
    """A user task's department: its `department` property, else a Camunda candidate group, else its lane."""
    props = task_properties(task_spec)
    if props.get("department"):
        return props["department"]
    groups = (getattr(task_spec, "extensions", None) or {}).get("candidate_groups") or []
    if groups:
        known_set = set(known or ())
        return next((g for g in groups if g in known_set), groups[0])
    return task_spec.lane


def task_actions(task_spec: Any) -> tuple[str, ...]:
    raw = task_properties(task_spec).get("actions")
    if not raw:
        return DEFAULT_ACTIONS
    return tuple(a.strip() for a in raw.split(",") if a.strip())


def task_title(task_spec: Any) -> str:
    return task_spec.bpmn_name or task_spec.bpmn_id or task_spec.name


def is_user_task(task_spec: Any) -> bool:
    return isinstance(task_spec, UserTaskMixin)


def is_pass_through(task_spec: Any) -> bool:
    """Plain and manual tasks: no one works them in Baton (no form, no inbox), so the engine passes them through."""
    return isinstance(task_spec, (NoneTaskMixin, ManualTaskMixin)) and not is_user_task(task_spec)


# ---------------------------------------------------------------- building a deployment


def _line(node: etree._Element) -> str:
    return f" (line {node.sourceline})" if getattr(node, "sourceline", None) else ""


def parse_xml(source: SourceFile) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(source.content, parser)


def _is_dmn(root: etree._Element) -> bool:
    return etree.QName(root).namespace in DMN_NAMESPACES


def decision_ids(root: etree._Element) -> list[str]:
    ns = etree.QName(root).namespace
    return [d.get("id") for d in root.findall(f"{{{ns}}}decision")]


def _executable_processes(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("isExecutable", "true").lower() != "false"]


def _structural_problems(source: SourceFile, root: etree._Element) -> list[Problem]:
    """What SpiffWorkflow would silently get wrong: repeated ids, and flow elements without one (it drops them)."""
    problems = []
    lines: dict[str, list[int]] = {}
    for element in root.iter():
        if isinstance(element.tag, str) and element.get("id"):
            lines.setdefault(element.get("id"), []).append(element.sourceline)
    for element_id, at in lines.items():
        if len(at) > 1:
            problems.append(Problem(source.name, element_id,
                                    f"id {element_id!r} is used more than once (lines {', '.join(map(str, at))})"))
    for tag in FLOW_ELEMENTS:
        for element in root.iter(f"{{{BPMN_NS}}}{tag}"):
            if not element.get("id"):
                where = ""
                if tag == "sequenceFlow":
                    where = f" from {element.get('sourceRef')!r} to {element.get('targetRef')!r}"
                problems.append(Problem(source.name, None, f"<{tag}>{where} at line {element.sourceline} has no id; "
                                        "every flow element needs one"))
    return problems


def _owner(node: etree._Element) -> etree._Element | None:
    """The nearest enclosing element with an id (the BPMN element a nested setting belongs to)."""
    owner = node.getparent()
    # An event definition or loop marker is part of its task or event: name that, as the modeller shows it.
    while owner is not None and (owner.get("id") is None or etree.QName(owner).localname.endswith(
            ("EventDefinition", "LoopCharacteristics"))):
        owner = owner.getparent()
    return owner


def _check_expressions_bpmn(source: SourceFile, root: etree._Element, problems: list[Problem]) -> None:
    """Every condition, script and expression property must compile under the restricted environment."""

    def check(element_id: str | None, text: str | None, what: str, script: bool = False) -> None:
        if text is None or not text.strip():
            return
        try:
            compile_script(text) if script else compile_expression(text)
        except ScriptCompileError as exc:
            problems.append(Problem(source.name, element_id, f"{what} does not compile: {exc}{_other_language(text)}"))

    for cond in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        flow = cond.getparent()
        language = cond.get("language") or ""
        if language and "python" not in language.lower():
            problems.append(Problem(source.name, flow.get("id"), f"condition is in {language!r}; Baton runs Python "
                                    f"conditions: leave out the language attribute{_other_language(cond.text or '')}"))
            continue
        juel = _JUEL.match((cond.text or "").strip())
        if juel:
            problems.append(Problem(source.name, flow.get("id"), f"condition {cond.text.strip()[:100]!r} is JUEL "
                                    "(Camunda's expression language); Baton expects Python, e.g. "
                                    f"{_python_form(juel.group(1))!r}"))
            continue
        check(flow.get("id"), cond.text, "condition")
    for tag in ("scriptTask", "script"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            owner = node if tag == "scriptTask" else _owner(node)
            script_format = node.get("scriptFormat")
            if script_format and script_format.strip().lower() not in ("python", "python3", "text/x-python"):
                problems.append(Problem(source.name, owner.get("id") if owner is not None else None,
                                        f"scriptFormat {script_format!r}: Baton runs Python scripts only; rewrite the "
                                        "script in Python and set scriptFormat to python (or leave it out)"))
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        if not task.xpath("./bpmn:extensionElements/spiffworkflow:calledDecisionId/text()", namespaces=NS):
            camunda = task.get(f"{{{CAMUNDA_NS}}}decisionRef")
            hint = f" (camunda:decisionRef={camunda!r} is Camunda's form, not read here)" if camunda else ""
            problems.append(Problem(source.name, task.get("id"), "business rule task names no decision: add "
                                    f"<spiffworkflow:calledDecisionId> in its extensionElements{hint}"))
    for store in root.iter(f"{{{BPMN_NS}}}dataStore"):
        problems.append(Problem(source.name, store.get("id"), f"data store {store.get('name')!r} (line {store.sourceline}) "
                                "is not supported: keep documents and data in the application, not in a data store"))
    for task in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        problems.append(Problem(source.name, task.get("id"), "service tasks are not supported: a Baton process calls "
                                "no external service; use a script task or a user task"))
    for tag in ("preScript", "postScript"):
        for node in root.iter(f"{{{SPIFF_NS}}}{tag}"):
            owner = _owner(node)
            check(owner.get("id") if owner is not None else None, node.text, tag, script=True)
    for script_task in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = script_task.find(f"{{{BPMN_NS}}}script")
        check(script_task.get("id"), script.text if script is not None else None, "script", script=True)
    for tag in ("timeDuration", "timeDate", "timeCycle", "condition", "loopCardinality", "completionCondition"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            owner = _owner(node)
            owner_id = owner.get("id") if owner is not None else None
            check(owner_id, node.text, tag)
            if tag.startswith("time"):
                problem = timer_problem(tag, node.text)
                if problem:
                    problems.append(Problem(source.name, owner_id, problem))
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        owner = _owner(prop)
        owner_id = owner.get("id") if owner is not None else None
        name, value = prop.get("name"), prop.get("value")
        if name in EXPRESSION_PROPERTIES:
            check(owner_id, value, name)
        if name == "time_limit":
            literal = _literal(value)
            if isinstance(literal, str):
                try:
                    parse_time_limit(literal)
                except TimeLimitError as exc:
                    problems.append(Problem(source.name, owner_id, f"time_limit: {exc}"))
        elif name == "application_status" and value not in APPLICATION_STATUSES:
            problems.append(Problem(source.name, owner_id,
                                    f"application_status {value!r} is not one of {', '.join(APPLICATION_STATUSES)}"))


_JUEL = re.compile(r"^[$#]\{(.*)\}$", re.S)


def _python_form(juel: str) -> str:
    """A JUEL expression written the way Baton runs it (the common operators only)."""
    text = juel.strip()
    for word, python in ((r"\band\b|&&", "and"), (r"\bor\b|\|\|", "or"), (r"!(?!=)", "not "),
                         (r"\beq\b", "=="), (r"\bne\b", "!="), (r"\bgt\b", ">"), (r"\blt\b", "<"),
                         (r"\bge\b", ">="), (r"\ble\b", "<="), (r"\btrue\b", "True"), (r"\bfalse\b", "False"),
                         (r"\bnull\b", "None")):
        text = re.sub(word, python, text)
    return text


def _other_language(text: str) -> str:
    """A hint when code that does not compile looks like JUEL or FEEL rather than Python."""
    stripped = (text or "").strip()
    if _JUEL.match(stripped):
        return f" — it is JUEL; Baton expects Python, e.g. {_python_form(_JUEL.match(stripped).group(1))!r}"
    if re.search(r"(?<![=!<>])=(?!=)", stripped) or re.search(r"\b(not\(|date\(|duration\()", stripped):
        return (" — it looks like FEEL; Baton expects Python: == for equality, not x for negation, "
                "strings in quotes")
    return ""


MAX_TIMER_CYCLES = 1000
MIN_CYCLE_SECONDS = 60


def _literal(text: str | None):
    """The value of an expression that is a plain literal ('"PT5M"', "'20wd'"), else None."""
    try:
        return ast.literal_eval((text or "").strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None


_ISO_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_ISO_MOMENT = r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
_BARE_ISO = re.compile(rf"^(R\d*/((({_ISO_DURATION})|({_ISO_MOMENT}))/?)+|{_ISO_DURATION}|{_ISO_MOMENT})$", re.I)


def _quote_bare_timers(root: etree._Element) -> None:
    """Camunda Modeler writes timers as bare ISO 8601 (PT5M, R3/PT1H); Baton's are Python expressions, so a bare
    one is taken as the string it is (the stored file stays as uploaded)."""
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            text = (node.text or "").strip()
            if text and _BARE_ISO.match(text):
                node.text = json.dumps(text)


_OFFSET = re.compile(r"(Z|[+-]\d\d(:?\d\d)?)$", re.IGNORECASE)


def timer_problem(tag: str, text: str | None) -> str | None:
    """Why a literal timer expression would fail (or never end) when reached; None if it works or is computed."""
    value = _literal(text)
    if not isinstance(value, str):
        return None
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        elif tag == "timeDate":
            if not _OFFSET.search(value.strip()):
                return f"timeDate {value!r} has no time zone offset; write one, e.g. '{value}+08:00'"
            moment(value)
        else:
            dates = [part for part in value.strip("Rr").split("/")[1:] if not part.upper().startswith("P")]
            naive = [part for part in dates if not _OFFSET.search(part.strip())]
            if naive:
                return f"timeCycle {value!r} has a date without a time zone offset ({naive[0]!r}); add one, e.g. +08:00"
            cycles, _start, duration = recurring(value, datetime.now(timezone.utc))
            if cycles < 0 or cycles > MAX_TIMER_CYCLES:
                return (f"timeCycle {value!r} repeats {'without end' if cycles < 0 else f'{cycles} times'}; "
                        f"a cycle may repeat at most {MAX_TIMER_CYCLES} times")
            if duration.total_seconds() < MIN_CYCLE_SECONDS:
                return f"timeCycle {value!r} repeats every {duration.total_seconds():g} s; at least {MIN_CYCLE_SECONDS} s apart"
    except Exception as exc:  # SpiffWorkflow raises bare Exceptions for malformed ISO 8601
        return f"{tag} {value!r} is not valid ISO 8601 ({exc})"
    return None


SUPPORTED_HIT_POLICIES = ("UNIQUE", "FIRST", "COLLECT")


def _check_expressions_dmn(source: SourceFile, root: etree._Element, problems: list[Problem]) -> None:
    ns = etree.QName(root).namespace
    for table in root.iter(f"{{{ns}}}decisionTable"):
        decision = table.getparent()
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        aggregation = table.get("aggregation")
        owner = decision.get("id") if decision is not None else table.get("id")
        if policy not in SUPPORTED_HIT_POLICIES:
            problems.append(Problem(source.name, owner, f"decision table hit policy {policy} is not evaluated by the "
                                    "engine (its answers would be wrong); use UNIQUE, FIRST or COLLECT"))
        elif policy == "COLLECT" and aggregation:
            problems.append(Problem(source.name, owner, f"COLLECT with the {aggregation} aggregation is not evaluated "
                                    "by the engine (it would return the list, not its sum, count, min or max); collect "
                                    "the list and aggregate it in a script task"))
    for expr in root.iter(f"{{{ns}}}inputExpression"):
        text = expr.findtext(f"{{{ns}}}text")
        if text and text.strip():
            try:
                compile_expression(text)
            except ScriptCompileError as exc:
                owner = expr.getparent()
                problems.append(Problem(source.name, owner.get("id"), f"input expression does not compile: {exc}"))
    for rule in root.iter(f"{{{ns}}}rule"):
        for entry in rule.findall(f"{{{ns}}}inputEntry"):
            text = (entry.findtext(f"{{{ns}}}text") or "").strip()
            if text in ("", "-"):
                continue
            candidate = text.replace("?", "dmninputexpr")
            errors: list[str] = []
            for attempt in (candidate, f"dmninputexpr {candidate}"):
                try:
                    compile_expression(attempt)
                    break
                except ScriptCompileError as exc:
                    errors = exc.errors
            else:
                problems.append(Problem(source.name, entry.get("id") or rule.get("id"), f"input entry {text!r} does not compile: {'; '.join(errors)}"))
        for entry in rule.findall(f"{{{ns}}}outputEntry"):
            text = (entry.findtext(f"{{{ns}}}text") or "").strip()
            if not text:
                continue
            try:
                compile_expression(text)
            except ScriptCompileError as exc:
                problems.append(Problem(source.name, entry.get("id") or rule.get("id"), f"output entry {text!r} does not compile: {exc}"))


def load_forms(sources: Iterable[SourceFile], deployed: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The uploaded forms, checked against each other and what is deployed, as they are stored (bounded)."""
    loaded: dict[str, tuple[SourceFile, Any]] = {}
    for source in sources:
        try:
            schema = json.loads(source.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(source.name, None, f"form is not valid JSON: {exc}"))
            continue
        except RecursionError:
            problems.append(Problem(source.name, None, "form is nested too deeply to read"))
            continue
        loaded[source.name.rsplit("/", 1)[-1]] = (source, schema)
    bundle = {**deployed, **{name: schema for name, (_source, schema) in loaded.items()}}
    forms: dict[str, Any] = {}
    for name, (source, schema) in loaded.items():
        messages, stored = checked_form(name, schema, bundle)
        problems.extend(Problem(source.name, None, f"form {message}") for message in messages)
        if stored is not None:
            forms[name] = stored
    return forms


def build_deployment(
    uploads: list[SourceFile],
    *,
    departments: Iterable[str],
    catalogue: DeployedCatalogue | None = None,
    serializer_registry: Any,
) -> list[ProcessBundle]:
    """Validate the uploaded files (with what is deployed already) and return one bundle per executable process.

    Raises DeploymentError listing every problem found; nothing is returned half-valid.
    """
    catalogue = catalogue or DeployedCatalogue()
    known_departments = set(departments)
    problems: list[Problem] = []
    bpmn: list[tuple[SourceFile, etree._Element]] = []
    dmn: list[tuple[SourceFile, etree._Element]] = []
    form_sources: list[SourceFile] = []

    if not uploads:
        raise DeploymentError([Problem("-", None, "no files given")])
    seen_names: set[str] = set()
    for source in uploads:
        if unstorable_char(source.name) is not None or len(source.name) > 255 or "/" in source.name:
            problems.append(Problem(source.name.encode("utf-8", "replace").decode()[:255], None,
                                    "the file name must be at most 255 characters, without '/', NUL or lone surrogates"))
            continue
        lower = source.name.lower()
        if source.name in seen_names:
            problems.append(Problem(source.name, None, "file given twice"))
            continue
        seen_names.add(source.name)
        if lower.endswith(".json"):
            form_sources.append(source)
            continue
        if not (lower.endswith(".bpmn") or lower.endswith(".dmn") or lower.endswith(".xml")):
            problems.append(Problem(source.name, None, "only .bpmn, .dmn and form .json files can be deployed"))
            continue
        try:
            root = parse_xml(source)
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(source.name, None, f"malformed XML at line {exc.lineno}: {exc.msg}"))
            continue
        structural = _structural_problems(source, root)
        if structural:
            problems.extend(structural)
            continue
        if etree.QName(root).namespace in OLD_DMN_NAMESPACES:
            problems.append(Problem(source.name, None, f"is {OLD_DMN_NAMESPACES[etree.QName(root).namespace]} "
                                    f"(namespace line {root.sourceline}): only DMN 1.3 is supported; "
                                    "save it as DMN 1.3 in Camunda Modeler"))
            continue
        if _is_dmn(root):
            ids = decision_ids(root)
            if len(ids) != 1:
                problems.append(Problem(source.name, None, f"a .dmn file must hold exactly one decision, found {len(ids)}"))
                continue
            dmn.append((source, root))
        elif etree.QName(root).namespace == BPMN_NS and etree.QName(root).localname == "definitions":
            try:
                VALIDATOR.validate(root, source.name)
            except ValidationException as exc:
                problems.append(Problem(source.name, exc.id or None, f"not valid BPMN 2.0 (XSD) at line {exc.line_number}: {exc}"))
                continue
            if not _executable_processes(root):
                problems.append(Problem(source.name, None, "holds no executable process (isExecutable is false or no process)"))
                continue
            bpmn.append((source, root))
        else:
            problems.append(Problem(source.name, None, (
                f"root element <{etree.QName(root).localname}> at line {root.sourceline} is in namespace "
                f"{etree.QName(root).namespace or '(none)'!r}, which is neither BPMN 2.0 ({BPMN_NS}) nor DMN 1.3 "
                f"({DMN_NAMESPACES[0]})")))

    for source, root in bpmn:
        _quote_bare_timers(root)
        _check_expressions_bpmn(source, root, problems)
    for source, root in dmn:
        _check_expressions_dmn(source, root, problems)
    uploaded_forms = load_forms(form_sources, catalogue.forms, problems)
    if problems:
        raise DeploymentError(problems)

    forms = {**catalogue.forms, **uploaded_forms}
    parser = BatonParser(validator=VALIDATOR)
    decision_files: dict[str, SourceFile] = {}
    uploaded_decisions = set()
    for source, root in dmn:
        decision_id = decision_ids(root)[0]
        if decision_id in uploaded_decisions:
            problems.append(Problem(source.name, decision_id, f"decision id {decision_id!r} is given by two uploaded files"))
            continue
        uploaded_decisions.add(decision_id)
        decision_files[decision_id] = source
        try:
            parser.add_dmn_xml(root, filename=source.name)
            parser.dmn_parsers[decision_id].parse()  # tables are otherwise parsed only when a process uses them
        except ValidationException as exc:
            problems.append(Problem(source.name, exc.id or decision_id, str(exc)))
        except Exception as exc:  # the DMN parser raises plain errors for malformed tables
            problems.append(Problem(source.name, decision_id, f"invalid decision table: {exc}"))
    for source in catalogue.dmn_files:
        root = parse_xml(source)
        decision_id = decision_ids(root)[0]
        if decision_id in decision_files:
            continue
        decision_files[decision_id] = source
        parser.add_dmn_xml(root, filename=source.name)

    process_files: dict[str, SourceFile] = {}
    roots: dict[str, etree._Element] = {}
    for source, root in bpmn:
        try:
            parser.add_bpmn_xml(root, filename=source.name)
        except ValidationException as exc:
            problems.append(Problem(source.name, exc.id or None, str(exc)))
            continue
        for process in root.iterfind(f"{{{BPMN_NS}}}process"):
            process_files[process.get("id")] = source
            roots[process.get("id")] = process
    if problems:
        raise DeploymentError(problems)
    # Already-deployed processes stay callable from the new files (call activities), unless the upload replaces them.
    uploaded_ids = set(parser.get_process_ids())
    for source in catalogue.bpmn_files:
        root = parse_xml(source)
        ids = {p.get("id") for p in root.iterfind(f"{{{BPMN_NS}}}process")}
        if ids & uploaded_ids:
            continue
        parser.add_bpmn_xml(root, filename=source.name)
        for process in root.iterfind(f"{{{BPMN_NS}}}process"):
            process_files.setdefault(process.get("id"), source)
            roots.setdefault(process.get("id"), process)

    bundles: list[ProcessBundle] = []
    for source, root in bpmn:
        for process in _executable_processes(root):
            process_id = process.get("id")
            bundle = _build_bundle(process_id, process, source, parser, process_files, roots, decision_files,
                                   forms, known_departments, serializer_registry, problems)
            if bundle is not None:
                bundles.append(bundle)
    if problems:
        raise DeploymentError(problems)
    return bundles


def _call_cycle(spec, subprocess_specs) -> list[tuple[str, str]] | None:
    """A chain of call activities that comes back to where it started, as (process, call activity id) steps."""
    specs = {spec.name: spec, **subprocess_specs}
    path: list[tuple[str, str]] = []
    on_path: set[str] = set()

    def visit(name: str) -> list[tuple[str, str]] | None:
        if name in on_path:
            return path[[p for p, _ in path].index(name):] + [(name, "")]
        on_path.add(name)
        for task_spec in specs.get(name).task_specs.values() if name in specs else ():
            if isinstance(task_spec, SubWorkflowTask) and task_spec.spec in specs:
                path.append((name, task_spec.bpmn_id))
                found = visit(task_spec.spec)
                if found:
                    return found
                path.pop()
        on_path.discard(name)
        return None

    return visit(spec.name)


def _build_bundle(process_id, process, source, parser, process_files, roots, decision_files, forms,
                  known_departments, registry, problems) -> ProcessBundle | None:
    before = len(problems)
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        problems.append(Problem(exc.file_name or source.name, exc.id or process_id, str(exc)))
        return None
    except Exception as exc:  # parser internals raise KeyError etc. for unresolved references
        problems.append(Problem(source.name, process_id, f"cannot be built: {exc.__class__.__name__}: {exc}"))
        return None

    cycle = _call_cycle(spec, subprocess_specs)
    if cycle:
        problems.append(Problem(process_files.get(cycle[0][0], source).name, cycle[0][1],
                                "calls itself, so an instance would never return: "
                                + " → ".join(name for name, _ in cycle)))
        return None
    used_files = {source.name: source}
    used_forms: dict[str, Any] = {}
    for sub_id in subprocess_specs:
        if sub_id in process_files:
            used_files[process_files[sub_id].name] = process_files[sub_id]
    all_specs = [spec, *subprocess_specs.values()]
    for wf_spec in all_specs:
        file_name = process_files.get(wf_spec.name, source).name
        for task_spec in wf_spec.task_specs.values():
            element = getattr(task_spec, "bpmn_id", None) or task_spec.name
            decision = (getattr(task_spec, "extensions", None) or {}).get("calledDecisionId")
            if decision and decision in decision_files:
                used_files[decision_files[decision].name] = decision_files[decision]
            if not is_user_task(task_spec):
                continue
            props = task_properties(task_spec)
            form_name = props.get("form")
            if form_name:
                if form_name not in forms:
                    problems.append(Problem(file_name, element, f"user task names form {form_name!r}, which is neither uploaded nor deployed"))
                else:
                    used_forms[form_name] = forms[form_name]
            actions = task_actions(task_spec)
            unknown = [a for a in actions if a not in ALL_ACTIONS]
            if unknown:
                problems.append(Problem(file_name, element, f"actions {unknown} are not among approve, reject, return"))
            if is_applicant_task(task_spec):
                continue
            if props.get("department_from"):
                continue  # decided at run time from the task's data (lead department, multi-instance item)
            department = task_department(task_spec, known_departments)
            if department not in known_departments:
                how = ("its lane" if task_spec.lane and department == task_spec.lane else "its department")
                problems.append(Problem(
                    file_name, element,
                    f"user task {task_title(task_spec)!r} names no known department ({how} is {department!r}); "
                    f"put it in a lane named by a department code, or give it a 'department' property or "
                    f"camunda:candidateGroups; known: {', '.join(sorted(known_departments))}",
                ))
    start_form = None
    for event in process.iter(f"{{{BPMN_NS}}}startEvent"):
        for prop in event.iter(f"{{{SPIFF_NS}}}property"):
            if prop.get("name") == "start_form":
                name = prop.get("value")
                if name not in forms:
                    problems.append(Problem(source.name, event.get("id"), f"start form {name!r} is neither uploaded nor deployed"))
                else:
                    start_form = forms[name]
                    used_forms[name] = start_form
    pending = list(used_forms.values())
    while pending:  # forms the used forms refer to travel with them
        for name in referenced_forms(pending.pop()):
            if name in forms and name not in used_forms:
                used_forms[name] = forms[name]
                pending.append(forms[name])
    if len(problems) > before:
        return None

    spec_dict = {
        "spec": registry.convert(spec),
        "subprocess_specs": {name: registry.convert(sub) for name, sub in subprocess_specs.items()},
    }
    digest = hashlib.sha256()
    for name in sorted(used_files):
        digest.update(name.encode() + b"\0" + used_files[name].content + b"\0")
    digest.update(json.dumps(used_forms, sort_keys=True, ensure_ascii=False).encode())
    documentation = process.findtext(f"{{{BPMN_NS}}}documentation") or ""
    return ProcessBundle(
        process_id=process_id,
        name=process.get("name") or process_id,
        description=documentation.strip(),
        content_hash=digest.hexdigest(),
        spec=spec_dict,
        forms=used_forms,
        start_form=start_form,
        sources=list(used_files.values()),
    )
