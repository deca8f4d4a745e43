"""gunicorn settings for the worker, run from the repository root as
``gunicorn -c worker/gunicorn.conf.py 'worker.app:create_app()'``.

Port and process count come from WorkerSettings (WORKER_PORT, WORKER_PROCESSES), so a bad
``WORKER_*`` value stops gunicorn with one clear message before any process starts.
"""

from worker.settings import WorkerConfigError, load_settings

try:
    _settings = load_settings()
except WorkerConfigError as exc:
    raise SystemExit(f"worker: {exc}") from None

bind = f"127.0.0.1:{_settings.port}"
workers = _settings.processes
worker_class = "sync"
# The app logs one JSON line per step call; gunicorn's access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 30
graceful_timeout = 5
# gunicorn 23+ would otherwise share one control socket path between every instance on the host.
control_socket_disable = True
