"""An account's pace: how many messages it may send a minute and a day, counted over rolling windows."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from datetime import datetime, timedelta

from batchmail.errors import DailyLimitReached

_MINUTE, _DAY = timedelta(minutes=1), timedelta(days=1)


class Pace:
    """An account's budget: at most `per_minute` messages in any 60 seconds and `per_day` in any 24 hours.

    A rolling window rather than a refilling bucket, so the provider's own count is never exceeded. Slots are
    handed out one after the other, so parallel sessions share the budget; `recent` are the send times already
    spent (from the outbox), so a new process keeps counting the day.
    """

    def __init__(self, *, per_minute: int | None, per_day: int | None, recent: Iterable[datetime] = ()) -> None:
        self.per_minute = per_minute
        self.per_day = per_day
        self._day: deque[datetime] = deque(sorted(recent))
        self._minute: deque[datetime] = deque(self._day)

    def reserve(self, now: datetime) -> datetime:
        """The moment the next message may go (now or later), counted as spent. Raises DailyLimitReached."""
        at = now
        if self.per_minute:
            _forget_before(self._minute, at - _MINUTE)
            if len(self._minute) >= self.per_minute:
                at = max(at, self._minute[-self.per_minute] + _MINUTE)
        if self.per_day:
            _forget_before(self._day, at - _DAY)
            if len(self._day) >= self.per_day:
                raise DailyLimitReached(self.per_day, self._day[-self.per_day] + _DAY)
        self._minute.append(at)
        self._day.append(at)
        return at

    def expected_end(self, remaining: int, now: datetime, rate: float | None) -> datetime | None:
        """When `remaining` messages will have gone at the measured `rate` (messages a second), bounded by the
        pace; None while there is nothing to go by. Messages beyond the day's budget wait until it frees."""
        if remaining <= 0:
            return now
        if self.per_minute:
            rate = min(rate or self.per_minute / 60, self.per_minute / 60)
        if not rate:
            return None
        end = now + timedelta(seconds=remaining / rate)
        if self.per_day:
            _forget_before(self._day, now - _DAY)
            if remaining > self.per_day - len(self._day) and self._day:
                end = max(end, self._day[0] + _DAY)
        return end


def _forget_before(times: deque[datetime], limit: datetime) -> None:
    while times and times[0] <= limit:
        times.popleft()
