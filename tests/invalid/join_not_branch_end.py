from deploy_dsl.dsl import Fork, Join, Simple, Workflow
from tests.invalid._common import OWNER

fork = Fork("fork", branches=[[Simple("a1"), Simple("a2")], [Simple("b")]])
join = Join("join", join_on=["a1", "b"])  # expect-warning: DSL031
early = Workflow("join_not_branch_end", version=1, owner_email=OWNER, tasks=[fork, join])

other = Fork("other", branches=[[Simple("c")]])
never = Join("never", join_on=["c", "ghost"])  # expect: DSL031
hangs = Workflow("join_unknown_ref", version=1, owner_email=OWNER, tasks=[other, never])
