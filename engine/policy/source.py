"""Read a YAML file as nodes that remember where they were written, and collect errors against them."""
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.policy.errors import BadParameter, PolicyError, PolicySyntaxError, did_you_mean

UNKNOWN_FIELD = "Unknown field."


class Source:
    """One file being validated: its text, its nodes, and every error found so far."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.text = text
        self.errors: list[PolicyError] = []
        # What the policy file declares beside its rules (its business hours), for conditions.
        self.context: dict = {}
        self._constructor = SafeConstructor()

    def compose(self) -> Node | None:
        """Parse the text into one node tree, recording a syntax error where parsing stopped."""
        try:
            root = yaml.compose(self.text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(part for part in (exc.context, exc.problem) if part)
            self.errors.append(PolicySyntaxError(
                f"not valid YAML: {message}", self.path,
                mark.line + 1 if mark else None, mark.column + 1 if mark else None))
            return None
        except yaml.YAMLError as exc:
            self.errors.append(PolicySyntaxError(f"not valid YAML: {exc}", self.path))
            return None
        if root is None:
            self.errors.append(PolicySyntaxError("the file is empty", self.path, 1, 1))
        return root

    def error(self, cls: type[PolicyError], node: Node | None, message: str,
              suggestion: str | None = None) -> None:
        """Record an error at a node's position."""
        line, column = where(node)
        self.errors.append(cls(message, self.path, line, column, suggestion))

    def mapping(self, node: Node, what: str) -> list[tuple[str, Node, Node]] | None:
        """Return (key, key node, value node) of a mapping, refusing repeated keys."""
        if not isinstance(node, MappingNode):
            self.error(PolicySyntaxError, node, f"{what} must be a mapping of `key: value` lines")
            return None
        seen: dict[str, Node] = {}
        for key_node, _ in node.value:
            key = str(key_node.value)
            if key == "<<":
                continue
            if key in seen:
                self.error(PolicySyntaxError, key_node,
                           f"`{key}` appears twice in {what} (first at line {where(seen[key])[0]})")
            seen[key] = key_node
        # Merge keys (`<<: *shared`) let rules share parameters; the rule's own keys win.
        self._constructor.flatten_mapping(node)
        entries: dict[str, tuple[str, Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.error(PolicySyntaxError, key_node, f"keys in {what} must be plain words")
                continue
            key = str(key_node.value)
            entries[key] = (key, key_node, value_node)
        return list(entries.values())

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        """Return the items of a list node, or record that a list was expected."""
        if not isinstance(node, SequenceNode):
            self.error(PolicySyntaxError, node, f"{what} must be a list (lines starting with `- `)")
            return None
        return list(node.value)

    def check_keys(self, node: Node, entries, allowed, what: str, required=()) -> None:
        """Record unknown keys (with the nearest known one) and missing required keys."""
        present = {key for key, _, _ in entries}
        for key, key_node, _ in entries:
            if key not in allowed:
                self.error(PolicySyntaxError, key_node, f"unknown key `{key}` in {what}",
                           did_you_mean(key, allowed))
        for key in required:
            if key not in present:
                self.error(PolicySyntaxError, node, f"{what} needs `{key}`")

    def plain(self, node: Node):
        """Turn a node into plain Python values (str, int, float, bool, None, list, dict)."""
        return self._constructor.construct_document(node)

    def report_validation(self, node: Node, messages, what: str, unknown: type[PolicyError],
                          suggest=None, implied: int = 0) -> None:
        """Record each marshmallow message at the node of the parameter it is about."""
        # `implied` steps at the head of each error path were not written by the user (the
        # `in` of `kind: [mention]`), so they locate nothing and are not named.
        for path, message in flatten_messages(messages):
            written = path[implied:]
            target = node_at(node, written, message == UNKNOWN_FIELD)
            named = ".".join(str(s) for s in written if s != "_schema" and not isinstance(s, int))
            items = "".join(f" (item {s + 1})" for s in written if isinstance(s, int))
            hint = suggest(path, message) if suggest else None
            if message == UNKNOWN_FIELD:
                self.error(unknown, target, f"{what}: `{named}` is not something it takes", hint)
            else:
                prefix = f"{what}: `{named}`{items}" if named else f"{what}{items}"
                self.error(BadParameter, target, f"{prefix}: {message}", hint)


def where(node: Node | None) -> tuple[int | None, int | None]:
    """Return the 1-based line and column a node starts at."""
    if node is None:
        return None, None
    return node.start_mark.line + 1, node.start_mark.column + 1


def flatten_messages(messages, prefix=()):
    """Yield (path, message) for every leaf of a marshmallow error dict."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from flatten_messages(value, prefix + (key,))
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        for message in messages:
            yield prefix, message
    elif isinstance(messages, list):
        for item in messages:
            yield from flatten_messages(item, prefix)
    else:
        yield prefix, str(messages)


def node_at(node: Node, path, want_key: bool = False) -> Node:
    """Find the node an error path points at, as deep as the tree allows."""
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        if step == "_schema":
            continue
        if isinstance(node, MappingNode):
            match = [(k, v) for k, v in node.value if str(k.value) == str(step)]
            if not match:
                return node
            key_node, value_node = match[-1]
            node = key_node if (last and want_key) else value_node
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node
