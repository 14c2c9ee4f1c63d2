"""Which handler runs each job kind, and who reads the outbox.

Domains never import this; the edges compose it.
"""

from hoso.identity import jobs as identity_jobs
from hoso.ingest.jobs import run_import_job
from hoso.jobs.runner import Consumer, Handler

HANDLERS: dict[str, Handler] = {
    "import.run": run_import_job,
    "identity.resolve": identity_jobs.run_job,
    "identity.train": identity_jobs.run_train_job,
}

CONSUMERS: tuple[Consumer, ...] = (
    Consumer("identity", identity_jobs.TOPICS, identity_jobs.handle_outbox),
)
