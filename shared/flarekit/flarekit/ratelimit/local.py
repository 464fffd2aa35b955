"""A per-isolate limiter: the same algorithms in bounded memory, for when the Durable Object
cannot be reached. Each isolate enforces each limit on its own, so across N isolates up to N times
the limit may pass: a degraded mode, never the normal one."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence

from flarekit.clock import Clock, now
from flarekit.ratelimit.evaluation import Evaluation, evaluate
from flarekit.ratelimit.limits import Limit
from flarekit.ratelimit.state import State


class LocalLimiter:
    """Limit states per subject in an LRU of at most `max_subjects`; evictions are counted."""

    def __init__(self, max_subjects: int = 1024, clock: Clock = now) -> None:
        self.max_subjects = max_subjects
        self.clock = clock
        self.evictions = 0
        self.rejections = 0
        self._subjects: OrderedDict[str, dict[str, State]] = OrderedDict()

    def hit(self, subject: str, limits: Sequence[Limit], cost: Mapping[str, float], force: bool = False) -> Evaluation:
        """Check and take `cost` for `subject`, all or nothing (or always, with `force`)."""
        states = self._subjects.get(subject)
        if states is None:
            states = {}
            self._subjects[subject] = states
            if len(self._subjects) > self.max_subjects:
                self._subjects.popitem(last=False)
                self.evictions += 1
        else:
            self._subjects.move_to_end(subject)
        result = evaluate(limits, states, cost, int(self.clock() * 1000), force)
        if result.allowed:
            states.update(result.states)
        else:
            self.rejections += 1
        return result

    def __len__(self) -> int:
        return len(self._subjects)
