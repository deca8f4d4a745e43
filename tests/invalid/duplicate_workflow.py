from deploy_dsl.dsl import Simple, Workflow
from tests.invalid._common import OWNER

first = Workflow("twice", version=1, owner_email=OWNER, tasks=[Simple("a")])  # expect: DSL060
second = Workflow("twice", version=2, owner_email=OWNER, tasks=[Simple("b")])
