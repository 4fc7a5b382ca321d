"""Deployment against the shared corpus of real BPMN/DMN models (../shared/bpmn-corpus, read in place).

Every model file is deployed alone with `build_deployment` (and a few natural groups together). For each:

1. the outcome is a list of bundles or a DeploymentError: any other exception fails the test;
2. a refusal points at something a modeller can find: non-empty problems, each with a message, the name of
   an uploaded file and, where it names an element, an id that exists in that file's XML; whole-element
   problems without an id give a line (for the root element or its namespace, the line of its start tag); no Python
   object reprs, no server-side schema errors, no duplicates;
3. the outcome matches EXPECTED (accept, or a substring of one refusal message), so a change of behaviour fails;
4. an accepted bundle's spec round-trips through `workflows.instances.process_spec`, keeps every flow node of
   the XML, calls no process recursively, and has no task an instance would stall on or crash at.

Known app bugs are marked `xfail(strict=True, raises=<the violation class>)`: the test still asserts the correct
behaviour, fails loudly if a *different* check breaks, and XPASSes (so fails) once the bug is fixed — then remove
the marker (and tighten an `ANY_REFUSAL` or partial expectation to the new message).

Baton's own checks (repeated or missing ids, old DMN versions, service tasks, business rule tasks without a
spiffworkflow:calledDecisionId) run before SpiffWorkflow's parser, so a file with several faults is pinned by
those, and SpiffWorkflow's own messages for it only show once they are fixed.

Run with `-s` (or `-rP`) to see the summary table printed by `test_corpus_summary`.
"""
from __future__ import annotations

import collections
import json
import re
import traceback
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from workflows.definitions import DeploymentError, ProcessBundle, SourceFile, build_deployment, is_pass_through, is_user_task
from workflows.instances import REGISTRY, process_spec

pytestmark = pytest.mark.timeout(60)

CORPUS = "bpmn-corpus"
DEPARTMENTS = (
    "service-window", "development-reform", "natural-resources", "real-estate-registry",
    "ecology-environment", "water-affairs", "housing-construction",
)
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent", "boundaryEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "exclusiveGateway", "parallelGateway", "inclusiveGateway",
    "eventBasedGateway", "complexGateway",
}
ACCEPT = "accept"
ANY_REFUSAL = object()  # refused, message not pinned yet (the current outcome is a known bug: see KNOWN_BUGS)
NO_EXECUTABLE = "holds no executable process"


def no_department(title: str) -> str:
    return f"user task {title!r} names no known department"


# ---------------------------------------------------------------- what each file does today (run, then pinned)
# file (relative to the corpus) -> ACCEPT | ANY_REFUSAL | text found in one problem, read as "<element_id or ->: <message>"
# | a list of such texts, each found in some problem

