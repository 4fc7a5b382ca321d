"""Deployment of process definitions: parse BPMN/DMN/forms, validate everything that can fail later, serialize specs.

Nothing here touches the database: the caller passes in what is already deployed and stores what comes back.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.specs.defaults import UserTask

from .scripting import ScriptCompileError, compile_expression, compile_script

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
APPLICANT = "applicant"
DEFAULT_ACTIONS = ("approve", "reject", "return")
ALL_ACTIONS = frozenset(DEFAULT_ACTIONS)
# Properties whose values are Python expressions, compiled at deploy time like scripts and conditions.
EXPRESSION_PROPERTIES = ("time_limit", "department_from", "bar_enterprise")
APPLICATION_STATUSES = ("in_review", "awaiting_supplement", "rectifying", "approved", "rejected", "withdrawn", "revoked")


@dataclass(frozen=True)
class Problem:
    """One reason a deployment is refused, named by file and BPMN/DMN element."""

    file: str
    element_id: str | None
    message: str


class DeploymentError(Exception):
    def __init__(self, problems: list[Problem]):
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


# ---------------------------------------------------------------- building a deployment


def _line(node: etree._Element) -> str:
    return f" (line {node.sourceline})" if getattr(node, "sourceline", None) else ""


def _parse_xml(source: SourceFile) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    return etree.fromstring(source.content, parser)


def _is_dmn(root: etree._Element) -> bool:
    return etree.QName(root).namespace in DMN_NAMESPACES


def _decision_ids(root: etree._Element) -> list[str]:
    ns = etree.QName(root).namespace
    return [d.get("id") for d in root.findall(f"{{{ns}}}decision")]


def _executable_processes(root: etree._Element) -> list[etree._Element]:
    return [p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("isExecutable", "true").lower() != "false"]


def _check_expressions_bpmn(source: SourceFile, root: etree._Element, problems: list[Problem]) -> None:
    """Every condition, script and expression property must compile under the restricted environment."""

    def check(element_id: str | None, text: str | None, what: str, script: bool = False) -> None:
        if text is None or not text.strip():
            return
        try:
            compile_script(text) if script else compile_expression(text)
        except ScriptCompileError as exc:
            problems.append(Problem(source.name, element_id, f"{what} does not compile: {exc}"))

    for cond in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        flow = cond.getparent()
        check(flow.get("id"), cond.text, "condition")
    for script_task in root.iter(f"{{{BPMN_NS}}}scriptTask"):
        script = script_task.find(f"{{{BPMN_NS}}}script")
        check(script_task.get("id"), script.text if script is not None else None, "script", script=True)
    for tag in ("timeDuration", "timeDate", "timeCycle", "condition", "loopCardinality", "completionCondition"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            owner = node.getparent()
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            check(owner.get("id") if owner is not None else None, node.text, tag)
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        owner = prop.getparent().getparent().getparent()
        name, value = prop.get("name"), prop.get("value")
        if name in EXPRESSION_PROPERTIES:
            check(owner.get("id"), value, name)
        elif name == "application_status" and value not in APPLICATION_STATUSES:
            problems.append(Problem(source.name, owner.get("id"),
                                    f"application_status {value!r} is not one of {', '.join(APPLICATION_STATUSES)}"))


def _check_expressions_dmn(source: SourceFile, root: etree._Element, problems: list[Problem]) -> None:
    ns = etree.QName(root).namespace
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


def check_form(name: str, schema: Any) -> list[str]:
    """A task or start form must be a JSON Schema whose first example fits it."""
    if not isinstance(schema, dict):
        return ["is not a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"is not a valid JSON Schema: {exc.message}"]
    examples = schema.get("examples")
    if not isinstance(examples, list) or not examples:
        return ["needs an 'examples' list whose first entry is valid"]
    errors = sorted(Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(examples[0]), key=str)
    return [f"first example is invalid at '{'.'.join(map(str, e.absolute_path)) or '(root)'}': {e.message}" for e in errors]


def load_forms(sources: Iterable[SourceFile], problems: list[Problem]) -> dict[str, Any]:
    forms: dict[str, Any] = {}
    for source in sources:
        try:
            schema = json.loads(source.content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(Problem(source.name, None, f"form is not valid JSON: {exc}"))
            continue
        for message in check_form(source.name, schema):
            problems.append(Problem(source.name, None, f"form {message}"))
        forms[source.name.rsplit("/", 1)[-1]] = schema
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
            root = _parse_xml(source)
        except etree.XMLSyntaxError as exc:
            problems.append(Problem(source.name, None, f"malformed XML at line {exc.lineno}: {exc.msg}"))
            continue
        if _is_dmn(root):
            ids = _decision_ids(root)
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
            problems.append(Problem(source.name, None, f"root element {root.tag} is neither BPMN 2.0 definitions nor DMN"))

    for source, root in bpmn:
        _check_expressions_bpmn(source, root, problems)
    for source, root in dmn:
        _check_expressions_dmn(source, root, problems)
    uploaded_forms = load_forms(form_sources, problems)
    if problems:
        raise DeploymentError(problems)

    forms = {**catalogue.forms, **uploaded_forms}
    parser = BatonParser(validator=VALIDATOR)
    decision_files: dict[str, SourceFile] = {}
    uploaded_decisions = set()
    for source, root in dmn:
        decision_id = _decision_ids(root)[0]
        if decision_id in uploaded_decisions:
            problems.append(Problem(source.name, decision_id, f"decision id {decision_id!r} is given by two uploaded files"))
            continue
        uploaded_decisions.add(decision_id)
        decision_files[decision_id] = source
        try:
            parser.add_dmn_xml(root, filename=source.name)
        except ValidationException as exc:
            problems.append(Problem(source.name, exc.id or decision_id, str(exc)))
        except Exception as exc:  # the DMN parser raises plain errors for malformed tables
            problems.append(Problem(source.name, decision_id, f"invalid decision table: {exc}"))
    for source in catalogue.dmn_files:
        root = _parse_xml(source)
        decision_id = _decision_ids(root)[0]
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
        root = _parse_xml(source)
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
            department = task_department(task_spec, known_departments)
            if not department and props.get("department_from"):
                continue  # multi-instance child: the department is in each item's data
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
