"""`Record`: the base of the model's plain classes with `__slots__`, with a dataclass's `==` and repr.

The model makes one object per job, step, service, env entry, image and endpoint of every file;
a slotted object is made in about half the time of a dataclass's, and `dataclasses` (with
`inspect`) costs ~8 ms of start-up to import. `_fields` names what `==`, `hash` and the repr
read, in order, as a dataclass's generated methods would (fields left out there are left out here).
"""

from __future__ import annotations


class Record:
    __slots__ = ()
    _fields: tuple = ()

    def _key(self) -> tuple:
        return tuple([getattr(self, name) for name in self._fields])

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # as a mutable dataclass's; immutable ones set `__hash__ = Record.hash_fields`

    def hash_fields(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{self.__class__.__qualname__}({fields})"
