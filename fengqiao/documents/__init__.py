"""Evidence files, agreement templates and PDFs, e-signature, verification and e-delivery.

Service-level code only: no HTTP, no database. The case service calls these functions and
stores what they return.
"""
