"""The Durable Object namespace binding: what `env.COUNTER` is for `[[durable_objects.bindings]]`.

`idFromName`, `newUniqueId` and `idFromString` give ids (raw JS objects in production: their
arguments are not converted); `get(id)` and `getByName(name)` give stubs. The hosting Worker
(`script_name`, or the binding's own Worker) is looked up when the first event is delivered, as
production only resolves the class when a request reaches the object.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flaresim.durable_objects.ids import DurableObjectId, IdFactory, check_jurisdiction
from flaresim.durable_objects.stub import DurableObjectStub
from flaresim.durable_objects.values import js_error

if TYPE_CHECKING:
    from flaresim.durable_objects import DurableObjectRegistry


def _option(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> Any:
    options = args[0] if args and isinstance(args[0], dict) else kwargs
    return options.get(name)


class DurableObjectNamespace:
    """`env.X` for a Durable Object binding."""

    _flaresim_binding = True

    def __init__(
        self, registry: DurableObjectRegistry, script: str, class_name: str, factory: IdFactory | None = None
    ) -> None:
        self.registry = registry
        self.script = script
        self.class_name = class_name
        self._ids = factory or IdFactory(f"{script}:{class_name}")

    def __repr__(self) -> str:
        where = f" jurisdiction={self._ids.jurisdiction}" if self._ids.jurisdiction else ""
        return f"<DurableObjectNamespace {self.script}:{self.class_name}{where}>"

    def idFromName(self, name: Any) -> DurableObjectId:  # noqa: N802 - JS name
        """The id for `name`: always the same id for the same name in this namespace."""
        return self._ids.from_name(name)

    def newUniqueId(self, *args: Any, **kwargs: Any) -> DurableObjectId:  # noqa: N802 - JS name
        """A fresh random id (options: `jurisdiction`)."""
        jurisdiction = _option(args, kwargs, "jurisdiction")
        return self._ids.new_unique(check_jurisdiction(jurisdiction) if jurisdiction is not None else None)

    def idFromString(self, hex_id: Any) -> DurableObjectId:  # noqa: N802 - JS name
        """Parse an id made by this namespace (`str(id)`); other strings raise TypeError."""
        return self._ids.from_string(hex_id)

    def get(self, object_id: Any, *_options: Any, **_kwargs: Any) -> DurableObjectStub:
        """A stub for the object with this id (the object starts when the first call reaches it)."""
        if not isinstance(object_id, DurableObjectId):
            raise js_error(
                "Failed to execute 'get' on 'DurableObjectNamespace': parameter 1 is not of type 'DurableObjectId'.",
                "TypeError",
            )
        if object_id._namespace != self._ids.namespace:
            raise js_error("Durable Object ID is not valid for this namespace.", "TypeError")
        wanted = self._ids.jurisdiction
        if wanted is not None and object_id.jurisdiction not in (None, wanted):
            raise js_error(
                "get called on jurisdictional subnamespace with an ID from a different jurisdiction", "TypeError"
            )
        return DurableObjectStub(self, object_id)

    def getByName(self, name: Any, *options: Any, **kwargs: Any) -> DurableObjectStub:  # noqa: N802 - JS name
        """Shorthand for `get(idFromName(name))`."""
        return self.get(self.idFromName(name), *options, **kwargs)

    def jurisdiction(self, name: Any) -> DurableObjectNamespace:
        """The same namespace restricted to a jurisdiction (`"eu"`, `"fedramp"`, `"fedramp-high"`)."""
        return DurableObjectNamespace(
            self.registry, self.script, self.class_name, self._ids.with_jurisdiction(check_jurisdiction(name))
        )
