"""Custom rules written in CEL, evaluated like ValidatingAdmissionPolicy validations.

An expression sees the same objects a ValidatingAdmissionPolicy would, plus the normalised model the
built-in rules use:

- ``object``: the whole resource as written (for a ``List``, the item);
- ``podSpec`` / ``podMetadata``: the pod spec and metadata, wherever the kind keeps them;
- ``containers``: initContainers, containers and ephemeralContainers, in that order.

As in a ValidatingAdmissionPolicy, the expression states what a *valid* resource looks like: true
passes, false is a violation. An evaluation error (a missing field without ``has()``, a wrong type)
or a non-boolean result is a violation too (fail closed), with the error in the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hullcheck.errors import UsageError
from hullcheck.model.finding import SeverityLevel
from hullcheck.policy.manifests import Workload
from hullcheck.policy.rules import Context, Hit, Rule

MAX_EXPRESSION = 10_000


@dataclass(frozen=True)
class CustomRule:
    id: str
    title: str
    severity: SeverityLevel
    expression: str
    message: str = ""
    kinds: tuple[str, ...] = ()  # empty: every workload kind


def _celpy() -> Any:
    try:
        import celpy
    except ImportError:  # pragma: no cover - cel-python is a declared dependency
        raise UsageError("custom CEL rules need cel-python: pip install cel-python") from None
    return celpy


def compile_rule(rule: CustomRule, where: str = "policy") -> Rule:
    """A ``Rule`` evaluating the CEL expression; a syntax error is a ``UsageError`` naming the rule."""
    if len(rule.expression) > MAX_EXPRESSION:
        raise UsageError(f"{where}: {rule.id}: expression longer than {MAX_EXPRESSION} characters")
    celpy = _celpy()
    env = celpy.Environment()
    try:
        program = env.program(env.compile(rule.expression))
    except Exception as e:  # celpy raises CELParseError (an Exception) with a multi-line caret display
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UsageError(f"{where}: {rule.id}: invalid CEL expression: {first}") from None
    kinds = frozenset(rule.kinds)

    def check(w: Workload, ctx: Context) -> Iterator[Hit]:
        if kinds and w.resource.kind not in kinds:
            return
        activation = {
            "object": celpy.json_to_cel(w.obj),
            "podSpec": celpy.json_to_cel(w.pod_spec),
            "podMetadata": celpy.json_to_cel(w.pod_meta),
            "containers": celpy.json_to_cel([c.spec for c in w.containers]),
        }
        try:
            result = program.evaluate(activation)
        except Exception as e:  # CELEvalError and friends: the rule cannot say "valid"
            yield Hit(f"{rule.message or rule.title}: expression could not be evaluated ({_short(e)})",
                      w.spec_path)
            return
        if isinstance(result, bool | celpy.celtypes.BoolType):  # BoolType is an int subclass, not a bool
            ok = bool(result)
        else:
            yield Hit(f"{rule.message or rule.title}: expression returned {type(result).__name__}, not bool",
                      w.spec_path)
            return
        if not ok:
            yield Hit(rule.message or f"{rule.title}: expression is false", w.spec_path)

    return Rule(rule.id, rule.title, rule.severity, "custom rule (CEL)", "", check,
                (f"CEL: {rule.expression}",))


def _short(e: Exception) -> str:
    text = str(e.args[0]) if getattr(e, "args", None) else str(e)
    return " ".join(text.split())[:160]
