settings = {"region": "eu"}
region = settings["regoin"]  # expect-load: DSL006 KeyError: 'regoin'
