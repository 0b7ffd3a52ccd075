"""The Liquid environment every message is rendered with (DESIGN.md §10): python-liquid,
which only looks values up and never evaluates code, with resource limits and a cache of
parsed templates. inbox.variables builds the context and turns errors into sentences.

A value that is missing renders through `MessageUndefined`: `| default: "…"` replaces it
first; otherwise it shows the attribute's default value for its path (`contact.<key>`), and
failing that the path is recorded as missing so the caller can refuse the whole message.
"""

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from liquid import BoundTemplate, Environment, RenderContext, StrictDefaultUndefined
from liquid.exceptions import LoopIterationLimitError, OutputStreamLimitError
from liquid.undefined import UNDEFINED, Undefined

# An SMS is at most a few hundred characters and an e-mail a few pages: a message longer
# than this, or a template that loops more, is a mistake or an attack, not a message.
OUTPUT_LIMIT = 20_000
LOOP_LIMIT = 1_000


@dataclass
class _Render:
    defaults: Mapping[str, str]
    missing: list[str] = field(default_factory=list)


# The render in progress on this thread (or task), for MessageUndefined to consult.
_current: ContextVar[_Render | None] = ContextVar("message_render", default=None)


class MessageUndefined(StrictDefaultUndefined):
    """A variable without a value. `| default:` wins (liquid checks `force_liquid_default`
    before anything else), then the attribute's default value, else it is missing. In
    `{% if contact.vip %}` it reads as false, so templates can test for a value."""

    __slots__ = ()
    # `__class__` lets isinstance() checks (output, filters) reach __str__ instead of raising.
    allowed_properties = StrictDefaultUndefined.allowed_properties | {"__class__", "__liquid__"}

    def __str__(self) -> str:
        render = _current.get()
        if render is None:
            return super().__str__()
        if self.name in render.defaults:
            return render.defaults[self.name]
        render.missing.append(self.name)
        return ""


class _MessageContext(RenderContext):
    def get(self, path: list[object], *, token: Any, default: object = UNDEFINED) -> object:
        value = super().get(path, token=token, default=default)
        # issubclass, not isinstance: a strict undefined raises when asked for its class.
        if issubclass(type(value), Undefined) and default is UNDEFINED:
            # Liquid names an undefined by its first segment only; the fallback needs the
            # whole path ("contact.first_name").
            name = ".".join(str(segment) for segment in path)
            return self.env.undefined(name, token=token, hint=name)
        return value


class _MessageTemplate(BoundTemplate):
    context_class = _MessageContext


class MessageEnvironment(Environment):
    template_class = _MessageTemplate
    loop_iteration_limit = LOOP_LIMIT
    output_stream_limit = OUTPUT_LIMIT
    local_namespace_limit = 5 * OUTPUT_LIMIT  # bytes, as sys.getsizeof counts them
    context_depth_limit = 10
    block_nesting_limit = 20


def _too_long(size: int) -> None:
    if size > OUTPUT_LIMIT:
        raise OutputStreamLimitError("output stream limit reached", token=None)


def _bounded(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """`func` refusing to build a value longer than a message may be. A range such as
    `(1..1000000000)` is refused before any filter walks it, and `replace` and `join`, which
    can multiply a text's length, are checked before they run; every result after."""

    @functools.wraps(func)
    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        for given in (value, *args):
            if isinstance(given, range) and given.stop - given.start > LOOP_LIMIT:
                raise LoopIterationLimitError("loop iteration limit reached", token=None)
        if name == "replace" and isinstance(value, str) and args:
            old, new = str(args[0]), str(args[1]) if len(args) > 1 else ""
            _too_long(len(value) + value.count(old) * max(len(new) - len(old), 0))
        if name == "join" and isinstance(value, list | tuple | range):
            _too_long(len(value) * (len(str(args[0] if args else " ")) + 1))
        result = func(value, *args, **kwargs)
        if isinstance(result, str | list | tuple):
            _too_long(len(result))
        return result

    return bounded


def _environment() -> MessageEnvironment:
    env = MessageEnvironment(undefined=MessageUndefined)
    # There are no partials to include; without these tags a template cannot even try.
    for tag in ("include", "render"):
        env.tags.pop(tag, None)
    env.filters = {name: _bounded(name, func) for name, func in env.filters.items()}
    return env


ENV = _environment()


@functools.lru_cache(maxsize=128)
def parse(text: str) -> BoundTemplate:
    """The parsed template, cached by its text (a campaign renders one text many times).
    Raises liquid's LiquidSyntaxError for a mistake."""
    return ENV.from_string(text)


def render(
    text: str, context: Mapping[str, Any], defaults: Mapping[str, str]
) -> tuple[str, list[str]]:
    """`text` rendered with `context`, and the paths that had no value and no default
    (rendered as nothing). Raises liquid's errors: syntax, resource limits, filters."""
    with _rendering(defaults) as state:
        output = parse(text).render(context)
    return output, state.missing


@contextmanager
def _rendering(defaults: Mapping[str, str]) -> Iterator[_Render]:
    state = _Render(defaults)
    token = _current.set(state)
    try:
        yield state
    finally:
        _current.reset(token)


def used_paths(text: str) -> list[list[Any]]:
    """The segments of every variable the template reads from its context (not the ones
    it assigns itself or a loop defines). A nested lookup shows as a list segment."""
    return parse(text).global_variable_segments(include_partials=False)


def used_filters(text: str) -> list[str]:
    return list(parse(text).analyze(include_partials=False).filters)
