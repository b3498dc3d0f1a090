"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, with no Django in it.

* leaf hash ``SHA-256(0x00 || leaf)``, interior node hash ``SHA-256(0x01 || left || right)``,
  the empty tree's root ``SHA-256("")`` (RFC 9162 §2.1.1);
* a tree of ``n`` leaves splits at ``k``, the largest power of two smaller than ``n``;
* inclusion proofs (``PATH``, §2.1.3.1) and consistency proofs (``PROOF``, §2.1.4.1) are the
  RFC's lists of hashes, so any RFC 9162 / RFC 6962 verifier (Go's transparency-dev/merkle,
  sigsum, the C2SP tlog tools) checks them; verification follows §2.1.3.2 and §2.1.4.2.

Storage is left to the caller. A proof only ever needs the hashes of *complete* subtrees
(``2**level`` leaves starting at ``index * 2**level``), addressed as ``(level, index)`` keys:
:func:`inclusion_proof` and :func:`consistency_proof` first list the keys they need, ask the
caller's ``fetch`` for all of them at once (one database query), then combine them. A log that
stores every complete subtree's hash when it appends (on average two per leaf,
:func:`nodes_completed_by`) answers any proof for any size in ``O(log n)`` reads.

Why not pymerkle: its hashes are RFC 9162's, but its proofs carry its own format (the leaf,
"rule" and "subset" bits) that other RFC 9162 verifiers cannot read, and its storage back-ends
rebuild subtree hashes from the leaves in process memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeKey = tuple[
    int, int
]  # (level, index): the complete subtree of leaves [index*2**level, (index+1)*2**level)
Fetch = Callable[[Iterable[NodeKey]], Mapping[NodeKey, bytes]]


class ProofError(ValueError):
    """A proof that does not verify, or a request for a proof that cannot exist."""


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- a whole tree from its leaf hashes (reference, small trees, tests) ---------------------------


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH over a list of leaf hashes, as RFC 9162 §2.1.1 defines it (recursive reference)."""
    n = len(hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[0]
    k = split_point(n)
    return node_hash(root_from_leaf_hashes(hashes[:k]), root_from_leaf_hashes(hashes[k:]))


# --- which complete subtrees a range, a proof or a root needs -----------------------------------


def range_keys(start: int, end: int) -> list[NodeKey]:
    """The complete subtrees, left to right, whose hashes make up ``MTH(D[start:end])``.

    ``start`` is aligned as in every range that RFC 9162's recursion produces (a multiple of
    the largest power of two not larger than ``end - start``), so the range is a run of
    complete subtrees of decreasing size.
    """
    keys: list[NodeKey] = []
    while start < end:
        size = 1 << ((end - start).bit_length() - 1)
        while start % size:
            size >>= 1
        level = size.bit_length() - 1
        keys.append((level, start >> level))
        start += size
    return keys


def range_hash(start: int, end: int, nodes: Mapping[NodeKey, bytes]) -> bytes:
    """``MTH(D[start:end])`` from the hashes of its complete subtrees."""
    if start >= end:
        return EMPTY_ROOT
    hashes = [nodes[key] for key in range_keys(start, end)]
    # The subtrees decrease in size, so the tree is right-leaning: fold from the right.
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def _path_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form ``PATH(index, D[start:end])``, leaf end first."""
    ranges: list[tuple[int, int]] = []
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def _subproof_ranges(m: int, start: int, end: int, whole: bool) -> list[tuple[int, int]]:
    """The leaf ranges whose MTHs form ``SUBPROOF(m, D[start:end], whole)`` (RFC 9162 §2.1.4.1)."""
    ranges: list[tuple[int, int]] = []
    while True:
        n = end - start
        if m == n:
            if not whole:
                ranges.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    ranges.reverse()
    return ranges


def _resolve(ranges: list[tuple[int, int]], fetch: Fetch) -> list[bytes]:
    keys = {key for start, end in ranges for key in range_keys(start, end)}
    nodes = fetch(sorted(keys))
    missing = keys - set(nodes)
    if missing:
        raise ProofError(f"the log is missing {len(missing)} tree node(s), e.g. {min(missing)}")
    return [range_hash(start, end, nodes) for start, end in ranges]


def root_hash(size: int, fetch: Fetch) -> bytes:
    """The root of the tree of the first ``size`` leaves."""
    return _resolve([(0, size)], fetch)[0] if size else EMPTY_ROOT


