"""SCIM 2.0 (RFC 7643/7644) provisioning of an organization's users by its identity provider.

Okta or Microsoft Entra ID call /scim/v2/ with a bearer ScimToken; the token names the
organization. Only the five allowed attributes are stored (business email, names, country, job
type) plus ``active``; everything else a provider sends is accepted and dropped.
"""
