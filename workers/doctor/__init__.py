"""`iquest doctor`: checks each moving part of a deployment, in order, and says how to fix it.

In: the settings (or the error parsing them). Out: a list of `Check` rows -- name, ok,
required, detail, fix -- which `report` renders as a table or JSON. The checks talk to the
real parts (Redis, GitHub, the model server, bubblewrap, the disk) and change nothing but
the model server's shared capability store, which they fill as a job would.
"""
