"""The discovery documents (RFC 7643 §5-7): what this service supports and the User schema
as we serve it — only the attributes we store. The enterprise extension is accepted on input
and dropped, so it is not published."""

from __future__ import annotations

from .filters import USER_SCHEMA

MAX_RESULTS = 200
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def _meta(base_url: str, resource_type: str, path: str) -> dict:
    return {"resourceType": resource_type, "location": base_url + path}


def service_provider_config(base_url: str) -> dict:
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": base_url,
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A SCIM token created on the organization's SCIM tokens page.",
                "primary": True,
            }
        ],
        "meta": _meta(base_url, "ServiceProviderConfig", "ServiceProviderConfig"),
    }


def _attribute(name: str, *, type_: str = "string", required: bool = False, **extra) -> dict:
    attribute = {
        "name": name,
        "type": type_,
        "multiValued": False,
        "description": extra.pop("description", ""),
        "required": required,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    }
    attribute.update(extra)
    if type_ == "complex":
        attribute.pop("caseExact")
    return attribute


def user_schema(base_url: str) -> dict:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the organization: business email, names, country, job type.",
        "attributes": [
            _attribute(
                "userName",
                required=True,
                uniqueness="server",
                description="The business email, in lower case.",
            ),
            _attribute(
                "name",
                type_="complex",
                required=True,
                description="The person's names.",
                subAttributes=[
                    _attribute("givenName", required=True, description="First name."),
                    _attribute("familyName", required=True, description="Last name."),
                ],
            ),
            _attribute(
                "emails",
                type_="complex",
                multiValued=True,
                required=True,
                description="The business email (one, of type work).",
                subAttributes=[
                    _attribute("value", required=True, description="The business email."),
                    _attribute("type", canonicalValues=["work"], description="work"),
                    _attribute("primary", type_="boolean", description="Always true."),
                ],
            ),
            _attribute("active", type_="boolean", description="Whether the person may log in."),
            _attribute("title", description="The job type, by name, among the organization's."),
            _attribute(
                "addresses",
                type_="complex",
                multiValued=True,
                description="Only the country of the work address is kept.",
                subAttributes=[
                    _attribute("country", description="ISO 3166-1 alpha-2 country code."),
                    _attribute("type", canonicalValues=["work"], description="work"),
                    _attribute("primary", type_="boolean", description="Always true."),
                ],
            ),
        ],
        "meta": _meta(base_url, "Schema", f"Schemas/{USER_SCHEMA}"),
    }


def schemas(base_url: str) -> list[dict]:
    return [user_schema(base_url)]


def user_resource_type(base_url: str) -> dict:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "description": "The organization's users.",
        "schema": USER_SCHEMA,
        "schemaExtensions": [],
        "meta": _meta(base_url, "ResourceType", "ResourceTypes/User"),
    }


def resource_types(base_url: str) -> list[dict]:
    return [user_resource_type(base_url)]


def list_response(resources: list[dict], *, total: int, start_index: int = 1) -> dict:
    return {
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
