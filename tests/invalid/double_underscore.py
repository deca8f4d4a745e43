from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

bad = Simple("fetch__1")  # expect: DSL002
workflow = Workflow("double_underscore", version=1, owner_email=OWNER, tasks=[bad])
