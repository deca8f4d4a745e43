from deploy_dsl.dsl import Fork, Join, Simple, Workflow
from tests.invalid._common import OWNER

fork = Fork("fork", branches=[[Simple("a1"), Simple("a2")], [Simple("b")]])
join = Join("join", join_on=["a1", "b"])  # expect: DSL031
workflow = Workflow("join_not_branch_end", version=1, owner_email=OWNER, tasks=[fork, join])
