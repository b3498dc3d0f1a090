"""lib.merkle against the RFC 6962 / RFC 9162 reference vectors (transparency-dev/merkle
testonly/constants.go and proof/verify_test.go, data only) and a property test."""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import merkle
from lib.merkle import MemoryTree, ProofError

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf number counting from 1, tree size, path)
INCLUSION = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        2,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def _tree() -> MemoryTree:
    tree = MemoryTree()
    for leaf in LEAVES:
        tree.append(leaf)
    return tree


def test_empty_root_leaf_and_node_prefixes():
    assert merkle.EMPTY_ROOT.hex() == ROOTS[0]
    assert merkle.leaf_hash(b"").hex() == ROOTS[1]
    assert merkle.node_hash(merkle.leaf_hash(b""), merkle.leaf_hash(b"\x00")).hex() == ROOTS[2]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference_for_every_size(size):
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:size]]
    assert merkle.root_from_leaf_hashes(hashes).hex() == ROOTS[size]
    assert _tree().root(size).hex() == ROOTS[size]
    partial = MemoryTree()
    for leaf in LEAVES[:size]:
        partial.append(leaf)
    assert partial.root().hex() == ROOTS[size]  # from the frontier


def test_stored_nodes_are_the_reference_complete_subtrees():
    tree = _tree()
    assert tree.nodes[(1, 2)].hex() == "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
    assert tree.nodes[(2, 1)].hex() == "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
    assert tree.nodes[(3, 0)].hex() == ROOTS[8]
    assert len(tree.nodes) == 15  # 8 leaves + 4 + 2 + 1


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_vectors(leaf, size, path):
    proof = [bytes.fromhex(h) for h in path]
    tree = _tree()
    assert tree.inclusion_proof(leaf - 1, size) == proof
    leaf_hash = merkle.leaf_hash(LEAVES[leaf - 1])
    root = bytes.fromhex(ROOTS[size])
    merkle.verify_inclusion(leaf - 1, size, leaf_hash, proof, root)
    # The corruptions of transparency-dev/merkle's verifierCheck: all rejected.
    probes = [
        (leaf - 2, size, root, leaf_hash, proof),
        (leaf, size, root, leaf_hash, proof),
        ((leaf - 1) ^ 2, size, root, leaf_hash, proof),
        (leaf - 1, size * 2, root, leaf_hash, proof),
        (leaf - 1, size // 2, root, leaf_hash, proof),
        (leaf - 1, size, root, hashlib.sha256(b"WrongLeaf").digest(), proof),
        (leaf - 1, size, merkle.EMPTY_ROOT, leaf_hash, proof),
        (leaf - 1, size, SOME_HASH, leaf_hash, proof),
        (leaf - 1, size, root, leaf_hash, [*proof, root]),
        (leaf - 1, size, root, leaf_hash, [root, *proof]),
        (leaf - 1, size, root, leaf_hash, [*proof, b""]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((leaf - 1, size, root, leaf_hash, bad))
    if proof:
        probes.append((leaf - 1, size, root, leaf_hash, proof[:-1]))
    if len(proof) > 1:
        probes.append((leaf - 1, size, root, leaf_hash, [proof[0], SOME_HASH, *proof[1:]]))
    for index, tree_size, r, h, p in probes:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index, tree_size, h, p, r)


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_vectors(first, second, path):
    proof = [bytes.fromhex(h) for h in path]
    tree = _tree()
    assert tree.consistency_proof(first, second) == proof
    r1, r2 = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    merkle.verify_consistency(first, second, proof, r1, r2)
    if not proof:
        return
    probes = [
        (first - 1, second, r1, r2, proof),
        (first + 1, second, r1, r2, proof),
        (first ^ 2, second, r1, r2, proof),
        (first, second * 2, r1, r2, proof),
        (first, second // 2, r1, r2, proof),
        (first, second, SOME_HASH, r2, proof),
        (first, second, r1, SOME_HASH, proof),
        (first, second, r2, r1, proof),
        (first, second, r1, r2, []),
        (first, second, r1, r2, [*proof, r1]),
        (first, second, r1, r2, [*proof, r2]),
        (first, second, r1, r2, [r1, *proof]),
        (first, second, r1, r2, [r2, *proof]),
        (first, second, r1, r2, [proof[0], *proof]),
        (first, second, r1, r2, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((first, second, r1, r2, bad))
    for s1, s2, a, b, p in probes:
        if s1 == s2 and a == b and not p:
            continue
        with pytest.raises(ProofError):
            merkle.verify_consistency(s1, s2, p, a, b)


def test_trivial_consistency_cases():
    e = merkle.EMPTY_ROOT
    merkle.verify_consistency(0, 0, [], e, e)
    merkle.verify_consistency(0, 5, [], e, SOME_HASH)
    merkle.verify_consistency(3, 3, [], SOME_HASH, SOME_HASH)
    for args in [
        (0, 0, [], e, SOME_HASH),
        (1, 1, [], e, SOME_HASH),
        (1, 1, [e], e, e),
        (0, 1, [e], e, e),
        (2, 1, [], e, e),
        (1, 2, [], e, SOME_HASH),
    ]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)


def test_bad_requests_are_refused():
    tree = _tree()
    for args in [(8, 8), (-1, 8), (0, 0)]:
        with pytest.raises(ProofError):
            tree.inclusion_proof(*args)
    with pytest.raises(ProofError):
        tree.consistency_proof(5, 4)
    with pytest.raises(ProofError):
        tree.consistency_proof(1, 9)
    with pytest.raises(ProofError, match="missing"):
        merkle.root_hash(8, lambda keys: {})


def _check_tree(leaves: list[bytes]) -> None:
    tree = MemoryTree()
    roots = [merkle.EMPTY_ROOT]
    for leaf in leaves:
        tree.append(leaf)
        roots.append(tree.root())
    hashes = [merkle.leaf_hash(x) for x in leaves]
    n = len(leaves)
    assert roots[n] == merkle.root_from_leaf_hashes(hashes)
    # Every old checkpoint is consistent with the new one, and with every later one.
    for old in range(n + 1):
        assert tree.root(old) == roots[old]
        merkle.verify_consistency(old, n, tree.consistency_proof(old, n), roots[old], roots[n])
    # Every leaf's inclusion verifies at the final size and at a random earlier size.
    rng = random.Random(n)
    for i in range(n):
        merkle.verify_inclusion(i, n, hashes[i], tree.inclusion_proof(i, n), roots[n])
        size = rng.randint(i + 1, n)
        merkle.verify_inclusion(i, size, hashes[i], tree.inclusion_proof(i, size), roots[size])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=12), min_size=0, max_size=70))
def test_property_appends_stay_consistent_and_included(leaves):
    _check_tree(leaves)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomized_larger_trees(seed):
    rng = random.Random(seed)
    n = rng.randint(200, 300)
    tree = MemoryTree()
    roots = [merkle.EMPTY_ROOT]
    for i in range(n):
        tree.append(i.to_bytes(4, "big"))
        roots.append(tree.root())
    for _ in range(100):
        second = rng.randint(1, n)
        first = rng.randint(0, second)
        merkle.verify_consistency(
            first, second, tree.consistency_proof(first, second), roots[first], roots[second]
        )
        index = rng.randrange(second)
        merkle.verify_inclusion(
            index, second, tree.nodes[(0, index)], tree.inclusion_proof(index, second), roots[second]
        )


def test_pymerkle_agrees_when_installed():
    """An independent implementation gives the same roots (skipped when pymerkle is absent)."""
    pymerkle = pytest.importorskip("pymerkle")
    other = pymerkle.InmemoryTree(algorithm="sha256")
    ours = MemoryTree()
    for i in range(1, 40):
        data = f"entry {i}".encode()
        other.append_entry(data)
        ours.append(data)
        assert other.get_root() == ours.root()
