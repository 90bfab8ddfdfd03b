"""opsdesk's own SCIM 2.0 service provider (RFC 7643, RFC 7644) under ``/scim/v2/``.

Identity providers (Entra ID, Okta, authentik) push people and groups here: a SCIM User is a
core ``User``, a SCIM Group is a core ``Team``. Every change goes through core's services in
one transaction per request, audited under the token's user, and every change to a person is
handed to access management's joiner/mover/leaver handling.
"""