EXPECTED: dict[str, object] = {
    # SpiffWorkflow unit-test data
    "SpiffWorkflow/Approvals.bpmn": ACCEPT,
    "SpiffWorkflow/DMNMultiInstance.bpmn":
        ["Task_067fajl: business rule task names no decision: add <spiffworkflow:calledDecisionId>",
         "camunda:decisionRef='IntegerDecisionStringOutputTable' is Camunda's form, not read here"],
    "SpiffWorkflow/MessageBoundary.bpmn": no_department("Interrupt Work?") + " (its lane is 'Boss')",
    "SpiffWorkflow/business_rule_task.bpmn": 'Activity_0diq2z1: No DMN Diagram available with id "decision_1"',
    "SpiffWorkflow/business_rules.dmn": ACCEPT,
    "SpiffWorkflow/call_activity_level_2.bpmn": "Level2: The process 'Level3' was not found",
    "SpiffWorkflow/call_activity_level_2b.bpmn": ACCEPT,
    "SpiffWorkflow/call_activity_level_3.bpmn": "Activity_12zat0d: calls itself, so an instance would never return: Level3 → Level3",
    "SpiffWorkflow/call_activity_nested.bpmn": 'No DMN Diagram available with id "Level2c"',
    "SpiffWorkflow/collect_hit.dmn": ACCEPT,
    "SpiffWorkflow/conditional_event.bpmn": ACCEPT,
    "SpiffWorkflow/correlation.bpmn": ACCEPT,
    "SpiffWorkflow/error_event_payload.bpmn": ACCEPT,
    "SpiffWorkflow/event-gateway.bpmn": ACCEPT,
    "SpiffWorkflow/financial.dmn": "a .dmn file must hold exactly one decision, found 0",
    "SpiffWorkflow/inclusive_gateway.bpmn": no_department("Set Data"),
    "SpiffWorkflow/invalid_cancel.bpmn": "Cancel Events may only be used with transactions",
    "SpiffWorkflow/lanes.bpmn": [no_department("Request Feature") + " (its lane is 'A')", "(its lane is 'B')"],
    "SpiffWorkflow/level2c.dmn": ACCEPT,
    "SpiffWorkflow/non-executable-process.bpmn": NO_EXECUTABLE,
    "SpiffWorkflow/standard_loop.bpmn": ACCEPT,
    "SpiffWorkflow/timer-non-interrupt-boundary.bpmn": [no_department("Delay Reason"), no_department("Work Done?")],
    "SpiffWorkflow/transaction.bpmn": no_department("Get Data"),
    # bpmn-js fixtures (many drawing-only or deliberately broken)
    "bpmn-js/01_replace.bpmn": NO_EXECUTABLE,
    "bpmn-js/activity-markers-simple.bpmn": NO_EXECUTABLE,
    "bpmn-js/boundaryEvent-missingAttachToRef.bpmn": ["not valid BPMN 2.0 (XSD) at line 5", "'attachedToRef' is required"],
    "bpmn-js/cancel-events.bpmn": NO_EXECUTABLE,
    "bpmn-js/complex.bpmn": ["not valid BPMN 2.0 (XSD) at line 641", "isCollection"],
    "bpmn-js/default-attrs.bpmn": "malformed XML at line 1",
    "bpmn-js/duplicate-ids.bpmn": "test: id 'test' is used more than once (lines 8, 9)",
    "bpmn-js/empty-definitions.bpmn": NO_EXECUTABLE,
    "bpmn-js/event-subprocesses-expanded.bpmn": ["not valid BPMN 2.0 (XSD) at line 9", "targetNamespace"],
    "bpmn-js/events-interrupting.bpmn": NO_EXECUTABLE,
    "bpmn-js/gateways.bpmn": NO_EXECUTABLE,
    "bpmn-js/kitchen-sink.bpmn": ["Activity_1ketqts: business rule task names no decision", "Activity_1ldvx66: service tasks are not supported"],
    "bpmn-js/link-event.bpmn": ["not valid BPMN 2.0 (XSD) at line 9", "linkEventDefinition"],
    "bpmn-js/missing-namespace.bpmn": "root element <definitions> at line 2 is in namespace '(none)', which is neither BPMN 2.0",
    "bpmn-js/multiple-nested-processes.bpmn": "malformed XML at line 4: Namespace prefix bpmn on subProcess is not defined",
    "bpmn-js/pools-with-collection-marker.bpmn": NO_EXECUTABLE,
    # BPMN MIWG reference models and tool exports
    "bpmn-miwg-test-suite/ARIS 10.2025.07__C.2.0-export.bpmn": "Non-default exclusive outgoing sequence flow without condition",
    "bpmn-miwg-test-suite/Activiti Designer 5.14.1__A.2.0-export.bpmn": "Non-default exclusive outgoing sequence flow without condition",
    "bpmn-miwg-test-suite/Bizagi Modeler 2.8.0.8__A.3.0-roundtrip.bpmn": "No start event found",
    "bpmn-miwg-test-suite/Bonita BPM 7.2.3__A.2.0-export.bpmn":
        "_YJpX6rWOEeaTvLEWv0tJ7A: condition is in 'http://www.w3.org/1999/XPath'; Baton runs Python conditions",
    "bpmn-miwg-test-suite/Camunda Eclipse Plugin 3.0.0__B.1.0-export.bpmn": ["not valid BPMN 2.0 (XSD) at line 109", "dataInputAssociation"],
    "bpmn-miwg-test-suite/Cardanit (prev. BeePMN) 4.9.1__C.5.0-export.bpmn": ["not valid BPMN 2.0 (XSD) at line 463", "dataInputAssociation"],
    "bpmn-miwg-test-suite/IBM Process Designer 8.0.1__A.3.0-export.bpmn": ["malformed XML at line 2", "is not a valid URI"],
    "bpmn-miwg-test-suite/OMNITRACKER BPMN 12.3__A.2.0-export.bpmn": ["not valid BPMN 2.0 (XSD) at line 47", "schemaObjectDescription"],
    "bpmn-miwg-test-suite/Reference__A.1.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__A.2.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__A.3.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__A.4.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__B.1.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__B.2.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__C.1.0.bpmn": ["invoiceApproved: condition '${approved}' is JUEL", "Baton expects Python, e.g. 'approved'",
                                                   "invoiceNotApproved: condition '${!approved}' is JUEL (Camunda's expression language); Baton expects Python, e.g. 'not approved'"],
    "bpmn-miwg-test-suite/Reference__C.1.1.bpmn": "invoiceApproved: condition does not compile",
    "bpmn-miwg-test-suite/Reference__C.2.0.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Reference__C.3.0.bpmn": "_be893987-caec-4605-b078-bd96b7cd6c12: condition does not compile",
    "bpmn-miwg-test-suite/Reference__C.4.0.bpmn": "_9db2d136-aa33-4de2-be76-554e7843363d: service tasks are not supported",
    "bpmn-miwg-test-suite/Reference__C.5.0.bpmn": "data store 'Bank System' (line 5) is not supported",
    "bpmn-miwg-test-suite/Reference__C.6.0.bpmn": "_3a2f133c-3ae1-4e21-94b5-6e8cf51acd74: service tasks are not supported",
    "bpmn-miwg-test-suite/Reference__C.7.0.bpmn":
        ["_eae674ce-4d6e-48ac-819c-c79e0868e40d: business rule task names no decision",
         "_64eabfe9-6947-43eb-ac45-8d331745f86c: service tasks are not supported"],
    "bpmn-miwg-test-suite/Reference__C.8.1.bpmn": "_0a1c4f20-509f-4aeb-baf9-acc762f4fdf9: condition is in 'https://www.omg.org/spec/DMN/20191111/FEEL/'",
    "bpmn-miwg-test-suite/Reference__C.9.0.bpmn": "SequenceFlow_Red: condition does not compile",
    "bpmn-miwg-test-suite/Reference__C.9.1.bpmn": no_department("Call customer"),
    "bpmn-miwg-test-suite/Reference__C.9.2.bpmn": "SequenceFlow_Yes: condition does not compile",
    "bpmn-miwg-test-suite/SAP Signavio Process Manager 19.9.0__A.4.0-export.bpmn": NO_EXECUTABLE,
    "bpmn-miwg-test-suite/Trisotech Workflow Modeler 12.6.3__C.6.0-export.bpmn":
        "_f16dbec3-7773-44cd-8691-9ce9851521a2: service tasks are not supported",
    "bpmn-miwg-test-suite/Yaoqiang BPMN Editor 4.0__A.4.0-export.bpmn": "Multiple outgoing flows are not supported",
    "bpmn-miwg-test-suite/bpmn.io (Camunda Modeler) 18.6.1__B.2.0-export.bpmn": "Activity_00kk0w1: service tasks are not supported",
    # Camunda 7 examples (JUEL expressions, Groovy scripts, service tasks, candidate groups)
    "camunda-bpm-examples/bpmn-model-api__parse-bpmn__src__test__resources__process.bpmn":
        ["flow3: condition \"${foo != 'bar'}\" is JUEL", "scriptTask: scriptFormat 'groovy': Baton runs Python scripts only"],
    "camunda-bpm-examples/camunda-testing-job-announcement-publication.bpmn": "Flow_0zn9zem: condition '#{twitter}' is JUEL",
    "camunda-bpm-examples/camunda-testing-job-announcement.bpmn": "Flow_1gfi885: condition '#{approved}' is JUEL",
    "camunda-bpm-examples/dinnerDecisions.dmn": ["is DMN 1.1 (namespace line 3)", "only DMN 1.3 is supported; save it as DMN 1.3 in Camunda Modeler"],
    "camunda-bpm-examples/invoicePayment.bpmn": no_department("Pay Invoice"),
    "camunda-bpm-examples/invokeRestService.bpmn": "SequenceFlow_3: condition '${isHoliday}' is JUEL",
    "camunda-bpm-examples/loan-granting.bpmn": ["SequenceFlow_17zmvol: condition '${score > 5}' is JUEL", "StartEvent_1: timeCycle does not compile"],
    "camunda-bpm-examples/mainProcess.bpmn": "The process 'subProcess' was not found",
    "camunda-bpm-examples/message_start_process.bpmn": no_department("Wait in Message Process"),
    "camunda-bpm-examples/order-handling.bpmn": ["StartEvent_1: timeCycle does not compile", "BoundaryEvent_1y1bvad: condition does not compile"],
    "camunda-bpm-examples/quarkus-extension__spin-plugin-example__src__main__resources__process.bpmn":
        "Activity_0x1k9u4: service tasks are not supported",
    "camunda-bpm-examples/subProcess.bpmn": no_department("task in default subprocess"),
    # Camunda Modeler fixtures (Camunda 7 and 8, DMN 1.1/1.3; only DMN 1.3 is deployable)
    "camunda-modeler/activiti.bpmn": "No start event found",
    "camunda-modeler/bar.bpmn": "BusinessRuleTask_1: business rule task names no decision",  # it has zeebe:calledDecision
    "camunda-modeler/baz.dmn": "a .dmn file must hold exactly one decision, found 3",
    "camunda-modeler/broken.bpmn": "malformed XML at line 5: Opening and ending tag mismatch",
    "camunda-modeler/collaboration_not_executable.bpmn": NO_EXECUTABLE,
    "camunda-modeler/complex.bpmn": NO_EXECUTABLE,
    "camunda-modeler/complex.dmn": ["is DMN 1.1 (namespace line 2)", "only DMN 1.3 is supported; save it as DMN 1.3 in Camunda Modeler"],
    "camunda-modeler/diagram.dmn": "a .dmn file must hold exactly one decision, found 3",
    "camunda-modeler/diagram11.dmn": ["is DMN 1.1 (namespace line 2)", "only DMN 1.3 is supported; save it as DMN 1.3 in Camunda Modeler"],
    "camunda-modeler/empty.bpmn": "malformed XML at line 1: Document is empty",
    "camunda-modeler/foo.bpmn": 'No "calledElement" attribute for Call Activity',
    "camunda-modeler/illegal-whitespace.bpmn": ["not valid BPMN 2.0 (XSD) at line 2", "targetNamespace"],
    "camunda-modeler/lint-errors.bpmn": ["Activity_0h20swu: business rule task names no decision", "Activity_1v4xdzk: service tasks are not supported"],
    "camunda-modeler/zeebe-camunda-mixed.bpmn": ACCEPT,
    "camunda-modeler/zeebe.bpmn": ACCEPT,
    # Flowable engine test resources (JUEL, Groovy, flowable:/activiti: extensions)
    "flowable-engine/AdhocSubProcessTest.testFlowsInAdhocSubProcess.bpmn20.xml": "adhocSubProcess: completionCondition does not compile",
    "flowable-engine/BoundaryErrorEventTest.testCatchErrorInConcurrentEmbeddedSubprocesses.bpmn20.xml": no_department("task D"),
    "flowable-engine/BoundaryTimerEventRepeatWithDurationTest.testRepeatWithDuration.bpmn20.xml": "processStartedScript: script does not compile",
    "flowable-engine/BpmnParseTest.testInvalidProcessDefinition.bpmn20.xml": ["not valid BPMN 2.0 (XSD) at line 7", "'invalidAttribute' is not allowed"],
    "flowable-engine/BpmnParseTest.testParseWithBpmnNamespacePrefix.bpmn20.xml": no_department("my task"),
    "flowable-engine/CallActivity.testCallSimpleSubProcess.bpmn20.xml": "The process 'simpleSubProcess' was not found",
    "flowable-engine/CompensateEventTest.testCompensateScope.bpmn20.xml":
        "-: <sequenceFlow> from 'start' to 'fork' at line 11 has no id; every flow element needs one",
    "flowable-engine/ConditionalEventSubprocessTest.testSimpleInterruptingEventSubProcess.bpmn20.xml": "eventSubProcessConditionalStart: condition does not compile",
    "flowable-engine/ConditionalIntermediateCatchEventTest.testConditionalIntermediateCatchEvent.bpmn20.xml": "catchConditional: condition does not compile",
    "flowable-engine/EscalationEventSubProcessTest.testCatchEscalationInEmbeddedSubProcess.bpmn20.xml": "A SubWorkflow Must contain an End event",
    "flowable-engine/EventBasedGatewayTest.testCatchSignalAndMessageAndTimer.bpmn20.xml":
        "-: <sequenceFlow> from 'start' to 'gw1' at line 18 has no id",
    "flowable-engine/HitPolicyCollectTest.collectHitPolicySUM.dmn": "is DMN 1.2 (namespace line 1): only DMN 1.3 is supported",
    "flowable-engine/InclusiveGatewayTest.testJoinAfterSubprocesses.bpmn20.xml": "flow6: condition '${a==1}' is JUEL",
    "flowable-engine/MessageBoundaryEventTest.testSingleBoundaryMessageEventWithBoundaryTimerEvent.bpmn20.xml":
        "-: <sequenceFlow> from 'theStart' to 'task' at line 13 has no id",
    "flowable-engine/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn20.xml": "miTasks: completionCondition does not compile",
    "flowable-engine/ParallelGatewayTest.testRecyclingExecutionWithCallActivity.bpmn20.xml": [no_department("Some Task"), no_department("Another task")],
    "flowable-engine/TransactionSubProcessTest.testSimpleCase.bpmn20.xml": "-: <sequenceFlow> from 'start' to 'tx' at line 11 has no id",
    "flowable-engine/evaluateMortgageRequestService.dmn": "is DMN 1.2 (namespace line 2): only DMN 1.3 is supported",
    "flowable-engine/risk_rating_spec_example.dmn":  # Flowable's DMN 1.1 namespace without /dmn.xsd
        "is DMN 1.1 (namespace line 1): only DMN 1.3 is supported",
    "flowable-engine/simpleSubProcess.bpmn20.xml": no_department("Task in subprocess"),
}

