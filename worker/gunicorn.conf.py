"""gunicorn settings for the worker, run from the repository root as
``gunicorn -c worker/gunicorn.conf.py 'worker.app:create_app()'``.

Port, processes, connections and the header deadline come from WorkerSettings (WORKER_PORT,
WORKER_PROCESSES, WORKER_CONNECTIONS, WORKER_HEADER_TIMEOUT_SECONDS), so a bad ``WORKER_*``
value stops gunicorn with one clear message before any process starts.
"""

from worker.settings import WorkerConfigError, load_settings

try:
    _settings = load_settings()
except WorkerConfigError as exc:
    raise SystemExit(f"worker: {exc}") from None

bind = f"127.0.0.1:{_settings.port}"
workers = _settings.processes
# gevent, one greenlet per connection: slow and idle clients cost a greenlet each, never a
# thread (worker/serving.py says why, with the figures), and gunicorn's own errors are JSON.
worker_class = "worker.serving.JsonGeventWorker"
worker_connections = _settings.connections
# With an async worker, the longest wait for a request's line and headers (idle keep-alive
# included): worker/serving.py answers a stalled request 408 and closes an idle connection.
keepalive = _settings.header_timeout_seconds
# The app logs one JSON line per step call; gunicorn's access log would only repeat it.
accesslog = None
errorlog = "-"
loglevel = "info"
timeout = 30
graceful_timeout = 5
# gunicorn 23+ would otherwise share one control socket path between every instance on the host.
control_socket_disable = True
