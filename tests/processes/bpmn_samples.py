"""Small BPMN documents written in tests, to deploy through the API."""
from __future__ import annotations


def mini(process_id: str = "mini_review", *, lane: str = "ecology-environment", script: str = "checked = True",
         condition: str = 'review["decision"] == "approve"', name: str = "小流程", properties: str = "",
         extra_ns: str = "", task_attrs: str = "") -> bytes:
    """start → script → user task (in `lane`) → exclusive gateway → approved / rejected end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" {extra_ns}
  id="defs_{process_id}" targetNamespace="http://baton.example/test">
  <bpmn:collaboration id="collab_{process_id}">
    <bpmn:participant id="participant_{process_id}" name="{name}" processRef="{process_id}"/>
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name="{name}" isExecutable="true">
    <bpmn:documentation>test process</bpmn:documentation>
    <bpmn:laneSet id="lanes_{process_id}">
      <bpmn:lane id="lane_1" name="{lane}">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>prepare</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_ok</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end_no</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="prepare" name="准备"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="review" name="审查" {task_attrs}>
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="time_limit" value="'3wd'"/>{properties}
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_no"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f_ok</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_ok"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="application_status" value="approved"/></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_ok</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_no"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="application_status" value="rejected"/></spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prepare"/>
    <bpmn:sequenceFlow id="f2" sourceRef="prepare" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="gw"/>
    <bpmn:sequenceFlow id="f_ok" sourceRef="gw" targetRef="end_ok">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end_no"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()


def timed(process_id: str, after_timer_script: str, timer: str = '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1M"</bpmn:timeDuration>') -> bytes:
    """start → timer (a minute after start, unless `timer` says otherwise) → script → user task (water-affairs) → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs_{process_id}" targetNamespace="http://baton.example/test">
  <bpmn:process id="{process_id}" name="定时" isExecutable="true">
    <bpmn:laneSet id="lanes_{process_id}"><bpmn:lane id="lane_w" name="water-affairs">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>after</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="wait" name="等待">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition id="wait_timer">{timer}</bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:scriptTask id="after" name="之后"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{after_timer_script}</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="review" name="审查"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="review"/>
    <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()
