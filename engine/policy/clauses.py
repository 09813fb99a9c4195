"""Parse a rule's `when` into a condition tree and its `then` into validated actions."""
from marshmallow import Schema, ValidationError, fields, validate
from yaml.nodes import Node

from engine.actions.registry import action_types
from engine.actions.templates import fields_in
from engine.policy import conditions, factpaths
from engine.policy.errors import (BadParameter, UnknownAction, UnknownCondition, UnknownField,
                                  UnknownOperator, did_you_mean)
from engine.policy.model import ActionSpec
from engine.policy.source import UNKNOWN_FIELD, Source, where
from engine.policy.tree import AllOf, AnyOf, Leaf, NotOf


def parse_when(src: Source, node: Node, fallback: bool, what: str = "`when`"):
    """Return the tree of a `when` mapping (implicitly all of its entries), or None on errors."""
    entries = src.mapping(node, what)
    if entries is None:
        return None
    if not entries:
        src.error(BadParameter, node, f"{what} needs at least one condition")
        return None
    children = [_entry(src, key, key_node, value, fallback) for key, key_node, value in entries]
    if any(child is None for child in children):
        return None
    return children[0] if len(children) == 1 else AllOf(children)


def _entry(src: Source, key: str, key_node: Node, value: Node, fallback: bool):
    if key in ("all", "any"):
        items = src.sequence(value, f"`{key}`")
        if items is None:
            return None
        if not items:
            src.error(BadParameter, value, f"`{key}` needs at least one entry")
            return None
        kids = [parse_when(src, item, fallback, f"an entry of `{key}`") for item in items]
        if any(kid is None for kid in kids):
            return None
        return AllOf(kids) if key == "all" else AnyOf(kids)
    if key == "not":
        inner = parse_when(src, value, fallback, "`not`")
        return NotOf(inner) if inner is not None else None
    return _condition(src, key, key_node, value, fallback)


def _condition(src: Source, key: str, key_node: Node, value: Node, fallback: bool):
    condition = conditions.resolve(key)
    if condition is None and key.startswith("history."):
        src.error(UnknownCondition, key_node, f"`{key}` is not a history count: name what is "
                  "counted and a window, such as history.complaints_30d or history.mentions_24h")
        return None
    if condition is None:
        src.error(UnknownCondition, key_node, f"unknown condition `{key}`",
                  did_you_mean(key, conditions.known_keys()))
        return None
    if key in factpaths.DECIDED_PATHS and not fallback:
        src.error(BadParameter, key_node, f"`{key}` is only known to fallback rules: "
                  "add `fallback: true` to this rule")
        return None
    raw = src.plain(value)
    try:
        params = condition.load(raw)
    except ValidationError as exc:
        schema = condition.Params()
        shaped = condition.shorthand(raw)
        src.report_validation(value, exc.messages, f"condition `{key}`", UnknownOperator,
                              lambda path, message: suggest(schema, shaped, path, message),
                              implied=0 if isinstance(raw, dict) else 1)
        return None
    try:
        params = condition.bind(params, src.context)
    except ValueError as exc:
        src.error(BadParameter, key_node, f"condition `{key}`: {exc}")
        return None
    return Leaf(condition, params, where(key_node)[0])


def parse_then(src: Source, node: Node) -> list[ActionSpec] | None:
    """Return a rule's validated actions, or None when any of them is wrong."""
    items = src.sequence(node, "`then`")
    if items is None:
        return None
    specs, ok = [], True
    for item in items:
        spec = _action(src, item)
        ok = ok and spec is not None
        specs.append(spec)
    return specs if ok else None


def _action(src: Source, item: Node) -> ActionSpec | None:
    entries = src.mapping(item, "an action")
    if entries is None:
        return None
    if len(entries) != 1:
        src.error(BadParameter, item, "write each action as one `type: {parameters}` entry, "
                  "such as `- zendesk.ticket: {priority: high}`")
        return None
    name, key_node, value = entries[0]
    registry = action_types()
    action = registry.get(name)
    if action is None:
        src.error(UnknownAction, key_node, f"unknown action `{name}`", did_you_mean(name, registry))
        return None
    raw = src.plain(value)
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        src.error(BadParameter, value, f"`{name}` takes a mapping of parameters")
        return None
    schema = action.Params()
    try:
        loaded = schema.load(raw)
    except ValidationError as exc:
        src.report_validation(value, exc.messages, f"`{name}`", BadParameter,
                              lambda path, message: suggest(schema, raw, path, message))
        return None
    if not _templates_ok(src, name, action, raw, value):
        return None
    # Absent optional parameters are left out, so merging several rules' tickets keeps the
    # first parameter actually given rather than the first default.
    params = {k: v for k, v in loaded.items() if v is not None}
    return ActionSpec(name, params, where(key_node)[0])


def _templates_ok(src: Source, name: str, action, raw: dict, value: Node) -> bool:
    ok = True
    allowed = [p for p in factpaths.example_paths() if factpaths.template_path_ok(p)]
    for param in action.template_fields:
        template = raw.get(param)
        if not isinstance(template, str):
            continue
        target = _param_node(value, param)
        try:
            names = fields_in(template)
        except ValueError as exc:
            src.error(BadParameter, target, f"`{name}`: `{param}` is not a valid template: {exc}")
            ok = False
            continue
        for field_name in names:
            if not factpaths.template_path_ok(field_name):
                src.error(UnknownField, target, f"`{name}`: `{param}` shows `{{{field_name}}}`, "
                          "which is not a field of the event", did_you_mean(field_name, allowed))
                ok = False
    return ok


def _param_node(value: Node, param: str) -> Node:
    for key_node, child in getattr(value, "value", []):
        if getattr(key_node, "value", None) == param:
            return child
    return value


def suggest(schema: Schema, raw, path, message: str) -> str | None:
    """Suggest the parameter or choice nearest to what was written, if one is close."""
    steps = [step for step in path if step != "_schema"]
    if not steps:
        return None
    parent, value = schema, raw
    for step in steps[:-1]:
        parent, value = _descend(parent, value, step)
    if message == UNKNOWN_FIELD:
        if isinstance(parent, fields.Nested):
            parent = parent.schema
        return did_you_mean(steps[-1], parent.fields) if isinstance(parent, Schema) else None
    field, value = _descend(parent, value, steps[-1])
    while isinstance(field, fields.List):
        field = field.inner
    choices = [v.choices for v in getattr(field, "validators", []) if isinstance(v, validate.OneOf)]
    if choices and isinstance(value, str):
        return did_you_mean(value, choices[0])
    return None


def _descend(current, value, step):
    """Step one level down both the schema (or field) and the raw value."""
    if isinstance(current, Schema):
        nxt = current.fields.get(str(step))
    elif isinstance(current, fields.Nested):
        nxt = current.schema.fields.get(str(step))
    elif isinstance(current, fields.List):
        nxt = current.inner
    else:
        nxt = None
    if isinstance(value, dict):
        value = value.get(step, value.get(str(step)))
    elif isinstance(value, list) and isinstance(step, int) and step < len(value):
        value = value[step]
    else:
        value = None
    return nxt, value
