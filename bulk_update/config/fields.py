"""How a setting is declared: a dataclass field with its default and a :class:`Flag` saying
how the command line writes it; and the helpers that read those declarations back."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class Flag:
    """How the command line writes a setting.

    ``names`` is one flag, or with ``values`` one switch per value (``--dayfirst`` stands for
    ``"dayfirst"``), each with its own ``help``. Help texts are templates: ``{default}`` is
    the setting's default, ``{report_path}`` another setting as the reader calls it.
    ``convert`` turns what a caller gives (a string path, ``"1666/10"``, the texts of a
    repeated flag) into the setting's value; it runs in the dataclass, for every caller.
    """

    names: tuple[str, ...]
    help: tuple[str, ...]
    metavar: str | None = None
    parse: Callable[[str], Any] | None = None  # the command line's text → a value
    values: tuple[Any, ...] = ()
    choices: tuple[str, ...] = ()
    repeatable: bool = False
    group: str = ""  # "connection", "output", or the command's own
    convert: Callable[[Any], Any] | None = None

    @property
    def shown(self) -> str:
        """What a message calls the setting: its flag, or its switches."""
        return " or ".join(self.names)


def setting(
    default: Any = MISSING,
    flag: str | tuple[str, ...] = (),
    help: str | tuple[str, ...] = (),
    *,
    factory: Callable[[], Any] | None = None,
    **how: Any,
) -> Any:
    """A settings field with its default and, when it has a ``flag``, how it is written."""
    names = (flag,) if isinstance(flag, str) else flag
    helps = (help,) if isinstance(help, str) else help
    metadata = {"flag": Flag(names, helps, **how)} if names else {}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def flag_of(setting_field: Field[Any]) -> Flag | None:
    found = setting_field.metadata.get("flag")
    return found if isinstance(found, Flag) else None


def flagged_fields(cls: type) -> Iterator[tuple[Field[Any], Flag]]:
    """The settings of a settings class that a caller gives (the others are derived)."""
    for setting_field in fields(cls):
        found = flag_of(setting_field)
        if found is not None:
            yield setting_field, found


def default_of(setting_field: Field[Any]) -> Any:
    if setting_field.default_factory is not MISSING:
        return setting_field.default_factory()
    return None if setting_field.default is MISSING else setting_field.default


def convert_given(instance: object) -> None:
    """Each setting given in another form (a str path, a rate as text) as its value."""
    for setting_field, found in flagged_fields(type(instance)):
        value = getattr(instance, setting_field.name)
        if found.convert is not None and value is not None:
            object.__setattr__(instance, setting_field.name, found.convert(value))


def pick(cls: type, given: Mapping[str, Any]) -> dict[str, Any]:
    """The settings of ``cls`` among flat named settings."""
    return {f.name: given[f.name] for f, _flag in flagged_fields(cls) if f.name in given}


def to_texts(given: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A repeatable text setting as a tuple: one text given alone is a tuple of one."""
    return (given,) if isinstance(given, str) else tuple(str(each) for each in given)
