"""Redis Cluster hash slots: CRC16 as the server computes it, a key's slot, slot ranges as text,
and a key that lands in a given shard (for the `rw` check on every master). Standard library only."""

from __future__ import annotations

SLOT_COUNT = 16384
KEY_TRIES = 200_000


def _crc16_table() -> list:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return table


_CRC16_TABLE = _crc16_table()


def crc16(data: bytes) -> int:
    """CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with."""
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _CRC16_TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def key_slot(key: bytes) -> int:
    """The hash slot of `key`, honouring a non-empty `{hash tag}` as the server does."""
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc16(key) % SLOT_COUNT


def slot_ranges_text(slots: list) -> str:
    """`[0, 1, 2, 7]` -> `0-2,7`: a list of slots short enough for one line."""
    ranges: list = []
    for slot in slots:
        if ranges and ranges[-1][1] == slot - 1:
            ranges[-1][1] = slot
        else:
            ranges.append([slot, slot])
    return ",".join(f"{first}-{last}" if first != last else str(first) for first, last in ranges)


def key_in(ranges: list, prefix: str, token: str) -> str:
    """A key starting `prefix` + `token` whose hash slot falls in one of `ranges` (a few tries;
    even a one-slot range is hit in ~16,384 on average, and the bound makes a miss ~e^-12)."""
    for attempt in range(KEY_TRIES):
        key = f"{prefix}{token}:{attempt}"
        slot = key_slot(key.encode())
        if any(first <= slot <= last for first, last in ranges):
            return key
    raise ValueError(f"no key in slots {ranges} after {KEY_TRIES} tries")
