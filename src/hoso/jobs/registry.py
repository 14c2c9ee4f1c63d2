"""Which handler runs each job kind. Domains never import this; the edges compose it."""

from hoso.ingest.jobs import run_import_job
from hoso.jobs.runner import Handler

HANDLERS: dict[str, Handler] = {
    "import.run": run_import_job,
}
