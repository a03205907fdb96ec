#!/usr/bin/env python3
"""Lists every oktavault category of a running okta-sim through Okta's official Python SDK (PyPI `okta`).

The SDK is generated from the same management spec and parses every answer into strict models,
polymorphic ones included (an app by `signOnMode`, a zone by `type`): a second oracle for the
simulator's shapes beside the contract test. Per-parent categories are listed for every parent the
simulator holds (read from its unauthenticated `/__sim/state`), following every `next` page.

Usage: OKTA_SIM_URL=http://127.0.0.1:PORT OKTA_SIM_TOKEN=... python list_every_category.py
Prints one JSON document: {"sdk": version, "calls": [{"category", "call", "objects", "error"}]}.
`error` is null when the SDK parsed every object, otherwise the SDK's message (its first lines).
"""

import asyncio
import json
import os
import sys
import urllib.request

# The SDK refuses plain http unless told it is testing; the simulator only listens on loopback.
os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

import okta  # noqa: E402
from okta.client import Client  # noqa: E402


def sim_state(url):
    with urllib.request.urlopen(f"{url}/__sim/state") as answer:
        return json.load(answer)


def objects(state, resource):
    """(parent, object) of a generic resource, every parent."""
    for parent, items in state["resources"].get(resource, {}).items():
        for item in items:
            yield parent, item


def calls(state):
    """(category, SDK method, keyword arguments) for every category, per parent where it has parents."""
    users = [u["id"] for u in state["users"]]
    groups = [g["id"] for g in state["groups"]]
    apps = [a["id"] for a in state["apps"]]
    out = [
        ("users", "list_users", {}),
        ("users", "list_users", {"filter": 'status eq "DEPROVISIONED"'}),
        ("groups", "list_groups", {}),
        ("apps", "list_applications", {}),
        ("user_types", "list_user_types", {}),
        ("group_schema", "get_group_schema", {}),
        ("group_rules", "list_group_rules", {}),
        ("network_zones", "list_network_zones", {}),
        ("authenticators", "list_authenticators", {}),
        ("org_settings", "get_org_settings", {}),
        ("org_contact_types", "list_org_contact_types", {}),
        ("trusted_origins", "list_trusted_origins", {}),
        ("email_domains", "list_email_domains", {}),
        ("features", "list_features", {}),
        ("threat_insight", "get_current_configuration", {}),
        ("captchas", "list_captcha_instances", {}),
        ("org_captcha", "get_org_captcha_settings", {}),
        ("brands", "list_brands", {}),
        ("event_hooks", "list_event_hooks", {}),
        ("inline_hooks", "list_inline_hooks", {}),
        ("devices", "list_devices", {}),
        ("authorization_servers", "list_authorization_servers", {}),
        ("idp_keys", "list_identity_provider_keys", {}),
        ("identity_providers", "list_identity_providers", {}),
        ("linked_object_definitions", "list_linked_object_definitions", {}),
        ("profile_mappings", "list_profile_mappings", {}),
        ("sms_templates", "list_sms_templates", {}),
        ("org_preferences", "get_org_preferences", {}),
        ("org_okta_communication", "get_okta_communication_settings", {}),
        ("org_okta_support", "get_org_okta_support_settings", {}),
        ("org_third_party_admin", "get_third_party_admin_setting", {}),
        ("org_auto_assign_admin_app", "get_auto_assign_admin_app_setting", {}),
        ("org_client_privileges", "get_client_privileges_setting", {}),
        ("custom_roles", "list_roles", {}),
        ("resource_sets", "list_resource_sets", {}),
        ("role_assignees", "list_users_with_role_assignments", {}),
        ("system_log", "list_log_events", {"since": "2000-01-01T00:00:00.000Z"}),
    ]
    out += [("policies", "list_policies", {"type": t}) for t in sorted({p["type"] for _, p in objects(state, "policies")})]
    out += [("group_members", "list_group_users", {"group_id": g}) for g in groups]
    out += [("group_owners", "list_group_owners", {"group_id": g}) for g in groups]
    out += [("group_roles", "list_group_assigned_roles", {"group_id": g}) for g in groups]
    for a in apps:
        out += [
            ("app_users", "list_application_users", {"app_id": a}),
            ("app_groups", "list_application_group_assignments", {"app_id": a}),
            ("app_user_schemas", "get_application_user_schema", {"app_id": a}),
            ("app_grants", "list_scope_consent_grants", {"app_id": a}),
            ("app_keys", "list_application_keys", {"app_id": a}),
            ("app_csrs", "list_csrs_for_application", {"app_id": a}),
        ]
    for _, user_type in objects(state, "user_types"):
        schema = user_type["_links"]["schema"]["href"].rsplit("/", 1)[1]
        out.append(("user_schemas", "get_user_schema", {"schema_id": schema}))
    for _, a in objects(state, "authenticators"):
        out.append(("authenticator_methods", "list_authenticator_methods", {"authenticator_id": a["id"]}))
    for _, p in objects(state, "policies"):
        out.append(("policy_rules", "list_policy_rules", {"policy_id": p["id"]}))
    for _, c in objects(state, "org_contact_types"):
        out.append(("org_contacts", "get_org_contact_user", {"contact_type": c["contactType"]}))
    for _, b in objects(state, "brands"):
        out.append(("brand_themes", "list_brand_themes", {"brand_id": b["id"]}))
        out.append(("email_templates", "list_email_templates", {"brand_id": b["id"]}))
    for _, d in objects(state, "devices"):
        out.append(("device_users", "list_device_users", {"device_id": d["id"]}))
    for _, s in objects(state, "authorization_servers"):
        server = {"auth_server_id": s["id"]}
        out += [
            ("authserver_scopes", "list_o_auth2_scopes", server),
            ("authserver_claims", "list_o_auth2_claims", server),
            ("authserver_policies", "list_authorization_server_policies", server),
            ("authserver_keys", "list_authorization_server_keys", server),
        ]
    for server, p in objects(state, "authserver_policies"):
        out.append(
            ("authserver_policy_rules", "list_authorization_server_policy_rules",
             {"auth_server_id": server, "policy_id": p["id"]})
        )
    definitions = [d for _, d in objects(state, "linked_object_definitions")]
    for u in users:
        if any(u == user["id"] and user["status"] != "DEPROVISIONED" for user in state["users"]):
            for d in definitions:
                for side in ("primary", "associated"):
                    out.append(
                        ("linked_object_values", "list_linked_objects_for_user",
                         {"user_id_or_login": u, "relationship_name": d[side]["name"]})
                    )
        out.append(("user_factors", "list_factors", {"user_id": u}))
    for _, m in objects(state, "profile_mappings"):
        out.append(("profile_mapping_properties", "get_profile_mapping", {"mapping_id": m["id"]}))
    for _, r in objects(state, "custom_roles"):
        out.append(("role_permissions", "list_role_permissions", {"role_id_or_label": r["id"]}))
    for _, s in objects(state, "resource_sets"):
        out.append(("resource_set_resources", "list_resource_set_resources", {"resource_set_id_or_label": s["id"]}))
        out.append(("resource_set_bindings", "list_bindings", {"resource_set_id_or_label": s["id"]}))
    for parent, binding in objects(state, "resource_set_bindings"):
        out.append(
            ("resource_set_binding_members", "list_members_of_binding",
             {"resource_set_id_or_label": parent, "role_id_or_label": binding["id"]})
        )
    for _, assignee in objects(state, "role_assignees"):
        out.append(("user_roles", "list_assigned_roles_for_user", {"user_id": assignee["id"]}))
    targets = {
        ("user_roles", "USER_ADMIN"): ("user_role_group_targets", "list_group_targets_for_role", "user_id"),
        ("user_roles", "HELP_DESK_ADMIN"): ("user_role_group_targets", "list_group_targets_for_role", "user_id"),
        ("user_roles", "GROUP_MEMBERSHIP_ADMIN"): ("user_role_group_targets", "list_group_targets_for_role", "user_id"),
        ("user_roles", "APP_ADMIN"): (
            "user_role_app_targets", "list_application_targets_for_application_administrator_role_for_user", "user_id"),
        ("group_roles", "USER_ADMIN"): ("group_role_group_targets", "list_group_targets_for_group_role", "group_id"),
        ("group_roles", "HELP_DESK_ADMIN"): ("group_role_group_targets", "list_group_targets_for_group_role", "group_id"),
        ("group_roles", "GROUP_MEMBERSHIP_ADMIN"): (
            "group_role_group_targets", "list_group_targets_for_group_role", "group_id"),
        ("group_roles", "APP_ADMIN"): (
            "group_role_app_targets", "list_application_targets_for_application_administrator_role_for_group",
            "group_id"),
    }
    for assignments in ("user_roles", "group_roles"):
        for holder, assignment in objects(state, assignments):
            target = targets.get((assignments, assignment.get("type")))
            if target:
                category, method, holder_arg = target
                out.append((category, method, {holder_arg: holder, "role_assignment_id": assignment["id"]}))
    return out


