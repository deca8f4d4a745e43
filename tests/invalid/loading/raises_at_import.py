settings = {"region": "eu"}
region = settings["regoin"]  # expect-load: KeyError: 'regoin'
