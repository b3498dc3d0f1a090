"""Credential writes: start an AIDA attempt, save answers as they come, submit and grade; on a
pass issue ``AIDA-<year>-<nnnn>`` as a signed Open Badges 3.0 credential with an entry in the
trust marks' message status list; change a holder's registry listing; suspend, revoke.

Every refusal is a ``DomainError`` with a message the page shows as it is; nothing changes.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_event_append
from lib.errors import DomainError, ErrorItem
from lib.jws import split_kid, unverified_header
from trustmarks import statuslist
from trustmarks.credentials import StatusRef, sign_credential
from trustmarks.services import message_indexes_used, status_list_publish, status_lists_lock
from trustmarks.signing import issuer_id, public_url, signing_ring, status_list_url

from .bank import Bank, draw, grade, load_bank, option_seed, shuffle_options
from .models import AIDA, AttemptQuestion, CredentialSequence, ExamAttempt, PersonalCredential
from .signing import build_personal_credential

MAX_NAME = 120
MAX_REASON = 2000


def status_entries() -> list[tuple[int, str]]:
    """Every personal credential's ``(message-list index, status)`` (registered with trustmarks)."""
    return list(PersonalCredential.objects.values_list("status_index", "status"))


# --- attempts -----------------------------------------------------------------------------------


def attempt_open_of(user: Any) -> ExamAttempt | None:
    return ExamAttempt.objects.filter(user=user, kind=AIDA, submitted__isnull=True).first()


def retry_at(user: Any, bank: Bank | None = None) -> datetime | None:
    """When ``user`` may start the next attempt, if that is still in the future."""
    bank = bank or load_bank()
    last = (
        ExamAttempt.objects.filter(user=user, kind=AIDA, submitted__isnull=False)
        .order_by("-submitted")
        .first()
    )
    if last is None or last.submitted is None:
        return None
    at = last.submitted + timedelta(hours=bank.exam.wait_hours)
    return at if at > timezone.now() else None


def wait_message(at: datetime) -> str:
    local = timezone.localtime(at)
    return (
        f"There are {load_bank().exam.wait_hours} hours between attempts. You can start the next one "
        f"from {local:%d %B %Y, %H:%M} ({local.tzname()})."
    )


@transaction.atomic
def attempt_start(*, user: Any, seed: int | None = None, bank: Bank | None = None) -> ExamAttempt:
    """Start an AIDA attempt (or return the one already open, to resume it).

    Refused inside the wait after the last submitted attempt, with the time the next may start.
    The questions are drawn by a random seed; each question's options get their own shuffled
    order and opaque per-attempt tokens, kept here and never shown.
    """
    bank = bank or load_bank()
    if not getattr(user, "is_authenticated", False):
        raise DomainError("Sign in to take the exam.", status=403, code="permission_denied")
    open_attempt = attempt_open_of(user)
    if open_attempt is not None:
        return open_attempt
    at = retry_at(user, bank)
    if at is not None:
        raise DomainError(wait_message(at), status=409, code="wait")
    seed = secrets.randbelow(2**31) if seed is None else seed
    attempt = ExamAttempt.objects.create(
        user=user, kind=AIDA, bank_version=bank.version, seed=seed, pass_mark=bank.exam.pass_mark
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            position=index + 1,
            question_id=q.id,
            domain=q.domain,
            option_order=shuffle_options(option_seed(seed, index)),
            option_tokens=_tokens(len(q.options)),
        )
        for index, q in enumerate(draw(bank, seed))
    )
    return attempt


def _tokens(count: int) -> list[str]:
    tokens: set[str] = set()
    while len(tokens) < count:
        tokens.add(secrets.token_urlsafe(6))
    return list(tokens)


def _lock_attempt(attempt: ExamAttempt, user: Any) -> ExamAttempt:
    locked = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
    if locked.user_id != getattr(user, "pk", None):
        raise DomainError("No such attempt.", status=404, code="not_found")
    if locked.submitted is not None:
        raise DomainError(
            "This attempt was already submitted; its result is below and cannot change.",
            status=409,
            code="already_submitted",
        )
    return locked


def _question(attempt: ExamAttempt, position: Any) -> AttemptQuestion:
    try:
        number = int(str(position))
    except ValueError:
        number = -1
    question = attempt.questions.filter(position=number).first() if number > 0 else None
    if question is None:
        raise DomainError(
            "That question is not part of this attempt.",
            [ErrorItem(f"q{position}", "not in this attempt")],
            status=400,
            code="unknown_question",
        )
    return question


