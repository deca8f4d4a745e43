from deploy_dsl.dsl import ExternalWorkflow, SubWorkflow, Workflow
from tests.invalid._common import OWNER

# `pong` is declared before it is defined, as a module calling a later one would.
pong_ref = ExternalWorkflow("pong", version=1)
ping = Workflow(  # expect: DSL045
    "ping", version=1, owner_email=OWNER, tasks=[SubWorkflow("call_pong", workflow=pong_ref)]
)
pong = Workflow(
    "pong", version=1, owner_email=OWNER, tasks=[SubWorkflow("call_ping", workflow=ping)]
)
# Calling an older version of itself is not a cycle.
versions_v1 = ExternalWorkflow("versions", version=1)
versions = Workflow(
    "versions", version=2, owner_email=OWNER, tasks=[SubWorkflow("old", workflow=versions_v1)]
)
