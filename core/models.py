from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by every Celery worker every few seconds; /healthz reads it to know a worker is up.

    Works the same on the file-system broker and on Redis, and with any number of workers.
    """

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    pid = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AuditEvent(models.Model):
    """An append-only, hash-chained record of every state change that matters to an audit
    (assessment transitions, trust-mark issuance and status changes, rubric loads).

    ``hash`` = SHA-256 over the previous event's hash and this event's canonical content, so a
    changed or deleted row breaks the chain (``manage.py verify_audit_log``).
    """

    # Two chains: "audit" (private: assessments, rubric loads) and "trustmarks" (public
    # transparency log of issuance and status changes, whose head is published).
    chain = models.CharField(max_length=20, default="audit")
    sequence = models.PositiveBigIntegerField()
    created = models.DateTimeField()
    actor_email = models.CharField(max_length=254, blank=True)
    organisation_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=100)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=100)
    data = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["chain", "sequence"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "sequence"], name="audit_chain_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_type}:{self.object_id}"


class AuditSeal(models.Model):
    """The last event of each audit chain, MACed with a key the database never holds.

    ``audit_event_append`` rewrites it with every event; ``audit_log_verify`` then notices a chain
    whose end moved without the key: the last events deleted (truncation), an edit followed by
    recomputing every later hash, or an event appended outside the application.
    """

    chain = models.CharField(max_length=20, primary_key=True)
    sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} sealed at #{self.sequence}"
