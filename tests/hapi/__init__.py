"""Tests against the real HAPI FHIR server (marker ``hapi``) and its launcher/uploader."""
