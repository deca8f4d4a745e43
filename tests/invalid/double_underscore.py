from deploy_dsl.dsl import DoWhile, Simple, Workflow
from tests.invalid._common import OWNER

outside = Simple("fetch__1")  # expect-warning: DSL002
inside = Simple("poll__1")  # expect: DSL002
loop = DoWhile("loop", condition="$.loop['iteration'] < 2", body=[inside])
workflow = Workflow("double_underscore", version=1, owner_email=OWNER, tasks=[outside, loop])