@transaction.atomic
def attempt_answer(*, attempt: ExamAttempt, user: Any, answers: dict[str, str]) -> int:
    """Save answers (shown position → option token) in an open attempt; returns how many.

    All or nothing: a question not in the attempt or a token that is not one of that question's
    options refuses the whole request (400) and saves nothing.
    """
    attempt = _lock_attempt(attempt, user)
    changes: list[AttemptQuestion] = []
    for position, token in answers.items():
        question = _question(attempt, position)
        if token not in question.option_tokens:
            raise DomainError(
                "That answer is not one of the question's options. Reload the page and answer again.",
                [ErrorItem(f"q{position}", "unknown option")],
                status=400,
                code="unknown_option",
            )
        question.chosen = question.option_order[question.option_tokens.index(token)]
        question.answered = timezone.now()
        changes.append(question)
    AttemptQuestion.objects.bulk_update(changes, ["chosen", "answered"])
    return len(changes)


def clean_holder_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise DomainError(
            "Write your name as it should appear on the credential.",
            [ErrorItem("holder_name", "This field is required.")],
        )
    if len(text) > MAX_NAME:
        raise DomainError(
            f"Keep the name under {MAX_NAME} characters.", [ErrorItem("holder_name", "Too long.")]
        )
    return text


@transaction.atomic
def attempt_submit(
    *, attempt: ExamAttempt, user: Any, holder_name: str = "", listed: bool = False, bank: Bank | None = None
) -> ExamAttempt:
    """Grade an open attempt; on a pass issue the credential in ``holder_name`` (listed in the
    registry search only if ``listed``). Refused: submitted before (409), no answer at all (400:
    nothing is graded), no name on what would be a pass (400)."""
    bank = bank or load_bank()
    attempt = _lock_attempt(attempt, user)
    rows = list(attempt.questions.all())
    if not any(r.chosen is not None for r in rows):
        raise DomainError(
            "You have not answered any question yet, so there is nothing to grade. Answer the "
            "questions, then submit.",
            code="empty_submission",
        )
    questions = [bank.question(r.question_id) for r in rows]
    if any(q is None for q in questions):
        raise DomainError(
            "This attempt's question bank is no longer available.", status=409, code="bank_changed"
        )
    graded = grade(
        [q for q in questions if q is not None], {r.question_id: r.chosen for r in rows}, attempt.pass_mark
    )
    name = clean_holder_name(holder_name) if graded.passed else ""
    attempt.submitted = timezone.now()
    attempt.score = graded.score
    attempt.passed = graded.passed
    attempt.per_domain = {d: list(v) for d, v in graded.per_domain.items()}
    attempt.save(update_fields=["submitted", "score", "passed", "per_domain"])
    if graded.passed:
        credential_issue(
            user=user,
            attempt=attempt,
            holder_name=name,
            listed=listed,
            score=graded.score,
            total=graded.total,
            bank=bank,
        )
    return attempt


# --- credentials --------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=UTC)


