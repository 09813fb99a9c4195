"""Users, their identities and agent groups in the Zendesk stand-in."""
from .desk_base import (add_field_error, as_int, bad_request, normalize_tags, not_found, now_iso,
                        record_invalid)

IDENTITY_TYPES = ("email", "twitter", "facebook", "google", "phone_number", "agent_forwarding",
                  "any_channel", "foreign", "sdk", "messaging")
ROLES = ("end-user", "agent", "admin")
_WRITABLE = ("name", "email", "external_id", "phone", "role", "details", "notes", "verified",
             "time_zone", "locale", "alias", "tags", "user_fields", "suspended", "identities")


def _same(a, b):
    return str(a).casefold() == str(b).casefold()


class UserBook:
    """Every user of the desk, found by id, email, external id or a linked identity."""

    def __init__(self, next_id):
        self._next_id = next_id
        self.users = {}
        self.identities = {}
        # Indexes, so a bulk upsert into a desk of many users finds each one at once.
        self._by_external_id = {}
        self._owners = {}

    def get(self, user_id):
        """Return the user with this id or raise Zendesk's 404."""
        user = self.users.get(as_int(user_id))
        if user is None:
            raise not_found()
        return user

    def exists(self, user_id):
        """Tell whether a user with this id exists."""
        return as_int(user_id) in self.users

    def agent(self, login):
        """Return the agent that API credentials name, created on first use as Zendesk has it."""
        email = login if "@" in login else None
        for user in self.users.values():
            if user["role"] != "end-user" and (_same(user["email"], email) if email else user["name"] == login):
                return user
        return self.insert({"name": login.split("@")[0] or "API", "email": email, "role": "admin",
                            "verified": True})

    def match(self, attrs):
        """Return the existing user these attributes name (external_id, then email, then identity)."""
        external_id = attrs.get("external_id")
        if external_id not in (None, "") and str(external_id) in self._by_external_id:
            return self.users[self._by_external_id[str(external_id)]]
        wanted = [("email", attrs["email"])] if isinstance(attrs.get("email"), str) else []
        wanted += [(i.get("type"), i.get("value")) for i in attrs.get("identities") or []
                   if isinstance(i, dict)]
        for kind, value in wanted:
            owner = self._identity_owner(kind, value)
            if owner is not None:
                return owner
        return None

    def validated(self, attrs, current=None):
        """Return the writable attributes, checked; raise Zendesk's 422 on bad values."""
        if not isinstance(attrs, dict):
            raise bad_request("Expected a `user` object")
        clean = {key: attrs[key] for key in _WRITABLE if key in attrs}
        details = {}
        if current is None or "name" in clean:
            if not isinstance(clean.get("name"), str) or not clean["name"].strip():
                add_field_error(details, "name", "Name: cannot be blank", "BlankValue")
        email = clean.get("email")
        if email is not None:
            if not isinstance(email, str) or "@" not in email.strip("@"):
                add_field_error(details, "email", f"Email: {email} is not properly formatted")
            elif self._taken("email", email, current):
                add_field_error(details, "email", f"Email: {email} is already being used by another user",
                                "DuplicateValue")
        if clean.get("external_id") is not None:
            clean["external_id"] = str(clean["external_id"])
            other = self.match({"external_id": clean["external_id"]})
            if other is not None and other is not current:
                add_field_error(details, "external_id",
                                f"External: {clean['external_id']} has already been taken", "DuplicateValue")
        if clean.get("role", "end-user") not in ROLES:
            add_field_error(details, "role", f"Role: {clean['role']} is not a valid role")
        if "user_fields" in clean and not isinstance(clean["user_fields"], dict):
            add_field_error(details, "user_fields", "User fields: must be an object")
        for identity in clean.get("identities") or []:
            self._check_identity(identity, current, details)
        if details:
            raise record_invalid(details)
        if "tags" in clean:
            clean["tags"] = normalize_tags(clean["tags"])
        return clean

    def insert(self, clean):
        """Store a new user from validated attributes and return it."""
        now = now_iso()
        role = clean.get("role", "end-user")
        user = {"id": self._next_id("user"), "name": clean.get("name"), "email": None,
                "created_at": now, "updated_at": now, "time_zone": "UTC", "iana_time_zone": "Etc/UTC",
                "phone": None, "shared_phone_number": None, "photo": None, "locale_id": 1,
                "locale": "en-US", "organization_id": None, "role": role, "role_type": None,
                "verified": False, "external_id": None, "tags": [], "alias": "", "active": True,
                "shared": False, "shared_agent": False, "two_factor_auth_enabled": None,
                "details": "", "notes": "", "custom_role_id": None, "moderator": role != "end-user",
                "ticket_restriction": "requested" if role == "end-user" else None,
                "only_private_comments": False, "restricted_agent": False, "suspended": False,
                "report_csv": role != "end-user", "user_fields": {}}
        self.users[user["id"]] = user
        self.identities[user["id"]] = []
        self._apply(user, clean)
        return user

    def create(self, attrs):
        """Create a user (POST /users): 422 on bad or duplicate values."""
        return self.insert(self.validated(attrs))

    def update(self, user, attrs):
        """Apply attributes to an existing user and return it."""
        self._apply(user, self.validated(attrs, current=user))
        user["updated_at"] = now_iso()
        return user

    def create_or_update(self, attrs):
        """Return (user, created) the way POST /users/create_or_update decides."""
        if not isinstance(attrs, dict):
            raise bad_request("Expected a `user` object")
        found = self.match(attrs)
        if found is None:
            return self.create(attrs), True
        return self.update(found, attrs), False

    def add_identity(self, user, identity):
        """Link one more identity (POST /users/{id}/identities) and return it."""
        details = {}
        self._check_identity(identity, user, details)
        if details:
            raise record_invalid(details)
        return self._link(user, identity["type"], identity["value"])

    def _apply(self, user, clean):
        self._by_external_id.pop(user["external_id"], None)
        for key, value in clean.items():
            if key == "user_fields":
                user["user_fields"].update(value)
            elif key not in ("email", "identities"):
                user[key] = value
        if user["external_id"] is not None:
            self._by_external_id[user["external_id"]] = user["id"]
        if clean.get("email"):
            user["email"] = clean["email"]
            self._link(user, "email", clean["email"])
            # The user's email is their primary email identity.
            for identity in self.identities[user["id"]]:
                if identity["type"] == "email":
                    identity["primary"] = _same(identity["value"], clean["email"])
        for identity in clean.get("identities") or []:
            self._link(user, identity["type"], identity["value"])

    def _link(self, user, kind, value):
        linked = self.identities[user["id"]]
        for identity in linked:
            if identity["type"] == kind and _same(identity["value"], value):
                return identity
        now = now_iso()
        identity = {"id": self._next_id("identity"), "user_id": user["id"], "type": kind, "value": value,
                    "verified": kind == "email" and bool(user["verified"]),
                    "primary": not any(i["type"] == kind for i in linked),
                    "verification_method": "none", "verified_at": None,
                    "undeliverable_count": 0, "created_at": now, "updated_at": now}
        if kind == "email":
            identity["deliverable_state"] = "deliverable"
        linked.append(identity)
        self._owners.setdefault((kind, str(value).casefold()), user["id"])
        return identity

    def _identity_owner(self, kind, value):
        owner = self._owners.get((kind, str(value).casefold()))
        return None if owner is None else self.users[owner]

    def _taken(self, kind, value, current):
        owner = self._identity_owner(kind, value)
        return owner is not None and owner is not current

    def _check_identity(self, identity, current, details):
        if not isinstance(identity, dict) or identity.get("type") not in IDENTITY_TYPES:
            add_field_error(details, "identities", f"Identity type: must be one of {', '.join(IDENTITY_TYPES)}")
        elif not isinstance(identity.get("value"), str) or not identity["value"].strip():
            add_field_error(details, "identities", "Value: cannot be blank", "BlankValue")
        elif self._taken(identity["type"], identity["value"], current):
            add_field_error(details, "identities",
                            f"Value: {identity['value']} is already being used by another user",
                            "DuplicateValue")


class GroupBook:
    """Agent groups tickets can be routed to (Zendesk's /groups)."""

    def __init__(self, next_id, names):
        self._next_id = next_id
        self.groups = {}
        for position, name in enumerate(names):
            self.create({"name": name}, default=position == 0)

    def get(self, group_id):
        """Return the group with this id or raise Zendesk's 404."""
        group = self.groups.get(as_int(group_id))
        if group is None:
            raise not_found()
        return group

    def create(self, attrs, default=False):
        """Create a group from {"name", "description"} and return it."""
        if not isinstance(attrs, dict):
            raise bad_request("Expected a `group` object")
        name = attrs.get("name")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid({"name": [{"description": "Name: cannot be blank", "error": "BlankValue"}]})
        now = now_iso()
        group = {"id": self._next_id("group"), "name": name, "description": str(attrs.get("description") or ""),
                 "default": default, "deleted": False, "is_public": bool(attrs.get("is_public", True)),
                 "created_at": now, "updated_at": now}
        self.groups[group["id"]] = group
        return group
