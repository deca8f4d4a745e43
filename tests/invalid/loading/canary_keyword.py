from deploy_dsl.dsl import CanaryStep

step = CanaryStep(10, pauze="1m")  # expect-load: DSL005 CanaryStep: no argument 'pauze' (did you mean 'pause'?)
