from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

task = Simple("task", inputs={"ratio": float("nan"), "cap": float("inf")})
workflow = Workflow("not_finite", version=1, owner_email=OWNER, tasks=[task])  # expect: DSL066
