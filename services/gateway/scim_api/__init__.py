"""SCIM 2.0 over HTTP (``/scim/v2``): the views an IdP calls, thin around the pure core in ``scim/``.

Each view parses the request with ``scim/``, asks the owning service over Kafka, and answers in SCIM
(``responses.py``); ``call_log.py`` keeps what each tenant's IdP called, for its admin to read.
"""
