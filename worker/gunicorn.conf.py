"""gunicorn settings for the worker, run from the repository root as
``gunicorn -c worker/gunicorn.conf.py 'worker.app:create_app()'``.

Port, processes and threads come from WorkerSettings (WORKER_PORT, WORKER_PROCESSES,
WORKER_THREADS), so a bad ``WORKER_*`` value stops gunicorn with one clear message before any
process starts.
"""

from worker.settings import WorkerConfigError, load_settings

try:
    _settings = load_settings()
except WorkerConfigError as exc:
    raise SystemExit(f"worker: {exc}") from None

bind = f"127.0.0.1:{_settings.port}"
workers = _settings.processes
# Threads, not sync workers: a sync process serves one connection at a time, so two clients
# that stall mid-body blocked every request until the 30 s worker timeout killed both
# processes (and their clients got gunicorn's HTML 500). A gthread process waits for a new
# connection's first bytes in its event loop, then serves it on one of `threads` threads; the
# app bounds the wait for a body (WORKER_BODY_TIMEOUT_SECONDS, worker/body.py).
worker_class = "gthread"
threads = _settings.threads
keepalive = 2
# The app logs one JSON line per step call; gunicorn's access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 30
graceful_timeout = 5
# gunicorn 23+ would otherwise share one control socket path between every instance on the host.
control_socket_disable = True
