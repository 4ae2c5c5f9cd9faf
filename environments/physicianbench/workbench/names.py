"""The names of the PhysicianBench-v0 workbench tools (importing this registers nothing)."""

READ_TOOLS = (
    "fhir_patient_search_demographics",
    "fhir_condition_search_problems",
    "fhir_medication_request_search_orders",
    "fhir_observation_search_labs",
    "fhir_observation_search_vitals",
    "fhir_observation_search_social_history",
    "fhir_procedure_search_orders",
    "fhir_document_reference_search_clinical_notes",
    "fhir_service_request_search",
)
WRITE_TOOLS = (
    "fhir_medication_request_create",
    "fhir_medication_request_discontinue",
    "fhir_communication_create_message",
    "fhir_service_request_create",
    "fhir_appointment_create",
)
#: Every tool a PhysicianBench task offers (the 13 workbench tools, the workspace, terminology,
#: medsim's generic FHIR tools, the calculator, finish).
WORKBENCH = (
    *READ_TOOLS,
    *WRITE_TOOLS,
    "write_file",
    "terminology_search",
    "fhir_search",
    "fhir_read",
    "fhir_create",
    "fhir_update",
    "calculate",
    "finish",
)

__all__ = ["READ_TOOLS", "WORKBENCH", "WRITE_TOOLS"]
