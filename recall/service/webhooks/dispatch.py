"""The dispatcher: claim due deliveries with a lease, POST them signed, settle each attempt.

Why this shape:

- **Never in the intake path.** The stream agents only write rows (`fanout`); the dispatcher
  runs beside them on a timer, each POST in its own task. A receiver that takes 2 s, or never
  answers, holds one task until the timeout — never a batch, an agent or another subscriber.
- **Bounded.** At most `concurrency` POSTs in flight per worker, and at most
  `per_subscription` to one subscription: the claim itself leaves out what a subscription
  may not take now, so one slow endpoint's backlog can never fill the worker's slots.
- **At least once, across kill -9.** A claim leases the row until `now + lease` and makes
  that its next due time; a worker that dies mid-attempt leaves the row due again when the
  lease runs out, and another (or the restarted) worker sends it. The receiver deduplicates
  by `webhook-id`, the event id. Only the claim still holding the lease may settle the row.
- **Several workers.** Leases (PostgreSQL `FOR UPDATE SKIP LOCKED`, SQLite's single writer
  and a compare-and-set) give each due row to one claim, so every worker running the
  `webhooks` stage can dispatch without sending a row twice at the same time.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog

from recall.domain.webhooks import Outcome, PauseRule, RetryPolicy, is_success
from recall.service.webhooks.ports import (
    AttemptResult,
    Claim,
    Post,
    PostResult,
    Settled,
    Settlement,
    WebhookStore,
)
from recall.service.webhooks.signing import signed_headers

log = structlog.get_logger(__name__)

IDLE_MIN_S = 0.1
IDLE_MAX_S = 1.0
CONTENT_TYPE = "application/cloudevents+json"
USER_AGENT = "recall-tracker-webhooks/1"


@dataclass(frozen=True, slots=True)
class DispatchLimits:
    concurrency: int
    per_subscription: int
    lease: timedelta


@dataclass(frozen=True, slots=True)
class _Attempted:
    claim: Claim
    result: AttemptResult
    settlement: Settlement
    seconds: float


class DispatchObserver(Protocol):
    """Where the dispatcher reports (the worker's metrics)."""

    def attempted(self, outcome: str, seconds: float) -> None:
        """One attempt settled: delivered, retry, dead, or lease_lost."""

    def paused(self, subscription_id: str) -> None: ...


class _Silent:
    def attempted(self, outcome: str, seconds: float) -> None:
        return None

    def paused(self, subscription_id: str) -> None:
        return None


class Dispatcher:
    """One per worker; `tick()` on a timer claims and launches, never waits for a receiver."""

    def __init__(
        self,
        store: WebhookStore,
        post: Post,
        policy: RetryPolicy,
        pause: PauseRule,
        limits: DispatchLimits,
        *,
        observer: DispatchObserver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        uniform: Callable[[float, float], float] = random.uniform,  # jitter, not cryptography
    ) -> None:
        self._store, self._post, self._policy, self._pause = store, post, policy, pause
        self._limits = limits
        self._observer: DispatchObserver = observer or _Silent()
        self._clock, self._uniform = clock, uniform
        self._tasks: set[asyncio.Task[None]] = set()
        self._busy: Counter[str] = Counter()
        self._finished: list[_Attempted] = []
        self._idle_s = 0.0
        self._idle_until = 0.0
        self._freed = 0  # slots freed so far: a claim that raced a finishing POST is not idle

    @property
    def in_flight(self) -> int:
        return len(self._tasks)

    async def tick(self) -> int:
        """Settle the attempts finished since the last tick (one transaction), then claim what
        the free slots allow and start those POSTs; how many were claimed.

        After a claim that found nothing, the next ones wait longer (doubling up to
        `IDLE_MAX_S`) unless a POST finished meanwhile: an idle queue, or one whose only
        due rows belong to subscriptions already at their limit, is not polled on every
        tick of the worker.
        """
        await self.settle_finished()
        free = self._limits.concurrency - len(self._tasks)
        if free <= 0 or time.monotonic() < self._idle_until:
            return 0
        now = self._clock()
        token = uuid.uuid4().hex
        busy = dict(self._busy)
        freed = self._freed
        claims = await asyncio.to_thread(
            self._store.claim,
            now,
            now + self._limits.lease,
            token,
            free,
            self._limits.per_subscription,
            busy,
        )
        for claim in claims:
            self._launch(claim)
        if claims or self._freed != freed:  # found work, or a slot freed meanwhile
            self._idle_s = 0.0
        else:
            self._idle_s = min(IDLE_MAX_S, max(IDLE_MIN_S, self._idle_s * 2))
        self._idle_until = time.monotonic() + self._idle_s
        return len(claims)

    async def settle_finished(self) -> int:
        """Record every finished attempt in one transaction (fewer, shorter writes than one
        per attempt: what keeps the dispatcher light beside the intake). If the store fails
        they stay queued for the next tick; a worker that dies first leaves their leases to
        run out, and they are sent again (at least once)."""
        batch, self._finished = self._finished, []
        if not batch:
            return 0
        try:
            settled = await asyncio.to_thread(
                self._store.settle_all, [(a.claim, a.result, a.settlement) for a in batch]
            )
        except Exception:
            self._finished = batch + self._finished
            raise
        for attempt, outcome in zip(batch, settled, strict=True):
            self._report(attempt, outcome)
        return len(batch)

    def _launch(self, claim: Claim) -> None:
        self._busy[claim.subscription_id] += 1
        task = asyncio.get_running_loop().create_task(self._attempt(claim))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._idle_until = 0.0  # a slot is free: claim at the next tick
            self._freed += 1
            self._busy[claim.subscription_id] -= 1
            if self._busy[claim.subscription_id] <= 0:
                del self._busy[claim.subscription_id]

        task.add_done_callback(done)

    async def _attempt(self, claim: Claim) -> None:
        """One signed POST; its outcome waits for the next tick's settlement."""
        try:
            at = self._clock()
            headers = signed_headers(claim.secrets, claim.event_id, at, claim.payload)
            headers |= {"content-type": CONTENT_TYPE, "user-agent": USER_AGENT}
            started = time.perf_counter()
            answer: PostResult = await self._post(claim.url, headers, claim.payload)
            seconds = time.perf_counter() - started
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug of ours (signing): the lease runs out, it is retried
            log.error(
                "webhook attempt failed before its POST; retried after its lease",
                delivery_id=claim.delivery_id,
                subscription_id=claim.subscription_id,
                error=type(error).__name__,
            )
            return
        result = AttemptResult(at, answer.status, answer.error, round(seconds * 1000))
        settlement = self.settlement(claim, answer, self._clock())
        self._finished.append(_Attempted(claim, result, settlement, seconds))

    def _report(self, attempt: _Attempted, settled: Settled) -> None:
        claim, result = attempt.claim, attempt.result
        outcome = settled.outcome.value if settled.recorded else "lease_lost"
        self._observer.attempted(outcome, attempt.seconds)
        if settled.paused:
            self._observer.paused(claim.subscription_id)
        log.info(
            "webhook attempt",
            delivery_id=claim.delivery_id,
            subscription_id=claim.subscription_id,
            event_id=claim.event_id,
            attempt=claim.attempt_no,
            status=result.status,
            error=result.error,
            outcome=outcome,
            paused=settled.paused,
            ms=result.duration_ms,
        )

    def settlement(self, claim: Claim, answer: PostResult, now: datetime) -> Settlement:
        """Delivered on 2xx; else a retry at a jittered backoff, or dead after the budget."""
        if is_success(answer.status):
            return Settlement(Outcome.DELIVERED, None, self._pause, now)
        outcome = self._policy.after_failure(claim.attempt_no)
        retry_at = None
        if outcome is Outcome.RETRY:
            retry_at = self._policy.next_attempt(now, claim.attempt_no, self._uniform)
        return Settlement(outcome, retry_at, self._pause, now)

    async def drain(self, timeout_s: float) -> bool:
        """Wait (bounded) for the POSTs in flight and settle them; True when none is left."""
        deadline = time.monotonic() + timeout_s
        while self._tasks and time.monotonic() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - time.monotonic())
        await self.settle_finished()
        return not self._tasks

    async def close(self) -> None:
        """Cancel what is in flight (shutdown): their leases run out and they are retried."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
