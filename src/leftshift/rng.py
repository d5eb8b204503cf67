"""The seed tree: master seed -> replication -> one named stream per random process.

Why a tree: every replication must be reproducible on its own (re-run replication 7 without
running 0-6), give the same numbers whatever the number of worker processes, and use streams that
never overlap. numpy's `SeedSequence` gives all three: replication r is the child with spawn key
`(r,)`, exactly what `SeedSequence(seed).spawn(n)[r]` returns, so it can be built directly.

Why *named* streams: a random process (the clock of one group of people, the arrivals of new
entrants, the rounding of an initial count) draws from its own stream, found from its name, not
from the order in which streams happen to be created or used. Two scenarios run with the same seed
therefore give the same random numbers to every process they have in common (common random
numbers): adding an intervention adds new streams but shifts none of the existing ones, so the
difference between the runs is the effect of the change, not noise. A name's stream is the
replication's grandchild with spawn key `(r, h1, h2)`, where `h1, h2` are a 64-bit hash of the
name, split in two 32-bit words.

Only `numpy.random.Generator` is used; nothing here touches global random state.
"""

from __future__ import annotations

import hashlib

import numpy as np


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """Replication r's seed: equal to `SeedSequence(seed).spawn(n)[r]` for any n > r."""
    if seed < 0 or replication < 0:
        raise ValueError("seed and replication must be non-negative")
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The first `replications` children of the master seed, in order."""
    return np.random.SeedSequence(seed).spawn(replications)


def stream_key(name: str) -> tuple[int, int]:
    """A stable 64-bit hash of a stream's name as two 32-bit words (stable across runs and platforms,
    unlike Python's `hash`)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8, person=b"leftshift-rng").digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


def named_seed(seed: int, replication: int, name: str) -> np.random.SeedSequence:
    """The seed of stream `name` in replication r (spawn key `(r, *stream_key(name))`)."""
    parent = replication_seed(seed, replication)
    return np.random.SeedSequence(parent.entropy, spawn_key=(*parent.spawn_key, *stream_key(name)))


def generator(seed: int, replication: int, name: str) -> np.random.Generator:
    """A fresh generator for stream `name` of replication r."""
    return np.random.Generator(np.random.PCG64(named_seed(seed, replication, name)))


class ReplicationStreams:
    """The named generators of one replication, created on first use and then reused."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._streams: dict[str, np.random.Generator] = {}

    def __call__(self, name: str) -> np.random.Generator:
        stream = self._streams.get(name)
        if stream is None:
            stream = self._streams[name] = generator(self.seed, self.replication, name)
        return stream

    @property
    def names(self) -> list[str]:
        return sorted(self._streams)


def replication_streams(seed: int, replication: int) -> ReplicationStreams:
    """Everything replication r needs to be re-run alone: its named streams."""
    replication_seed(seed, replication)  # validates
    return ReplicationStreams(seed, replication)


class Buffered:
    """Draws from one generator in blocks (a scalar numpy draw costs ~0.4 us, a list pop ~0.06 us).

    Exponentials and uniforms come in blocks that double from 16 to 4,096 values, and the block
    sizes depend only on how many values were taken before, so the numbers a process sees do not
    depend on anything else in the run: buffering keeps common random numbers intact.

    Hot loops may take values straight from `exps` and `uniforms` (stacks: `pop()` from the end)
    and call `exponential()` / `uniform()` only when a stack is empty; the lists are refilled in
    place, so a reference to them stays valid.
    """

    __slots__ = ("_blocks", "_gen", "exps", "uniforms")

    def __init__(self, gen: np.random.Generator) -> None:
        self._gen = gen
        self.exps: list[float] = []
        self.uniforms: list[float] = []
        self._blocks = [16, 16]

    def exponential(self) -> float:
        """A standard exponential (mean 1)."""
        if not self.exps:
            self.exps.extend(self._gen.standard_exponential(self._next_block(0)).tolist()[::-1])
        return self.exps.pop()

    def uniform(self) -> float:
        """A uniform on [0, 1)."""
        if not self.uniforms:
            self.uniforms.extend(self._gen.random(self._next_block(1)).tolist()[::-1])
        return self.uniforms.pop()

    def _next_block(self, kind: int) -> int:
        size = self._blocks[kind]
        self._blocks[kind] = min(2 * size, 4096)
        return size