def inclusion_proof(index: int, size: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 ``PATH(index, D[0:size])``: the audit path of leaf ``index`` (0-based)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    return _resolve(_path_ranges(index, 0, size), fetch)


def consistency_proof(first: int, second: int, fetch: Fetch) -> list[bytes]:
    """RFC 9162 ``PROOF(first, D[0:second])``: that the tree of ``second`` leaves extends the first."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    return _resolve(_subproof_ranges(first, 0, second, True), fetch)


def nodes_completed_by(
    size: int, frontier: Sequence[bytes], new_leaf_hash: bytes
) -> tuple[list[tuple[NodeKey, bytes]], list[bytes]]:
    """Append one leaf to a tree of ``size`` leaves, given its ``frontier``.

    The frontier is the list of complete-subtree hashes along the right edge, largest first (one
    per set bit of ``size``; RFC 9162's "compact range"). Returns the complete subtrees the new
    leaf completes (the leaf itself first, as ``((level, index), hash)``) and the new frontier.
    """
    if len(frontier) != size.bit_count():
        raise ProofError(f"a frontier of a tree of size {size} has {size.bit_count()} hashes")
    created: list[tuple[NodeKey, bytes]] = [((0, size), new_leaf_hash)]
    stack = list(frontier)
    current, level, index = new_leaf_hash, 0, size
    while index & 1:
        current = node_hash(stack.pop(), current)
        level, index = level + 1, index >> 1
        created.append(((level, index), current))
    stack.append(current)
    return created, stack


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """The root of a tree from its frontier (largest subtree first)."""
    if not frontier:
        return EMPTY_ROOT
    result = frontier[-1]
    for h in reversed(frontier[:-1]):
        result = node_hash(h, result)
    return result


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---------------------------------------------


def _check_hashes(*hashes: bytes | Sequence[bytes]) -> None:
    for h in hashes:
        items = [h] if isinstance(h, bytes | bytearray) else h
        for item in items:
            if not isinstance(item, bytes | bytearray) or len(item) != HASH_SIZE:
                raise ProofError("every hash must be 32 bytes")


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from leaf hash ``leaf`` at ``index`` (§2.1.3.2 steps 1-5)."""
    _check_hashes(leaf, proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    fn, sn = index, size - 1
    r = leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows leaf hash ``leaf`` at ``index`` under ``root``."""
    _check_hashes(root)
    if root_from_inclusion_proof(index, size, leaf, proof) != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the tree ``second`` extends tree ``first``."""
    _check_hashes(first_root, second_root, proof)
    if first < 0 or second < first:
        raise ProofError(f"a log cannot shrink from size {first} to size {second}")
    if first == second:
        if proof:
            raise ProofError("the proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("two different roots for the same tree size")
        return
    if first == 0:
        if proof:
            raise ProofError("the proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    # §2.1.4.2 step 2: if first is an exact power of two, prepend first_hash to the path.
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    # Step 4: right-shift both while LSB(fn) is set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")


# --- an in-memory log (tests, benchmarks, and the reference for the stored one) ------------------


class MemoryTree:
    """An append-only tree keeping every complete subtree's hash, like the database log does."""

    def __init__(self) -> None:
        self.nodes: dict[NodeKey, bytes] = {}
        self.frontier: list[bytes] = []
        self.size = 0

    def append(self, leaf: bytes) -> int:
        """Append leaf data (hashed here); returns its index."""
        return self.append_hash(leaf_hash(leaf))

    def append_hash(self, h: bytes) -> int:
        created, self.frontier = nodes_completed_by(self.size, self.frontier, h)
        self.nodes.update(created)
        self.size += 1
        return self.size - 1

    def fetch(self, keys: Iterable[NodeKey]) -> dict[NodeKey, bytes]:
        return {k: self.nodes[k] for k in keys if k in self.nodes}

    def root(self, size: int | None = None) -> bytes:
        if size is None or size == self.size:
            return root_from_frontier(self.frontier)
        if not 0 <= size <= self.size:
            raise ProofError(f"no tree of size {size}")
        return root_hash(size, self.fetch)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.fetch)

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        second = self.size if second is None else second
        if second > self.size:
            raise ProofError(f"no tree of size {second}")
        return consistency_proof(first, second, self.fetch)