# Natural groups deployed together: name -> (files, expectation)
GROUPS: dict[str, tuple[list[str], object]] = {
    "spiff-call-activities-all": (
        ["SpiffWorkflow/call_activity_nested.bpmn", "SpiffWorkflow/call_activity_level_2.bpmn",
         "SpiffWorkflow/call_activity_level_2b.bpmn", "SpiffWorkflow/call_activity_level_3.bpmn", "SpiffWorkflow/level2c.dmn"],
        "Duplicate process ID: Level2",  # upstream quirk: level_2b declares process id Level2 too
    ),
    "spiff-call-activities-nested": (
        ["SpiffWorkflow/call_activity_nested.bpmn", "SpiffWorkflow/call_activity_level_2.bpmn",
         "SpiffWorkflow/call_activity_level_3.bpmn", "SpiffWorkflow/level2c.dmn"],
        # level2c.dmn's decision id is Decision_0vrtcmk (Level2c is its definitions id); Level2b exists nowhere
        ['No DMN Diagram available with id "Level2c", Available DMN ids are: Decision_0vrtcmk', "The process 'Level2b' was not found"],
    ),
    "spiff-level-2-and-3": (
        ["SpiffWorkflow/call_activity_level_2.bpmn", "SpiffWorkflow/call_activity_level_3.bpmn"],
        "The process 'Level2b' was not found",
    ),
    "spiff-business-rule-task": (["SpiffWorkflow/business_rule_task.bpmn", "SpiffWorkflow/business_rules.dmn"], ACCEPT),
    "spiff-dmn-files": (["SpiffWorkflow/business_rules.dmn", "SpiffWorkflow/collect_hit.dmn", "SpiffWorkflow/level2c.dmn"], ACCEPT),
    "all-dmn-files": (
        sorted(f for f in EXPECTED if f.endswith(".dmn")),
        ["found 0", "found 3", "is DMN 1.1", "is DMN 1.2 (namespace line 1)",
         "is DMN 1.2 (namespace line 2)"],
    ),
    "camunda-main-and-sub-process": (
        ["camunda-bpm-examples/mainProcess.bpmn", "camunda-bpm-examples/subProcess.bpmn"],
        no_department("task in default subprocess"),
    ),
    "camunda-job-announcement": (
        ["camunda-bpm-examples/camunda-testing-job-announcement.bpmn",
         "camunda-bpm-examples/camunda-testing-job-announcement-publication.bpmn"],
        ["Flow_1gfi885: condition '#{approved}' is JUEL", "Flow_0zn9zem: condition '#{twitter}' is JUEL"],
    ),
    "camunda-modeler-foo-bar-baz": (
        ["camunda-modeler/foo.bpmn", "camunda-modeler/bar.bpmn", "camunda-modeler/baz.dmn"],
        "a .dmn file must hold exactly one decision, found 3",
    ),
    "flowable-call-activity": (
        ["flowable-engine/CallActivity.testCallSimpleSubProcess.bpmn20.xml", "flowable-engine/simpleSubProcess.bpmn20.xml"],
        [no_department("Task before subprocess"), no_department("Task in subprocess")],
    ),
    "same-name-twice": (["bpmn-js/complex.bpmn", "camunda-modeler/complex.bpmn"], "file given twice"),
}


