from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

first = Simple("step")  # expect: DSL001
again = Simple("step")  # expect: DSL001
workflow = Workflow("duplicate_ref", version=1, owner_email=OWNER, tasks=[first, again])
