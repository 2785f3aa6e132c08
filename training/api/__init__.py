"""REST API v1 (django-ninja) under ``/api/v1/``: read access to units, people,
programmes, compliance, the ledger, enrolments, assignments and progress reports,
external records for integrations, and public certificate verification.

Endpoints are thin: every read goes through the scope selectors
(``training.org.selectors``) and every write through a service. See docs/api.md.
"""
