"""The PhysicianBench-v0 workbench: the tool modules ``read`` and ``write`` register its tools
(the suite lists them in ``tool_modules``; importing this package alone registers nothing).

Nine read tools and four write tools shaped like PhysicianBench's (``read``, ``write``), a
fifth write tool to discontinue a medication order (PhysicianBench has none; clinicians stop
drugs every day), plus
medsim's ``write_file`` (per-episode workspace) and ``terminology_search``. Tasks list the tools
they allow by name; :data:`WORKBENCH` is the default list every PhysicianBench task gets.
"""

from medsim.environments.physicianbench.workbench.names import READ_TOOLS, WORKBENCH, WRITE_TOOLS

__all__ = ["READ_TOOLS", "WORKBENCH", "WRITE_TOOLS"]
