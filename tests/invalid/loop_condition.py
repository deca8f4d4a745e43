from deploy_dsl.dsl import DoWhile, Simple, Workflow
from tests.invalid._common import OWNER

before = Simple("before")
substituted = DoWhile(  # expect: DSL047
    "substituted", condition="${substituted.output.iteration} < 3", body=[Simple("a")]
)
outside = DoWhile(  # expect: DSL047
    "outside", condition="$.before['n'] > $.outside['iteration']", body=[Simple("b")]
)
readable = DoWhile(
    "readable",
    condition="$.readable['iteration'] < $.limit",
    inputs={"limit": 3},
    body=[Simple("c")],
)
workflow = Workflow(
    "loop_condition", version=1, owner_email=OWNER, tasks=[before, substituted, outside, readable]
)
