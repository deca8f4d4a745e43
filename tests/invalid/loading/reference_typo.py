from pydantic import BaseModel

from deploy_dsl.dsl import Simple, workflow_input


class In(BaseModel):
    scope: str


task = Simple("t", inputs={"s": workflow_input(In).scpoe})  # expect-load: DSL005 has no field 'scpoe'
