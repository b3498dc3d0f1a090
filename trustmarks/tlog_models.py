"""The transparency log's tables (imported by ``trustmarks.models``; logic in ``trustmarks.tlog``).

Append-only by convention and by ``trustmarks.tlog``: rows are never updated except the single
head row, which holds the tree size, the right-edge hashes and the latest signed checkpoint.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class LogHead(models.Model):
    """The log's current state, one row, locked (``SELECT … FOR UPDATE``) by every append."""

    name = models.CharField(max_length=40, primary_key=True)
    size = models.PositiveBigIntegerField(default=0)
    # Hex hashes of the complete subtrees along the right edge, largest first, comma-separated.
    frontier = models.TextField(blank=True, default="")
    checkpoint = models.TextField(blank=True, default="")  # the latest signed C2SP checkpoint
    updated = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "trustmarks_log_head"

    def __str__(self) -> str:
        return f"{self.name}: {self.size} entries"


class LogEntry(models.Model):
    """One leaf: the canonical JSON of an issuance or status change (never confidential)."""

    index = models.PositiveBigIntegerField(primary_key=True, db_column="leaf_index")
    # Which mark the leaf is about, for the "latest entry of a mark" lookup (the leaf says it too,
    # and the verifier trusts only the leaf).
    mark_number = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=20)
    leaf = models.TextField()
    leaf_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "trustmarks_log_entry"
        ordering = ["index"]
        indexes = [models.Index(fields=["mark_number", "-index"], name="tlog_entry_mark_idx")]

    def __str__(self) -> str:
        return f"#{self.index} {self.kind}"


class LogNode(models.Model):
    """The hash of a complete subtree, keyed ``level << 48 | index`` (level 0: the leaf hashes)."""

    key = models.BigIntegerField(primary_key=True)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "trustmarks_log_node"

    def __str__(self) -> str:
        return f"{self.key >> 48}/{self.key & ((1 << 48) - 1)}"
