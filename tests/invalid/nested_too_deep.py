from deploy_dsl.dsl import Simple, Switch, Task, Workflow
from tests.invalid._common import OWNER


def nest(depth: int) -> Task:
    inner: Task = Simple("leaf")
    for level in range(depth):
        inner = Switch(f"s{level}", value="x", cases={"x": [inner]})
    return inner


workflow = Workflow(  # expect: DSL067
    "nested_too_deep", version=1, owner_email=OWNER, tasks=[nest(80)]
)