def counted(result):
    if result is None:
        return 0
    if isinstance(result, list):
        return len(result)
    return 1


def first_lines(error, n=4):
    return "\n".join(f"{type(error).__name__}: {error}".splitlines()[:n])


async def run(client, method, kwargs):
    """Objects parsed and the SDK's error, following every next page."""
    try:
        answer = await getattr(client, method)(**kwargs)
    except Exception as error:  # the SDK's model parsing raises (pydantic ValidationError)
        return 0, first_lines(error)
    result, response, error = (tuple(answer) + (None, None, None))[:3]
    if error is not None:
        return counted(result), first_lines(error)
    total = counted(result)
    while response is not None and hasattr(response, "has_next") and response.has_next():
        try:
            more, error = await response.next()
        except Exception as error:
            return total, first_lines(error)
        if error is not None:
            return total, first_lines(error)
        total += counted(more)
    return total, None


async def main():
    url, token = os.environ["OKTA_SIM_URL"], os.environ["OKTA_SIM_TOKEN"]
    # The SDK writes `SSWS<token>` unless the token starts with a space.
    client = Client({"orgUrl": url, "token": f" {token}", "rateLimit": {"maxRetries": 0}})
    report = []
    for category, method, kwargs in calls(sim_state(url)):
        objects_read, error = await run(client, method, kwargs)
        report.append({
            "category": category,
            "call": f"{method}({', '.join(f'{k}={v}' for k, v in kwargs.items())})",
            "objects": objects_read,
            "error": error,
        })
    json.dump({"sdk": okta.__version__, "calls": report}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
