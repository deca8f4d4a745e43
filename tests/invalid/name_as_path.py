from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

climbs = Workflow(  # expect: DSL065
    "../../README", version=1, owner_email=OWNER, tasks=[Simple("a")]
)
taken = Workflow("reference", version=1, owner_email=OWNER, tasks=[Simple("b")])  # expect: DSL065
