"""Waiting lines: which job a free worker takes next — follow-ups first, installations in turn.

The edge puts each job's id on its installation's line for the job's priority and a ticket
(`iquest.next_job`) in the Celery queue, in the same Lua script that dedupes the delivery.
Celery then decides only *when* a worker is free; which job that worker runs is decided here,
atomically: the highest priority with anything waiting, and within it the installation whose
turn it is (a ring of installations with waiting jobs, rotated on every take). Celery offers
priority (ordered queues) but nothing that takes turns between tenants, and one ticket per job
keeps Celery's own guarantees — late ack, redelivery of a killed worker's message, retries.

A ticket remembers the job it took, so a redelivered or retried ticket runs the same job.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import redis

from workers.intake.jobs import Job, JobKind

NEXT_JOB_TASK = "iquest.next_job"
ANNOUNCE_TASK = "iquest.announce"
JOBS_KEY = "iquest:jobs"  # job id → job JSON, while it waits or runs


class Priority(StrEnum):
    # Listed in the order they are served.
    FOLLOW_UP = "follow_up"
    NEW = "new"


PRIORITY_ORDER = (Priority.FOLLOW_UP, Priority.NEW)

# People are waiting on an open review or a red CI on the app's own PR: those go first.
# Help and cancel are answered at once; a new issue or PR fix is the long, patient kind.
_FOLLOW_UP_KINDS = frozenset(
    {JobKind.REVIEW_FOLLOWUP, JobKind.CI_FOLLOWUP, JobKind.FIX_REVIEW_THREAD, JobKind.HELP,
     JobKind.CANCEL}
)


def priority_for(kind: JobKind) -> Priority:
    return Priority.FOLLOW_UP if kind in _FOLLOW_UP_KINDS else Priority.NEW


def tenant_of(job: Job) -> str:
    """Whose turn a job waits for: its installation (API jobs share one line)."""
    return str(job.installation_id) if job.installation_id is not None else "api"


def line_prefix(queue: str) -> str:
    # Lines belong to the Celery queue their tickets are in, so a queue served by other
    # workers (e.g. local /repair jobs) never hands its tickets another queue's jobs.
    return f"{queue}:line:"


def line_key(queue: str, priority: Priority, tenant: str) -> str:
    return f"{line_prefix(queue)}{priority.value}:{tenant}"


def ring_key(queue: str, priority: Priority) -> str:
    return f"{queue}:ring:{priority.value}"


def claims_key(queue: str) -> str:
    return f"{queue}:claims"


def target_key(job: Job) -> str:
    """Ids of the jobs queued or running on one issue or pull request, for cancelling."""
    return f"iquest:target:{job.target_key}"


# Edge side. KEYS: delivery, celery queue, jobs hash, line, ring, target set.
# ARGV: ttl, job id, ticket message, job JSON, tenant, announce queue, announce message.
ENQUEUE_LUA = """
local seen = redis.call('GET', KEYS[1])
if seen then
  return {0, seen}
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[4])
if redis.call('RPUSH', KEYS[4], ARGV[2]) == 1 then
  redis.call('RPUSH', KEYS[5], ARGV[5])
end
redis.call('SADD', KEYS[6], ARGV[2])
-- With no ticket waiting before this one, the next free worker takes it (or one just as
-- urgent): nothing worth announcing, and an idle queue's job starts without the detour.
if ARGV[6] ~= '' and redis.call('LLEN', KEYS[2]) > 0 then
  redis.call('LPUSH', ARGV[6], ARGV[7])
end
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[1]))
return {1, ARGV[2]}
"""

# Worker side. KEYS: claims, jobs hash, then one ring per priority in serving order.
# ARGV: ticket id, line prefix, then the priorities' names in the same order.
CLAIM_LUA = """
local claimed = redis.call('HGET', KEYS[1], ARGV[1])
if claimed then
  return {claimed, redis.call('HGET', KEYS[2], claimed)}
end
for i = 3, #KEYS do
  local ring = KEYS[i]
  while true do
    local tenant = redis.call('LPOP', ring)
    if not tenant then break end
    local line = ARGV[2] .. ARGV[i] .. ':' .. tenant
    local id = redis.call('LPOP', line)
    if redis.call('LLEN', line) > 0 then
      redis.call('RPUSH', ring, tenant)
    end
    if id then
      redis.call('HSET', KEYS[1], ARGV[1], id)
      return {id, redis.call('HGET', KEYS[2], id)}
    end
  end
