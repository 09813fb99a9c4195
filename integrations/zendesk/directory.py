"""Zendesk groups and agents that policies name, resolved to ids (cached, refreshed on a miss)."""
import threading


class NameDirectory:
    """Map the names a policy gives (a group, an agent) to the ids Zendesk wants."""

    def __init__(self, zenpy):
        self.zenpy = zenpy
        self._lock = threading.Lock()
        self._groups: dict[str, int] = {}
        self._agents: dict[str, int] = {}
        self._fields: dict[str, int] = {}

    def group_id(self, name: str) -> int | None:
        """Return the id of the group with this name (any case), or None when Zendesk has none."""
        key = name.casefold()
        with self._lock:
            if key in self._groups:
                return self._groups[key]
        # A miss may be a group an admin created (or renamed) since the last look: read them again.
        found = {group.name.casefold(): group.id for group in self.zenpy.groups()
                 if not getattr(group, "deleted", False)}
        with self._lock:
            self._groups = found
            return found.get(key)

    def field_id(self, name: str) -> int | None:
        """Return the id of the custom ticket field titled this way (any case), or None."""
        key = name.casefold()
        with self._lock:
            if key in self._fields:
                return self._fields[key]
        found = {field.title.casefold(): field.id for field in self.zenpy.ticket_fields()
                 if field.title and getattr(field, "active", True) is not False}
        with self._lock:
            self._fields = found
            return found.get(key)

    def agent_id(self, name: str) -> int | None:
        """Return the id of the agent with this exact name (any case), or None when there is none."""
        key = name.casefold()
        with self._lock:
            if key in self._agents:
                return self._agents[key]
        matches = [user.id for user in self.zenpy.users.search(query=f'name:"{name}"')
                   if user.role in ("agent", "admin") and (user.name or "").casefold() == key]
        if not matches:
            return None
        with self._lock:
            self._agents[key] = matches[0]
        return matches[0]
