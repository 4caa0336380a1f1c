"""Serving a whole class from one process: the compute scheduler, the line of live trainers,
and the janitor that frees a session's memory when it ends."""
