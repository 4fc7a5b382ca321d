"""The engine room: deploys BPMN/DMN, runs instances on SpiffWorkflow, computes deadlines. No HTTP, no database."""