end
return false
"""

# How many jobs a worker would take before this one, if nothing else arrived.
# KEYS: the rings in serving order. ARGV: line prefix, job's priority, tenant, job id, then
# the priorities' names in serving order. -1 when the job is not waiting (started, cancelled).
POSITION_LUA = """
local prefix, priority, tenant, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local index = redis.call('LPOS', prefix .. priority .. ':' .. tenant, id)
if not index then return -1 end
local ahead = index
for i = 1, #KEYS do
  local name = ARGV[4 + i]
  local tenants = redis.call('LRANGE', KEYS[i], 0, -1)
  if name == priority then
    local before = true
    for _, other in ipairs(tenants) do
      if other == tenant then
        before = false
      else
        local waiting = redis.call('LLEN', prefix .. name .. ':' .. other)
        local turns = index
        if before then turns = index + 1 end
        ahead = ahead + math.min(waiting, turns)
      end
    end
    return ahead
  end
  for _, other in ipairs(tenants) do
    ahead = ahead + redis.call('LLEN', prefix .. name .. ':' .. other)
  end
end
return ahead
"""


@dataclass(frozen=True)
class Claimed:
    job_id: str
    job_json: str | None  # None: the job was cancelled after it was taken


class WaitingLines:
    """The worker's side of the lines of one Celery queue: take, finish, cancel, position."""

    def __init__(self, client: redis.Redis, queue: str) -> None:
        self._redis = client
        self._queue = queue
        self._claim = client.register_script(CLAIM_LUA)
        self._position = client.register_script(POSITION_LUA)
        self._rings = [ring_key(queue, p) for p in PRIORITY_ORDER]
        self._names = [p.value for p in PRIORITY_ORDER]

    def claim(self, ticket_id: str) -> Claimed | None:
        """The job this ticket runs: the one it took before, else the next in fair order."""
        found = self._claim(
            keys=[claims_key(self._queue), JOBS_KEY, *self._rings],
            args=[ticket_id, line_prefix(self._queue), *self._names],
        )
        if not found:
            return None
        job_id, job_json = found
        return Claimed(_text(job_id), _text(job_json) if job_json is not None else None)

    def finish(self, ticket_id: str, job: Job) -> None:
        """Forget a job that ended (done, failed, given up or cancelled) and its ticket."""
        pipe = self._redis.pipeline()
        pipe.hdel(claims_key(self._queue), ticket_id)
        pipe.hdel(JOBS_KEY, job.job_id)
        pipe.srem(target_key(job), job.job_id)
        pipe.execute()

    def forget_ticket(self, ticket_id: str) -> None:
        self._redis.hdel(claims_key(self._queue), ticket_id)

    def position(self, job: Job) -> int | None:
        """Jobs a free worker would take before this one; None once it is no longer waiting."""
        ahead = self._position(
            keys=self._rings,
            args=[line_prefix(self._queue), priority_for(job.kind).value, tenant_of(job),
                  job.job_id, *self._names],
        )
        return None if int(ahead) < 0 else int(ahead)

    def withdraw(self, job: Job) -> bool:
        """Take a waiting job off its line; True when it was still waiting."""
        line = line_key(self._queue, priority_for(job.kind), tenant_of(job))
        removed = self._redis.lrem(line, 0, job.job_id)
        self._redis.hdel(JOBS_KEY, job.job_id)
        self._redis.srem(target_key(job), job.job_id)
        return bool(removed)

    def jobs_on(self, job: Job) -> list[Job]:
        """The other jobs queued or running on the same issue or pull request."""
        ids = [_text(i) for i in self._redis.smembers(target_key(job))]
        found = []
        for job_id, raw in zip(ids, self._redis.hmget(JOBS_KEY, ids) if ids else [], strict=True):
            if raw is not None and job_id != job.job_id:
                found.append(Job.model_validate_json(raw))
        return found

    def job(self, job_id: str) -> Job | None:
        raw = self._redis.hget(JOBS_KEY, job_id)
        return Job.model_validate_json(raw) if raw is not None else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
