"""The scenario layer: a YAML file (with `extends`, `--set`, source notes and distributions) becomes one frozen,
validated `Scenario`, or a `ScenarioError` naming the file, the key path and the line.

Nothing here knows about engines or results: every layer above reads only the `Scenario` this layer hands it.
"""
