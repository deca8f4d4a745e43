from deploy_dsl.dsl import Fork, Simple, Workflow
from tests.invalid._common import OWNER

fork = Fork("fork", branches=[[Simple("a")], [Simple("b")]])  # expect: DSL030
workflow = Workflow("fork_without_join", version=1, owner_email=OWNER, tasks=[fork, Simple("c")])
