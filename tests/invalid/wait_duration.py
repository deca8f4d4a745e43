from pydantic import BaseModel

from deploy_dsl.dsl import Wait, Workflow, workflow_input
from tests.invalid._common import OWNER


class Pause(BaseModel):
    pause: str


a = Wait("a", duration="abc")  # expect: DSL048
b = Wait("b", duration="5")  # expect: DSL048
c = Wait("c", duration="-5s")  # expect: DSL048
d = Wait("d", duration="1h 2x")  # expect: DSL048
e = Wait("e", duration="")  # expect: DSL048
fine = Wait("fine", duration="1m 30s")
typed = Wait("typed", duration=workflow_input(Pause).pause)
signal = Wait.for_signal("signal")
workflow = Workflow(
    "wait_duration",
    version=1,
    owner_email=OWNER,
    input=Pause,
    tasks=[a, b, c, d, e, fine, typed, signal],
)