# ---------------------------------------------------------------- violations: one class per property checked


class Violation(AssertionError):
    """A deployment outcome that breaks one of the properties this module checks."""


class KnownBug(Violation):
    """A violation some known app bug produces today; each xfail names its exact class in `raises`."""


class NotInUploads(Violation): ...
class EmptyMessage(Violation): ...
class ElementNotInFile(Violation): ...
class DepartmentsNotListed(Violation): ...
class NoLocation(KnownBug): ...
class ObjectRepr(KnownBug): ...
class DuplicateProblem(KnownBug): ...
class MisleadingNone(KnownBug): ...
class ServerSchemaError(KnownBug): ...
class DuplicateIdUnclear(KnownBug): ...
class RootElementUnclear(KnownBug): ...
class SilentlyDropped(KnownBug): ...
class RecursiveCall(KnownBug): ...
class StallingTask(KnownBug): ...
class ServiceTaskAccepted(KnownBug): ...
class WrongLine(KnownBug): ...



KNOWN_BUGS: dict[str, tuple[type[KnownBug], str]] = {
}

KNOWN_GROUP_BUGS: dict[str, tuple[type[KnownBug], str]] = {
}

WHOLE_FILE_MESSAGES = (NO_EXECUTABLE, "must hold exactly one decision", "file given twice", "only .bpmn, .dmn",
                       "no files given", "root element")
