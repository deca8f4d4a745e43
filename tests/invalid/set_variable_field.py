from typing import Literal

from pydantic import BaseModel

from deploy_dsl.dsl import SetVariable, Workflow
from tests.invalid._common import OWNER


class Vars(BaseModel):
    outcome: Literal["finalized", "rolled_back"] | None = None


typo = SetVariable("typo", inputs={"outcom": "finalized"})  # expect: DSL073
wrong = SetVariable("wrong", inputs={"outcome": "done"})  # expect: DSL073
fine = SetVariable("fine", inputs={"outcome": "rolled_back"})
workflow = Workflow(
    "set_variable_field", version=1, owner_email=OWNER, variables=Vars, tasks=[typo, wrong, fine]
)
