"""Pydantic models for a workflow's inputs and variables, as a class and as its source."""

from __future__ import annotations

import keyword
import unicodedata
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, create_model

from deploy_dsl.importer.names import identifier
from deploy_dsl.importer.pycode import WIDTH, Call, Node, Str, literal

__all__ = ["Model", "ModelField", "input_model", "variables_model"]

# Names a field cannot have: BaseModel's own attributes, and the names the class body uses.
_TAKEN = frozenset(dir(BaseModel)) | {"Any", "BaseModel", "Field"}


@dataclass(frozen=True)
class ModelField:
    name: str  # the Python attribute
    key: str  # the JSON key (the alias when it differs)
    default: Any


@dataclass
class Model:
    """A generated model: `model` is the class itself, `source()` the code that defines it."""

    class_name: str
    docstring: str
    fields: list[ModelField]
    model: type[BaseModel]

    def needs(self) -> frozenset[str]:
        defaults = frozenset().union(*(self._default(f).needs() for f in self.fields))
        return defaults | {"Any", "BaseModel"}

    def source(self) -> str:
        lines = [f"class {self.class_name}(BaseModel):", f'    """{self.docstring}"""']
        lines += [""] if self.fields else []
        for item in self.fields:
            prefix = f"    {item.name}: Any = "
            lines.append(prefix + self._default(item).layout(4, len(prefix)))
        return "\n".join(lines)

    @staticmethod
    def _default(item: ModelField) -> Node:
        value = literal(item.default)
        mutable = isinstance(item.default, dict | list)
        if item.name == item.key and not mutable:
            return value
        call = Call("Field", [], [("default", value)])
        if item.name != item.key:
            call.kwargs.append(("alias", Str(item.key)))
        return call


def _field_name(key: str, taken: set[str]) -> str:
    """The attribute for a JSON key: the key itself when Python keeps it as written, else a
    name the model maps back to the key with an alias.

    Python reads identifiers in NFKC form (PEP 3131): `\\ufb01le` (the fi ligature) in
    source is `file`, `\\u210cost` is `Host`, `\\uff4dodel_config` is pydantic's
    `model_config`. So a key whose NFKC form differs is written under its folded name (an
    alias keeps the key), and names are compared folded, so that `\\ufb01le` and `file` stay
    two fields.
    """
    folded = unicodedata.normalize("NFKC", key)
    usable = folded.isidentifier() and not keyword.iskeyword(folded) and not folded.startswith("_")
    # pydantic refuses field names with a leading underscore, which `identifier` gives any key
    # that starts with a character it replaces (":x" -> "_x").
    stripped = identifier(folded, "field").lstrip("_")
    name = folded if usable else identifier(stripped or "field", "field")
    if name in _TAKEN or name.startswith("model_"):
        name = f"field_{name}"
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _model(class_name: str, docstring: str, values: dict[str, Any]) -> Model:
    taken: set[str] = set()
    fields = [ModelField(_field_name(key, taken), key, value) for key, value in values.items()]
    definitions: dict[str, Any] = {
        item.name: (Any, Field(default=item.default, alias=item.key))
        if item.name != item.key
        else (Any, item.default)
        for item in fields
    }
    model = create_model(class_name, __base__=BaseModel, **definitions)
    return Model(class_name, docstring, fields, model)


def _docstring(text: str, workflow: str) -> str:
    """`text` naming the workflow, if its name is short and plain enough for a docstring."""
    plain = all(c.isascii() and c.isprintable() and c not in '\\"' for c in workflow)
    named = text.format(workflow if plain else "the workflow")
    return named if len(named) <= WIDTH - 12 else text.format("the workflow")


def input_model(class_name: str, workflow: str, keys: list[str], defaults: dict[str, Any]) -> Model:
    """Every input the workflow declares, reads or has a default for (its inputTemplate),
    typed Any: the JSON states no types."""
    docstring = _docstring("Inputs of {} (Conductor JSON states no types).", workflow)
    return _model(class_name, docstring, {key: defaults.get(key) for key in keys})


def variables_model(class_name: str, workflow: str, values: dict[str, Any]) -> Model:
    """The workflow's initial variables: the defaults are the values the JSON gives."""
    return _model(class_name, _docstring("Initial variables of {}.", workflow), values)