OBJECT_REPR = re.compile(r"<[\w{}:/.\- ]+ (object )?at 0x[0-9a-fA-F]+>")
FILE_LINE = re.compile(r"\bline \d+")  # lower case: RestrictedPython's "Line 1:" is the line inside the expression
LINE_NUMBER = re.compile(r"\bline (\d+)")
NAMESPACE_WORD = re.compile(r"\bnamespace\b")  # lower case: not XSD's "targetNamespace" nor libxml2's "Namespace prefix"
PROLOG = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*", re.S)
DUPLICATE_WORDS = ("duplicate", "twice", "more than once", "already")


# ---------------------------------------------------------------- helpers


def corpus_files(shared: Path) -> list[str]:
    root = shared / CORPUS
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.name.lower().endswith((".bpmn", ".dmn", ".xml")))


def load(shared: Path, rel: str) -> SourceFile:
    """The upload as a modeller would send it: the file's own name, its bytes unchanged."""
    path = shared / CORPUS / rel
    return SourceFile(path.name, path.read_bytes())


def deploy(sources: list[SourceFile]) -> tuple[str, object]:
    """('accept', bundles) | ('refuse', problems) | ('crash', traceback)."""
    try:
        bundles = build_deployment(sources, departments=DEPARTMENTS, serializer_registry=REGISTRY)
    except DeploymentError as exc:
        return "refuse", exc.problems
    except Exception:  # noqa: BLE001 - anything else is the bug this module looks for
        return "crash", traceback.format_exc()
    return "accept", bundles


