"""Roles and what each may do: the permission table (the README shows the same table,
and a test keeps the two in step). The web app, the CLI and the queue check it through
`annotation.accounts.require`.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("admin", "analyst", "trainer", "investigator")

# permission -> what it allows (as the README explains it)
PERMISSIONS: dict[str, str] = {
    "queue.view": "see the review queue, ads, their indicators, evidence and decisions",
    "queue.decide": "claim queue items and record decisions (confirm, dismiss, escalate)",
    "scans.view": "see the scans page",
    "decisions.export": "export decisions with contact details pseudonymised",
    "decisions.export_raw": "export decisions with contact details as written",
    "contacts.unmask": "see an ad's contact details unmasked (each unmask is audited)",
    "cases.close": "close the case of a confirmed or escalated ad (its retention starts)",
    "users.manage": "add users, change roles, disable accounts, reset passwords",
    "audit.view": "read the audit log",
    "annotation.batches": "make annotation batches and assign trainers to them",
    "annotation.label": "label the ads of annotation batches assigned to them",
    "annotation.adjudicate": "see trainers' labels side by side and record final labels",
    "annotation.agreement": "see the agreement dashboard",
    "wording.decide": "accept or dismiss new phrases found in recent scans",
    "models.manage": "promote a trained model to default or roll it back (audited)",
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(PERMISSIONS),
    "analyst": frozenset({"queue.view", "scans.view", "decisions.export",
                          "annotation.agreement"}),
    "trainer": frozenset({"queue.view", "decisions.export", "annotation.batches",
                          "annotation.label", "annotation.adjudicate", "annotation.agreement",
                          "wording.decide", "models.manage"}),
    "investigator": frozenset({"queue.view", "queue.decide", "scans.view", "contacts.unmask"}),
}


def can(role: str, permission: str) -> bool:
    """Whether `role` has `permission` (an unknown permission is a programming error)."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def permission_table() -> list[list[str]]:
    """The permission table as rows: permission, then 'yes' or '' per role in ROLES."""
    return [[permission, *("yes" if can(role, permission) else "" for role in ROLES)]
            for permission in PERMISSIONS]