def _next_number(kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, under a row lock (never below one already used)."""
    name = f"{kind}-{year}"
    seq, _ = CredentialSequence.objects.select_for_update().get_or_create(name=name)
    highest = PersonalCredential.objects.filter(kind=kind, year=year).aggregate(n=Max("number"))["n"] or 0
    number = max(seq.next_value, highest + 1)
    CredentialSequence.objects.filter(pk=seq.pk).update(next_value=number + 1)
    return number


def subject_id(user_id: int | None) -> str:
    """A stable identifier of the holder that says nothing about them."""
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer_id()}/people/{user_id}"))


def record_url(credential: PersonalCredential) -> str:
    return public_url(reverse("credentials:registry_record", args=[credential.credential_id]))


def _sign(credential: PersonalCredential, *, score: int, total: int, bank: Bank) -> tuple[str, str]:
    document = build_personal_credential(
        kind=credential.kind,
        credential_id=credential.credential_id,
        issuer_id=issuer_id(),
        issuer_name=settings.ISSUER_NAME,
        issuer_url=settings.PUBLIC_URL,
        holder_name=credential.holder_name,
        subject_id=subject_id(credential.user_id),
        score=score,
        total=total,
        pass_mark=bank.exam.pass_mark,
        validity_years=bank.exam.validity_years,
        valid_from=datetime.combine(credential.issued, time.min, tzinfo=UTC),
        valid_until=end_of_day(credential.expires),
        record_url=record_url(credential),
        status=StatusRef(status_list_url("message"), credential.status_index),
    )
    token = sign_credential(document, signing_ring())
    return token, split_kid(str(unverified_header(token).get("kid", "")))[1]


@transaction.atomic
def credential_issue(
    *,
    user: Any,
    holder_name: str,
    listed: bool = False,
    attempt: ExamAttempt | None = None,
    score: int,
    total: int,
    issued_on: date | None = None,
    kind: str = AIDA,
    bank: Bank | None = None,
) -> PersonalCredential:
    """Issue a personal credential: the next ``AIDA-<year>-<nnnn>``, valid ``validity_years``
    (data) from ``issued_on``, a random free index in the message status list (shared with trust
    marks), signed, and appended to the public log."""
    bank = bank or load_bank()
    name = clean_holder_name(holder_name)
    issued = issued_on or timezone.localdate()
    status_lists_lock()  # allocation and publication never interleave with a mark's
    number = _next_number(kind, issued.year)
    for try_ in range(5):
        credential = PersonalCredential(
            kind=kind,
            year=issued.year,
            number=number,
            user=user,
            attempt=attempt,
            holder_name=name,
            listed=bool(listed),
            issued=issued,
            expires=add_years(issued, bank.exam.validity_years),
            status=PersonalCredential.ACTIVE,
            status_index=statuslist.allocate_index(message_indexes_used()),
        )
        credential.credential_jwt, credential.credential_kid = _sign(
            credential, score=score, total=total, bank=bank
        )
        try:
            with transaction.atomic():
                credential.save()
            break
        except IntegrityError:
            if try_ == 4:
                raise
    log_public(credential, "issued", from_status="", actor=user)
    return credential


@transaction.atomic
def credential_set_listed(*, credential: PersonalCredential, user: Any, listed: bool) -> PersonalCredential:
    """The holder agrees (or no longer agrees) to be found by name in the registry search. The
    credential keeps verifying by its id either way."""
    if credential.user_id != getattr(user, "pk", None):
        raise DomainError("No such credential.", status=404, code="not_found")
    credential.listed = bool(listed)
    credential.save(update_fields=["listed"])
    return credential


TRANSITIONS = {
    "suspend": ({PersonalCredential.ACTIVE}, PersonalCredential.SUSPENDED),
    "reinstate": ({PersonalCredential.SUSPENDED}, PersonalCredential.ACTIVE),
    "revoke": ({PersonalCredential.ACTIVE, PersonalCredential.SUSPENDED}, PersonalCredential.REVOKED),
}


@transaction.atomic
def credential_status_change(
    *, credential: PersonalCredential, actor: Any, action: str, reason: str, approver: Any = None
) -> PersonalCredential:
    """Suspend, reinstate or revoke a personal credential (a platform assessor, with a reason;
    revoke and reinstate need a second assessor as ``approver``, the trust marks' four-eyes rule).
    Republishes the message status list and appends to the public log."""
    from accounts.access import four_eyes_refusal, is_assessor

    if not is_assessor(actor):
        raise DomainError("Only a platform assessor can do this.", status=403, code="permission_denied")
    if action not in TRANSITIONS:
        raise DomainError(f"Unknown change {action!r}.", status=404, code="not_found")
    if action in ("revoke", "reinstate"):
        refusal = (
            "A second assessor must approve this." if approver is None or not is_assessor(approver) else ""
        ) or four_eyes_refusal(approver, requested_by=actor)
        if refusal:
            raise DomainError(refusal, status=403, code="four_eyes")
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise DomainError(
            "Write the reason for this change.", [ErrorItem("reason", "Required, at most 2000 characters.")]
        )
    status_lists_lock()
    credential = PersonalCredential.objects.select_for_update().get(pk=credential.pk)
    allowed, to = TRANSITIONS[action]
    before = credential.effective_status()
    if before not in allowed:
        raise DomainError(f"{credential.credential_id} is {before}; it cannot be {action}d.", status=409)
    credential.status = to
    credential.status_reason = text
    credential.status_changed_at = timezone.now()
    credential.save(update_fields=["status", "status_reason", "status_changed_at"])
    status_list_publish(purpose="message")
    log_public(credential, action, from_status=before, actor=approver or actor, reason=text)
    return credential


# --- the public log: the one hook point -----------------------------------------------------------


def log_public(
    credential: PersonalCredential, action: str, *, from_status: str, actor: Any, reason: str = ""
) -> None:
    """Append a credential's issuance or status change to the public log.

    THE single hook point for the transparency log: today the public ``trustmarks`` hash chain
    of the audit log (whose head is ``/api/certify/log/head``); when ``trustmarks/tlog.py``
    lands, append the same entry there instead. Public facts only (the reason is hashed).
    """
    audit_event_append(
        action=f"personal_credential.{action}",
        object_type="personal_credential",
        object_id=credential.credential_id,
        actor_email=getattr(actor, "email", "") or "",
        data={
            "credential": credential.credential_id,
            "holder": credential.holder_name,
            "from_status": from_status,
            "status": credential.status,
            "issued": credential.issued.isoformat(),
            "expires": credential.expires.isoformat(),
            "credential_sha256": hashlib.sha256(credential.credential_jwt.encode()).hexdigest(),
            "kid": credential.credential_kid,
            "reason_sha256": hashlib.sha256(reason.encode()).hexdigest() if reason else "",
        },
        chain="trustmarks",
    )