def xml_root(source: SourceFile) -> etree._Element | None:
    try:
        return etree.fromstring(source.content, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def root_tag_lines(source: SourceFile, root: etree._Element) -> range:
    """The lines of the root element's start tag, where its namespace is declared (lxml's sourceline is the last)."""
    first = source.content[:PROLOG.match(source.content).end()].count(b"\n") + 1
    return range(first, root.sourceline + 1)


def has_id(source: SourceFile, element_id: str) -> bool:
    root = xml_root(source)
    return root is not None and bool(root.xpath("//*[@id=$i]", i=element_id))


def refusal_violations(sources: list[SourceFile], problems: list) -> list[Violation]:
    found: list[Violation] = []
    by_name: dict[str, list[SourceFile]] = collections.defaultdict(list)
    for source in sources:
        by_name[source.name].append(source)
    if not problems:
        found.append(EmptyMessage("DeploymentError with no problems"))
    for problem in problems:
        where = f"{problem.file}:{problem.element_id}: {problem.message!r}"
        message = problem.message or ""
        if problem.file not in by_name:
            found.append(NotInUploads(f"{where}: file is not one of {sorted(by_name)}"))
        if not message.strip():
            found.append(EmptyMessage(f"{where}: empty message"))
        if problem.element_id is not None and not any(has_id(s, problem.element_id) for s in by_name.get(problem.file, ())):
            found.append(ElementNotInFile(f"{where}: no element with id {problem.element_id!r} in {problem.file}"))
        if "names no known department" in message and not all(code in message for code in DEPARTMENTS):
            found.append(DepartmentsNotListed(f"{where}: the known department codes are not all listed"))
        if problem.element_id is None and not FILE_LINE.search(message) and not any(w in message for w in WHOLE_FILE_MESSAGES):
            found.append(NoLocation(f"{where}: names neither an element id nor a line of the file"))
        if OBJECT_REPR.search(message):
            found.append(ObjectRepr(f"{where}: shows a Python object repr instead of what the modeller can find"))
        if 'id "None"' in message or "'None'" in message:
            found.append(MisleadingNone(f"{where}: refers to a reference named None"))
        if "{http://www.w3.org/2001/XMLSchema}" in message or "does not resolve to a(n) element decl" in message:
            found.append(ServerSchemaError(f"{where}: an error loading the server's own XML schema, blamed on the file"))
        if message.startswith("root element") and not ("namespace" in message and FILE_LINE.search(message)):
            found.append(RootElementUnclear(f"{where}: must say which namespace is wrong or missing, and the line"))
        if problem.element_id is None and NAMESPACE_WORD.search(message) and LINE_NUMBER.search(message):
            cited = {int(n) for n in LINE_NUMBER.findall(message)}
            for source in by_name.get(problem.file, ()):
                root = xml_root(source)
                lines = root_tag_lines(source, root) if root is not None else None
                if lines and not cited & set(lines):
                    span = f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]}-{lines[-1]}"
                    found.append(WrongLine(f"{where}: the root element (its namespace) is at {span}, not {sorted(cited)}"))
    for problem, count in collections.Counter(problems).items():
        if count > 1:
            found.append(DuplicateProblem(f"{problem.file}:{problem.element_id}: reported {count} times: {problem.message[:100]!r}"))
    for source in sources:
        root = xml_root(source)
        if root is None:
            continue
        counts = collections.Counter(root.xpath("//@id"))
        duplicated = sorted(i for i, n in counts.items() if n > 1)
        if duplicated and not any(any(w in p.message.lower() for w in DUPLICATE_WORDS) for p in problems):
            found.append(DuplicateIdUnclear(f"{source.name}: ids {duplicated} occur more than once, no message says so"))
    return found


