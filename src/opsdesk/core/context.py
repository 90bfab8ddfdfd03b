"""Who is acting, from where: set by the web middleware, the worker and the CLI.

Services read it to fill in audit entries, so changes made outside HTTP are attributed too.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass, field


@dataclass
class ActionContext:
    source: str = "system"
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    request: object | None = None  # the HttpRequest, so the actor is read after DRF auth

    @property
    def actor(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


_current = contextvars.ContextVar("opsdesk_action_context", default=None)


def current() -> ActionContext:
    return _current.get() or ActionContext()


@contextlib.contextmanager
def action_context(*, source: str, request=None, request_id: str | None = None):
    ctx = ActionContext(source=source, request=request)
    if request_id:
        ctx.request_id = request_id
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def as_system():
    """Automatic steps (routing, start of work, escalation, auto-close) act as the system.

    Whoever triggered them, their audit entries name no user: the same request id ties them
    to the change that set them off.
    """
    outer = current()
    ctx = ActionContext(source="system", request_id=outer.request_id)
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
