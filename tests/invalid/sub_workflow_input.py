from pydantic import BaseModel

from deploy_dsl.dsl import Simple, SubWorkflow, Workflow
from tests.invalid._common import OWNER


class Release(BaseModel):
    scope: str
    version: str
    notes: str | None = None


child = Workflow("release_child", version=1, owner_email=OWNER, input=Release, tasks=[Simple("t")])
typo = SubWorkflow("typo", workflow=child, inputs={"scope": "a", "verison": "1"})  # expect: DSL072
missing = SubWorkflow("missing", workflow=child, inputs={"scope": "a"})  # expect: DSL072
good = SubWorkflow("good", workflow=child, inputs={"scope": "a", "version": "1"})
parent = Workflow("release_parent", version=1, owner_email=OWNER, tasks=[typo, missing, good])