def spec_ids(restored) -> set[str]:
    ids = set()
    for wf_spec in [restored.spec, *restored.subprocess_specs.values()]:
        ids.update(t.bpmn_id for t in wf_spec.task_specs.values() if getattr(t, "bpmn_id", None))
    return ids


def call_cycle(restored, start: str) -> list[str] | None:
    specs = {restored.spec.name: restored.spec, **restored.subprocess_specs}
    edges = {name: sorted({t.spec for t in s.task_specs.values() if isinstance(t, SubWorkflowTask)}) for name, s in specs.items()}
    path: list[str] = []

    def visit(name: str) -> list[str] | None:
        if name in path:
            return path[path.index(name):] + [name]
        path.append(name)
        for callee in edges.get(name, ()):
            cycle = visit(callee)
            if cycle:
                return cycle
        path.pop()
        return None

    return visit(start)


def bundle_violations(sources: list[SourceFile], bundle: ProcessBundle, key: str) -> list[Violation]:
    """Round trip (a plain failure if it raises), then the properties of an accepted process."""
    found: list[Violation] = []
    restored = process_spec(key, json.dumps(bundle.spec))
    assert restored.spec.name == bundle.process_id
    assert bundle.content_hash and bundle.sources and {s.name for s in bundle.sources} <= {s.name for s in sources}
    in_spec = spec_ids(restored)
    for source in sources:
        root = xml_root(source)
        for process in (root.iterfind(f"{{{BPMN_NS}}}process") if root is not None else ()):
            if process.get("id") != bundle.process_id:
                continue
            nodes = {e.get("id") for e in process.iter() if isinstance(e.tag, str)
                     and etree.QName(e).namespace == BPMN_NS and etree.QName(e).localname in FLOW_NODES}
            missing = sorted(n for n in nodes if n and n not in in_spec)
            if missing:
                found.append(SilentlyDropped(f"{source.name}:{bundle.process_id}: flow nodes not in the deployed spec: {missing}"))
    cycle = call_cycle(restored, bundle.process_id)
    if cycle:
        found.append(RecursiveCall(f"{bundle.process_id}: calls itself: {' -> '.join(cycle)}"))
    for wf_spec in [restored.spec, *restored.subprocess_specs.values()]:
        for task_spec in wf_spec.task_specs.values():
            if getattr(task_spec, "manual", False) and not is_user_task(task_spec) and not is_pass_through(task_spec):
                found.append(StallingTask(f"{wf_spec.name}:{task_spec.bpmn_id}: {type(task_spec).__name__} waits for a person "
                                          f"but is no user task: not in any inbox, cannot be completed"))
            if isinstance(task_spec, ServiceTask):
                found.append(ServiceTaskAccepted(f"{wf_spec.name}:{task_spec.bpmn_id}: service tasks fail at run time"))
    return found


def matches(problems: list, expected: object) -> bool:
    """Each wanted text is in some problem, read as '<element_id or ->: <message>' (so it can pin the element)."""
    if expected is ANY_REFUSAL:
        return True
    wanted = expected if isinstance(expected, list) else [expected]
    return all(any(w in f"{p.element_id or '-'}: {p.message}" for p in problems) for w in wanted)


