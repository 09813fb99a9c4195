"""Policy errors that point at the file, line and column to fix, with a suggestion when one is close."""
import difflib


class PolicyError(Exception):
    """A problem in a policy file, located as `path:line:column`."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None, suggestion: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.suggestion = suggestion

    def location(self) -> str:
        """Say where the problem is: `file:line:column`, as much of it as is known."""
        parts = [self.file or "<policies>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        hint = f" (did you mean `{self.suggestion}`?)" if self.suggestion else ""
        return f"{self.location()}: {self.message}{hint}"


class PolicySyntaxError(PolicyError):
    """The file is not YAML, or not shaped like a policy."""


class UnknownCondition(PolicyError):
    """A `when` key that is neither a condition nor a field of the event."""


class UnknownOperator(PolicyError):
    """An operator the condition does not take (`belw` instead of `below`)."""


class UnknownAction(PolicyError):
    """A `then` entry naming an action nobody registered."""


class BadParameter(PolicyError):
    """A condition or action parameter of the wrong type or value."""


class UnknownField(BadParameter):
    """A template or path naming a field the event does not have."""


class DuplicateRule(PolicyError):
    """Two rules with one name in a policy: decisions could not tell them apart."""


class DuplicatePolicy(PolicyError):
    """Two files declaring one policy name."""


class TooManyRules(PolicyError):
    """More rules in one policy than the engine can hold."""


class PolicyTestFailed(PolicyError):
    """A case of a policy's `<name>_test.yaml` that the policies do not pass."""


class PolicyErrors(Exception):
    """Every error found while validating policies, not just the first."""

    def __init__(self, errors: list[PolicyError]):
        super().__init__(f"{len(errors)} policy error(s)")
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


def did_you_mean(word: str, candidates) -> str | None:
    """Return the candidate closest to a misspelt word, if any is close enough."""
    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1, cutoff=0.6)
    return close[0] if close else None
