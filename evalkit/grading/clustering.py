"""Deterministic clustering primitives: union-find over buckets and first-appearance numbering.

Clustering costs in proportion to the number of *distinct* answers: answers are first bucketed
by canonical key, then buckets proven equal are merged with a union-find whose root is always the
earliest bucket, so the result never depends on the order in which merges are found.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


class UnionFind:
    """Disjoint sets over 0..n-1; the root of a set is its smallest member (deterministic)."""

    def __init__(self, size: int) -> None:
        self._parent = list(range(size))

    def find(self, item: int) -> int:
        """The smallest member of `item`'s set (with path halving)."""
        parent = self._parent
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        """Merge the sets of `first` and `second`."""
        root_a, root_b = self.find(first), self.find(second)
        if root_a == root_b:
            return
        if root_b < root_a:
            root_a, root_b = root_b, root_a
        self._parent[root_b] = root_a


def clusters_from_buckets(labels: Sequence[Hashable | None]) -> list[int]:
    """Number equal labels 0, 1, 2, ... in order of first appearance; `None` becomes -1."""
    numbering: dict[Hashable, int] = {}
    clusters: list[int] = []
    for label in labels:
        if label is None:
            clusters.append(-1)
            continue
        if label not in numbering:
            numbering[label] = len(numbering)
        clusters.append(numbering[label])
    return clusters