def check(label: str, sources: list[SourceFile], expected: object, known: type[KnownBug] | None) -> None:
    outcome, result = deploy(sources)
    if outcome == "crash":
        pytest.fail(f"{label}: build_deployment raised something other than DeploymentError:\n{result}", pytrace=False)
    if outcome == "accept":
        found = [v for i, b in enumerate(result) for v in bundle_violations(sources, b, f"corpus:{label}:{i}")]
    else:
        found = refusal_violations(sources, result)
    unexpected = [v for v in found if known is None or not isinstance(v, known)]
    if unexpected:
        raise AssertionError(f"{label}:\n" + "\n".join(f"  {type(v).__name__}: {v}" for v in unexpected))
    if outcome == "accept":
        if expected is not ACCEPT:
            if found:  # a known bug makes it accepted (e.g. a silently dropped process body)
                raise found[0]
            pytest.fail(f"{label}: accepted ({[b.process_id for b in result]}), expected a refusal with {expected!r}", pytrace=False)
    else:
        messages = "\n".join(f"  {p.file}:{p.element_id}: {p.message}" for p in result)
        assert expected is not ACCEPT, f"{label}: refused, expected to be accepted:\n{messages}"
        assert matches(result, expected), f"{label}: refused, but no message has {expected!r}:\n{messages}"
    if found:
        raise found[0]


def known_bug_marks(known: tuple[type[KnownBug], str] | None) -> list:
    if known is None:
        return []
    return [pytest.mark.xfail(strict=True, raises=known[0], reason=f"app bug ({known[0].__name__}): {known[1]}")]


# ---------------------------------------------------------------- tests


def test_expectations_cover_the_corpus(shared_dir):
    on_disk = corpus_files(shared_dir)
    assert on_disk, f"{shared_dir / CORPUS} holds no model files"
    assert sorted(EXPECTED) == on_disk, (
        f"new files: {sorted(set(on_disk) - set(EXPECTED))}; gone: {sorted(set(EXPECTED) - set(on_disk))}: "
        "run test_corpus_summary with -s and classify them in EXPECTED"
    )


@pytest.mark.parametrize("rel", [pytest.param(f, id=f, marks=known_bug_marks(KNOWN_BUGS.get(f))) for f in EXPECTED])
def test_file_alone(shared_dir, rel):
    known = KNOWN_BUGS.get(rel)
    check(rel, [load(shared_dir, rel)], EXPECTED[rel], known[0] if known else None)


@pytest.mark.parametrize("name", [pytest.param(g, id=g, marks=known_bug_marks(KNOWN_GROUP_BUGS.get(g))) for g in GROUPS])
def test_group(shared_dir, name):
    files, expected = GROUPS[name]
    known = KNOWN_GROUP_BUGS.get(name)
    check(name, [load(shared_dir, f) for f in files], expected, known[0] if known else None)


def test_business_rule_task_bundle_carries_its_decision(shared_dir):
    sources = [load(shared_dir, "SpiffWorkflow/business_rule_task.bpmn"), load(shared_dir, "SpiffWorkflow/business_rules.dmn")]
    outcome, bundles = deploy(sources)
    assert outcome == "accept", bundles
    [bundle] = bundles
    assert {s.name for s in bundle.sources} == {"business_rule_task.bpmn", "business_rules.dmn"}


def test_unknown_department_message_lists_the_known_codes(shared_dir):
    outcome, problems = deploy([load(shared_dir, "SpiffWorkflow/lanes.bpmn")])
    assert outcome == "refuse"
    lane_a = next(p for p in problems if p.element_id == "Activity_A1")
    assert "(its lane is 'A')" in lane_a.message
    assert "known: " + ", ".join(sorted(DEPARTMENTS)) in lane_a.message


def test_corpus_summary(shared_dir):
    """Not an assertion of outcomes (the tests above do that): the table to read when a file changes class."""
    rows = []
    for rel in corpus_files(shared_dir):
        outcome, result = deploy([load(shared_dir, rel)])
        if outcome == "accept":
            text = "accepted: " + (", ".join(b.process_id for b in result) or "(decision only)")
        elif outcome == "refuse":
            first = result[0]
            more = f" (+{len(result) - 1} more)" if len(result) > 1 else ""
            text = f"refused: [{first.element_id or '-'}] {first.message.strip()[:150]}{more}"
        else:
            text = "CRASH: " + result.strip().splitlines()[-1]
        rows.append((rel, text))
    width = max(len(r) for r, _ in rows)
    print(f"\n{'file':<{width}}  outcome")
    for rel, text in rows:
        print(f"{rel:<{width}}  {text}")
    counts = collections.Counter(t.split(":")[0] for _, t in rows)
    print(f"\n{len(rows)} files: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    assert "CRASH" not in counts
