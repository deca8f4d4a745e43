"""The deployments dashboard in the browser (an edge): executions, rollouts, gates and
definitions read from the Conductor API through `deploy_dsl.client`, rendered on the server.

`deploy-dsl dashboard` serves it; `server up` starts it beside Conductor and the worker.
"""
