from deploy_dsl.dsl import Inline, Noop, Switch, Workflow
from tests.invalid._common import OWNER

# graaljs: the server registers it and the task FAILS when it runs. The finding is on the
# script's own line.
count = Inline(
    "count",
    script="""
var items = $.items;
items.length +; // # expect: DSL090
""",
    inputs={"items": [1, 2]},
)
route = Switch("route", script="$.n ==", cases={"1": [Noop("one")]})  # expect: DSL090
workflow = Workflow("script_syntax", version=1, owner_email=OWNER, tasks=[count, route])
